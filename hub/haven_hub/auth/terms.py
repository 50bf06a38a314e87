"""The terms of use an administrator sets (``auth.terms``): read once at start, versioned by content.

The version is the first 12 hex digits of the text's SHA-256, so editing the terms makes a
new version without anyone having to number it, and the audit log says exactly which text
a person accepted.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from ..settings import Settings, SettingsError


@dataclass(frozen=True)
class Terms:
    text: str
    version: str


NONE = Terms("", "")


def version_of(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:12]


def load_terms(settings: Settings) -> Terms:
    terms = settings.auth.terms
    text = terms.text
    if terms.file is not None:
        path = settings.data_path(terms.file)
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as error:
            raise SettingsError(f"cannot read auth.terms.file {path}: {getattr(error, 'strerror', error)}") from None
        if not text.strip():
            raise SettingsError(f"auth.terms.file {path} is empty")
    text = text.strip()
    return Terms(text, version_of(text)) if text else NONE
