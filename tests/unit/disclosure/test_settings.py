"""Presets are data; overrides are validated against the one schema."""

from __future__ import annotations

import pytest

from haven_disclosure import InvalidSetting, resolve_settings


def test_acro_preset_matches_acro_defaults():
    s = resolve_settings("acro")
    assert (s.threshold, s.nk_n, s.nk_k, s.p_ratio, s.min_residual_dof) == (10, 2, 0.9, 0.1, 10)
    assert s.zeros_are_structural is False
    assert s.rounding_base is None


def test_opensafely_preset_redacts_up_to_seven_and_rounds_to_five():
    s = resolve_settings("opensafely")
    assert s.threshold == 8  # a count c fails when c < 8, i.e. c <= 7
    assert s.rounding_base == 5


def test_overrides_from_the_command_line_are_coerced():
    s = resolve_settings("opensafely", {"threshold": "11", "zeros_are_structural": "yes",
                                        "nk_k": "0.8", "rounding_base": "none",
                                        "suppression_markers": "*, x"})
    assert (s.threshold, s.zeros_are_structural, s.nk_k, s.rounding_base) == (11, True, 0.8, None)
    assert s.suppression_markers == ("*", "x")


def test_overrides_accept_python_values():
    s = resolve_settings("acro", {"threshold": 5, "empty_is_suppressed": True,
                                  "total_labels": ["Sum"]})
    assert (s.threshold, s.empty_is_suppressed, s.total_labels) == (5, True, ("Sum",))


def test_unknown_key_is_named_with_the_known_ones():
    with pytest.raises(InvalidSetting, match=r"unknown setting 'treshold'; known settings: "
                                             r"threshold, zeros_are_structural"):
        resolve_settings("acro", {"treshold": 5})


def test_unknown_preset_is_refused():
    with pytest.raises(InvalidSetting, match="unknown preset 'sdc'; known presets: acro"):
        resolve_settings("sdc")


@pytest.mark.parametrize("key, value, message", [
    ("threshold", "ten", "cannot use 'ten'"),
    ("threshold", "0", "threshold must be at least 1"),
    ("threshold", True, "cannot use True"),
    ("zeros_are_structural", "maybe", "expected true or false"),
    ("nk_k", "1.5", "nk_k must be in"),
    ("rounding_base", "1", "rounding_base must be at least 2"),
    ("p_ratio", "-0.1", "p_ratio must not be negative"),
])
def test_bad_values_are_refused_with_a_reason(key, value, message):
    with pytest.raises(InvalidSetting, match=message):
        resolve_settings("acro", {key: value})


def test_presets_are_not_changed_by_overrides():
    resolve_settings("acro", {"threshold": 3})
    assert resolve_settings("acro").threshold == 10
