"""One convention for every ``haven`` command, checked for each word of the dispatcher's table
and each of their own subcommands, found from their help (so a new one cannot slip through)."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from haven_cli import dispatch
from haven_hub.command_line import USAGE_ERROR

REPO = Path(__file__).resolve().parents[3]
HAVEN = Path(sys.executable).with_name("haven")
# Commands that read no settings file, so take no --settings: an allowlist.
WITHOUT_SETTINGS = {("check",)}


@pytest.fixture(autouse=True)
def _keep_the_test_umask(monkeypatch):
    monkeypatch.setattr(dispatch, "use_private_umask", lambda: None)


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = dispatch.main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def subcommands(help_text: str) -> list[str]:
    """The words of a command's subcommand group: the ``{a,b}`` under "positional arguments"."""
    _, found, rest = help_text.partition("positional arguments:")
    match = re.match(r"\s*\{([\w,-]+)\}", rest) if found else None
    return match.group(1).split(",") if match else []


def every_command(capsys) -> list[tuple[str, ...]]:
    found, todo = [], [(word,) for word in dispatch.COMMANDS]
    while todo:
        path = todo.pop(0)
        code, out, err = run(capsys, *path, "--help")
        assert code == 0 and out.startswith("usage:"), (path, code, err)
        words = subcommands(out)
        found.append((path, out))
        todo += [(*path, word) for word in words]
    return found


def test_every_command_and_subcommand_follows_the_convention(capsys):
    commands = every_command(capsys)
    paths = [path for path, _ in commands]
    # The walk reached the nested commands, not only the words.
    assert ("project", "create") in paths and ("audit", "verify") in paths and ("egress", "fsck") in paths
    assert len(paths) > 2 * len(dispatch.COMMANDS)
    for path, help_text in commands:
        code, out, err = run(capsys, *path, "--no-such-option")
        assert code == USAGE_ERROR, (path, code, out, err)
        assert "error:" in err and out == "", (path, err)
        leaf = not subcommands(help_text)
        if leaf and path[:1] not in WITHOUT_SETTINGS:
            assert "--settings FILE" in help_text, f"haven {' '.join(path)} takes no --settings"
        if leaf and len(path) > 1:
            # ... and the same option before the subcommand: `haven project --settings F list`.
            code, _, err = run(capsys, path[0], "--settings", "/nowhere.yaml", *path[1:], "--help")
            assert code == 0, (path, err)


def test_the_dispatcher_itself(capsys):
    code, out, _ = run(capsys, "--version")
    assert code == 0 and re.fullmatch(r"haven \d+\.\d+\.\d+\n", out)
    code, out, _ = run(capsys, "--help")
    assert code == 0 and all(word in out for word in dispatch.COMMANDS)
    for argv in (["frobnicate"], [], ["--settings"]):
        code, out, err = run(capsys, *argv)
        assert code == USAGE_ERROR and out == "" and "usage: haven" in err, argv
    assert "unknown command 'frobnicate'" in run(capsys, "frobnicate")[2]


def test_settings_that_cannot_be_read_are_a_clear_error_not_a_traceback(capsys, tmp_path):
    missing = tmp_path / "nowhere.yaml"
    for argv, expected in ((["audit", "verify"], 2), (["egress", "fsck"], 2), (["settings"], 1)):
        code, _, err = run(capsys, *argv, "--settings", str(missing))
        assert code == expected and f"cannot read settings file {missing}" in err, (argv, err)
        assert "Traceback" not in err


def test_the_installed_command_works_from_any_directory_without_flags(tmp_path):
    """What an operator types after scripts/up: no --settings, no $HAVEN_SETTINGS, not in the checkout."""
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)}
    shown = subprocess.run([str(HAVEN), "settings"], cwd=tmp_path, env=env, capture_output=True, text=True,
                           timeout=60)
    assert shown.returncode == 0, shown.stderr
    assert shown.stdout == f"{REPO / 'config' / 'haven.demo.yaml'}: valid\n"
    version = subprocess.run([str(HAVEN), "--version"], cwd=tmp_path, env=env, capture_output=True, text=True,
                             timeout=60)
    assert version.returncode == 0 and version.stdout.startswith("haven ")


def test_settings_are_named_once_for_any_word(tmp_path):
    mine = tmp_path / "mine.yaml"
    mine.write_text("hub: {data_dir: /tmp/haven-p1-nowhere}\n")
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "HAVEN_SETTINGS": str(tmp_path / "ignored.yaml")}
    for argv in (["--settings", str(mine), "settings"], [f"--settings={mine}", "settings"], ["settings", "--settings", str(mine)]):
        done = subprocess.run([str(HAVEN), *argv], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=60)
        assert (done.returncode, done.stdout) == (0, f"{mine}: valid\n"), (argv, done.stderr)
    from_environment = subprocess.run([str(HAVEN), "settings"], cwd=tmp_path, env={**env, "HAVEN_SETTINGS": str(mine)},
                                      capture_output=True, text=True, timeout=60)
    assert from_environment.stdout == f"{mine}: valid\n"


def test_the_image_builder_follows_it_too():
    build = [sys.executable, str(REPO / "images" / "build.py")]
    helped = subprocess.run([*build, "--help"], capture_output=True, text=True, timeout=60)
    assert helped.returncode == 0 and "--print-tag" in helped.stdout and "--settings FILE" in helped.stdout
    refused = subprocess.run([*build, "--no-such-option"], capture_output=True, text=True, timeout=60)
    assert refused.returncode == USAGE_ERROR and "error" in refused.stderr
