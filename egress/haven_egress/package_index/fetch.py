"""Fetching one approved release's wheel from the package source, on the host, and checking it.

Only here does the package index reach outside: when an administrator (or an approved
ingress request) adds a release. The source's simple API in its JSON form (PEP 691, as PyPI,
devpi and pypiserver serve it at ``/simple/<name>/``) lists the project's files with the
SHA-256 it publishes; of the asked release's wheels, the one the project servers' Python
ranks best is downloaded, and refused unless its bytes hash to that digest and its name and
version are the ones asked for. Dependencies are not followed: each release
in the index is one decision (``docs/packages.md``).
"""

from __future__ import annotations

import json
import platform
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from email.parser import BytesHeaderParser
from io import BytesIO
from zipfile import BadZipFile, ZipFile

from packaging import tags
from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.utils import parse_wheel_filename

from ..blobs import sha256_hex
from ..errors import Invalid, NotFound
from .names import Pin, wheel_pin

TIMEOUT_SECONDS = 60
SIMPLE_JSON = "application/vnd.pypi.simple.v1+json"
MAX_WHEEL_BYTES = 256 * 1024 * 1024


class TamperedWheel(Invalid):
    """The downloaded bytes are not the ones the source published (hash or name mismatch)."""


@dataclass(frozen=True)
class FetchedWheel:
    pin: Pin
    filename: str
    content: bytes
    sha256: str
    requires: tuple[str, ...]  # the wheel's Requires-Dist: not fetched, listed for the administrator
    source_url: str


def target_tags() -> list[tags.Tag]:
    """The wheel tags the project servers' Python accepts, best first.

    The notebook image runs the same Debian Python as the host (``images/notebook``), so the
    host's own tags are the servers' tags.
    """
    return list(tags.sys_tags())


def _python_allowed(entry: dict, python: str) -> bool:
    """Whether the file's ``requires-python`` admits the servers' Python (pip there would skip it)."""
    try:
        return python in SpecifierSet(str(entry.get("requires-python") or ""))
    except InvalidSpecifier:
        return False


def choose_wheel(files: Iterable[dict], pin: Pin, accepted: Sequence[tags.Tag],
                 python: str = platform.python_version()) -> dict:
    """Of the files listed for the project, the wheel of ``pin`` whose tags rank best among ``accepted``."""
    rank = {tag: position for position, tag in enumerate(accepted)}
    best: tuple[int, dict] | None = None
    for entry in files:
        if entry.get("yanked") or not str(entry.get("filename", "")).endswith(".whl"):
            continue
        if not _python_allowed(entry, python):
            continue
        try:
            if wheel_pin(entry["filename"]) != pin:
                continue
            wheel_tags = parse_wheel_filename(entry["filename"])[3]
        except (Invalid, KeyError, ValueError):
            continue  # a name the source should not have published: never chosen
        score = min((rank[tag] for tag in wheel_tags if tag in rank), default=None)
        if score is not None and (best is None or score < best[0]):
            best = (score, entry)
    if best is None:
        raise NotFound(f"the package source has no wheel of {pin} that the project servers' Python "
                       f"({python}) can install (source distributions are never built here)")
    return best[1]


def _get(url: str, limit: int, accept: str = "*/*") -> bytes:
    request = urllib.request.Request(url, headers={"User-Agent": "haven-package-index", "Accept": accept})
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as response:  # noqa: S310 - admin-set source
            data = response.read(limit + 1)
    except urllib.error.HTTPError as error:
        if error.code == 404:
            raise NotFound(f"the package source has nothing at {url}") from None
        raise Invalid(f"the package source answered {error.code} for {url}") from None
    except (urllib.error.URLError, TimeoutError, OSError) as error:
        raise Invalid(f"could not reach the package source at {url}: {error}") from None
    if len(data) > limit:
        raise Invalid(f"{url} is larger than {limit} bytes")
    return data


def project_files(source: str, pin: Pin) -> tuple[str, list[dict]]:
    """The project page's address and its files, from the source's PEP 691 JSON simple API."""
    url = f"{source.rstrip('/')}/simple/{urllib.parse.quote(pin.name)}/"
    try:
        listing = json.loads(_get(url, 64 * 1024 * 1024, accept=SIMPLE_JSON))
        return url, [entry for entry in listing["files"] if isinstance(entry, dict)]
    except (ValueError, KeyError, TypeError):
        raise Invalid(f"the package source's answer at {url} is not a PEP 691 project page") from None


def requires_of(content: bytes) -> tuple[str, ...]:
    """The Requires-Dist lines of a wheel's METADATA (Invalid if it is not a wheel at all)."""
    try:
        with ZipFile(BytesIO(content)) as wheel:
            metadata = next((n for n in wheel.namelist() if n.endswith(".dist-info/METADATA")
                             and n.count("/") == 1), None)
            if metadata is None:
                raise Invalid("the wheel has no .dist-info/METADATA")
            headers = BytesHeaderParser().parsebytes(wheel.read(metadata))
    except BadZipFile:
        raise Invalid("the download is not a wheel (not a zip archive)") from None
    return tuple(headers.get_all("Requires-Dist") or ())


def fetch(source: str, pin: Pin, accepted: Sequence[tags.Tag] | None = None) -> FetchedWheel:
    """Download the best wheel of ``pin`` from ``source`` and check it against the published hash."""
    page, files = project_files(source, pin)
    entry = choose_wheel(files, pin, accepted or target_tags())
    filename = entry["filename"]
    published = str((entry.get("hashes") or {}).get("sha256", "")).lower()
    if len(published) != 64:
        raise TamperedWheel(f"the source publishes no SHA-256 for {filename}: refusing an unverifiable file")
    url = urllib.parse.urljoin(page, str(entry.get("url", "")))
    content = _get(url, MAX_WHEEL_BYTES)
    digest = sha256_hex(content)
    if digest != published:
        raise TamperedWheel(f"{filename}: the downloaded bytes hash to {digest}, the source publishes "
                            f"{published}; nothing was stored")
    return FetchedWheel(pin, filename, content, digest, requires_of(content), url)
