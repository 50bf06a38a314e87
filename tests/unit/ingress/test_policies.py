"""What may come in: names, sizes, types, text, packages; each refusal is a sentence."""

import pytest

from haven_egress.errors import Invalid
from haven_egress.ingress.policies import check_file, check_package, file_name
from haven_hub.settings.ingress import Ingress

LIMITS = Ingress(max_file_size="1K")


@pytest.mark.parametrize("name", ["../etc/passwd", "a/b.csv", "..", ".", ".bashrc", "..\\x.csv", "/abs.csv",
                                  "", "  ", "bad\x00.csv", "new\nline.csv", "x" * 300 + ".csv"])
def test_a_name_that_is_not_one_plain_segment_is_refused(name):
    with pytest.raises(Invalid):
        file_name(name)


def test_a_file_over_the_limit_is_refused_naming_the_setting():
    with pytest.raises(Invalid, match=r"egress\.ingress\.max_file_size"):
        check_file("codes.csv", b"a,b\n" * 300, LIMITS)
    assert check_file("codes.csv", b"a,b\n" * 256, LIMITS).name == "codes.csv"  # exactly 1024 bytes


@pytest.mark.parametrize(("name", "content", "why"), [
    ("tool.exe", b"MZ", "type 'exe'"),
    ("codes", b"a,b\n", "no extension"),
    ("codes.csv", b"\x89PNG\r\n\x1a\n\x00\x00", "NUL"),
    ("codes.csv", b"caf\xe9\n", "UTF-8"),
    ("codes.csv", b"", "empty"),
])
def test_binary_unknown_or_empty_files_are_refused(name, content, why):
    with pytest.raises(Invalid, match=why):
        check_file(name, content, LIMITS)


def test_a_type_removed_from_the_settings_is_refused():
    with pytest.raises(Invalid, match="file_types"):
        check_file("run.py", b"print(1)\n", Ingress(file_types=["csv"]))


@pytest.mark.parametrize(("name", "version"), [("lifelines", ">=0.3"), ("lifelines", ""), ("", "1.0"),
                                               ("life lines", "1.0"), ("x; rm -rf /", "1.0"),
                                               ("lifelines", "1.0 ; os_name=='nt'"), ("../x", "1.0")])
def test_a_package_needs_a_plain_name_and_an_exact_version(name, version):
    with pytest.raises(Invalid):
        check_package(name, version)


def test_package_names_are_normalised():
    assert check_package("Scikit_Learn", "1.5.2") == ("scikit-learn", "1.5.2")
