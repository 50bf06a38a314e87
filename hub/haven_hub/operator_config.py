"""The operator's own JupyterHub config files, run after Haven's (``operations.extra_config_dir``).

An operator adds TLS, proxy or logging options in ``/etc/haven/jupyterhub_config.d/*.py``
instead of editing the tracked ``jupyterhub_config.py``. Each file runs as a JupyterHub config
file does, with ``c`` (the configuration Haven has already filled) and ``get_config``, in
sorted order by name, so a later file may change what an earlier one set.
"""

from __future__ import annotations

import runpy
from pathlib import Path

from traitlets.config import Config

from .settings import SettingsError


def config_files(directory: Path) -> list[Path]:
    """The ``*.py`` files in ``directory`` in the order they run (none when it does not exist)."""
    if not directory.is_dir():
        return []
    return sorted(path for path in directory.glob("*.py") if path.is_file())


def load_operator_config(c: Config, directory: Path) -> list[Path]:
    """Runs each file on ``c``; a file that fails stops the hub, naming the file."""
    files = config_files(directory)
    for path in files:
        try:
            runpy.run_path(str(path), init_globals={"c": c, "get_config": lambda: c})
        except Exception as error:  # the operator's code: any error, reported with its file
            raise SettingsError(f"operator config {path} failed: {type(error).__name__}: {error}") from error
    return files
