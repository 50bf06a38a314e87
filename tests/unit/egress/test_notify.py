"""Email notices through a real SMTP server on loopback: who hears what, and never a file."""

from __future__ import annotations

import email
import smtplib
import socket
from email.message import Message

import pytest
from aiosmtpd.controller import Controller

from haven_egress import notify
from haven_egress.workflow import State

from .factories import AUTHOR, CHECKER, create_request_at_status, default_files, submit

TABLE_BYTES = default_files()[0].content


class Inbox:
    def __init__(self):
        self.messages: list[tuple[list[str], Message, bytes]] = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append((list(envelope.rcpt_tos), email.message_from_bytes(envelope.content), envelope.content))
        return "250 OK"


@pytest.fixture
def inbox():
    handler = Inbox()
    with socket.socket() as probe:  # aiosmtpd's start-up self-test cannot use port 0
        probe.bind(("127.0.0.1", 0))
        handler.port = probe.getsockname()[1]
    controller = Controller(handler, hostname="127.0.0.1", port=handler.port)
    controller.start()
    yield handler
    controller.stop()


def mail(inbox, **overrides) -> notify.MailSettings:
    fields = dict(host="127.0.0.1", port=inbox.port, sender="haven@tre.test", starttls=False,
                  checkers=("checkers@tre.test",), author_address="{user}@tre.test",
                  public_url="https://haven.tre.test")
    fields.update(overrides)
    return notify.MailSettings(**fields)


def test_checkers_hear_of_a_submission_and_the_author_of_the_decision(service, inbox, tmp_path):
    notifier = notify.Notifier(service, mail(inbox), tmp_path / "watermark")
    request_id = create_request_at_status(service, State.RETURNED)
    # submitted -> checkers; under_review, reviewed -> nobody; returned -> the author
    assert notifier.run_once() == 2
    assert [rcpt for rcpt, _, _ in inbox.messages] == [["checkers@tre.test"], [f"{AUTHOR.name}@tre.test"]]
    submitted, returned = (message for _, message, _ in inbox.messages)
    assert "is now submitted" in submitted.get_payload(decode=True).decode()
    body = returned.get_payload(decode=True).decode()
    assert f"Output request {request_id} of project alpha is now returned." in body
    assert f"https://haven.tre.test/services/egress/requests/{request_id}" in body
    # Nothing of the files, not even their names, nor the title, leaves by email.
    for _, message, raw in inbox.messages:
        assert TABLE_BYTES not in raw and b"group,count" not in raw
        assert b"table.csv" not in raw and b"figure.png" not in raw and b"Counts by group" not in raw
        assert not message.is_multipart()  # no attachment
    # Nothing is sent twice.
    assert notifier.run_once() == 0 and len(inbox.messages) == 2


def test_a_new_notifier_owes_nothing_for_the_past(service, inbox, tmp_path):
    create_request_at_status(service, State.RETURNED)
    notifier = notify.Notifier(service, mail(inbox), tmp_path / "watermark")
    assert notifier.run_once() == 0
    submit(service)
    assert notifier.run_once() == 1


def test_a_refusing_mail_server_delays_notices_without_losing_them(service, inbox, tmp_path):
    watermark = tmp_path / "watermark"
    # This server offers no STARTTLS; a notifier that insists on it must not send in clear.
    strict = notify.Notifier(service, mail(inbox, starttls=True), watermark)
    submit(service)
    with pytest.raises(smtplib.SMTPNotSupportedError):
        strict.run_once()
    assert inbox.messages == []
    assert notify.Notifier(service, mail(inbox), watermark).run_once() == 1  # sent once it can be
    assert [rcpt for rcpt, _, _ in inbox.messages] == [["checkers@tre.test"]]


def test_without_author_addresses_authors_get_no_email(service, inbox, tmp_path):
    notifier = notify.Notifier(service, mail(inbox, author_address="", checkers=()), tmp_path / "watermark")
    request_id = submit(service)
    service.reject(CHECKER, request_id, "identifies individuals")
    assert notifier.run_once() == 0 and inbox.messages == []
