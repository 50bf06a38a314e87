"""``python -m haven_hub.supervise MODULE``: run ``python -m MODULE`` and restart it at once
when it dies. With ``$HAVEN_LOG_FILE`` set, the service's output (and what this process says about
it) goes to that file as JSON records (haven_hub.logs), not to the hub's console.

JupyterHub restarts a managed service that exits, but only when it next polls the
process, every 30 s (``Spawner.poll_interval``; the spawner it builds for services takes
no configuration). A crashed egress service would leave submissions failing for that
long. This process is what the hub starts instead: it waits on its child, so it sees the
exit at once, and starts it again, with a growing pause only when the child keeps dying
at start-up (bad settings must not become a busy loop).

The hub stops a service by signalling this process (SIGINT, then SIGTERM, then SIGKILL):
SIGINT and SIGTERM are passed on to the child and waited for; the child is asked by the
kernel (PR_SET_PDEATHSIG) to die with this process, so even a SIGKILL here leaves no
orphan holding the service's port when the hub starts a new one. If the hub itself dies
(and cannot say so), this process stops its child and exits within a second, for the same
reason: the next hub's service must find its port free.
"""

from __future__ import annotations

import ctypes
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Sequence
from pathlib import Path

from .logs import LineLog

# A child that ran at least this long crashed, rather than failed to start: restart at once.
STEADY_SECONDS = 10.0
FIRST_PAUSE = 0.1
MAX_PAUSE = 10.0
_PR_SET_PDEATHSIG = 1
LOG_FILE_VARIABLE = "HAVEN_LOG_FILE"


def next_pause(uptime: float, previous: float) -> float:
    """Seconds to wait before the next start: none after a crash of a service that was
    running, doubling (to MAX_PAUSE) while it keeps dying at start-up."""
    if uptime >= STEADY_SECONDS:
        return 0.0
    return min(MAX_PAUSE, max(FIRST_PAUSE, 2 * previous))


def _die_with_parent(parent: int) -> None:
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
    if os.getppid() != parent:  # the parent died before the request took effect
        os._exit(1)


class Supervisor:
    def __init__(self, command: Sequence[str], name: str, log_file: Path | None = None):
        self.command = list(command)
        self.name = name
        self.output = LineLog(log_file, log_file.stem) if log_file is not None else None
        self.child: subprocess.Popen | None = None
        self.stopping = threading.Event()

    def log(self, message: str) -> None:
        print(f"[supervise {self.name}] {message}", file=sys.stderr, flush=True)
        if self.output is not None:
            self.output.write(message, level="WARNING", logger="haven.supervise")

    def _start(self, parent: int) -> subprocess.Popen:
        if self.output is None:
            return subprocess.Popen(self.command, preexec_fn=lambda: _die_with_parent(parent))
        child = subprocess.Popen(self.command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                 preexec_fn=lambda: _die_with_parent(parent))
        # Copied until the child closes its end (it exits); the thread ends with it.
        threading.Thread(target=self.output.copy, args=(child.stdout,), daemon=True).start()
        return child

    def stop(self, signum: int, _frame) -> None:
        self.stopping.set()
        if self.child is not None and self.child.poll() is None:
            self.child.send_signal(signum)

    def run(self) -> int:
        for signum in (signal.SIGINT, signal.SIGTERM):
            signal.signal(signum, self.stop)
        parent, hub = os.getpid(), os.getppid()
        pause = 0.0
        while not self.stopping.is_set():
            started = time.monotonic()
            self.child = self._start(parent)
            if self.stopping.is_set():  # asked to stop while the child was being started
                self.child.terminate()
            code = self._wait(hub)
            if self.stopping.is_set():
                return 0 if code in (0, -signal.SIGINT, -signal.SIGTERM) else 1
            pause = next_pause(time.monotonic() - started, pause)
            self.log(f"exited with status {code}; starting it again in {pause:.1f}s")
            self.stopping.wait(pause)
        return 0


    def _wait(self, hub: int) -> int:
        while True:
            try:
                return self.child.wait(timeout=1)
            except subprocess.TimeoutExpired:
                if os.getppid() != hub and not self.stopping.is_set():
                    self.log("the hub is gone; stopping the service")
                    self.stop(signal.SIGTERM, None)


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if len(args) != 1:
        print("usage: python -m haven_hub.supervise MODULE", file=sys.stderr)
        return 2
    log_file = Path(os.environ[LOG_FILE_VARIABLE]) if os.environ.get(LOG_FILE_VARIABLE) else None
    return Supervisor([sys.executable, "-m", args[0]], args[0], log_file).run()


if __name__ == "__main__":
    sys.exit(main())
