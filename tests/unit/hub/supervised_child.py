"""A stand-in service for test_supervise: appends its pid to $SUPERVISED_PIDS, then waits."""

import os
import signal
import sys
import time

if __name__ == "__main__":
    with open(os.environ["SUPERVISED_PIDS"], "a") as pids:
        pids.write(f"{os.getpid()}\n")
    if os.environ.get("SUPERVISED_FAIL_AT_START"):
        sys.exit(3)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    while True:
        time.sleep(1)
