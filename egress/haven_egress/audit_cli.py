"""The egress service's chain for ``haven audit verify`` (``haven_hub.audit.cli`` walks every chain)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from .audit import ChainReport
from .cli import open_store


def verify_egress(settings_path: Path) -> ChainReport:
    service = open_store(settings_path)
    try:
        return service.verify_audit()
    finally:
        service.sessions.kw["bind"].dispose()


def main(argv: Sequence[str] | None = None) -> int:
    from haven_hub.audit.cli import main as audit_main  # one command for every chain

    return audit_main(argv)
