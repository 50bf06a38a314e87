"""``python -m haven_disclosure FILE …``, the same as ``haven check FILE …``."""

import sys

from .cli import main

sys.exit(main())
