"""What this server declares of its own environment with each release request.

The hub records what it knows of a server (image, kernel lock, datasets) and the egress
service reads that from the hub. Two things only the server knows: the packages the analyst
installed into their own user site (``PYTHONUSERBASE``, per user and project), and which
workspace file each sent file was made from (a notebook is sent as its HTML rendering).
The service stores both as "declared by the server"; this module only gathers them.

The sources also let a returned request be resubmitted: the Releases panel names a file by
the path the service knows (``analysis.html``), and the resubmission reads it from its source
(``analysis.ipynb``) again (``source_of``).
"""

from __future__ import annotations

import email.parser
import os
import re
import sysconfig
from collections.abc import Iterable, Mapping
from itertools import islice
from pathlib import Path
from typing import Any

from .workspace import is_regular, open_unfollowed

HTML = ".html"
NOTEBOOK = ".ipynb"
# What the egress service accepts (haven_egress.provenance.declared): anything else is left out
# here rather than have the whole request refused for a package the analyst cannot rename.
MAX_PACKAGES = 500
MAX_SOURCES = 200
MAX_PATH = 300
MAX_SITE_ENTRIES = 5000  # entries of the user site looked at; a site is a few hundred
MAX_METADATA_BYTES = 64 * 1024  # the headers come first; a long description follows them
_METADATA_FILES = {".dist-info": "METADATA", ".egg-info": "PKG-INFO"}
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$")
_VERSION = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._+!-]{0,63}$")


def user_site(environ: Mapping[str, str] = os.environ) -> Path | None:
    """The user site the kernel's ``pip install --user`` writes to, or None without a user base."""
    base = environ.get("PYTHONUSERBASE")
    if not base:
        return None
    return Path(sysconfig.get_path("purelib", scheme="posix_user", vars={"userbase": base}))


def user_packages(site: Path | None) -> dict[str, str]:
    """Distributions installed in the user site, name -> version (pip list --user).

    Read here rather than with importlib.metadata: the user site is the analyst's to write,
    and importlib.metadata opens whatever it finds there and lets its errors out (a FIFO
    named like a dist-info held the server's event loop for ever; a METADATA that is not
    UTF-8 failed every release request). A package that cannot be read is left out."""
    if site is None or not site.is_dir():
        return {}
    found = {}
    try:
        with os.scandir(site) as entries:
            for entry in islice(entries, MAX_SITE_ENTRIES):
                metadata_file = _METADATA_FILES.get(Path(entry.name).suffix)
                if metadata_file and entry.is_dir(follow_symlinks=False):
                    name, version = _name_and_version(Path(entry.path) / metadata_file)
                    if _NAME.match(name) and _VERSION.match(version):
                        found[name] = version
    except OSError:
        return {}
    return dict(sorted(found.items())[:MAX_PACKAGES])


def _name_and_version(path: Path) -> tuple[str, str]:
    """A METADATA file's Name and Version headers, or empty ones when it cannot be read: opened
    without following a link or waiting on a pipe, a regular file, its head only."""
    try:
        descriptor = open_unfollowed(path)
    except OSError:
        return "", ""
    with os.fdopen(descriptor, "rb") as handle:
        if not is_regular(descriptor):
            return "", ""
        head = handle.read(MAX_METADATA_BYTES).decode("utf-8", errors="replace")
    headers = email.parser.Parser().parsestr(head, headersonly=True)
    return str(headers.get("Name") or "").strip(), str(headers.get("Version") or "").strip()


def declared(sources: Iterable[tuple[str, str]], site: Path | None) -> dict[str, Any]:
    """The ``declared`` field of a submission: user-installed packages, and each sent path
    that differs from the workspace path it was made from."""
    renamed = [(sent, source) for sent, source in sources
               if sent != source and len(sent) <= MAX_PATH and len(source) <= MAX_PATH]
    return {"user_packages": user_packages(site), "sources": dict(renamed[:MAX_SOURCES])}


def source_of(path: str, sources: Mapping[str, str], exists) -> str:
    """The workspace file to send again for a file the service knows as ``path``.

    The version's declared sources say it; versions filed before they were declared fall
    back to the notebook beside a rendered ``.html`` that is not itself in the workspace.
    """
    if path in sources:
        return sources[path]
    if path.lower().endswith(HTML) and not exists(path):
        notebook = path[: -len(HTML)] + NOTEBOOK
        if exists(notebook):
            return notebook
    return path


def declared_sources(request: Mapping[str, Any]) -> dict[str, str]:
    """The sources the latest version of a request (as the egress API returns it) declared."""
    versions = request.get("versions") or [{}]
    provenance = versions[-1].get("provenance") or {}
    said = (provenance.get("declared_by_server") or {}).get("sources") or {}
    return {str(sent): str(source) for sent, source in said.items()}
