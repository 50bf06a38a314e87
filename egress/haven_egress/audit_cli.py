"""The egress service's chain for ``haven audit verify`` and ``show`` (``haven_cli.audit`` hands
both to the hub's command)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from haven_hub.audit.chain import ChainReport, accept
from haven_hub.audit.log import EventFilter, StoredEvent, matching
from haven_hub.settings import Settings, load_settings

from .audit import anchor_for, verify_anchored
from .cli import open_store
from .models import audit_events
from .service import EgressService
from .web.startup import data_dir


@contextmanager
def _store(settings_path: Path) -> Iterator[tuple[Settings, EgressService] | None]:
    """The egress store, or None before the service ever started (opening it would create an
    empty file; there is nothing to read yet)."""
    settings = load_settings(settings_path)
    default_store = settings.data_path(settings.egress.data_dir) / "egress.sqlite"
    if not settings.egress.database_url and not default_store.exists():
        yield None
        return
    service = open_store(settings_path)
    try:
        yield settings, service
    finally:
        service.sessions.kw["bind"].dispose()


def verify_egress(settings_path: Path) -> ChainReport:
    """The egress chain, walked and held against its head (``audit.HEAD_FILE``)."""
    with _store(settings_path) as store:
        if store is None:
            return ChainReport("audit_events", 0, None, "the egress service has not started yet")
        settings, service = store
        with service.sessions() as session:
            return verify_anchored(session, audit_events, anchor_for(settings, data_dir(settings)),
                                   settings.hub.audit_grace_seconds)


def egress_events(settings_path: Path, filter_: EventFilter) -> list[StoredEvent]:
    """The egress chain's events matching ``filter_``, oldest first (for ``haven audit show``)."""
    with _store(settings_path) as store:
        if store is None:
            return []
        with store[1].sessions() as session:
            return matching(session, audit_events, filter_, "egress")


def accept_egress(settings_path: Path, actor: str) -> None:
    """``haven audit accept --chain egress``: the egress chain as it stands becomes anchored."""
    with _store(settings_path) as store:
        if store is None:
            return
        settings, service = store
        accept(lambda: service._transaction("audit.accept"), audit_events,
               anchor_for(settings, data_dir(settings)), actor)
