"""What an administrator may ask for, and what a stored file may be called: refused with a
sentence, before anything is fetched or stored."""

from __future__ import annotations

import pytest

from haven_egress.errors import Invalid
from haven_egress.package_index import approve, parse_pin
from haven_egress.package_index.names import wheel_pin


@pytest.mark.parametrize("text, expected", [
    ("tabulate==0.9.0", "tabulate==0.9.0"),
    (" Typing_Extensions==4.12.2 ", "typing-extensions==4.12.2"),
    ("zope.interface==7.0", "zope-interface==7.0"),
    ("pkg==1.0.0.post1", "pkg==1.0.0.post1"),
])
def test_a_pin_is_normalised(text, expected):
    assert str(parse_pin(text)) == expected


@pytest.mark.parametrize("text, says", [
    ("", "NAME==VERSION"),
    ("tabulate", "pin exactly one version"),
    ("tabulate>=0.9", "pin exactly one version"),
    ("tabulate==0.9.*", "pin exactly one version"),
    ("tabulate==0.9,==1.0", "pin exactly one version"),
    ("tabulate===0.9", "pin exactly one version"),
    ("tabulate[widechars]==0.9.0", "no URL, extras"),
    ("tabulate==0.9.0; python_version > '3'", "no URL, extras"),
    ("tabulate @ https://example.org/t.whl", "no URL, extras"),
    ("../../etc/passwd==1", "is not a requirement"),
    ("tab ulate==1", "is not a requirement"),
    ("-r requirements.txt", "is not a requirement"),
    ("x" * 300 + "==1", "at most"),
])
def test_anything_but_one_exact_release_is_refused_with_a_sentence(text, says):
    with pytest.raises(Invalid, match=says.replace("[", r"\[").replace("*", r"\*")):
        parse_pin(text)


def test_a_bad_requirement_reaches_no_source_and_stores_nothing(index, source):
    with pytest.raises(Invalid):
        approve(index, "tabulate>=1", "admin", "wanted")
    assert source.requests == []
    assert index.catalogue() == {} and index.wheels.digests() == set()


@pytest.mark.parametrize("filename", [
    "../evil-1.0-py3-none-any.whl", "sub/evil-1.0-py3-none-any.whl", "evil-1.0-py3-none-any.whl/..",
    "/etc/passwd", "evil-1.0.tar.gz", "evil-1.0-py3-none-any.whl\x00", "..", "", "%2e%2e-1.0-py3-none-any.whl",
])
def test_a_file_name_that_could_be_a_path_is_not_a_wheel(filename):
    with pytest.raises(Invalid):
        wheel_pin(filename)


def test_a_wheel_name_gives_its_release():
    assert str(wheel_pin("Typing_Extensions-4.12.2-py3-none-any.whl")) == "typing-extensions==4.12.2"
