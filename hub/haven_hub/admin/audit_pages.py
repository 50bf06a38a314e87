"""The audit log of both chains (the hub's and the review service's) on one page: filters,
paging newest first, and the same selection as CSV.

The hub never imports the egress package (tests/unit/test_layering.py): the egress chain is
read from the egress database, read-only, in the chain format the hub itself defines
(``governance.egress_records``).
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

from ..audit.cli import chain_time
from ..audit.log import EventFilter, StoredEvent
from ..governance.egress_records import EgressRecords
from .handlers import AdminHandler

PAGE_SIZE = 50
CSV_LIMIT = 100_000
FILTERS = ("user", "type", "project", "since", "until", "chain")
CHAINS = ("hub", "egress")


def parse_filters(values: dict[str, str]) -> tuple[EventFilter, dict[str, str]]:
    """The filter the form asks for, and an error per field that does not parse."""
    errors: dict[str, str] = {}
    times: dict[str, datetime | None] = {"since": None, "until": None}
    for name in times:
        if values[name]:
            try:
                parsed = datetime.fromisoformat(values[name])
            except ValueError:
                errors[name] = f"{values[name]!r} is not a date or time: use YYYY-MM-DD or YYYY-MM-DDTHH:MM (UTC)"
                continue
            parsed = parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)
            if name == "until" and len(values[name]) == 10:
                parsed += timedelta(days=1) - timedelta(microseconds=1)  # a date means the whole day
            times[name] = parsed
    if times["since"] and times["until"] and times["since"] > times["until"]:
        errors["until"] = "the end of the range is before its start"
    if values["chain"] and values["chain"] not in CHAINS:
        errors["chain"] = f"choose {' or '.join(CHAINS)}, or both"
    return EventFilter(values["user"] or None, values["project"] or None, values["type"] or None,
                       times["since"], times["until"]), errors


class AuditBase(AdminHandler):
    def filter_values(self) -> dict[str, str]:
        return {name: self.get_argument(name, "").strip() for name in FILTERS}

    def newest(self, filter_: EventFilter, chain: str, limit: int) -> tuple[list[StoredEvent], list[str]]:
        """Up to ``limit`` newest matching events of the chosen chains, newest first; notes on missing chains."""
        limited = replace(filter_, limit=limit)
        found: list[StoredEvent] = []
        notes: list[str] = []
        if chain in ("", "hub"):
            found += self.context.audit.events(limited)
        if chain in ("", "egress"):
            records = EgressRecords.from_settings(self.context.settings)
            try:
                found += records.audit_events(limited)
            finally:
                records.close()
        found.sort(key=chain_time, reverse=True)
        return found[:limit], notes


class AuditHandler(AuditBase):
    async def get(self) -> None:
        values = self.filter_values()
        filter_, errors = parse_filters(values)
        try:
            page = max(1, int(self.get_argument("page", "1")))
        except ValueError:
            page = 1
        events: list[StoredEvent] = []
        notes: list[str] = []
        more = False
        if not errors:
            found, notes = await self.run(self.newest, filter_, values["chain"], page * PAGE_SIZE + 1)
            more = len(found) > page * PAGE_SIZE
            events = found[(page - 1) * PAGE_SIZE: page * PAGE_SIZE]
        query = {k: v for k, v in values.items() if v}
        self.render_page("audit.html", "Audit log", 422 if errors else 200, section="audit", values=values,
                         errors=errors, events=[e.as_json() for e in events], page=page, more=more, notes=notes,
                         page_size=PAGE_SIZE, query=query, chains=CHAINS, describe=describe)


class AuditCsvHandler(AuditBase):
    async def get(self) -> None:
        values = self.filter_values()
        filter_, errors = parse_filters(values)
        if errors:
            self.set_status(422)
            self.set_header("Content-Type", "text/plain; charset=utf-8")
            self.finish("Nothing exported: " + "; ".join(f"{k}: {v}" for k, v in errors.items()) + "\n")
            return
        found, _ = await self.run(self.newest, filter_, values["chain"], CSV_LIMIT)
        # Who took a copy of the log, and of what, is itself worth knowing.
        self.context.audit.record(self.admin_name, "admin.audit.export", "audit", values["project"] or None,
                                  filters={k: v for k, v in values.items() if v}, events=len(found))
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow(["chain", "id", "time", "actor", "action", "target", "project", "details"])
        for stored in reversed(found):
            e = stored.as_json()
            writer.writerow([e["chain"], e["id"], e["time"], e["actor"], e["action"], e["target"], e["project"] or "",
                             json.dumps(e["details"], sort_keys=True)])
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
        self.set_header("Content-Type", "text/csv; charset=utf-8")
        self.set_header("Content-Disposition", f'attachment; filename="haven-audit-{stamp}.csv"')
        self.set_header("Cache-Control", "no-store")
        self.finish(out.getvalue())


def describe(details: dict[str, Any]) -> list[tuple[str, str]]:
    """An event's details as (key, plain value) pairs, for reading rather than parsing."""
    return [(key, value if isinstance(value, str) else json.dumps(value, sort_keys=True))
            for key, value in sorted(details.items())]
