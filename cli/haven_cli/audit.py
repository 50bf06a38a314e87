"""``haven audit``: the hub's command, given the egress service's chain as well.

Wired here, above both packages, so the hub never imports the egress service.
"""

from __future__ import annotations

from collections.abc import Sequence

from haven_egress.audit_cli import accept_egress, egress_events, verify_egress
from haven_hub.audit import cli as hub_audit

CHAINS = {**hub_audit.CHAINS, "egress": verify_egress}
SOURCES = {**hub_audit.SOURCES, "egress": egress_events}
ACCEPTORS = {**hub_audit.ACCEPTORS, "egress": accept_egress}


def main(argv: Sequence[str] | None = None) -> int:
    return hub_audit.main(argv, chains=CHAINS, sources=SOURCES, acceptors=ACCEPTORS)
