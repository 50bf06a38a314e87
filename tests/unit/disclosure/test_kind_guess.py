"""The declared kind steers the checks; without one the guess is made and said to be a guess."""

from __future__ import annotations

from .sdc_helpers import finding


def test_undeclared_whole_numbers_are_guessed_frequency(check):
    result = check("group,n\na,12\nb,3\n")
    info = result.tables[0]
    assert (result.kind, result.kind_guessed) == ("frequency", True)
    assert (info.kind, info.kind_guessed) == ("frequency", True)
    assert info.kind_reason == "all values are whole numbers of zero or more"


def test_undeclared_fractions_are_guessed_magnitude(check):
    result = check("group,mean_age\na,41.5\nb,38.2\n")
    assert (result.kind, result.tables[0].kind_guessed) == ("magnitude", True)
    assert finding(result, "dominance_nk").verdict.value == "review"


def test_magnitude_names_make_whole_numbers_magnitudes(check):
    result = check("group,total_cost\na,1200\nb,3\n")
    assert result.kind == "magnitude"


def test_declared_kind_wins_over_the_guess(check):
    result = check("group,n\na,12\nb,3\n", kind="magnitude")
    assert (result.kind, result.kind_guessed) == ("magnitude", False)
    assert result.tables[0].kind_reason == "declared by the author"
    assert not [f for f in result.findings if f.rule == "min_frequency"]


def test_declared_frequency_on_fractions_asks_for_review(check):
    result = check("group,n\na,12.5\nb,30\n", kind="frequency")
    assert finding(result, "values").verdict.value == "review"


def test_coefficient_tables_are_guessed_models(check):
    result = check("term,coef,std err\nage,0.5,0.1\nsex,1.2,0.3\n")
    assert result.kind == "model"
    assert finding(result, "residual_dof").verdict.value == "review"
