from types import SimpleNamespace

import pytest

from haven_hub import networks, projects
from haven_hub.settings import Project as ProjectSettings


def test_bridge_names_fit_linux_and_stay_distinct():
    assert networks.bridge_name("hv-", "demo") == "hv-demo"
    long_a = networks.bridge_name("hv-", "a-very-long-project-name")
    long_b = networks.bridge_name("hv-", "a-very-long-project-name-2")
    assert len(long_a) <= 15 and long_a.startswith("hv-")
    assert long_a != long_b


def test_firewall_admits_only_replies_and_listed_ports():
    rules = networks.Firewall("CHAIN", "hv-", (8081, 8082)).rules()
    bridge_rules = [rule for rule in rules if rule[:2] == ["-i", "hv-+"]]
    accepted = [rule[rule.index("--dport") + 1] for rule in bridge_rules if rule[-1] == "ACCEPT" and "--dport" in rule]
    assert accepted == ["8081", "8082"]
    assert bridge_rules[-1][-1] == "REJECT"
    elsewhere = [rule for rule in rules if rule[:3] == ["!", "-i", "lo"]]
    assert [rule[rule.index("--dport") + 1] for rule in elsewhere] == ["8081", "8082"]
    assert all("REJECT" in rule for rule in elsewhere)


def _group(name, properties, members):
    return SimpleNamespace(name=name, properties=properties, users=[SimpleNamespace(name=m) for m in members])


def test_projects_of_user_reads_only_haven_project_groups():
    demo = ProjectSettings(id="demo", title="Demo", members=["ada"])
    user = SimpleNamespace(
        groups=[
            _group("project-demo", projects.group_properties(demo), ["ada", "grace"]),
            _group("project-fake", {"title": "not made by Haven"}, ["ada"]),
            _group("checkers", {}, ["ada"]),
        ]
    )
    (project,) = projects.projects_of_user(user)
    assert project.id == "demo" and project.members == {"ada", "grace"}


def test_a_group_that_is_not_a_project_is_refused():
    with pytest.raises(ValueError, match="not a Haven project"):
        projects.Project.from_group("checkers", {}, [])
