"""Refused attempts at the live egress service are in its audit chain with who and what,
read back with the operator's ``haven audit show``. Real HTTP through the hub's proxy."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

pytestmark = [pytest.mark.docker, pytest.mark.usefixtures("hub_log_on_failure")]

FORGED_FILE = 10**15


def refused_events(haven_hub) -> list[dict]:
    done = subprocess.run([sys.executable, "-m", "haven_cli", "audit", "show", "--chain", "egress",
                           "--type", "egress.refused", "--json", "--settings", str(haven_hub.settings_path)],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    return json.loads(done.stdout)


def test_refusals_are_audited_with_who_and_the_real_project(egress, haven_hub):
    before = len(refused_events(haven_hub))
    own = egress.create_request_at("under_review", author="grace", project="alpha")
    file_id = egress.detail("grace", own)["versions"][-1]["files"][0]["id"]
    assert egress.review("grace", file_id).status_code == 403  # self-approval
    assert egress.act("ada", own, "release").status_code == 403  # an analyst at a checker's action
    assert egress.call("GET", f"api/requests/{own}", "bob").status_code == 404  # another project's
    assert egress.call("GET", f"api/files/{FORGED_FILE}/download", "bob").status_code == 404  # forged
    shown = [(e["actor"], e["details"]["operation"], e["target"], e["project"], e["details"].get("exists"))
             for e in refused_events(haven_hub)[before:]]
    assert shown == [("grace", "review_file", f"file/{file_id}", "alpha", True),
                     ("ada", "release", f"request/{own}", "alpha", True),
                     ("bob", "get_request", f"request/{own}", "alpha", True),
                     ("bob", "download_named", f"file/{FORGED_FILE}", None, False)]
    verify = subprocess.run([sys.executable, "-m", "haven_cli", "audit", "verify",
                             "--settings", str(haven_hub.settings_path)], capture_output=True, text=True, timeout=120)
    assert verify.returncode == 0, verify.stdout + verify.stderr
