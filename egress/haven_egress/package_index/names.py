"""What an administrator may ask for, and what a file in the index may be called.

A requirement is exactly ``NAME==VERSION``: one release, never a range, an extra, a
marker or a URL, so every approval names the bytes it lets in. Names are compared in
their PEP 503 normal form; a stored wheel's file name is parsed, never joined into a path.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import InvalidWheelFilename, canonicalize_name, parse_wheel_filename
from packaging.version import InvalidVersion, Version

from ..errors import Invalid

# PEP 508's name: letters, digits and . _ - inside, alphanumeric at both ends.
NAME = re.compile(r"^([A-Z0-9]|[A-Z0-9][A-Z0-9._-]*[A-Z0-9])$", re.IGNORECASE)
# A wheel file name as PyPI serves it; nothing that could be a path survives this.
WHEEL_FILE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._+-]*\.whl$")
MAX_REQUIREMENT = 200


@dataclass(frozen=True)
class Pin:
    name: str  # PEP 503 normal form, e.g. "typing-extensions"
    version: str  # normalised, e.g. "1.0.0"

    def __str__(self) -> str:
        return f"{self.name}=={self.version}"


def normal_name(name: str) -> str:
    """A project name in PEP 503 form; Invalid when it is not a valid name at all."""
    if not isinstance(name, str) or not NAME.match(name):
        raise Invalid(f"{name!r} is not a package name (letters, digits, '.', '_' and '-')")
    return canonicalize_name(name)


def parse_pin(requirement: str) -> Pin:
    """``NAME==VERSION`` as a Pin; anything else (a range, extras, a marker, a URL) is refused."""
    if not isinstance(requirement, str) or not requirement.strip():
        raise Invalid("give a package as NAME==VERSION, e.g. tabulate==0.9.0")
    text = requirement.strip()
    if len(text) > MAX_REQUIREMENT:
        raise Invalid(f"a requirement is at most {MAX_REQUIREMENT} characters")
    try:
        parsed = Requirement(text)
    except InvalidRequirement as error:
        raise Invalid(f"{text!r} is not a requirement: {error}") from None
    if parsed.url or parsed.marker or parsed.extras:
        raise Invalid(f"{text!r}: give only NAME==VERSION (no URL, extras or environment marker)")
    specifiers = list(parsed.specifier)
    if len(specifiers) != 1 or specifiers[0].operator != "==" or "*" in specifiers[0].version:
        raise Invalid(f"{text!r}: pin exactly one version with == (each approval names one release)")
    try:
        version = str(Version(specifiers[0].version))
    except InvalidVersion:
        raise Invalid(f"{text!r}: {specifiers[0].version!r} is not a version") from None
    return Pin(normal_name(parsed.name), version)


def wheel_pin(filename: str) -> Pin:
    """The release a wheel file name claims to be; Invalid for anything but a plain wheel name."""
    if not WHEEL_FILE.match(filename or ""):
        raise Invalid(f"{filename!r} is not a wheel file name")
    try:
        name, version, _build, _tags = parse_wheel_filename(filename)
    except (InvalidWheelFilename, InvalidVersion) as error:
        raise Invalid(f"{filename!r} is not a wheel file name: {error}") from None
    return Pin(canonicalize_name(name), str(version))
