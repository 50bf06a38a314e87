"""The server process, hardened against its own kernels (they run as the same uid)."""

from __future__ import annotations

import ctypes
import sys

PR_SET_DUMPABLE = 4
PR_GET_DUMPABLE = 3


def forbid_tracing() -> None:
    """Marks the server not dumpable: a kernel of the same uid can then neither ptrace it
    nor read its /proc/<pid>/mem or environ (which hold the server's hub token and every
    byte it serves). Kernels are exec'd, which makes them dumpable again; nothing else
    changes for them."""
    if not sys.platform.startswith("linux"):
        return
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) != 0:
        raise OSError(ctypes.get_errno(), "prctl(PR_SET_DUMPABLE, 0) failed")


def is_dumpable() -> bool:
    return bool(ctypes.CDLL(None).prctl(PR_GET_DUMPABLE, 0, 0, 0, 0))
