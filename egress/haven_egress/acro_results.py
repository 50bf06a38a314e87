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
Haven's own checks (``export``), with ACRO's ``checksums/`` folder (``checksums``), so the
SACRO viewer opens a Haven release, highlights the flagged cells and marks no file modified.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from datetime import datetime
from pathlib import PurePosixPath
from typing import Any

from haven_disclosure.results import ACRO_CHECKS

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
        comments = output.get("comments") or []
        if not isinstance(comments, list | str):
            raise NotAcroResults(f"{path}: output {key!r} has comments that are neither text nor a list")
        for file in files:
            _check_sdc(path, key, file)
        outputs.append({
            "output": str(key), "uid": str(output.get("uid", key)), "status": output["status"],
            "type": str(output.get("type", "")), "summary": str(output.get("summary", "")),
            "exception": str(output.get("exception", "")),
            "comments": [comments] if isinstance(comments, str) else [str(c) for c in comments],
            "command": str(output.get("command", "")),
            "files": [_file(folder, f, siblings) for f in files],
        })
    return {"results_file": path, "version": str(data.get("version", "")), "outputs": outputs}


def _check_sdc(path: str, key: str, entry: dict[str, Any]) -> None:
    """ACRO's ``sdc`` of one file: a number per check (ACRO writes ``"suppressed": false`` too)
    and a list of cells per check; anything else is said as this file's problem, not met later
    as a crash."""
    sdc = entry.get("sdc")
    if not isinstance(sdc, dict):
        return  # no counts at all (a custom output): nothing shown, as before
    summary, cells = sdc.get("summary") or {}, sdc.get("cells") or {}
    if (not isinstance(summary, dict) or not isinstance(cells, dict)
            or not all(isinstance(n, int | float) for n in summary.values())
            or not all(isinstance(c, list) for c in cells.values())):
        raise NotAcroResults(f"{path}: output {key!r}, file {entry['name']!r}: 'sdc' should hold a number "
                             "per check in 'summary' and a list of cells per check in 'cells'")


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


def export(files: list[dict[str, Any]], generated_at: datetime) -> dict[str, Any]:
    """An ACRO 1.0.x results.json for released files, for the SACRO viewer: ``files`` are the
    release manifest's entries (path, kind, and ``check_results`` holding the stored
    ``FileResult`` as ``result``). Each output names its checks as ACRO 1.0.x does
    (``ACRO_CHECKS``: zeros included) and lists the cells each flagged as the viewer places
    them: ``[data row, header column - 1]`` (the viewer highlights ``td:nth-child(column + 2)``
    of row ``row + 1``, i.e. it takes the first column to be the only label column; with
    more label columns ACRO's own positions would miss, these still hit the cell)."""
    results = {}
    for index, file in enumerate(files):
        checks = file.get("check_results") or {}
        findings = (checks.get("result") or {}).get("findings", [])
        results[f"output_{index}"] = {
            "uid": f"output_{index}", "status": checks.get("verdict") or "review",
            "type": _acro_type(file.get("kind", ""), (checks.get("result") or {}).get("kind")),
            "properties": {"method": "haven check", **_mitigation(findings)},
            "files": [{"name": file["path"], "sdc": _sdc(findings)}],
            "outcome": {}, "command": f"haven check {file['path']}",
            "summary": checks.get("summary") or "", "timestamp": generated_at.isoformat(),
            "comments": [f["message"] for f in findings if f["verdict"] != "pass"],
            "exception": "", "fair": {},
        }
    return {"version": ACRO_FORMAT_VERSION,
            "tool": {"@type": "SoftwareApplication", "name": "Haven", "version": "1"},
            "results": results}


def _sdc(findings: list[dict[str, Any]]) -> dict[str, Any]:
    """ACRO's ``sdc``: per check, how many cells it flagged and where; a check Haven ran and
    passed is there with 0 (as ACRO lists every check it ran)."""
    cells: dict[str, list[list[int]]] = {}
    for finding in findings:
        names = ACRO_CHECKS.get(finding["rule"], ())
        if finding["rule"] == "values" and not str(
                finding.get("parameters", {}).get("problem", "")).startswith("missing"):
            names = ()  # stray text or negative counts: no ACRO check of that name
        flagged = finding["verdict"] == "fail" or (finding["rule"] == "values" and names)
        for name in names:
            positions = cells.setdefault(name, [])
            if finding["rule"] == "residual_dof" and flagged:
                positions.append([0, 0])  # a model fails as a whole: count it once
            for cell in finding.get("cells", []) if flagged else []:
                position = [cell["row_index"], cell["column_index"] - 1]
                if position not in positions:
                    positions.append(position)
    summary = {name: len(positions) for name, positions in cells.items()}
    if "MinimumDoFCheck" in cells:
        cells["MinimumDoFCheck"] = []  # ACRO keeps a model's verdict in the summary alone
    return {"summary": summary, "cells": cells}


def _mitigation(findings: list[dict[str, Any]]) -> dict[str, Any]:
    """ACRO's record of a mitigation (``properties.mitigation``, and ``round_base`` for
    rounding): an author's declared rounding the checks bore out, else cells the author
    already suppressed."""
    for finding in findings:
        parameters = finding.get("parameters", {})
        if (finding["rule"] == "rounding" and finding["verdict"] == "pass"
                and parameters.get("mitigation") == "rounding"):
            return {"mitigation": "round", "round_base": parameters["rounding_base"]}
    if any(f["rule"] == "suppression_markers" for f in findings):
        return {"mitigation": "suppress"}
    return {}


def _acro_type(declared: str, checked_as: str | None) -> str:
    if checked_as in ("frequency", "magnitude") or declared in ("frequency_table",
                                                                 "magnitude_table"):
        return "table"
    return "regression" if "model" in (declared, checked_as) else "custom"


def checksums(named: Mapping[str, bytes]) -> dict[str, bytes]:
    """ACRO's ``checksums/`` folder for files named as in results.json: ``<name>.txt`` holding
    the SHA-256 in lower-case hex and nothing else (the viewer compares the text exactly,
    so a trailing newline would mark the file "modified")."""
    return {f"checksums/{name}.txt": hashlib.sha256(data).hexdigest().encode("ascii")
            for name, data in named.items()}
