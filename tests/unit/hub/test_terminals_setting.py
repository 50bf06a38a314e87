"""Terminals are a per-project choice, off by default, carried from the record to the
server's environment (the image's config turns them on only for HAVEN_TERMINALS=1)."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from haven_hub.admin import forms
from haven_hub.projects import Project, ProjectRecord, group_properties
from haven_hub.provisioning import cli
from haven_hub.settings.projects import Project as ProjectSettings

FORM = {"id": "proj-one", "title": "T", "cpu": "1", "memory": "1G", "pids": "100"}


def test_off_unless_a_project_says_so():
    assert ProjectRecord(title="T").terminals is False
    assert ProjectSettings(id="proj-one", title="T").terminals is False
    assert group_properties(ProjectSettings(id="proj-one", title="T", terminals=True))["terminals"] is True
    with pytest.raises(ValidationError):
        ProjectRecord(title="T", terminals="sometimes")


def test_the_admin_form_reads_a_checkbox():
    assert forms.parse({**FORM, "terminals": "on"}, creating=True)[1].fields["terminals"] is True
    assert forms.parse(FORM, creating=True)[1].fields["terminals"] is False  # unticked: not sent
    project = Project(id="proj-one", title="T", terminals=True)
    assert forms.from_project(project).values["terminals"] == "on"


@pytest.mark.parametrize("word,expected", [("on", True), ("off", False)])
def test_the_cli_takes_on_or_off(word, expected):
    args = cli._parser().parse_args(["update", "proj-one", "--terminals", word])
    assert cli._field_changes(args, None) == {"terminals": expected}
    assert "terminals" not in cli._field_changes(cli._parser().parse_args(["update", "proj-one"]), None)


def test_the_cli_refuses_anything_else(capsys):
    assert cli.main(["update", "proj-one", "--terminals", "yes"]) == 64
    assert "--terminals" in capsys.readouterr().err
