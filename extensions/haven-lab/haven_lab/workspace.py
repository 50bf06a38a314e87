"""Reading files the analyst names, only from the project's workspace.

Paths come from the browser as contents-API paths (relative to the server's root
directory). Each is resolved with symlinks followed and must land inside the workspace and
outside the dataset mounts; anything else is ``Refused`` and nothing is read.
"""

from __future__ import annotations

import os
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
            raise Refused(404, f"{api_path}: no such file")
        if not real.is_file():
            raise Refused(422, f"{api_path}: is a folder; pick the files inside it")
        return real

    def read(self, api_path: object) -> bytes:
        real = self.resolve(api_path)
        size = real.stat().st_size
        if size > self.max_file_size:
            raise Refused(413, f"{api_path}: {size:,} bytes is over the limit of {self.max_file_size:,} bytes "
                          "for a release request; release a summary instead")
        with open(real, "rb") as handle:
            # Read one byte past the limit: the file may have grown since stat().
            content = handle.read(self.max_file_size + 1)
        if len(content) > self.max_file_size:
            raise Refused(413, f"{api_path}: over the limit of {self.max_file_size:,} bytes")
        return content

    def api_path(self, real: Path) -> str:
        """The contents-API path of a file inside the root directory."""
        return real.relative_to(self.root_dir).as_posix()
