"""What every settings section shares: the name patterns, sizes, the error, strictness."""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field



PROJECT_ID = r"^[a-z][a-z0-9-]{1,30}[a-z0-9]$"
USERNAME = r"^[a-z][a-z0-9._-]{0,31}$"
BYTE_SIZE = r"^[0-9]+(\.[0-9]+)?[KMGT]?$"


def byte_count(size: str) -> int:
    """Bytes in a size written as in the settings (``16M``, ``1.5G``, ``512``)."""
    units = {"K": 1024, "M": 1024**2, "G": 1024**3, "T": 1024**4}
    if size[-1:] in units:
        return int(float(size[:-1]) * units[size[-1]])
    return int(float(size))


def size_in_bytes(value: object) -> object:
    """A size as the settings write it (``16M``) read as bytes; a number is bytes already."""
    if isinstance(value, str):
        if not re.match(BYTE_SIZE, value):
            raise ValueError(f"{value!r} is not a size: bytes, or a number with K, M, G or T (e.g. 16M)")
        return byte_count(value)
    return value


# A size written as in the settings file and read as a positive number of bytes, so code
# using it needs no second name or conversion (``egress.max_file_size`` is bytes).
ByteSize = Annotated[int, BeforeValidator(size_in_bytes), Field(gt=0)]


class SettingsError(Exception):
    """The settings file is missing, unreadable or invalid; the message names the key."""


class _Section(BaseModel):
    # A misspelt key is an error, never silently ignored.
    model_config = ConfigDict(extra="forbid", frozen=True)

