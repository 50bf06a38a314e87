"""One damaged dataset, version or stray folder in the catalogue is named, never allowed to
fail the listing, the check or the mount of the others (docs/datasets.md, "A messy catalogue")."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from haven_hub.datasets import AddRequest, Catalogue, DatasetError
from haven_hub.datasets.cli import main

METADATA_DAMAGE = {
    "truncated": lambda text: text[:40],
    "not JSON": lambda text: "this is not json",
    "a JSON list": lambda text: "[]",
    "a field missing": lambda text: text.replace('"rows"', '"row_count"'),
    "another version's": lambda text: text.replace('"version": "1"', '"version": "2"'),
    "not UTF-8": lambda text: "\udcff",
}


def damage(path: Path, change) -> None:
    """Edit a file of a published (read-only) version, as a bad disk or a hand edit would."""
    path.parent.chmod(0o755)
    path.chmod(0o644)
    data = change(path.read_text(encoding="utf-8"))
    path.write_bytes(data.encode("utf-8", "surrogateescape"))


@pytest.fixture
def messy(catalogue: Catalogue, good_parquet: Path) -> Catalogue:
    """alpha and gamma sound; beta with a version 1 about to be damaged and a sound version 2."""
    for name in ("alpha", "beta", "gamma"):
        catalogue.add(AddRequest(name=name, source=good_parquet, title=f"Title of {name}"))
    catalogue.add(AddRequest(name="beta", source=good_parquet, title="beta, second version"))
    return catalogue


def run(capsys, root: Path, *args: str) -> tuple[int, str, str]:
    code = main(["--catalogue", str(root), *args])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


@pytest.mark.parametrize("how", METADATA_DAMAGE)
def test_a_damaged_version_is_named_and_the_rest_still_listed_and_mounted(capsys, messy, how):
    damage(messy.root / "beta" / "1" / "metadata.json", METADATA_DAMAGE[how])

    code, out, err = run(capsys, messy.root, "list")
    assert code == 1
    assert [line.split("\t")[:2] for line in out.splitlines()] == [["alpha", "1"], ["beta", "2"], ["gamma", "1"]]
    assert "problem: beta/1: metadata.json" in err and "Traceback" not in err

    # The sound version still mounts when pinned; "latest" cannot be told, and says why.
    assert messy.resolve("beta", "2") == messy.root / "beta" / "2"
    assert messy.resolve("alpha") == messy.root / "alpha" / "1"
    with pytest.raises(DatasetError, match=r"latest version of 'beta' cannot be told: version beta/1: metadata"):
        messy.resolve("beta")
    with pytest.raises(DatasetError, match=r"version beta/1 cannot be used: metadata.json"):
        messy.resolve("beta", "1")

    code, out, err = run(capsys, messy.root, "show", "beta")
    assert code == 1 and "beta: beta, second version" in out and "problem: beta/1:" in err

    code, _, err = run(capsys, messy.root, "verify")
    assert code == 1 and "FAILED beta/1: metadata.json" in err


def test_a_missing_metadata_file_or_empty_dataset_or_stray_folder_is_named(capsys, messy):
    os.chmod(messy.root / "gamma" / "1", 0o755)
    (messy.root / "gamma" / "1" / "metadata.json").unlink()
    (messy.root / "empty").mkdir()
    (messy.root / "données").mkdir()  # not a dataset name: a directory made by hand
    (messy.root / "README.txt").write_text("notes")

    code, out, err = run(capsys, messy.root, "list")
    assert code == 1
    assert [line.split("\t")[0] for line in out.splitlines()] == ["alpha", "beta"]
    assert "problem: gamma/1: metadata.json cannot be read: No such file or directory" in err
    assert "problem: empty: has no versions" in err
    assert "problem: données: not a dataset" in err and "problem: README.txt: not a dataset" in err
    assert messy.names() == ["alpha", "beta", "empty", "gamma"]

    code, _, err = run(capsys, messy.root, "verify")
    assert code == 1 and "FAILED données: not a dataset" in err and "FAILED gamma/1" in err


def test_metadata_naming_another_directory_is_never_mounted(messy):
    """The directory is what is mounted: metadata saying it is another version (moved by hand,
    or edited to point elsewhere) is a damaged version, not a redirection."""
    damage(messy.root / "alpha" / "1" / "metadata.json", lambda text: text.replace('"version": "1"', '"version": "../beta/2"'))
    with pytest.raises(DatasetError, match=r"says it is alpha/../beta/2; it was moved or edited by hand"):
        messy.resolve("alpha")
    assert messy.versions("alpha") == []
