"""What every settings section shares: the name patterns, sizes, the error, strictness."""

from __future__ import annotations


from pydantic import BaseModel, ConfigDict



PROJECT_ID = r"^[a-z][a-z0-9-]{1,30}[a-z0-9]$"
USERNAME = r"^[a-z][a-z0-9._-]{0,31}$"
BYTE_SIZE = r"^[0-9]+(\.[0-9]+)?[KMGT]?$"


def byte_count(size: str) -> int:
    """Bytes in a size written as in the settings (``16M``, ``1.5G``, ``512``)."""
    units = {"K": 1024, "M": 1024**2, "G": 1024**3, "T": 1024**4}
    if size[-1:] in units:
        return int(float(size[:-1]) * units[size[-1]])
    return int(float(size))


class SettingsError(Exception):
    """The settings file is missing, unreadable or invalid; the message names the key."""


class _Section(BaseModel):
    # A misspelt key is an error, never silently ignored.
    model_config = ConfigDict(extra="forbid", frozen=True)

