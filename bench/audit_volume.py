"""The hub's audit chain at volume: ``events`` events written fast, then verified as
``haven audit verify`` does (``HubAuditLog.verify``: every link, then the anchored head).

The events are chained exactly as ``chain.record`` chains them (same canonical form and
hashes) but inserted in one transaction with sqlite3, then accepted as the operator's
``haven audit accept`` does, so the anchored head covers them: writing a million events one
transaction at a time through the log would take an hour and measure nothing of interest.
The baseline is a plain read of the same rows (``select *``) in the same run.
"""

from __future__ import annotations

import json
import sqlite3
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from haven_hub.audit import chain
from haven_hub.audit.log import HubAuditLog

ACTIONS = ("server.start", "server.stop", "login", "project.member_add", "token.create")
# SQLAlchemy's storage format for DateTime on SQLite, which the verifier reads back.
SQLITE_TIME = "%Y-%m-%d %H:%M:%S.%f"


def _events(count: int, start: datetime):
    previous = chain.GENESIS
    for i in range(count):
        user = f"user{i % 500:03d}"
        event = chain.AuditEvent(actor=user, action=ACTIONS[i % len(ACTIONS)], target=f"server/{user}/p{i % 40}",
                                 project=f"p{i % 40}", details={"n": i}, time=start + timedelta(milliseconds=i))
        digest = event.chain_hash(previous)
        yield (event.time.strftime(SQLITE_TIME), event.actor, event.action, event.target, event.project,
               json.dumps(event.details), previous, digest)
        previous = digest


def time_verify(directory: Path, events: int) -> dict:
    directory.mkdir(parents=True, exist_ok=True)
    log = HubAuditLog(directory / "audit", directory / "audit-head-key")
    database = directory / "audit" / "hub.sqlite"
    started = time.perf_counter()
    with sqlite3.connect(database) as connection:
        connection.executemany(
            f"insert into {log.table.name} (time, actor, action, target, project, details, prev_hash, hash) "
            "values (?, ?, ?, ?, ?, ?, ?, ?)",
            _events(events, datetime(2026, 1, 1, tzinfo=UTC).replace(tzinfo=None)))
    written = time.perf_counter() - started
    log.accept("capacity-bench")

    started = time.perf_counter()
    with sqlite3.connect(database) as connection:
        rows = sum(1 for _ in connection.execute(f"select * from {log.table.name} order by id"))
    read = time.perf_counter() - started

    started = time.perf_counter()
    verdict = log.verify()
    verified = time.perf_counter() - started
    log.close()
    if not verdict.intact or verdict.events != events + 1 or rows != events + 1:
        raise RuntimeError(f"the generated chain did not verify: {verdict} ({rows} rows)")
    return {"events": events, "write_s": round(written, 2), "read_s": round(read, 3),
            "verify_s": round(verified, 3), "verify_ratio": round(verified / read, 1),
            "per_million_s": round(verified / events * 1_000_000, 1)}
