"""SQLite under load: WAL, a busy timeout, and writers that take the write lock up front.

Without these the egress benchmark's smoke test failed with ``database is locked`` in a full
run (issue 13): a transaction that reads and then writes, while another writer commits in
between, cannot upgrade its stale snapshot, and no busy timeout helps it. ``storage.writing``
makes a session BEGIN IMMEDIATE, so it waits for the lock before its first read instead.
"""

from __future__ import annotations

import sqlite3
import threading
import time

import pytest
from sqlalchemy import text
from sqlalchemy.exc import OperationalError

from haven_egress.storage import open_engine, session_factory, writing


@pytest.fixture
def database(tmp_path):
    path = tmp_path / "locks.db"
    engine = open_engine(f"sqlite:///{path}")
    with engine.begin() as connection:
        connection.execute(text("CREATE TABLE counter (n INTEGER NOT NULL)"))
    yield path, engine
    engine.dispose()


def other_writer_can_lock(path) -> bool:
    """Whether another process's writer could take the write lock right now (no waiting)."""
    other = sqlite3.connect(path, timeout=0, isolation_level=None)
    try:
        other.execute("BEGIN IMMEDIATE")
        other.execute("ROLLBACK")
        return True
    except sqlite3.OperationalError as error:
        assert "locked" in str(error)
        return False
    finally:
        other.close()


def test_every_connection_is_wal_durable_and_waits_for_a_busy_lock(database):
    _, engine = database
    with engine.connect() as connection:
        assert connection.scalar(text("PRAGMA journal_mode")) == "wal"
        assert connection.scalar(text("PRAGMA synchronous")) == 2  # FULL
        # Haven's own wait, longer than the 5 s the sqlite3 module would give on its own.
        assert connection.scalar(text("PRAGMA busy_timeout")) >= 10_000


def test_a_writer_holds_the_lock_from_its_begin_and_readers_run_alongside(database):
    path, engine = database
    sessions = session_factory(engine)
    with sessions() as reader:
        reader.execute(text("SELECT count(*) FROM counter"))
        assert other_writer_can_lock(path), "a reading session must not hold the write lock"
    with sessions() as writer:
        writing(writer)  # before any statement: the lock is taken here, at BEGIN
        assert not other_writer_can_lock(path)
        # WAL: another connection still reads while the writer holds the lock.
        reader = sqlite3.connect(path, timeout=0)
        assert reader.execute("SELECT count(*) FROM counter").fetchone() == (0,)
        reader.close()
        writer.execute(text("INSERT INTO counter VALUES (1)"))
        writer.commit()
    assert other_writer_can_lock(path)


def race(engine, take_the_lock_up_front: bool) -> tuple[list[int], list[str]]:
    """Two sessions each read the highest number, pause, and write the next one."""
    sessions = session_factory(engine)
    both_started = threading.Barrier(2, timeout=10)
    written: list[int] = []
    errors: list[str] = []

    def next_number() -> None:
        try:
            with sessions() as session:
                if take_the_lock_up_front:
                    writing(session)
                try:
                    both_started.wait(timeout=0.5)  # deferred sessions both read before either writes
                except threading.BrokenBarrierError:
                    pass  # the other one holds the lock and waits for nobody
                highest = session.execute(text("SELECT coalesce(max(n), 0) FROM counter")).scalar_one()
                time.sleep(0.2)
                session.execute(text("INSERT INTO counter VALUES (:n)"), {"n": highest + 1})
                session.commit()
                written.append(highest + 1)
        except OperationalError as error:
            errors.append(str(error.orig))

    threads = [threading.Thread(target=next_number) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return sorted(written), errors


def test_read_then_write_racing_another_writer_waits_its_turn(database):
    _, engine = database
    assert race(engine, take_the_lock_up_front=True) == ([1, 2], [])
    with engine.connect() as connection:
        assert sorted(connection.scalars(text("SELECT n FROM counter"))) == [1, 2]


def test_control_without_the_lock_up_front_the_race_fails_as_under_load(database):
    # What the benchmark's smoke test saw: the busy timeout cannot rescue a stale snapshot.
    _, engine = database
    written, errors = race(engine, take_the_lock_up_front=False)
    assert written == [1] and len(errors) == 1 and "locked" in errors[0], (written, errors)
