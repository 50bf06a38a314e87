"""The egress service's audit events: the shared format of ``haven_hub.audit.chain``.

Kept as a module of its own so the service (``from . import audit``) and its tests read
as before; the format and verifier live once, in the hub package, for every chain.
"""

from pathlib import Path

from haven_hub.audit.chain import (  # noqa: F401 - re-exported
    GENESIS,
    Anchor,
    AuditEvent,
    ChainReport,
    audit_table,
    anchor_table,
    read,
    record,
    utcnow,
    verify,
    verify_anchored,
)
from haven_hub.audit.log import HEAD_KEY

HEAD_FILE = "audit.head"


def anchor_for(settings, data_dir: Path) -> Anchor:  # noqa: ANN001 - haven_hub.settings.Settings
    """Where the egress chain's head is kept: beside its data, keyed by the hub's audit-head key."""
    return Anchor(data_dir / HEAD_FILE, settings.data_path(HEAD_KEY))
