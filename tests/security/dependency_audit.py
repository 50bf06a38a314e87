"""pip-audit over Haven's pinned Python packages, judged against the accepted-advisories file.

Three sets of pins, each a separate environment: the hub (and egress service) venv, the
notebook image's default kernel, and the image's ACRO kernel (ACRO's own lock plus the
kernel's). pip-audit asks PyPI's JSON API for each pin's known vulnerabilities (PyPI's data
comes from OSV and the PyPA advisory database).

An advisory may be accepted only in ``accepted_advisories.yaml`` with a reason and a review
date; past that date the acceptance no longer counts, so someone looks again.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
EXCEPTIONS = Path(__file__).with_name("accepted_advisories.yaml")
PIN_SETS = {
    "hub": ["requirements.lock"],
    "notebook-image": ["images/notebook/requirements.lock"],
    "acro-kernel": ["egress/acro/requirements.lock", "images/notebook/acro-kernel.lock"],
}
# pip-audit's words when it could not talk to PyPI at all (requests' and urllib3's errors).
UNREACHABLE = ("ConnectionError", "Max retries exceeded", "Name or service not known", "Temporary failure in name",
               "timed out", "Failed to establish a new connection")


class AuditUnavailable(Exception):
    """PyPI could not be asked, or did not answer for some pins: the audit proves nothing."""


@dataclass(frozen=True)
class Acceptance:
    id: str
    package: str
    reason: str
    review_by: date


@dataclass
class Verdict:
    pins: int
    vulnerable: list[str] = field(default_factory=list)  # "package version: ID (fixed in …)", unaccepted
    accepted: list[str] = field(default_factory=list)
    unaudited: list[str] = field(default_factory=list)  # "package version: pip-audit's reason"

    def report(self, name: str) -> str:
        lines = [f"pip-audit [{name}]: {self.pins} pins, {len(self.vulnerable)} unaccepted vulnerabilities, "
                 f"{len(self.accepted)} accepted, {len(self.unaudited)} not audited"]
        lines += [f"  VULNERABLE {line}" for line in self.vulnerable]
        lines += [f"  accepted   {line}" for line in self.accepted]
        lines += [f"  unaudited  {line}" for line in self.unaudited[:5]]
        if len(self.unaudited) > 5:
            lines.append(f"  unaudited  … and {len(self.unaudited) - 5} more")
        return "\n".join(lines)


def load_acceptances(path: Path = EXCEPTIONS, today: date | None = None) -> list[Acceptance]:
    """The accepted advisories; a malformed entry or a passed review date is an error, not a skip."""
    today = today or date.today()
    entries = yaml.safe_load(path.read_text()) or []
    if not isinstance(entries, list):
        raise ValueError(f"{path.name}: expected a list of accepted advisories")
    accepted = []
    for number, entry in enumerate(entries, 1):
        missing = [key for key in ("id", "package", "reason", "review_by") if not str((entry or {}).get(key) or "").strip()]
        if missing:
            raise ValueError(f"{path.name} entry {number}: missing {', '.join(missing)} (each needs all four)")
        review_by = entry["review_by"]
        if not isinstance(review_by, date):
            raise ValueError(f"{path.name} entry {number} ({entry['id']}): review_by is not a date (YYYY-MM-DD)")
        if review_by < today:
            raise ValueError(f"{path.name} entry {number} ({entry['id']} in {entry['package']}): its review date "
                             f"{review_by} has passed; review the advisory and renew or remove the entry")
        accepted.append(Acceptance(str(entry["id"]), str(entry["package"]).lower(), str(entry["reason"]), review_by))
    return accepted


def judge(report: dict, acceptances: list[Acceptance]) -> Verdict:
    """Sorts pip-audit's JSON report into unaccepted, accepted and unaudited findings."""
    dependencies = report.get("dependencies", [])
    verdict = Verdict(pins=len(dependencies))
    for dependency in dependencies:
        name, version = dependency["name"], dependency.get("version", "")
        if "skip_reason" in dependency:  # pip-audit's reason names the version
            verdict.unaudited.append(f"{name}: {dependency['skip_reason']}")
            continue
        for vuln in dependency.get("vulns", []):
            ids = {vuln["id"], *vuln.get("aliases", [])}
            fixed = ", ".join(vuln.get("fix_versions", [])) or "no fix yet"
            line = f"{name} {version}: {vuln['id']} (fixed in {fixed})"
            match = next((a for a in acceptances if a.id in ids and a.package == name.lower()), None)
            if match:
                verdict.accepted.append(f"{line}: {match.reason} (review by {match.review_by})")
            else:
                verdict.vulnerable.append(line)
    return verdict


def run_pip_audit(requirement_files: list[str], timeout: float = 600) -> dict:
    """pip-audit's JSON report for the pins of ``requirement_files`` (exact pins, so no resolving)."""
    with tempfile.TemporaryDirectory(prefix="haven-pip-audit-") as scratch:
        output = Path(scratch) / "report.json"
        command = [sys.executable, "-m", "pip_audit", "--vulnerability-service", "pypi", "--no-deps",
                   "--disable-pip", "--progress-spinner", "off", "--format", "json", "--output", str(output),
                   "--aliases", "on", "--timeout", "30"]
        for path in requirement_files:
            command += ["--requirement", str(ROOT / path)]
        done = subprocess.run(command, capture_output=True, text=True, timeout=timeout, cwd=ROOT)
        # Exit 1 with a report means vulnerabilities were found; without one, pip-audit failed.
        if output.exists() and output.stat().st_size:
            return json.loads(output.read_text())
    if any(words in done.stderr for words in UNREACHABLE):
        raise AuditUnavailable(f"PyPI could not be reached: {done.stderr.strip().splitlines()[-1]}")
    raise RuntimeError(f"pip-audit failed (exit {done.returncode}): {done.stderr.strip()[-2000:]}")
