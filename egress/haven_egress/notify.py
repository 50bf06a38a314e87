"""Email notices about requests: checkers hear of submissions, authors of decisions.

A notice says which request, which project, what state and where to look; never a file's
name or content, nor the request's title (a title can itself be disclosive), because
email leaves the TRE. Notices follow the ``state_events`` table from a watermark kept in
a file, so every change is noticed whichever path made it (the API, the pages, the
service deciding by itself after the last vote), after it committed, and a mail server
that is down delays notices instead of losing them.
"""

from __future__ import annotations

import asyncio
import logging
import smtplib
import ssl
from dataclasses import dataclass
from email.message import EmailMessage
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import func, select

from .models import Request, StateEvent
from .overview import DECISIONS
from .service import EgressService
from .workflow import State

if TYPE_CHECKING:
    from haven_hub.settings import EgressNotifySmtp

log = logging.getLogger("haven.egress.notify")


@dataclass(frozen=True)
class MailSettings:
    host: str
    port: int
    sender: str
    starttls: bool
    checkers: tuple[str, ...]
    author_address: str  # "{user}@example.org", or "" to mail no author
    public_url: str  # "https://tre.example.org"; the link is <public_url>/services/egress/requests/<id>

    @classmethod
    def from_settings(cls, smtp: EgressNotifySmtp | None) -> MailSettings | None:
        """From the ``egress.notify_smtp`` section of Haven's settings; None when email is off."""
        if smtp is None:
            return None
        return cls(host=smtp.host, port=smtp.port, sender=smtp.sender, starttls=smtp.starttls,
                   checkers=tuple(smtp.checkers), author_address=smtp.author_address,
                   public_url=smtp.public_url)


@dataclass(frozen=True)
class Notice:
    event_id: int
    request_id: str
    project: str
    state: str
    recipients: tuple[str, ...]

    def message(self, settings: MailSettings) -> EmailMessage:
        message = EmailMessage()
        message["From"] = settings.sender
        message["To"] = ", ".join(self.recipients)
        message["Subject"] = f"Haven: output request {self.request_id[:8]} in {self.project} is {_words(self.state)}"
        link = f"{settings.public_url.rstrip('/')}/services/egress/requests/{self.request_id}"
        message.set_content(
            f"Output request {self.request_id} of project {self.project} is now {_words(self.state)}.\n\n"
            f"Open it in Haven: {link}\n\n"
            "This notice carries no file content; log in to Haven to see the request.\n")
        return message


def notices_after(service: EgressService, settings: MailSettings, after_id: int) -> list[Notice]:
    """The notices owed for state changes with ids above ``after_id``, oldest first."""
    with service.sessions() as session:
        rows = session.execute(
            select(StateEvent.id, StateEvent.request_id, StateEvent.state, StateEvent.actor,
                   Request.project, Request.author)
            .join(Request, Request.id == StateEvent.request_id)
            .where(StateEvent.id > after_id).order_by(StateEvent.id))
        notices = []
        for row in rows:
            recipients = _recipients(settings, State(row.state), row.actor, row.author)
            notices.append(Notice(row.id, row.request_id, row.project, row.state, recipients))
        return notices


def _recipients(settings: MailSettings, state: State, actor: str, author: str) -> tuple[str, ...]:
    if state is State.SUBMITTED:
        return settings.checkers
    if state in DECISIONS and actor != author and settings.author_address:
        return (settings.author_address.format(user=author),)
    return ()


def send(settings: MailSettings, notice: Notice) -> None:
    with smtplib.SMTP(settings.host, settings.port, timeout=15) as smtp:
        if settings.starttls:
            smtp.starttls(context=ssl.create_default_context())
        smtp.send_message(notice.message(settings))


def latest_event_id(service: EgressService) -> int:
    with service.sessions() as session:
        return session.scalar(select(func.max(StateEvent.id))) or 0


class Notifier:
    """Sends what is owed since the watermark, then moves the watermark past it."""

    def __init__(self, service: EgressService, settings: MailSettings, watermark: Path):
        self.service = service
        self.settings = settings
        self.watermark = watermark
        if not watermark.exists():
            # A new notifier owes nothing for the past: start from now, not from the first request.
            self._save(latest_event_id(service))

    def run_once(self) -> int:
        """Send every notice owed; returns how many emails went out. A failed send stops the
        round with the watermark before it, so the next round tries again."""
        sent = 0
        for notice in notices_after(self.service, self.settings, self._load()):
            if notice.recipients:
                send(self.settings, notice)
                sent += 1
            self._save(notice.event_id)
        return sent

    async def run_forever(self, interval: float = 5.0) -> None:
        loop = asyncio.get_running_loop()
        while True:
            try:
                await loop.run_in_executor(None, self.run_once)
            except (OSError, smtplib.SMTPException) as failed:
                log.warning("email notices delayed: %s", failed)
            await asyncio.sleep(interval)

    def _load(self) -> int:
        return int(self.watermark.read_text().strip() or 0)

    def _save(self, event_id: int) -> None:
        partial = self.watermark.with_suffix(".tmp")
        partial.write_text(str(event_id))
        partial.replace(self.watermark)


def _words(state: str) -> str:
    return state.replace("_", " ")
