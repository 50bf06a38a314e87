"""ACRO's ``results.json``: reading the one an analyst brings, writing one for a release.

ACRO (the SACRO project's checker) writes an output folder: ``results.json``, one CSV (or
figure) per output, and ``checksums/<file>.txt`` holding each file's SHA-256. Its shape, as
``acro.record.Records.finalise_json`` writes it (ACRO 1.0.2)::

    {"version": "1.0.2", "tool": {...},
     "results": {"output_0": {"uid", "status": "pass|fail|review", "type", "properties",
                              "files": [{"name": "output_0_0.csv", "sdc": {"summary": {check: n},
                                                                          "cells": {check: [[r, c]]}}}],
                              "outcome", "command", "summary", "timestamp", "comments",
                              "exception", "fair"}}}

Haven reads it only to show what ACRO said beside its own checks; ACRO's verdict never
replaces Haven's. A released bundle carries a ``results.json`` of the same shape written from
Haven's own checks, so the SACRO viewer can open a Haven release.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from datetime import datetime
from pathlib import PurePosixPath
from typing import Any

RESULTS_NAME = "results.json"
# The results.json layout Haven writes: the one ACRO 1.0.2 writes and loads.
ACRO_FORMAT_VERSION = "1.0.2"
_STATUSES = {"pass", "fail", "review"}


class NotAcroResults(ValueError):
    """The file is named results.json but is not ACRO's: says what is wrong with it."""


def parse(content: bytes, path: str, siblings: Mapping[str, Any]) -> dict[str, Any]:
    """ACRO's outputs, each with the request file it names and whether its checksum matches.

    ``siblings`` maps request paths to objects with ``content`` (the request's other files).
    """
    try:
        data = json.loads(content.decode("utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise NotAcroResults(f"{path}: not JSON ({error})") from None
    if not isinstance(data, dict) or not isinstance(data.get("results"), dict):
        raise NotAcroResults(f"{path}: not an ACRO results.json (no 'results' object)")
    folder = PurePosixPath(path).parent
    outputs = []
    for key, output in data["results"].items():
        if not isinstance(output, dict) or output.get("status") not in _STATUSES:
            raise NotAcroResults(f"{path}: output {key!r} has no status pass, fail or review")
        files = output.get("files") or []
        if not isinstance(files, list) or not all(isinstance(f, dict) and isinstance(f.get("name"), str)
                                                  for f in files):
            raise NotAcroResults(f"{path}: output {key!r} lists its files wrongly")
        outputs.append({
            "output": str(key), "uid": str(output.get("uid", key)), "status": output["status"],
            "type": str(output.get("type", "")), "summary": str(output.get("summary", "")),
            "exception": str(output.get("exception", "")),
            "comments": [str(c) for c in output.get("comments") or []],
            "command": str(output.get("command", "")),
            "files": [_file(folder, f, siblings) for f in files],
        })
    return {"results_file": path, "version": str(data.get("version", "")), "outputs": outputs}


def _file(folder: PurePosixPath, entry: dict[str, Any], siblings: Mapping[str, Any]) -> dict[str, Any]:
    name = PurePosixPath(entry["name"]).name
    request_path = str(folder / name) if str(folder) != "." else name
    sdc = entry.get("sdc") if isinstance(entry.get("sdc"), dict) else {}
    file = siblings.get(request_path)
    checksum = siblings.get(str(folder / "checksums" / f"{name}.txt") if str(folder) != "."
                            else f"checksums/{name}.txt")
    if file is None:
        state = "absent"  # ACRO named it but the request does not carry it
    elif checksum is None:
        state = "no checksum"
    else:
        expected = checksum.content.decode("ascii", "replace").strip().lower()
        state = "ok" if hashlib.sha256(file.content).hexdigest() == expected else "mismatch"
    return {"name": name, "request_path": request_path if file is not None else None,
            "checksum": state,
            "sdc_summary": {str(k): v for k, v in (sdc.get("summary") or {}).items()},
            "sdc_cells": {str(k): v for k, v in (sdc.get("cells") or {}).items()}}


def by_request_path(parsed: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """For each request file an ACRO output names: what ACRO said about it (``FileView.acro``)."""
    found = {}
    for output in parsed["outputs"]:
        for file in output["files"]:
            if file["request_path"] is not None:
                found[file["request_path"]] = {
                    "results_file": parsed["results_file"],
                    **{k: output[k] for k in ("output", "uid", "status", "type", "summary",
                                              "exception", "comments", "command")},
                    "checksum": file["checksum"], "sdc_summary": file["sdc_summary"],
                    "sdc_cells": file["sdc_cells"]}
    return found


# Haven's rules -> the names ACRO gives the same checks in sdc.summary / sdc.cells.
_ACRO_NAMES = {"min_frequency": "threshold", "min_contributors": "threshold",
               "dominance_nk": "nk-rule", "dominance_p_ratio": "p-ratio"}


def export(files: list[dict[str, Any]], generated_at: datetime) -> dict[str, Any]:
    """An ACRO-shaped results.json for released files: ``files`` are the release manifest's
entries (path, kind, and ``check_results`` holding the stored ``FileResult`` as ``result``)."""
    results = {}
    for index, file in enumerate(files):
        checks = file.get("check_results") or {}
        raw = checks.get("result") or {}
        findings = raw.get("findings", [])
        tables = raw.get("tables", [])
        summary: dict[str, int] = {"negative": 0, "missing": 0, "threshold": 0, "p-ratio": 0,
                                   "nk-rule": 0, "all-values-are-same": 0}
        cells: dict[str, list[list[int]]] = {name: [] for name in summary}
        for finding in findings:
            name = _ACRO_NAMES.get(finding["rule"])
            if name is None or finding["verdict"] != "fail":
                continue
            for cell in finding.get("cells", []):
                table = tables[finding["table"]] if finding.get("table") is not None else None
                values = table["value_columns"] if table else []
                column = values.index(cell["column"]) if cell["column"] in values else cell["column_index"]
                position = [cell["row_index"], column]
                if position not in cells[name]:
                    cells[name].append(position)
            summary[name] = len(cells[name])
        status = checks.get("verdict") or "review"
        comments = [f["message"] for f in findings if f["verdict"] != "pass"]
        results[f"output_{index}"] = {
            "uid": f"output_{index}", "status": status, "type": _acro_type(file.get("kind", "")),
            "properties": {"method": "haven"},
            "files": [{"name": file["path"], "sdc": {"summary": {**summary, "suppressed": False},
                                                     "cells": cells}}],
            "outcome": {}, "command": f"haven check {file['path']}",
            "summary": checks.get("summary") or "", "timestamp": generated_at.isoformat(),
            "comments": comments, "exception": "", "fair": {},
        }
    return {"version": ACRO_FORMAT_VERSION,
            "tool": {"@type": "SoftwareApplication", "name": "Haven", "version": "1"},
            "results": results}


def _acro_type(kind: str) -> str:
    return {"frequency_table": "table", "magnitude_table": "table", "figure": "custom",
            "model": "regression"}.get(kind, "custom")
