"""python -m haven_hub.settings (--docs | SETTINGS_FILE): write the reference, or check a file."""

import sys

from . import SettingsError, load_settings, settings_reference

if sys.argv[1:] == ["--docs"]:
    sys.stdout.write(settings_reference())
elif len(sys.argv) == 2:
    try:
        load_settings(sys.argv[1])
    except SettingsError as exc:
        sys.exit(str(exc))
    print(f"{sys.argv[1]}: valid")
else:
    sys.exit("usage: python -m haven_hub.settings (--docs | SETTINGS_FILE)")
