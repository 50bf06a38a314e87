"""Nothing the analyst can write is ever served as a file, or read as Jupyter config.

The server's user (the same uid as the analyst's kernels) must not be able to write any
directory Jupyter reads config, kernelspecs, lab extensions or settings schemas from, nor
any directory a static-file route serves from. In the image these are on the read-only root;
if that ever stops being true (an env var, a mount, a new Jupyter default), haven_lab refuses
to start, naming the path, rather than serve what a kernel planted there (issue 11: a dataset
copied into ~/.local/share/jupyter/kernels/x/ came back through /kernelspecs/x/).
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from jupyter_client.kernelspec import KernelSpecManager
from jupyter_core.paths import jupyter_config_path, jupyter_path
from traitlets import default


class WritablePath(RuntimeError):
    pass


class ImageKernelSpecManager(KernelSpecManager):
    """Kernelspecs only from Jupyter's data path, which the image keeps read-only; not also
    from IPython's own kernels folder (IPYTHONDIR/kernels, in the home folder)."""

    @default("kernel_dirs")
    def _image_kernel_dirs(self) -> list[str]:
        return jupyter_path("kernels")


def first_existing(path: str | os.PathLike) -> Path:
    """The path itself or its nearest existing ancestor: a folder that does not exist yet
    is as writable as the folder it would be created in."""
    current = Path(os.path.abspath(path))
    while not current.exists() and current != current.parent:
        current = current.parent
    return current


def writable(path: str | os.PathLike) -> bool:
    return os.access(first_existing(os.path.realpath(path)), os.W_OK)


def writable_paths(paths: Iterable[tuple[str, str]]) -> list[tuple[str, str]]:
    return [(what, path) for what, path in paths if writable(path)]


def check_read_only(paths: Iterable[tuple[str, str]]) -> None:
    found = writable_paths(paths)
    if found:
        listed = "; ".join(f"{path} ({what})" for what, path in found)
        raise WritablePath(
            f"Jupyter would read or serve files from folders this server's user can write: {listed}. "
            "Haven refuses to start: a kernel could plant files there (set JUPYTER_DATA_DIR, "
            "JUPYTER_CONFIG_DIR and JUPYTER_PATH to the image's read-only folders)"
        )


def jupyter_read_paths(server_app: Any) -> list[tuple[str, str]]:
    """Every folder the server reads kernelspecs, lab extensions, settings schemas, config
    or static files from, as far as it is known when haven_lab loads (static routes that
    extensions register later are checked on each request by haven_lab.gate)."""
    paths = [("Jupyter config", p) for p in jupyter_config_path()]
    paths += [("Jupyter data: kernelspecs, lab extensions, settings schemas", p) for p in jupyter_path()]
    specs = server_app.kernel_spec_manager
    paths += [("kernelspecs", p) for p in specs.kernel_dirs]
    paths += [("kernelspec resources", p) for p in specs.find_kernel_specs().values()]
    paths += [("static files", p) for p in server_app.static_file_path]
    lab = server_app.config.get("LabApp", {})
    for name in ("labextensions_path", "extra_labextensions_path"):
        paths += [("lab extensions", p) for p in lab.get(name, [])]
    return paths


def static_dirs(handler_kwargs: dict[str, Any]) -> list[str]:
    path = handler_kwargs.get("path")
    if path is None:
        return []
    return [path] if isinstance(path, str) else list(path)
