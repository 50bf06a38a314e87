"""The egress service's chain for ``haven audit verify`` (``haven_hub.audit.cli`` walks every chain)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from haven_hub.settings import load_settings

from .audit import ChainReport, anchor_for, verify_anchored
from .cli import open_store
from .models import audit_events
from .web.startup import data_dir


def verify_egress(settings_path: Path) -> ChainReport:
    """The egress chain, walked and held against its head (``audit.HEAD_FILE``)."""
    settings = load_settings(settings_path)
    service = open_store(settings_path)
    try:
        with service.sessions() as session:
            return verify_anchored(session, audit_events, anchor_for(settings, data_dir(settings)))
    finally:
        service.sessions.kw["bind"].dispose()


def main(argv: Sequence[str] | None = None) -> int:
    from haven_hub.audit.cli import main as audit_main  # one command for every chain

    return audit_main(argv)
