"""``haven project`` exit codes that need no hub: usage errors and an unreachable hub."""

from __future__ import annotations

import socket

import pytest
import yaml

from haven_hub.provisioning import cli


@pytest.mark.parametrize("argv", [[], ["create"], ["frobnicate"], ["update", "x", "--end-date", "31/12/2026"],
                                  ["sweep", "--today", "soon"], ["add-member", "x"]])
def test_usage_errors_exit_64(argv, capsys):
    assert cli.main(argv) == 64
    assert "error:" in capsys.readouterr().err


def test_an_unreachable_hub_is_one_line_and_exit_1(tmp_path, capsys):
    with socket.socket() as sock:  # a port nobody listens on once closed
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    (tmp_path / "token").write_text("not-a-real-token\n")
    settings = tmp_path / "haven.yaml"
    settings.write_text(yaml.safe_dump({"hub": {"public_port": port, "data_dir": str(tmp_path),
                                                "operator_token_file": "token"}}))
    assert cli.main(["list", "--settings", str(settings)]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and f"cannot reach the hub at http://127.0.0.1:{port}" in err


def test_a_missing_token_file_is_reported(tmp_path, capsys):
    settings = tmp_path / "haven.yaml"
    settings.write_text(yaml.safe_dump({"hub": {"data_dir": str(tmp_path)}}))
    assert cli.main(["list", "--settings", str(settings)]) == 1
    assert "cannot read the operator token" in capsys.readouterr().err
