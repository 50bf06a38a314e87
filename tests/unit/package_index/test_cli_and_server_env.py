"""``haven packages`` end to end over a settings file, and the pip settings a project server gets."""

from __future__ import annotations

import json
from urllib.parse import urlsplit

import pytest
import yaml

from haven_cli import dispatch
from haven_hub import container_config
from tests.fixtures.hub import test_settings as hub_test_settings

from .wheels import make_wheel


@pytest.fixture
def settings_file(tmp_path, source):
    raw = hub_test_settings(tmp_path / "data")
    raw.setdefault("egress", {})["package_source_url"] = source.url
    path = tmp_path / "haven.yaml"
    path.write_text(yaml.safe_dump(raw))
    return str(path)


def haven(capsys, *args: str) -> tuple[int, str, str]:
    code = dispatch.main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def test_add_list_remove(settings_file, source, capsys):
    filename, content = make_wheel("tinypkg", "1.0", requires=("numpy>=2",))
    source.publish("tinypkg", filename, content)

    code, out, _ = haven(capsys, "--settings", settings_file, "packages", "add", "TinyPkg==1.0",
                         "--project", "alpha", "--reason", "cohort tables")
    assert code == 0 and "added tinypkg==1.0" in out and "for alpha" in out
    assert "numpy>=2" in out and "not added" in out  # dependencies are named, not fetched

    code, out, _ = haven(capsys, "--settings", settings_file, "packages", "list", "--json")
    [listed] = json.loads(out)
    assert (listed["name"], listed["projects"], listed["reason"]) == ("tinypkg", ["alpha"], "cohort tables")
    assert listed["added_by"].startswith("operator:")
    assert haven(capsys, "--settings", settings_file, "packages", "list", "--project", "beta")[1].strip() \
        == "no approved packages"

    code, out, _ = haven(capsys, "--settings", settings_file, "packages", "remove", "tinypkg==1.0",
                         "--reason", "superseded")
    assert code == 0 and "no longer see it" in out
    assert json.loads(haven(capsys, "--settings", settings_file, "packages", "list", "--json")[1]) == []


@pytest.mark.parametrize("args, code, says", [
    (["add", "tinypkg>=1", "--reason", "x"], 1, "pin exactly one version"),
    (["add", "absent==1.0", "--reason", "x"], 1, "nothing at"),
    (["remove", "tinypkg==9", "--reason", "x"], 1, "not in the package index"),
    (["add", "tinypkg==1.0"], 64, "--reason"),
    (["frobnicate"], 64, "invalid choice"),
])
def test_refusals_say_why_and_change_nothing(settings_file, capsys, args, code, says):
    got, _out, err = haven(capsys, "--settings", settings_file, "packages", *args)
    assert got == code and says in err, err
    assert haven(capsys, "--settings", settings_file, "packages", "list")[1].strip() == "no approved packages"


def test_a_server_gets_the_index_with_its_own_token_and_installs_into_its_home():
    env = container_config.package_index_env("http://10.20.0.1:8082/services/egress/", "t0k/en+")
    index = urlsplit(env["PIP_INDEX_URL"])
    assert (index.scheme, index.hostname, index.port, index.path) == (
        "http", "10.20.0.1", 8082, "/services/egress/packages/simple/")
    assert (index.username, index.password) == ("__token__", "t0k%2Fen%2B")  # quoted: one URL part
    assert env["PIP_TRUSTED_HOST"] == "10.20.0.1"
    assert env["PIP_PREFIX"] == env["PYTHONUSERBASE"] == "/home/analyst/.local"
    # The token is in the index URL only.
    assert [name for name, value in env.items() if "t0k" in value] == ["PIP_INDEX_URL"]
