"""TOTP (RFC 6238) second factor: secrets, otpauth:// enrolment URIs and code checks.

``python -m haven_hub.auth.totp SECRET`` prints the current code, for demos and scripts
(the same as ``oathtool --totp -b SECRET``).
"""

from __future__ import annotations

import hmac
import sys
from datetime import datetime, timezone

import pyotp

ISSUER = "Haven"
# RFC 6238's time step, pyotp's default: a code changes every 30 seconds.
STEP_SECONDS = 30
# One step either side: a phone clock a little off, or a code typed as it rolled over.
VALID_WINDOW = 1


def _totp(secret: str) -> pyotp.TOTP:
    return pyotp.TOTP(secret, interval=STEP_SECONDS)


def new_secret() -> str:
    return pyotp.random_base32()


def enrolment_uri(secret: str, username: str, issuer: str = ISSUER) -> str:
    """The otpauth:// URI an authenticator app scans (as a QR code) or accepts pasted."""
    return _totp(secret).provisioning_uri(name=username, issuer_name=issuer)


def code_at(secret: str, when: datetime | None = None) -> str:
    return _totp(secret).at(when or datetime.now(timezone.utc))


def code_of_step(secret: str, step: int) -> str:
    """The code of one time step (the number of 30-second intervals since the Unix epoch)."""
    return _totp(secret).generate_otp(step)


def step_at(when: datetime | None = None) -> int:
    """The time step of ``when`` (now by default): the same for every secret."""
    return int((when or datetime.now(timezone.utc)).timestamp()) // STEP_SECONDS


def matching_step(secret: str, code: str, when: datetime | None = None) -> int | None:
    """The time step whose code ``code`` is, within ``VALID_WINDOW`` steps of ``when``; else None.

    The step, not a yes/no, because a step once accepted must not be accepted again
    (RFC 6238 §5.2): the store keeps the last one each account used.
    """
    code = (code or "").strip().replace(" ", "")
    if not (code.isdigit() and len(code) == 6):
        return None
    generator = _totp(secret)
    current = generator.timecode(when or datetime.now(timezone.utc))
    matches = [step for step in range(current - VALID_WINDOW, current + VALID_WINDOW + 1)
               if hmac.compare_digest(code, generator.generate_otp(step))]
    # Every step is compared, so the time taken does not say which one matched.
    return matches[-1] if matches else None


def code_is_valid(secret: str, code: str, when: datetime | None = None) -> bool:
    """Whether ``code`` is right now, ignoring reuse (the store refuses a step used before)."""
    return matching_step(secret, code, when) is not None


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
