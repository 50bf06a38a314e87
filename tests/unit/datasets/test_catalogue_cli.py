"""The administrators' commands, run through main() as `haven dataset …` will run them."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from haven_hub.datasets.catalogue import Grant
from haven_hub.datasets.cli import main


def run(capsys, root: Path, *args: str, **kwargs) -> tuple[int, str, str]:
    code = main(["--catalogue", str(root), *args], **kwargs)
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_add_list_show_verify(capsys, catalogue, good_csv, tmp_path):
    descriptions = tmp_path / "columns.json"
    descriptions.write_text(json.dumps({"age": "age in whole years"}))
    code, out, err = run(capsys, catalogue.root, "add", "visits", "--from", str(good_csv), "--title", "Ward visits",
                         "--licence", "DSA-17", "--describe", "cost=GBP", "--describe-from", str(descriptions))
    assert code == 0, err
    assert "added visits version 1: 4 rows, 4 columns" in out

    code, out, _ = run(capsys, catalogue.root, "list")
    assert code == 0 and out.startswith("visits\t1\t4 rows\t1 version(s)\tWard visits")

    code, out, _ = run(capsys, catalogue.root, "show", "visits")
    assert code == 0
    assert "licence: DSA-17" in out and "age\tBIGINT\tage in whole years" in out and "cost\tDOUBLE\tGBP" in out
    assert "grants: unknown (no hub settings" in out

    code, out, _ = run(capsys, catalogue.root, "show", "visits", grants=lambda name: [Grant("demo", None), Grant("p2", "1")])
    assert "grants: demo (latest), p2 (1)" in out

    code, out, _ = run(capsys, catalogue.root, "verify")
    assert code == 0 and "all 2 file(s) match" in out


def test_verify_fails_loudly_on_a_changed_file(capsys, catalogue, good_csv):
    assert run(capsys, catalogue.root, "add", "visits", "--from", str(good_csv))[0] == 0
    data = catalogue.root / "visits" / "1" / "data.parquet"
    os.chmod(data.parent, 0o755)
    os.chmod(data, 0o644)
    with data.open("r+b") as stream:  # flip one byte in the middle
        stream.seek(data.stat().st_size // 2)
        byte = stream.read(1)
        stream.seek(-1, 1)
        stream.write(bytes([byte[0] ^ 0xFF]))
    code, _, err = run(capsys, catalogue.root, "verify")
    assert code == 1
    assert "FAILED visits/1/data.parquet: checksum mismatch" in err


def test_verify_reports_missing_and_unlisted_files(capsys, catalogue, good_csv):
    assert run(capsys, catalogue.root, "add", "visits", "--from", str(good_csv))[0] == 0
    version_dir = catalogue.root / "visits" / "1"
    os.chmod(version_dir, 0o755)
    (version_dir / "data.parquet").unlink()
    (version_dir / "extra.csv").write_text("smuggled")
    code, _, err = run(capsys, catalogue.root, "verify")
    assert code == 1
    assert "visits/1/data.parquet: missing" in err and "visits/1/extra.csv: file not listed" in err


def test_errors_are_one_clear_line_and_exit_2(capsys, catalogue, good_csv):
    code, _, err = run(capsys, catalogue.root, "add", "../x", "--from", str(good_csv))
    assert code == 2 and err.startswith("error: invalid dataset name '../x'")
    code, _, err = run(capsys, catalogue.root, "show", "nothing")
    assert code == 2 and "no dataset 'nothing'" in err
    code, _, err = run(capsys, catalogue.root, "add", "x", "--from", str(good_csv), "--describe", "nocolon")
    assert code == 2 and "expected COLUMN=TEXT" in err


def test_runs_as_a_module(catalogue, good_parquet):
    result = subprocess.run(
        [sys.executable, "-m", "haven_hub.datasets", "--catalogue", str(catalogue.root), "add", "wards", "--from", str(good_parquet)],
        capture_output=True, text=True,
    )
    assert result.returncode == 0, result.stderr
    assert "added wards version 1: 50 rows" in result.stdout
