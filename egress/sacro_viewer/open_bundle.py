"""Open an output folder with the SACRO viewer's own code; print what the viewer would show.

Runs INSIDE the viewer's virtual environment (``haven_egress.acro_venv.ensure(VIEWER_LOCK,
VIEWER_PROBE)``). The viewer picks the folder's ACRO JSON file (``find_acro_metadata``), loads
it (``load_from_path``: the version check, each file's checksum against ``checksums/``, the
cells to highlight) and renders its index page; this prints, per output and file, whether the
viewer says the file was modified ("checksum_valid") and the cells it highlights.

    python open_bundle.py folder [folder …]     # one JSON object per folder, as a list
"""

from __future__ import annotations

import json
import logging
import os
import sys
from pathlib import Path


def main(folders: list[str]) -> None:
    logging.disable(logging.CRITICAL)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sacro.settings")
    os.environ.setdefault("ALLOWED_HOSTS", "testserver")
    import django
    django.setup()
    from django.test import Client
    from sacro import models

    shown = []
    for folder in folders:  # one Django start for them all
        path = models.find_acro_metadata(Path(folder).resolve())
        outputs = models.load_from_path(path)
        page = Client().get("/", {"path": str(path)})
        shown.append({
            "metadata_file": path.name, "version": outputs.version,
            "index_status": page.status_code,
            "outputs": {name: {"status": output["status"], "type": output["type"],
                               "files": [{"name": f["name"], "checksum_valid": f["checksum_valid"],
                                          "highlighted": dict(f.get("cell_index", {}))}
                                         for f in output["files"]]}
                        for name, output in outputs.items()},
        })
    json.dump(shown, sys.stdout)


if __name__ == "__main__":
    main(sys.argv[1:])
