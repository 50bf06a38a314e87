"""``python -m haven_hub.proxy_errors.launch -- PROXY-COMMAND ...``: start configurable-http-proxy
with Haven's error pages.

JupyterHub starts the proxy with ``--error-target <hub>/error`` after the command it is
configured with, so the command cannot choose another target itself; this step, placed in
the command, rewrites that one argument to Haven's handler (``ServiceDownHandler``), loads
``retry_after.js`` into the proxy through ``NODE_OPTIONS``, and then becomes the proxy
(``exec``: same process id, so JupyterHub's pid file and signals still reach the proxy).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence
from pathlib import Path

from . import ERROR_PATH

RETRY_AFTER_JS = Path(__file__).with_name("retry_after.js")
ERROR_TARGET = "--error-target"
JUPYTERHUB_ERROR_PATH = "/error"


def rewritten(args: Sequence[str]) -> list[str]:
    """The proxy's arguments with JupyterHub's error target (``…/error``) replaced by Haven's
    (``…/haven-proxy-error``); any other target is left as given."""
    out = list(args)
    for index, arg in enumerate(out):
        if arg == ERROR_TARGET and index + 1 < len(out):
            out[index + 1] = _haven_target(out[index + 1])
        elif arg.startswith(ERROR_TARGET + "="):
            out[index] = f"{ERROR_TARGET}={_haven_target(arg.split('=', 1)[1])}"
    return out


def _haven_target(target: str) -> str:
    bare = target.rstrip("/")
    if not bare.endswith(JUPYTERHUB_ERROR_PATH):
        return target
    return bare[: -len(JUPYTERHUB_ERROR_PATH)] + "/" + ERROR_PATH


def node_options(existing: str | None) -> str:
    """``NODE_OPTIONS`` with the Retry-After preload added to what was there."""
    preload = f"--require={RETRY_AFTER_JS}"
    return f"{existing} {preload}" if existing else preload


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if args[:1] == ["--"]:
        args = args[1:]
    if not args:
        print("usage: python -m haven_hub.proxy_errors.launch -- PROXY-COMMAND [ARGS...]", file=sys.stderr)
        return 2
    command = rewritten(args)
    os.environ["NODE_OPTIONS"] = node_options(os.environ.get("NODE_OPTIONS"))
    os.execvp(command[0], command)
    return 1  # not reached: exec replaces this process


if __name__ == "__main__":
    raise SystemExit(main())
