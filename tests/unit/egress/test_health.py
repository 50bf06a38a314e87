"""``/health`` of the egress and admin services (haven_hub.health): a status only, no login,
and 503 when the service's database does not answer."""

from __future__ import annotations

import contextlib
import socket
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests
from sqlalchemy import create_engine

from haven_egress.blobs import BlobStore
from haven_egress.service import EgressService
from haven_egress.storage import open_engine, session_factory, upgrade
from haven_egress.web import app as egress_app
from tests.fixtures.in_process import serving

PREFIX = "/services/egress/"


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]  # nothing listens once the socket closes


@pytest.fixture
def egress_for(tmp_path):
    @contextlib.contextmanager
    def serve(engine):
        service = EgressService(session_factory(engine), BlobStore(tmp_path / "blobs"))
        with ThreadPoolExecutor(1) as executor, serving(
                lambda: egress_app.make_app(service, executor, PREFIX, b"k" * 32)) as served:
            yield served
    return serve


def test_health_says_ok_without_a_login_and_nothing_more(tmp_path, egress_for):
    url = f"sqlite:///{tmp_path / 'egress.db'}"
    upgrade(url)
    engine = open_engine(url)
    with egress_for(engine) as (base, _app):
        response = requests.get(base + PREFIX + "health", timeout=30)
        assert response.status_code == 200
        assert response.json() == {"status": "ok"}
        assert response.headers["Cache-Control"] == "no-store"
        # Nothing but GET: it changes nothing and takes no input.
        assert requests.post(base + PREFIX + "health", timeout=30).status_code == 405
    engine.dispose()


def test_health_is_503_when_the_database_does_not_answer(egress_for):
    # A PostgreSQL server that is down: the connection is refused.
    engine = create_engine(f"postgresql+psycopg://haven@127.0.0.1:{closed_port()}/egress",
                           connect_args={"connect_timeout": 5})
    with egress_for(engine) as (base, _app):
        response = requests.get(base + PREFIX + "health", timeout=30)
        assert response.status_code == 503
        assert response.json() == {"status": "unavailable"}  # the reason goes to the log only
    engine.dispose()
