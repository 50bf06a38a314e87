"""Bytes this server sends to the browser, counted, reported to the hub, and held to a daily budget.

Counted: every HTTP response body (contents reads, API answers, pages) and every websocket
message the server writes (kernel channels, terminals, events). Not counted: static files
served from a path the server cannot change (Lab's JavaScript bundles, megabytes a page
load), as the route allowlist (``haven_lab.routes``) marks them and the served file confirms;
see :func:`is_metered`.

The counting is two class-level hooks in this process, because every Jupyter handler writes
through them: ``RequestHandler.flush`` (a response body leaves only through it) and
``WebSocketHandler.write_message``. A tornado output transform would see the same bytes but
not which handler sent them, which is what the static-file rule needs.

The count goes to the hub as increments every ``report_every`` seconds while bytes flow, and
at once when the budget is crossed (haven_hub.meter.api adds them up per user, project and
UTC day, audits, and stops this server past the budget). Past the budget this server also
answers 429 and closes its websockets itself, so the hub's stop is not a race.
"""

from __future__ import annotations

import asyncio
import json
import os
import weakref
from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Any
from urllib.parse import quote

from tornado import httpclient, web, websocket
from tornado.concurrent import Future
from traitlets import Float, Integer, Unicode, default
from traitlets.config import LoggingConfigurable

from . import routes

OVER_BUDGET = ("This server has sent its daily budget of bytes to the browser, so it answers no more today "
               "(UTC) and the hub stops it; administrators have been told. Ask one if you need more.")
# Websocket close code for "policy violation" (RFC 6455).
POLICY_VIOLATION = 1008


class BrowserMeter(LoggingConfigurable):
    budget = Integer(None, allow_none=True, help="Bytes a UTC day; the hub's answer replaces it. None: no ceiling "
                     "until the hub says one (from HAVEN_BROWSER_BYTES_PER_DAY, set by the spawner).").tag(config=True)
    report_every = Float(2.0, help="Seconds between reports to the hub while bytes flow.").tag(config=True)
    hub_api_url = Unicode(help="The hub API (JUPYTERHUB_API_URL); empty: count and enforce, report nowhere."
                          ).tag(config=True)
    api_token = Unicode(help="The server's own hub token (JUPYTERHUB_API_TOKEN).").tag(config=True)
    user = Unicode(help="The server's owner (JUPYTERHUB_USER).").tag(config=True)
    server_name = Unicode(help="The server's name, which is its project (JUPYTERHUB_SERVER_NAME).").tag(config=True)

    @default("budget")
    def _budget_from_spawner(self) -> int | None:
        value = os.environ.get("HAVEN_BROWSER_BYTES_PER_DAY", "")
        return int(value) if value.isdigit() else None

    @default("hub_api_url")
    def _hub_api_url(self) -> str:
        return os.environ.get("JUPYTERHUB_API_URL", "")

    @default("api_token")
    def _api_token(self) -> str:
        return os.environ.get("JUPYTERHUB_API_TOKEN", "")

    @default("user")
    def _user(self) -> str:
        return os.environ.get("JUPYTERHUB_USER", "")

    @default("server_name")
    def _server_name(self) -> str:
        return os.environ.get("JUPYTERHUB_SERVER_NAME", "")

    def __init__(self, clock: Callable[[], datetime] = lambda: datetime.now(UTC), **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.clock = clock
        self.day: date = clock().date()
        self.hub_total = 0  # today's total as the hub last said it
        self.pending = 0  # counted, not yet reported
        self.in_flight = 0  # in a report the hub has not answered yet
        self.synced = False  # asked the hub for today's total since starting
        self.over = False
        self._sockets: weakref.WeakSet[websocket.WebSocketHandler] = weakref.WeakSet()
        self._reporter: asyncio.Task[None] | None = None
        self._wake = asyncio.Event()  # bytes to report
        self._urgent = asyncio.Event()  # the budget was crossed: report now

    @property
    def reports(self) -> bool:
        return bool(self.hub_api_url and self.api_token and self.user and self.server_name)

    @property
    def total(self) -> int:
        return self.hub_total + self.in_flight + self.pending

    # -- counting ---------------------------------------------------------------------

    def count(self, sent: int) -> None:
        if sent <= 0:
            return
        self.start()  # a no-op once started; here in case the loop was not there at install
        self._new_day_resets()
        self.pending += sent
        self._check_budget()
        self._wake.set()

    def _new_day_resets(self) -> None:
        today = self.clock().date()
        if today != self.day:
            self.day, self.hub_total, self.over = today, 0, False

    def _check_budget(self) -> None:
        if not self.over and self.budget is not None and self.total > self.budget:
            self.log.warning("haven_lab: %s bytes sent to the browser today, past the budget of %s: "
                             "refusing from now on", self.total, self.budget)
            self._go_over()

    def _go_over(self) -> None:
        self.over = True
        self._wake.set()
        self._urgent.set()  # the hub hears at once, not at the next tick
        for socket in list(self._sockets):
            socket.close(POLICY_VIOLATION, "over today's browser budget")

    def watch(self, socket: websocket.WebSocketHandler) -> None:
        self._sockets.add(socket)

    # -- reporting --------------------------------------------------------------------

    def start(self) -> None:
        """Asks the hub for today's total (so a restart does not reset it), then reports as bytes flow."""
        if self._reporter is None and self.reports:
            self._wake.set()
            self._reporter = asyncio.ensure_future(self._report_loop())

    async def _report_loop(self) -> None:
        while True:
            await self._wake.wait()
            self._wake.clear()
            try:
                if not self.synced:
                    self._take(await self._call("GET"))
                    self.synced = True
                if self.pending:
                    await self._report()
            except Exception as failed:  # the hub restarting, a network blip: keep counting, retry
                self.log.warning("haven_lab: could not report browser bytes to the hub: %s", failed)
                self._wake.set()
            # At most one report a period while bytes flow, unless the budget is crossed.
            # asyncio.timeout, not wait_for, which on Python 3.11 can swallow the cancellation
            # that stops this loop when it lands as the wait ends.
            try:
                async with asyncio.timeout(self.report_every):
                    await self._urgent.wait()
            except TimeoutError:
                pass
            self._urgent.clear()

    async def _report(self) -> None:
        self.in_flight, self.pending = self.pending, 0
        try:
            answer = await self._call("POST", {"bytes": self.in_flight})
        except Exception:
            self.pending += self.in_flight
            self.in_flight = 0
            raise
        self.in_flight = 0
        self._take(answer)

    def _take(self, answer: dict[str, Any]) -> None:
        if answer.get("day") != self.day.isoformat():
            self.day = date.fromisoformat(answer["day"])
            self.over = False
        self.hub_total = int(answer["bytes"])
        if answer.get("budget") is not None:
            self.budget = int(answer["budget"])
        if answer.get("over") and not self.over:
            self._go_over()
        self._check_budget()

    async def _call(self, method: str, body: dict[str, Any] | None = None) -> dict[str, Any]:
        url = (f"{self.hub_api_url.rstrip('/')}/haven/meter/users/{quote(self.user, safe='')}"
               f"/servers/{quote(self.server_name, safe='')}")
        response = await httpclient.AsyncHTTPClient().fetch(
            url, method=method, body=json.dumps(body) if body is not None else None,
            headers={"Authorization": f"token {self.api_token}", "Content-Type": "application/json"},
            request_timeout=10)
        return json.loads(response.body)


# -- what is metered ----------------------------------------------------------------


def _fixed(path: str) -> bool:
    """Neither writable by this process nor owned by its uid (an owner can make it writable again)."""
    try:
        return not os.access(path, os.W_OK) and os.stat(path).st_uid != os.geteuid()
    except OSError:
        return False


def served_from_fixed_path(path: str) -> bool:
    """The file and every directory above it are fixed: nothing the analyst can write or swap in."""
    real = os.path.realpath(path)
    while True:
        if not _fixed(real):
            return False
        parent = os.path.dirname(real)
        if parent == real:
            return True
        real = parent


def is_metered(handler: web.RequestHandler) -> bool:
    """Everything but static files from the image's read-only paths (Lab's bundles, the server's assets).

    Both must say so: the route allowlist (``routes.is_metered``: an allowlisted static route)
    and the file actually served (it and every folder above it fixed). A static route that
    ends up serving something the analyst can write, or any route not on the list, is metered.
    """
    # Decided once per response: a static file flushes every 64 KB, and each decision walks the
    # served file's folders up to /.
    decided = getattr(handler, "_haven_metered", None)
    if decided is None:
        decided = routes.is_metered(type(handler), handler.request.path, handler.settings.get("base_url", "/"))
        if not decided:
            served = getattr(handler, "absolute_path", None)
            decided = not (served and served_from_fixed_path(served))
        handler._haven_metered = decided
    return decided


# -- the hooks ------------------------------------------------------------------------

_active: BrowserMeter | None = None
_original_flush = web.RequestHandler.flush
_original_write_message = websocket.WebSocketHandler.write_message


def _metered_flush(self: web.RequestHandler, include_footers: bool = False) -> Future[None]:
    meter = _active
    if meter is None or isinstance(self, websocket.WebSocketHandler) or not is_metered(self):
        return _original_flush(self, include_footers)
    if meter.over:
        return _refuse(self, include_footers)
    meter.count(sum(len(chunk) for chunk in self._write_buffer))
    if meter.over:  # this response is the one that crossed: counted as asked for, not sent
        return _refuse(self, include_footers)
    return _original_flush(self, include_footers)


def _refuse(handler: web.RequestHandler, include_footers: bool) -> Future[None]:
    if handler._headers_written:  # a response already under way: cut it off
        handler.request.connection.close()
        done: Future[None] = Future()
        done.set_result(None)
        return done
    handler.clear()
    handler.set_status(429)
    body = json.dumps({"message": OVER_BUDGET}).encode()
    handler.set_header("Content-Type", "application/json; charset=UTF-8")
    if include_footers:
        handler.set_header("Content-Length", len(body))
    handler.write(body)
    return _original_flush(handler, include_footers)


def _metered_write_message(self: websocket.WebSocketHandler, message: bytes | str | dict[str, Any],
                           binary: bool = False) -> Future[None]:
    meter = _active
    if meter is None:
        return _original_write_message(self, message, binary)
    if meter.over:
        self.close(POLICY_VIOLATION, "over today's browser budget")
        raise websocket.WebSocketClosedError()
    meter.watch(self)
    if isinstance(message, dict):
        size = len(json.dumps(message).encode())
    else:
        size = len(message.encode() if isinstance(message, str) else message)
    meter.count(size)
    if meter.over:  # this message is the one that crossed: it does not go out
        self.close(POLICY_VIOLATION, "over today's browser budget")
        raise websocket.WebSocketClosedError()
    return _original_write_message(self, message, binary)


def install(server_app: Any) -> BrowserMeter:
    """Meters everything this server sends from now on (called once, by the server extension)."""
    global _active
    meter = BrowserMeter(config=server_app.config, parent=server_app)
    _active = meter
    web.RequestHandler.flush = _metered_flush  # type: ignore[method-assign]
    websocket.WebSocketHandler.write_message = _metered_write_message  # type: ignore[method-assign]
    io_loop = getattr(server_app, "io_loop", None)
    if io_loop is not None:
        io_loop.add_callback(meter.start)
    server_app.log.info("haven_lab: bytes sent to the browser are metered (budget %s a day; reported to %s)",
                        meter.budget if meter.budget is not None else "from the hub",
                        meter.hub_api_url or "nowhere")
    return meter
