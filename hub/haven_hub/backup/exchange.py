"""Swapping two folders in one step: Linux's ``renameat2(RENAME_EXCHANGE)``.

After the call the old state is under the staged name and the new state under the live
name; no moment has neither, or a mix of both. A crash before it leaves the old state
whole, after it the new state whole.
"""

from __future__ import annotations

import ctypes
import errno
import os
from pathlib import Path

AT_FDCWD = -100
RENAME_EXCHANGE = 2

_libc = ctypes.CDLL(None, use_errno=True)


def exchange(first: Path, second: Path) -> None:
    """Atomically swaps two paths on one filesystem (both must exist)."""
    if _libc.renameat2(AT_FDCWD, os.fsencode(first), AT_FDCWD, os.fsencode(second), RENAME_EXCHANGE) != 0:
        code = ctypes.get_errno()
        hint = (" (they are on different filesystems, or one is a mount point: Haven's data folder must be a "
                "folder inside a mounted filesystem, not its root)" if code in (errno.EXDEV, errno.EBUSY) else "")
        raise OSError(code, f"cannot swap {first} and {second}: {os.strerror(code)}{hint}")
