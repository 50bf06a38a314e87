"""JupyterHub configuration for Haven: loads the settings file and wires the parts.

No logic lives here; see hub/haven_hub/config.py.
"""

from haven_hub.config import configure
from haven_hub.host_state import use_private_umask
from haven_hub.settings import locate_settings

use_private_umask()  # before the hub writes its database, pid file or anything else
configure(c, locate_settings())  # noqa: F821
