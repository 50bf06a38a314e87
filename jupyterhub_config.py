"""JupyterHub configuration for Haven: loads the settings file and wires the parts.

No logic lives here; see hub/haven_hub/config.py.
"""

import os

from haven_hub.config import configure
from haven_hub.host_state import use_private_umask

use_private_umask()  # before the hub writes its database, pid file or anything else
configure(c, os.environ.get("HAVEN_SETTINGS", "/etc/haven/haven.yaml"))  # noqa: F821
