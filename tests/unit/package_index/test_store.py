"""Adding a release: fetched from the source, checked against the hash it publishes, stored
content-addressed, recorded in the egress audit chain; a project sees only its subset."""

from __future__ import annotations

import hashlib

import pytest
from sqlalchemy import select

from haven_egress import audit
from haven_egress.errors import Invalid, NotFound
from haven_egress.models import audit_events
from haven_egress.package_index import TamperedWheel, approve, parse_pin

from .wheels import make_wheel


def publish(source, name="tinypkg", version="1.0", **kwargs):
    filename, content = make_wheel(name, version, **kwargs)
    source.publish(name, filename, content)
    return filename, content


def events(index):
    with index.sessions() as session:
        return [(e.actor, e.action, e.target, e.details) for e in audit.read(session, audit_events)]


def test_an_approved_release_is_stored_by_its_hash_and_recorded_in_the_audit_chain(index, source):
    filename, content = publish(source, requires=("numpy>=1",))
    record = approve(index, "TinyPkg==1.0", "admin:ann", "survival curves for the cohort study")

    digest = hashlib.sha256(content).hexdigest()
    assert (record.name, record.version, record.filename, record.sha256) == ("tinypkg", "1.0", filename, digest)
    assert record.projects is None and record.added_by == "admin:ann"
    assert record.requires == ("numpy>=1",)  # listed, not followed
    assert index.wheels.read(digest) == content
    assert index.wheels.path(digest).stat().st_mode & 0o777 == 0o444
    [(actor, action, target, details)] = events(index)
    assert (actor, action, target) == ("admin:ann", "packages.add", "package/tinypkg==1.0")
    assert details["reason"] == "survival curves for the cohort study" and details["sha256"] == digest
    with index.sessions() as session:
        assert audit.verify(session, audit_events).intact


def test_a_tampered_download_is_refused_and_nothing_is_stored(index, source):
    filename, content = make_wheel("tinypkg", "1.0")
    # The source publishes the hash of the genuine wheel but serves other bytes.
    _name, tampered = make_wheel("tinypkg", "1.0", body="import os; os.system('curl evil')\n")
    source.publish("tinypkg", filename, tampered, published_sha256=hashlib.sha256(content).hexdigest())

    with pytest.raises(TamperedWheel, match="nothing was stored"):
        approve(index, "tinypkg==1.0", "admin", "wanted")
    assert index.catalogue() == {} and events(index) == [] and index.wheels.digests() == set()


def test_a_file_without_a_published_hash_is_not_trusted(index, source):
    filename, content = make_wheel("tinypkg", "1.0")
    source.publish("tinypkg", filename, content, published_sha256="")
    with pytest.raises(TamperedWheel, match="no SHA-256"):
        approve(index, "tinypkg==1.0", "admin", "wanted")
    assert index.wheels.digests() == set()


def test_an_absent_release_or_one_without_a_wheel_for_the_servers_is_refused(index, source):
    publish(source, version="1.0")
    source.publish("tinypkg", "tinypkg-2.0-cp27-cp27m-win32.whl", b"not for us")
    source.publish("tinypkg", "tinypkg-2.0.tar.gz", b"a source distribution")
    with pytest.raises(NotFound, match="no wheel of tinypkg==1.1"):
        approve(index, "tinypkg==1.1", "admin", "wanted")
    with pytest.raises(NotFound, match="source distributions are never built"):
        approve(index, "tinypkg==2.0", "admin", "wanted")
    with pytest.raises(NotFound, match="nothing at"):
        approve(index, "unheard-of==1.0", "admin", "wanted")
    assert index.catalogue() == {}


def test_a_wheel_whose_requires_python_excludes_the_servers_is_not_chosen():
    from packaging.tags import sys_tags

    from haven_egress.package_index.fetch import choose_wheel

    files = [{"filename": "tinypkg-1.0-py3-none-any.whl", "requires-python": ">=3.99"}]
    with pytest.raises(NotFound, match="servers' Python"):
        choose_wheel(files, parse_pin("tinypkg==1.0"), list(sys_tags()))
    files.append({"filename": "tinypkg-1.0-py2.py3-none-any.whl", "requires-python": ">=3.8"})
    assert choose_wheel(files, parse_pin("tinypkg==1.0"), list(sys_tags()))["filename"].startswith("tinypkg-1.0-py2")


def test_a_listed_file_that_is_not_the_release_it_claims_is_never_chosen(index, source):
    _filename, content = make_wheel("other", "1.0")
    source.publish("tinypkg", "other-1.0-py3-none-any.whl", content)
    source.publish("tinypkg", "../tinypkg-1.0-py3-none-any.whl", content)
    with pytest.raises(NotFound):
        approve(index, "tinypkg==1.0", "admin", "wanted")


def test_an_approval_needs_a_reason_an_actor_and_real_project_names(index, source):
    publish(source)
    for kwargs, says in (({"reason": " "}, "say why"), ({"actor": ""}, "who made it"),
                         ({"projects": []}, "needs a project id"), ({"projects": ["alpha", " "]}, "needs a project id")):
        arguments = {"actor": "admin", "reason": "wanted", "projects": None, **kwargs}
        with pytest.raises(Invalid, match=says):
            approve(index, "tinypkg==1.0", **arguments)
    assert index.catalogue() == {} and events(index) == []


def test_a_project_sees_only_its_subset(index, source):
    publish(source, "everyone", "1.0")
    publish(source, "alpha-only", "2.0")
    approve(index, "everyone==1.0", "admin", "common need")
    approve(index, "alpha-only==2.0", "admin", "alpha's model", projects=["alpha"])

    assert [r.name for r in index.for_project("alpha")] == ["alpha-only", "everyone"]
    assert [r.name for r in index.for_project("beta")] == ["everyone"]
    with pytest.raises(NotFound, match="no approved package 'alpha-only' for project beta"):
        index.releases("beta", "alpha-only")
    alpha = index.releases("alpha", "Alpha_Only")[0]
    with pytest.raises(NotFound):
        index.wheel("beta", alpha.sha256, alpha.filename)
    assert index.wheel("alpha", alpha.sha256, alpha.filename) == index.wheels.read(alpha.sha256)


def test_a_file_is_served_only_under_its_approved_name_and_hash(index, source):
    publish(source)
    record = approve(index, "tinypkg==1.0", "admin", "wanted")
    for sha256, filename in ((record.sha256, "tinypkg-1.1-py3-none-any.whl"),
                             ("0" * 64, record.filename),
                             (record.sha256, "../" + record.filename)):
        with pytest.raises((NotFound, Invalid)):
            index.wheel("alpha", sha256, filename)


def test_a_damaged_stored_wheel_is_never_served(index, source):
    publish(source)
    record = approve(index, "tinypkg==1.0", "admin", "wanted")
    path = index.wheels.path(record.sha256)
    path.chmod(0o644)
    path.write_bytes(b"changed on disk")
    with pytest.raises(NotFound, match="missing or damaged"):
        index.wheel("alpha", record.sha256, record.filename)


def test_removing_stops_serving_and_keeps_the_history(index, source):
    publish(source)
    approve(index, "tinypkg==1.0", "admin", "wanted")
    removed = index.remove(parse_pin("tinypkg==1.0"), "admin:bob", "superseded")
    assert removed.name == "tinypkg"
    assert index.for_project("alpha") == []
    assert index.wheels.exists(removed.sha256)  # the bytes stay, as evidence of what was served
    assert [action for _a, action, _t, _d in events(index)] == ["packages.add", "packages.remove"]
    with pytest.raises(NotFound, match="not in the package index"):
        index.remove(parse_pin("tinypkg==1.0"), "admin", "again")
    # Adding it again, for one project now: the newest event is what is served.
    approve(index, "tinypkg==1.0", "admin", "back, for alpha", projects=["alpha"])
    assert [r.projects for r in index.for_project("alpha")] == [("alpha",)]


def test_the_catalogue_is_the_audit_chain(index, source):
    publish(source)
    approve(index, "tinypkg==1.0", "admin", "wanted")
    with index.sessions() as session:
        rows = session.execute(select(audit_events.c.action)).scalars().all()
    assert rows == ["packages.add"]


def test_the_ingress_queue_approves_through_the_running_service(index, source, tmp_path):
    """What the ingress approval calls: ``approve`` given the egress service itself."""
    from haven_egress.blobs import BlobStore
    from haven_egress.package_index import index_of
    from haven_egress.service import EgressService
    from haven_hub.settings import Egress

    publish(source)
    service = EgressService(index.sessions, BlobStore(tmp_path / "blobs"), Egress(package_source_url=source.url))
    record = approve(service, "tinypkg==1.0", "checker:kim", "ingress request 7", ["alpha"])
    assert record.added_by == "checker:kim" and record.projects == ("alpha",)
    # The service serves what it approved: same database, wheels beside its submitted files.
    assert index_of(service).for_project("alpha") == [record]
    assert index_of(service).wheels.root == tmp_path / "package-index" / "wheels"
