"""The production database path: the catalogue and its audit events on a real PostgreSQL."""

from __future__ import annotations

from haven_egress import audit
from haven_egress.models import audit_events
from haven_egress.package_index import PackageIndex, approve, parse_pin
from haven_egress.storage import open_engine, session_factory, upgrade
from tests.postgres import postgresql_server, postgresql_url  # noqa: F401 (fixtures)

from .wheels import make_wheel


def test_add_subset_and_remove_on_postgresql(postgresql_url, source, tmp_path):  # noqa: F811
    upgrade(postgresql_url)
    engine = open_engine(postgresql_url)
    try:
        index = PackageIndex(session_factory(engine), tmp_path / "package-index", source=source.url)
        for name in ("everyone", "alpha-only"):
            filename, content = make_wheel(name, "1.0")
            source.publish(name, filename, content)
        approve(index, "everyone==1.0", "admin", "common")
        approve(index, "alpha-only==1.0", "admin", "alpha's", projects=["alpha"])
        index.remove(parse_pin("everyone==1.0"), "admin", "gone")
        assert [r.name for r in index.for_project("alpha")] == ["alpha-only"]
        assert index.for_project("beta") == []
        with index.sessions() as session:
            assert audit.verify(session, audit_events).intact
    finally:
        engine.dispose()
