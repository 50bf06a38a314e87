"""The approved package index: wheels an administrator let in, served read-only to project servers.

``approve`` is the one way a release enters (the ``haven packages add`` command and the
ingress queue's approval both call it); ``web`` serves it as a PEP 503 "simple" index from
the egress service, to project servers only, each seeing its project's subset. Nothing is
proxied: an absent name is a local 404 (``docs/packages.md``).
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Union

from haven_hub.settings import Settings

from ..service import EgressService
from .fetch import FetchedWheel, TamperedWheel, fetch
from .names import Pin, parse_pin
from .store import INDEX_DIR, PackageIndex, PackageRecord

__all__ = ["FetchedWheel", "PackageIndex", "PackageRecord", "Pin", "TamperedWheel", "approve", "index_of", "open_index",
           "parse_pin"]


def open_index(settings: Settings) -> PackageIndex:
    """The index over the egress database and its wheel store, for a process other than the service
    (the ``haven packages`` command): migrated as the service's start does, and with the audit
    chain's head anchored as the service anchors it, so events written here verify there."""
    from .. import audit
    from ..models import audit_events
    from ..storage import open_engine, session_factory, upgrade
    from ..web.startup import data_dir, database_url

    url = database_url(settings)
    upgrade(url)
    engine = open_engine(url)
    audit.anchor_table(engine, audit_events, audit.anchor_for(settings, data_dir(settings)))
    return PackageIndex(session_factory(engine), data_dir(settings) / INDEX_DIR,
                        source=settings.egress.package_source_url)


def index_of(service: EgressService) -> PackageIndex:
    """The index of a running egress service: beside its submitted files, over its database."""
    return PackageIndex(service.sessions, Path(service.blobs.root).parent / INDEX_DIR,
                        source=service.rules.package_source_url)


def approve(settings_or_store: Union[Settings, EgressService, PackageIndex], requirement: str, actor: str, reason: str,
            projects: Iterable[str] | list[str] | None = None) -> PackageRecord:
    """Let ``NAME==VERSION`` into the index: fetch its wheel on the host, check the published hash,
    store it, and record who, when and why in the egress audit chain.

    ``projects``: only these projects' servers see it; None, every project. Refusals are the
    egress domain errors (``Invalid`` for a bad requirement or a tampered download, ``NotFound``
    for a release the source does not have or has no installable wheel of).
    """
    if isinstance(settings_or_store, PackageIndex):
        index = settings_or_store
    elif isinstance(settings_or_store, EgressService):
        index = index_of(settings_or_store)
    else:
        index = open_index(settings_or_store)
    pin = parse_pin(requirement)
    return index.add(fetch(index.source, pin), actor, reason, projects)
