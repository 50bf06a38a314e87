"""Haven's audit logs: one event format and hash-chain verifier for every chain.

``chain`` is the format (shared with the egress service, which keeps its own chain in
its own database); ``anchor`` keeps a chain's head outside its store; ``log`` is the hub
side's chain; ``cli`` is ``haven audit verify`` and ``haven audit show``.
"""

from .hooks import HubAuditTrail, record_account_change, record_login  # noqa: E402,F401 - the hub's entry points
