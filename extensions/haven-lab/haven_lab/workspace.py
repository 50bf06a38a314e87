"""Reading files the analyst names, only from the project's workspace.

Paths come from the browser as contents-API paths (relative to the server's root
directory). Each is resolved with symlinks followed and must land inside the workspace and
outside the dataset mounts; anything else is ``Refused`` and nothing is read.

A workspace is messy and changes while it is read (the analyst's kernels write to it): a
file is opened without following a link and without waiting on a pipe, must then be a
regular file, and its open descriptor must still be inside the workspace; whatever fails
is refused by the file's name, never as a server error.
"""

from __future__ import annotations

import io
import os
import stat
from dataclasses import dataclass
from pathlib import Path, PurePosixPath


class Refused(Exception):
    """Bad input from the analyst: an HTTP status and a message written for them."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def is_within(path: Path, directory: Path) -> bool:
    return path == directory or directory in path.parents


def open_unfollowed(path: Path | str) -> int:
    """A descriptor for reading ``path`` that follows no link at the file itself and does not
    wait on a pipe put in its place (OSError as ``os.open`` raises it)."""
    return os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0))


def is_regular(descriptor: int) -> bool:
    """A plain file: not a pipe, socket, device or folder."""
    return stat.S_ISREG(os.fstat(descriptor).st_mode)


@dataclass(frozen=True)
class Workspace:
    root_dir: Path  # the server's root_dir: what contents-API paths are relative to
    workspace: Path
    data_dir: Path
    max_file_size: int

    @classmethod
    def make(cls, root_dir: str | Path, workspace: str | Path, data_dir: str | Path, max_file_size: int) -> Workspace:
        return cls(Path(root_dir).resolve(), Path(workspace).resolve(), Path(data_dir).resolve(), max_file_size)

    def resolve(self, api_path: object) -> Path:
        """The real file behind a contents-API path, or Refused (403 outside, 404 missing)."""
        if not isinstance(api_path, str) or not api_path.strip("/"):
            raise Refused(400, "each file needs a 'path' (as shown in the file browser)")
        if "\x00" in api_path or any(part == ".." for part in PurePosixPath(api_path).parts):
            raise Refused(403, f"{api_path}: '..' is not allowed; name a file inside the workspace")
        candidate = self.root_dir / api_path.lstrip("/")
        real = Path(os.path.realpath(candidate))
        if is_within(real, self.data_dir):
            raise Refused(403, f"{api_path}: the datasets cannot be released, only outputs made from them")
        if not is_within(real, self.workspace):
            raise Refused(403, f"{api_path}: only files inside the project workspace can be released")
        if not real.exists():
            if os.path.lexists(candidate):
                raise Refused(404, f"{api_path}: is a link to a file that does not exist, or a loop of links")
            raise Refused(404, f"{api_path}: no such file")
        if real.is_dir():
            raise Refused(422, f"{api_path}: is a folder; pick the files inside it")
        if not real.is_file():
            raise Refused(422, f"{api_path}: is not a regular file (a pipe, socket or device); only files "
                          "can be used here")
        return real

    def open_regular(self, real: Path, api_path: object) -> io.BufferedReader:
        """``real`` (from resolve) opened for reading, if it is still the file resolve found.

        O_NOFOLLOW: the resolved path has no links in it, so a link found now was planted
        since; O_NONBLOCK: a pipe swapped in is refused, not waited on for ever. The open
        descriptor's own path is checked again, which catches a folder on the way swapped
        for a link out of the workspace after resolve."""
        try:
            descriptor = open_unfollowed(real)
        except FileNotFoundError:
            raise Refused(409, f"{api_path}: the file was removed while it was being read; try again") from None
        except PermissionError:
            raise Refused(403, f"{api_path}: this server may not read the file (its permissions forbid it); "
                          "make it readable (chmod u+r) and try again") from None
        except OSError as error:
            raise Refused(409, f"{api_path}: the file changed while it was being read, or cannot be read "
                          f"({error.strerror}); try again") from None
        try:
            if not is_regular(descriptor):
                raise Refused(422, f"{api_path}: is not a regular file (a pipe, socket or device); only files "
                              "can be used here")
            opened = Path(os.path.realpath(f"/proc/self/fd/{descriptor}"))
            if opened.is_absolute() and opened.exists() and (
                    is_within(opened, self.data_dir) or not is_within(opened, self.workspace)):
                raise Refused(409, f"{api_path}: the file moved out of the workspace while it was being read")
            return os.fdopen(descriptor, "rb")
        except BaseException:
            os.close(descriptor)
            raise

    def read(self, api_path: object) -> bytes:
        real = self.resolve(api_path)
        with self.open_regular(real, api_path) as handle:
            size = os.fstat(handle.fileno()).st_size
            if size > self.max_file_size:
                raise Refused(413, f"{api_path}: {size:,} bytes is over the limit of {self.max_file_size:,} "
                              "bytes for a release request; release a summary instead")
            try:
                # Read one byte past the limit: the file may have grown since fstat().
                content = handle.read(self.max_file_size + 1)
            except OSError as error:
                raise Refused(409, f"{api_path}: the file could not be read ({error.strerror}); "
                              "try again") from None
        if len(content) > self.max_file_size:
            raise Refused(413, f"{api_path}: over the limit of {self.max_file_size:,} bytes")
        return content

    def api_path(self, real: Path) -> str:
        """The contents-API path of a file inside the root directory."""
        return real.relative_to(self.root_dir).as_posix()
