"""Where Haven's settings file is: one answer for every command, service and script.

In order: the path given on the command line (``--settings``), ``$HAVEN_SETTINGS``, the
deployed location ``/etc/haven/haven.yaml`` when it exists (where Ansible installs it), then
the demo settings of the checkout this code runs from (``config/haven.demo.yaml``, what
``scripts/up`` starts by default). The checkout is found from this file's location, never
from the working directory, so a command works the same from any directory.
"""

from __future__ import annotations

import os
from pathlib import Path

from .common import SettingsError

ENVIRONMENT = "HAVEN_SETTINGS"
DEPLOYED = Path("/etc/haven/haven.yaml")
# hub/haven_hub/settings/location.py -> the checkout's root
CHECKOUT = Path(__file__).resolve().parents[3]
DEMO = CHECKOUT / "config" / "haven.demo.yaml"
DESCRIPTION = f"--settings, else ${ENVIRONMENT}, else {DEPLOYED} if it exists, else this checkout's {DEMO}"


def locate_settings(given: str | Path | None = None) -> Path:
    """The settings file to read; SettingsError when none of the places has one."""
    if given:
        return Path(given)
    if os.environ.get(ENVIRONMENT):
        return Path(os.environ[ENVIRONMENT])
    for candidate in (DEPLOYED, DEMO):
        if candidate.is_file():
            return candidate
    raise SettingsError(f"no settings file: give --settings FILE or set ${ENVIRONMENT} "
                        f"(neither {DEPLOYED} nor {DEMO} exists)")
