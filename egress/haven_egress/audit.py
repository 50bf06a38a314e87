"""The egress service's audit events: the shared format of ``haven_hub.audit.chain``.

Kept as a module of its own so the service (``from . import audit``) and its tests read
as before; the format and verifier live once, in the hub package, for every chain.
"""

from haven_hub.audit.chain import (  # noqa: F401 - re-exported
    GENESIS,
    AuditEvent,
    ChainReport,
    audit_table,
    read,
    record,
    utcnow,
    verify,
)
