"""Open an output folder with ACRO's own loader, as the SACRO viewer does; print what it read.

Runs INSIDE the ACRO virtual environment. Proves a Haven release's results.json is one ACRO
can load: ``acro.record.load_records`` checks the version and reads every CSV it names.

    python load_results.py folder
"""

from __future__ import annotations

import json
import logging
import sys

from acro.record import load_records


def main(folder: str) -> None:
    logging.disable(logging.CRITICAL)
    records = load_records(folder)
    json.dump([{"uid": record.uid, "status": record.status, "type": record.output_type,
                "summary": record.summary, "outputs": len(record.output)}
               for record in records.results.values()], sys.stdout)


if __name__ == "__main__":
    main(sys.argv[1])
