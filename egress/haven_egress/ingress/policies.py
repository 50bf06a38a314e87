"""WHAT may come in: the limits on a file or package, checked before anything is stored.

Pure functions raising ``Invalid`` with a sentence naming the problem (bad input changes
nothing). Limits come from ``egress.ingress`` in the settings, declared once there.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from haven_hub.settings.ingress import Ingress

from ..errors import Invalid

MEDIA_TYPES = {"csv": "text/csv", "tsv": "text/tab-separated-values", "json": "application/json",
               "md": "text/markdown", "yaml": "application/yaml"}
NAME_MAX = 200
TEXT_MAX = 4000
# PEP 508 names; PEP 440 versions, exact (a range would let the index change under a review).
PACKAGE_NAME = re.compile(r"^[A-Za-z0-9]([A-Za-z0-9._-]{0,126}[A-Za-z0-9])?$")
PACKAGE_VERSION = re.compile(r"^[0-9]+(\.[0-9]+)*((a|b|rc)[0-9]+)?(\.post[0-9]+)?(\.dev[0-9]+)?$")


@dataclass(frozen=True)
class CheckedFile:
    name: str
    content: bytes
    media_type: str


def file_name(name: str) -> str:
    """One plain segment: no folders, no '..', no hidden files, no control characters."""
    if not isinstance(name, str) or not name.strip():
        raise Invalid("the file needs a name")
    if "/" in name or "\\" in name:
        raise Invalid(f"{name!r}: give a file name, not a path (the file lands in the imports folder)")
    if name in (".", "..") or name.startswith("."):
        raise Invalid(f"{name!r}: names starting with '.' are not imported (hidden files, '..')")
    if any(unicodedata.category(ch).startswith("C") for ch in name):
        raise Invalid(f"{name!r}: control characters are not allowed in a file name")
    if len(name) > NAME_MAX:
        raise Invalid(f"the file name is {len(name)} characters; at most {NAME_MAX}")
    return name


def check_file(name: str, content: bytes, limits: Ingress) -> CheckedFile:
    name = file_name(name)
    extension = name.rsplit(".", 1)[-1] if "." in name else ""
    if extension not in limits.file_types:
        raise Invalid(f"{name}: files of type {extension or '(no extension)'!r} are not imported; "
                      f"allowed: {', '.join(limits.file_types)} (egress.ingress.file_types)")
    if not content:
        raise Invalid(f"{name} is empty")
    if len(content) > limits.max_file_size:
        raise Invalid(f"{name} is {len(content):,} bytes; an ingress request may carry at most "
                      f"{limits.max_file_size:,} bytes (egress.ingress.max_file_size)")
    if b"\x00" in content:
        raise Invalid(f"{name} is not a text file (it holds NUL bytes); only text is imported")
    try:
        content.decode("utf-8")
    except UnicodeDecodeError as bad:
        raise Invalid(f"{name} is not UTF-8 text (byte {bad.start}); only text is imported") from None
    return CheckedFile(name, content, MEDIA_TYPES.get(extension, "text/plain"))


def check_package(name: str, version: str) -> tuple[str, str]:
    name, version = (name or "").strip(), (version or "").strip()
    if not PACKAGE_NAME.match(name):
        raise Invalid(f"{name!r} is not a package name (letters, digits, '.', '_', '-')")
    if not PACKAGE_VERSION.match(version):
        raise Invalid(f"{version!r} is not an exact version (e.g. 1.4.2): a package comes in at one version")
    # PEP 503 normalisation: one name per package, whatever the spelling asked for.
    return re.sub(r"[-_.]+", "-", name).lower(), version


def text(value: str, what: str, required: bool = True) -> str:
    value = (value or "").strip()
    if required and not value:
        raise Invalid(f"the request needs {what}")
    if len(value) > TEXT_MAX:
        raise Invalid(f"{what} is {len(value)} characters; at most {TEXT_MAX}")
    return value
