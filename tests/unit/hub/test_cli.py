import subprocess
import sys

from haven_hub import cli


def test_every_command_routes_to_a_main():
    import importlib

    for word, (module, _) in cli.COMMANDS.items():
        assert callable(importlib.import_module(module).main), word


def test_unknown_command_is_a_usage_error(capsys):
    assert cli.main(["frobnicate"]) == 64
    assert "unknown command 'frobnicate'" in capsys.readouterr().err


def test_dispatches_through_a_real_process(tmp_path):
    table = tmp_path / "counts.csv"
    table.write_text("region,count\nNorth,120\nSouth,3\n")
    result = subprocess.run([sys.executable, "-m", "haven_hub.cli", "check", str(table), "--kind", "frequency"],
                            capture_output=True, text=True)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "South" in result.stdout
