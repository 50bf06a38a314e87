"""TOTP (RFC 6238) second factor: secrets, otpauth:// enrolment URIs and code checks.

``python -m haven_hub.auth.totp SECRET`` prints the current code, for demos and scripts
(the same as ``oathtool --totp -b SECRET``).
"""

from __future__ import annotations

import sys
from datetime import datetime, timezone

import pyotp

ISSUER = "Haven"
# One step either side: a phone clock a little off, or a code typed as it rolled over.
VALID_WINDOW = 1


def new_secret() -> str:
    return pyotp.random_base32()


def enrolment_uri(secret: str, username: str, issuer: str = ISSUER) -> str:
    """The otpauth:// URI an authenticator app scans (as a QR code) or accepts pasted."""
    return pyotp.TOTP(secret).provisioning_uri(name=username, issuer_name=issuer)


def code_at(secret: str, when: datetime | None = None) -> str:
    return pyotp.TOTP(secret).at(when or datetime.now(timezone.utc))


def code_is_valid(secret: str, code: str, when: datetime | None = None) -> bool:
    code = (code or "").strip().replace(" ", "")
    if not (code.isdigit() and len(code) == 6):
        return False
    return pyotp.TOTP(secret).verify(code, for_time=when or datetime.now(timezone.utc), valid_window=VALID_WINDOW)


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1 or args[0] in ("-h", "--help"):
        print("usage: python -m haven_hub.auth.totp SECRET   (prints the current 6-digit code)", file=sys.stderr)
        return 64
    try:
        print(code_at(args[0].replace(" ", "").upper()))
    except (ValueError, TypeError):
        print(f"not a base32 TOTP secret of 112 bits or more: {args[0]!r}", file=sys.stderr)
        return 65
    return 0


if __name__ == "__main__":
    sys.exit(main())
