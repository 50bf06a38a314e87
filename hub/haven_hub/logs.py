"""Each of Haven's processes writes its own log file, one JSON object a line.

The hub logs through ``logging`` (``hub_logging_config`` adds a file handler to JupyterHub's
own logging configuration). The proxy (Node.js) and the egress and admin services (started by
the hub, with its stdout) print lines instead; ``LineLog`` turns each printed line into a
record of the same shape, reading the level and logger from the line's own prefix where it has
one. Every record has ``time`` (UTC, ISO 8601), ``level``, ``logger`` and ``message``.

Files are opened for appending and reopened when logrotate moves them away
(``WatchedFileHandler`` for the hub; ``LineLog`` checks the file's inode before each write),
so rotation needs no ``copytruncate`` and no signal. The audit chains are not logs: they stay
in their own stores (docs/audit.md).

``python -m haven_hub.logs NAME FILE -- COMMAND...`` runs COMMAND with its output sent to
FILE as NAME's records (how the hub starts the proxy); see ``run``.
"""

from __future__ import annotations

import json
import logging
import os
import re
import signal
import subprocess
import sys
import threading
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

# The file name of each process's log, in ``operations.log_dir`` (logrotate rules name them).
LOG_FILES = {"hub": "hub.log", "proxy": "proxy.log", "egress": "egress.log", "admin": "admin.log"}
LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
_LETTERS = {level[0]: level for level in LEVELS}

# The prefixes the printed lines carry: Python's basicConfig as the services set it
# ("[egress INFO 2026-01-02 03:04:05,678] …"), tornado's and traitlets' LogFormatter
# ("[I 2026-01-02 03:04:05.678 JupyterHub app:123] …") and configurable-http-proxy's winston
# ("03:04:05.678 [ConfigProxy] info: …").
_PREFIXES = (
    re.compile(r"^\[(?P<logger>\S+) (?P<level>DEBUG|INFO|WARNING|ERROR|CRITICAL) [^\]]*\] ?(?P<message>.*)$"),
    re.compile(r"^\[(?P<letter>[DIWEC]) \S+ \S+ (?P<logger>[^\s\]]+)[^\]]*\] ?(?P<message>.*)$"),
    re.compile(r"^\S+ \[(?P<logger>[^\]]+)\] (?P<lower>debug|info|warn|error): ?(?P<message>.*)$"),
)
# Terminal colours (the proxy's levels are coloured even into a pipe).
_COLOURS = re.compile(r"\x1b\[[0-9;]*m")


def now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def record(level: str, logger: str, message: str, **extra: Any) -> str:
    return json.dumps({"time": now(), "level": level, "logger": logger, "message": message, **extra},
                      ensure_ascii=False)


class JsonFormatter(logging.Formatter):
    """A ``logging`` record as one JSON line (a traceback goes in ``exception``, not on lines of its own)."""

    def format(self, entry: logging.LogRecord) -> str:
        extra = {"exception": self.formatException(entry.exc_info)} if entry.exc_info else {}
        when = datetime.fromtimestamp(entry.created, UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
        return json.dumps({"time": when, "level": entry.levelname, "logger": entry.name,
                           "message": entry.getMessage(), **extra}, ensure_ascii=False)


def log_dir(settings: Any) -> Path:
    return settings.data_path(settings.operations.log_dir)


def log_file(settings: Any, process: str) -> Path:
    return log_dir(settings) / LOG_FILES[process]


def hub_logging_config(path: Path) -> dict[str, Any]:
    """``JupyterHub.logging_config``: JupyterHub's console handler stays; the hub's records, and
    tornado's (which JupyterHub routes through its own logger), also go to ``path`` as JSON."""
    handler = {"class": "logging.handlers.WatchedFileHandler", "filename": str(path),
               "formatter": "haven_json", "level": "INFO"}
    return {
        "formatters": {"haven_json": {"()": f"{__name__}.JsonFormatter"}},
        "handlers": {"haven_file": handler},
        "loggers": {
            "JupyterHub": {"handlers": ["console", "haven_file"]},
            # Haven's own hub-side code logs under "haven." (audit hooks, the meter, auth events)
            # or its module's name (haven_hub.networks, the spawner's).
            "haven": {"level": "INFO", "handlers": ["console", "haven_file"], "propagate": False},
            "haven_hub": {"level": "INFO", "handlers": ["console", "haven_file"], "propagate": False},
        },
    }


class LineLog:
    """Printed lines of one process, appended to its log file as records."""

    def __init__(self, path: Path, name: str):
        self.path = Path(path)
        self.name = name
        self._file: IO[str] | None = None
        self._inode: int | None = None
        # The supervisor writes its own lines while a thread copies the service's.
        self._lock = threading.Lock()
        # A line without a prefix of its own (a traceback's) continues the record before it.
        self._level, self._logger = "INFO", name

    def parse(self, line: str) -> tuple[str, str, str]:
        for pattern in _PREFIXES:
            match = pattern.match(line)
            if match:
                found = match.groupdict()
                level = found.get("level") or _LETTERS.get(found.get("letter") or "") or {
                    "warn": "WARNING"}.get(found.get("lower") or "", (found.get("lower") or "info").upper())
                self._level, self._logger = level, found["logger"]
                return level, found["logger"], found["message"]
        return self._level, self._logger, line

    def write(self, line: str, level: str | None = None, logger: str | None = None) -> None:
        line = _COLOURS.sub("", line.rstrip("\r\n"))
        if not line:
            return
        with self._lock:
            parsed_level, parsed_logger, message = self.parse(line)
            handle = self._handle()
            handle.write(record(level or parsed_level, logger or parsed_logger, message, process=self.name) + "\n")
            handle.flush()

    def _handle(self) -> IO[str]:
        try:
            inode = self.path.stat().st_ino
        except FileNotFoundError:  # moved away by logrotate (or never made): start a new file
            inode = None
        if self._file is None or inode != self._inode:
            if self._file is not None:
                self._file.close()
            self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            # Private whatever the umask of whoever started this process.
            descriptor = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
            self._file = open(descriptor, "a", encoding="utf-8")  # noqa: SIM115 (kept open between lines)
            self._inode = os.fstat(self._file.fileno()).st_ino
        return self._file

    def copy(self, stream: Iterable[bytes]) -> None:
        """Every line of ``stream`` (a child's stdout) until it ends; then closes it."""
        for raw in stream:
            self.write(raw.decode("utf-8", errors="replace"))
        if hasattr(stream, "close"):
            stream.close()

    def close(self) -> None:
        with self._lock:
            if self._file is not None:
                self._file.close()
                self._file = None


def die_with_parent(parent: int) -> None:
    """In a child before exec: the kernel kills it when ``parent`` dies (PR_SET_PDEATHSIG)."""
    import ctypes

    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(1, signal.SIGKILL)
    if os.getppid() != parent:  # the parent died before the request took effect
        os._exit(1)


def run(name: str, path: Path, command: Sequence[str]) -> int:
    """Runs ``command`` with its stdout and stderr logged to ``path``; SIGINT and SIGTERM are
    passed on, and the child dies with this process, so whoever stops this pid stops both."""
    log = LineLog(path, name)
    parent = os.getpid()
    child = subprocess.Popen(list(command), stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                             stdin=subprocess.DEVNULL, preexec_fn=lambda: die_with_parent(parent))
    asked_to_stop = []

    def stop(number: int, _frame: object) -> None:
        asked_to_stop.append(number)
        child.send_signal(number)

    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, stop)
    log.copy(child.stdout)
    code = child.wait()
    if asked_to_stop:  # the proxy exits 2 on SIGTERM: a stop, not a failure
        log.write(f"stopped (status {code})", level="INFO", logger="haven.logs")
    elif code:
        log.write(f"exited with status {code}", level="ERROR", logger="haven.logs")
    log.close()
    return code


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if len(args) < 4 or args[2] != "--":
        print("usage: python -m haven_hub.logs NAME FILE -- COMMAND...", file=sys.stderr)
        return 2
    return run(args[0], Path(args[1]), args[3:])


if __name__ == "__main__":
    sys.exit(main())
