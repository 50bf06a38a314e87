"""haven.safe: a table made with the project's preset passes the real checks by construction,
where the same table made plainly fails them (the control)."""

from __future__ import annotations

import dataclasses
import itertools

import duckdb
import pandas
import pytest

import haven
from haven import safe
from haven_disclosure import PRESETS, check_file, resolve_settings
from haven_disclosure.labels import declared_label_columns

VARIABLES = ["sex", "age_band", "region", "imd_quintile", "admission_method"]


@pytest.fixture(scope="module")
def admissions(mounted):
    con = duckdb.connect()
    relation = con.sql(
        f"SELECT p.sex, p.age_band, p.region, p.imd_quintile, a.admission_method "
        f"FROM '{mounted['raw']}/admissions.parquet' a "
        f"JOIN '{mounted['raw']}/patients.parquet' p USING (patient_id)")
    yield relation.df()
    con.close()


def verdict(path, table: safe.SafeTable | None = None, labels=None, **kwargs) -> str:
    """What the egress checks say, with the label columns the request declares."""
    labels = labels or declared_label_columns(table.controls)
    return check_file(path, label_columns=labels, **kwargs).verdict.value


def test_the_helpers_rules_are_the_checks_presets():
    assert set(safe.PRESETS) == set(PRESETS)
    for name, rules in safe.PRESETS.items():
        settings = resolve_settings(name)
        for field in dataclasses.fields(rules):
            if field.name != "preset":
                assert getattr(rules, field.name) == getattr(settings, field.name), (name, field)


@pytest.mark.parametrize("preset", sorted(PRESETS))
def test_crosstabs_pass_the_checks_where_plain_crosstabs_fail(admissions, tmp_path, preset):
    failed_plain = 0
    pairs = list(itertools.combinations(VARIABLES, 2))
    for row, column in pairs:
        made = safe.crosstab(admissions, rows=[row], cols=column, preset=preset,
                             path=tmp_path / f"{row}-{column}.csv")
        assert verdict(made.path, made, kind="frequency", preset=preset) == "pass", \
            (row, column, made.explain())
        plain = tmp_path / f"plain-{row}-{column}.csv"
        pandas.crosstab(admissions[row], admissions[column]).to_csv(plain)
        failed_plain += verdict(plain, labels=[row], kind="frequency", preset=preset) == "fail"
    print(f"{preset}: {len(pairs)} safe crosstabs pass; {failed_plain} of the plain ones fail")
    assert failed_plain >= 3  # the control: the same tables, unprotected, do fail


def test_counts_withhold_small_groups_and_zeros_and_say_so(tmp_path):
    frame = pandas.DataFrame({"ward": ["A"] * 25 + ["B"] * 3 + ["C"] * 10})
    made = safe.counts(frame, by=["ward"], path=tmp_path / "wards.csv")
    assert made.df().to_dict("list") == {"ward": ["A", "B", "C"], "count": [25, "*", 10]}
    assert [(w.labels, w.reason) for w in made.withheld] == [(("B",), "below 10")]
    withheld = [line for line in made.explain().splitlines() if line.startswith("withheld")]
    assert withheld == ["withheld (*): ward=B | count: below 10"]  # the count is never shown
    assert verdict(made.path, made) == "pass"
    plain = tmp_path / "plain.csv"
    plain.write_text("ward,count\nA,25\nB,3\nC,10\n")
    assert verdict(plain, labels=["ward"]) == "fail"


def test_rounding_asked_for_is_applied_declared_and_verified(tmp_path):
    frame = pandas.DataFrame({"ward": ["A"] * 27 + ["B"] * 12 + ["C"] * 4})
    made = safe.counts(frame, by=["ward"], rounding_base=5, path=tmp_path / "wards.csv")
    assert made.df()["count"].tolist() == [25, 10, "*"]
    assert "rounded to base 5" in made.controls
    result = check_file(made.path, label_columns=["ward"], controls=made.controls)
    rounding = [f for f in result.findings if f.rule == "rounding"]
    assert [f.verdict.value for f in rounding] == ["pass"]
    assert rounding[0].parameters["mitigation"] == "rounding"
    assert result.verdict.value == "pass"


def test_the_projects_preset_comes_from_the_server(monkeypatch, tmp_path):
    frame = pandas.DataFrame({"ward": ["A"] * 27 + ["B"] * 8})
    monkeypatch.setenv(safe.PRESET_ENV, "opensafely")
    made = safe.counts(frame, by=["ward"])
    assert made.rules.preset == "opensafely"
    assert made.df()["count"].tolist() == [25, 10]  # 8 is allowed there, and rounded
    monkeypatch.delenv(safe.PRESET_ENV)
    assert safe.counts(frame, by=["ward"]).df()["count"].tolist() == [27, "*"]


def test_means_withhold_dominated_cells_and_carry_their_evidence(tmp_path):
    con = duckdb.connect()
    con.execute("create table t (region varchar, cost double)")
    rows = [("North", 10_000.0)] + [("North", 10.0)] * 11 + [("South", 100.0)] * 12 \
        + [("East", 5.0)] * 3 + [("West", 100.0)] * 2 + [("West", 2.0)] * 10
    con.executemany("insert into t values (?, ?)", rows)
    made = safe.mean(con.table("t"), by=["region"], value="cost", path=tmp_path / "cost.csv")
    assert made.df().to_dict("list") == {"region": ["East", "North", "South", "West"],
                                         "mean_cost": ["*", "*", "100", "*"]}
    # West: the two largest make 200 of 220 (N-K), though its p-ratio (20 / 100) passes.
    assert [w.reason for w in made.withheld][-1] == "the 2 largest contributors make 0.9 or more of it"
    assert made.evidence_path.exists()
    checked = check_file(made.path, kind="magnitude", evidence=made.evidence_path)
    assert checked.verdict.value == "pass", checked.findings
    plain = haven.summarise(con.table("t"), by=["region"], value="cost", stat="mean",
                            path=tmp_path / "plain" / "cost.csv")
    assert check_file(plain, kind="magnitude", evidence=plain.with_name(
        "cost.csv.evidence.json")).verdict.value == "fail"
    con.close()


def test_rules_can_be_made_stricter_never_looser(tmp_path):
    frame = pandas.DataFrame({"ward": ["A"] * 12})
    assert safe.counts(frame, by=["ward"], threshold=15).df()["count"].tolist() == ["*"]
    with pytest.raises(haven.HavenError, match="at least 10"):
        safe.counts(frame, by=["ward"], threshold=5)
    with pytest.raises(haven.HavenError, match="multiple of 5"):
        safe.counts(frame, by=["ward"], preset="opensafely", rounding_base=3)
    with pytest.raises(haven.HavenError, match="unknown disclosure preset"):
        safe.counts(frame, by=["ward"], preset="lenient")
    with pytest.raises(haven.HavenError, match="not in the source"):
        safe.counts(frame, by=["bed"])
    with pytest.raises(haven.HavenError, match="must end in .csv"):
        safe.counts(frame, by=["ward"], path=tmp_path / "wards.xlsx")
    assert not list(tmp_path.iterdir())  # nothing written on a refusal



def test_the_rules_the_hub_gives_a_server_include_the_operators_overrides(monkeypatch, tmp_path):
    # An operator raised ACRO's threshold to 12: a helper that knew only the preset would publish
    # a group of 11 that the checks then fail.
    from haven_hub.projects import Project
    from haven_hub.server_description import DISCLOSURE_RULES_ENV, describe
    from haven_hub.settings import parse_settings

    settings = parse_settings({"hub": {"data_dir": str(tmp_path / "hub")}, "auth": {"accounts": [{"name": "ada"}]},
                               "egress": {"disclosure_overrides": {"acro": {"threshold": 12}}}})
    project = Project(id="demo", title="Demo", members=frozenset({"ada"}))
    served = describe("ada", project, settings).environment[DISCLOSURE_RULES_ENV]
    frame = pandas.DataFrame({"ward": ["A"] * 11 + ["B"] * 14})
    path = tmp_path / "wards.csv"
    assert safe.counts(frame, by=["ward"]).df()["count"].tolist() == [11, 14]  # the preset alone
    monkeypatch.setenv(DISCLOSURE_RULES_ENV, served)
    made = safe.counts(frame, by=["ward"], path=path)
    assert made.rules.threshold == 12 and made.df()["count"].tolist() == ["*", 14]
    assert verdict(path, made, overrides={"threshold": 12}) == "pass"
    monkeypatch.setenv(DISCLOSURE_RULES_ENV, '{"preset": "acro"}')
    with pytest.raises(haven.HavenError, match="cannot be read"):
        safe.counts(frame, by=["ward"])
