"""``python -m haven_disclosure`` as a real process: output and exit codes."""

from __future__ import annotations

import io
import json
import subprocess
import sys

import pytest

from haven_disclosure.cli import main
from tests.fixtures.media import png

SMALL = "region,F,M\nNorth,12,3\nSouth,25,40\n"


def run(*args: str, cwd) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "haven_disclosure", *args], cwd=cwd,
                          capture_output=True, text=True, timeout=60)


def test_fail_exits_1_and_prints_rule_cell_value_and_verdict(write, tmp_path):
    write("admissions.csv", SMALL)
    done = run("admissions.csv", "--kind", "frequency", cwd=tmp_path)
    assert done.returncode == 1, done.stderr
    assert "FAIL   min_frequency (threshold=10): 1 cell below 10 in admissions.csv" in done.stdout
    assert "region=North | M = 3" in done.stdout
    assert done.stdout.rstrip().endswith("verdict: FAIL")


def test_pass_exits_0(write, tmp_path):
    write("ok.csv", "region,F,M\nNorth,12,13\nSouth,25,40\n")
    done = run("ok.csv", cwd=tmp_path)
    assert (done.returncode, done.stdout.splitlines()[-1]) == (0, "verdict: PASS")


def test_review_exits_3_not_0(write, tmp_path):
    write("plot.png", png())
    done = run("plot.png", cwd=tmp_path)
    assert done.returncode == 3
    assert "REVIEW human_review" in done.stdout


@pytest.mark.parametrize("content", [b"", b"a,b\n1,2,3\n", b"\xff\xfe\x00junk"])
def test_unreadable_input_exits_2_with_a_reason(write, tmp_path, content):
    write("bad.csv", content)
    done = run("bad.csv", cwd=tmp_path)
    assert done.returncode == 2
    assert done.stderr.startswith("haven check: unreadable input: bad.csv")
    assert "Traceback" not in done.stderr


def test_json_output_and_json_unreadable(write, tmp_path):
    write("admissions.csv", SMALL)
    done = run("admissions.csv", "--json", "--preset", "opensafely", "--set", "threshold=3",
               cwd=tmp_path)
    record = json.loads(done.stdout)
    assert (done.returncode, record["verdict"], record["settings"]["threshold"]) == (1, "fail", 3)
    assert {f["rule"] for f in record["findings"] if f["verdict"] == "fail"} == {"rounding"}
    write("bad.csv", "a,b\n1\n")
    done = run("bad.csv", "--json", cwd=tmp_path)
    assert done.returncode == 2
    assert json.loads(done.stdout)["line"] == 2


def test_evidence_option(write, tmp_path):
    write("means.csv", "region,mean\nNorth,10.5\n")
    write("ev.csv", "region,value\n" + "North,10\n" * 12)
    done = run("means.csv", "--kind", "magnitude", "--evidence", "ev.csv", cwd=tmp_path)
    assert done.returncode == 0, done.stdout


@pytest.mark.parametrize("args", [
    ["x.csv", "--set", "bogus=1"], ["x.csv", "--set", "threshold"],
    ["x.csv", "--kind", "poem"], ["x.csv", "--preset", "nope"], [],
])
def test_usage_errors_exit_64_not_2(write, args):
    write("x.csv", SMALL)
    err = io.StringIO()
    code = main([str(a) for a in args], out=io.StringIO(), err=err)
    assert code == 64, err.getvalue()


def test_unknown_setting_message_lists_the_known_ones(write, tmp_path):
    write("x.csv", SMALL)
    done = run("x.csv", "--set", "treshold=5", cwd=tmp_path)
    assert done.returncode == 64
    assert "unknown setting 'treshold'; known settings: threshold" in done.stderr
