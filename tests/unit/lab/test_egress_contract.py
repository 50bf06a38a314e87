"""The lab <-> egress contract is egress's openapi.yaml: both sides are held to it here.

The lab's server extension runs in the notebook image and cannot import the service, so
neither side is generated from the other; instead each name one side uses (metadata and
file fields, JSON body fields, query parameters, headers, media types, file kinds) must be
in the description, and each name there must be used or refused on purpose by both. The
lab's side is also checked on the wire: its endpoints are called through real HTTP and
every request they make reaches a recording stand-in for the service on loopback, where
it is validated against the description.
"""

from __future__ import annotations

import asyncio
import copy
import json
import re
import threading
import uuid
from collections.abc import Iterator
from email.parser import BytesParser
from email.policy import HTTP
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from tornado import httpserver, web
from tornado.httpclient import HTTPClientError
from tornado.netutil import bind_sockets

from haven_egress import filetypes, uploads
from haven_egress.web import openapi, payloads
from haven_lab import egress as lab

REPO = Path(__file__).resolve().parents[3]
FORMAT_TS = REPO / "extensions" / "haven-lab" / "src" / "format.ts"
TABLE = b"region,admissions\nnorth,15\nsouth,20\n"
REQUEST_ID = "0" * 32


# ---- the description, read as data ------------------------------------------------------

def spec() -> dict[str, Any]:
    return openapi.description()


def schema_fields(description: dict[str, Any], name: str) -> set[str]:
    return set(description["components"]["schemas"][name]["properties"])


def body_fields(description: dict[str, Any], path: str, method: str = "post") -> set[str]:
    body = description["paths"][path][method]["requestBody"]["content"]["application/json"]["schema"]
    return set(body["properties"])


def media_types(description: dict[str, Any]) -> dict[str, set[str]]:
    """Media type -> the file name endings the description gives it."""
    declared = description["components"]["schemas"]["SubmissionFile"]["properties"]["media_type"]
    return {media: set(endings) for media, endings in declared["x-extensions"].items()}


def kinds(description: dict[str, Any]) -> dict[str, set[str]]:
    schemas = description["components"]["schemas"]
    return {"SubmissionFile": set(schemas["SubmissionFile"]["properties"]["kind"]["enum"]),
            "File": set(schemas["File"]["properties"]["kind"]["enum"])}


def operation(description: dict[str, Any], method: str, path: str) -> dict[str, Any]:
    """The described operation a request (path relative to the service) reaches."""
    for template, item in description["paths"].items():
        pattern = re.sub(r"\\\{(\w+)\\\}", "[^/]+", re.escape(template.lstrip("/")))
        if re.fullmatch(pattern, path) and method.lower() in item:
            return {**item[method.lower()], "shared_parameters": item.get("parameters", [])}
    raise AssertionError(f"{method} {path} is not in openapi.yaml")


def parameters(description: dict[str, Any], op: dict[str, Any], where: str) -> set[str]:
    found = set()
    for parameter in op.get("parameters", []) + op["shared_parameters"]:
        if "$ref" in parameter:
            parameter = description["components"]["parameters"][parameter["$ref"].rsplit("/", 1)[-1]]
        if parameter["in"] == where:
            found.add(parameter["name"].lower())
    return found


def validate(description: dict[str, Any], value: Any, schema: dict[str, Any]) -> None:
    # The whole description is the root, so its "#/components/..." references resolve.
    jsonschema.Draft7Validator({**description, **schema}).validate(value)


# ---- each side against the description --------------------------------------------------

def lab_mismatches(description: dict[str, Any], side: Any = lab) -> list[str]:
    problems = []
    metadata, file = schema_fields(description, "SubmissionMetadata"), schema_fields(description, "SubmissionFile")
    if side.SUBMISSION_FIELDS | set(side.NOT_SENT) != metadata:
        problems.append(f"lab metadata fields {sorted(side.SUBMISSION_FIELDS | set(side.NOT_SENT))} "
                        f"!= openapi {sorted(metadata)}")
    if side.FILE_FIELDS | set(side.FILE_NOT_SENT) != file:
        problems.append(f"lab file fields {sorted(side.FILE_FIELDS | set(side.FILE_NOT_SENT))} != openapi {sorted(file)}")
    if side.SUBMISSION_FIELDS & set(side.NOT_SENT) or side.FILE_FIELDS & set(side.FILE_NOT_SENT):
        problems.append("a field is both sent and not sent")
    lab_types: dict[str, set[str]] = {"application/octet-stream": set()}
    for ending, media in side.MEDIA_TYPES.items():
        lab_types.setdefault(media, set()).add(ending)
    if lab_types != media_types(description):
        problems.append(f"lab media types {lab_types} != openapi {media_types(description)}")
    return problems


def service_mismatches(description: dict[str, Any]) -> list[str]:
    problems = []
    checks = [
        ("metadata fields", payloads.SUBMISSION_FIELDS, schema_fields(description, "SubmissionMetadata")),
        ("file fields", set(payloads.FILE_FIELDS), schema_fields(description, "SubmissionFile")),
        ("comment fields", payloads.COMMENT_FIELDS, body_fields(description, "/api/requests/{request_id}/comments")),
        ("decision fields", payloads.DECISION_FIELDS, body_fields(description, "/api/requests/{request_id}/{decision}")),
        ("review fields", payloads.REVIEW_FIELDS, body_fields(description, "/api/files/{file_id}/reviews")),
    ]
    problems += [f"service {what} {sorted(ours)} != openapi {sorted(theirs)}" for what, ours, theirs in checks
                 if set(ours) != set(theirs)]
    service_types: dict[str, set[str]] = {}
    for kind in filetypes.TYPES.values():
        service_types.setdefault(kind.media_type, set()).update(kind.extensions)
    if service_types != media_types(description):
        problems.append(f"service media types {service_types} != openapi {media_types(description)}")
    for schema, declared in kinds(description).items():
        if set(uploads.KINDS) != declared:
            problems.append(f"service kinds {sorted(uploads.KINDS)} != openapi {schema} {sorted(declared)}")
    return problems


def front_end_kinds() -> set[str]:
    block = FORMAT_TS.read_text().split("FILE_KINDS", 1)[1].split("];", 1)[0]
    return set(re.findall(r"\['(\w+)',", block))


def test_the_lab_uses_what_the_description_names():
    assert lab_mismatches(spec()) == []


def test_the_service_accepts_what_the_description_names():
    assert service_mismatches(spec()) == []


def test_the_media_types_listed_are_the_ones_given_endings():
    declared = spec()["components"]["schemas"]["SubmissionFile"]["properties"]["media_type"]
    assert sorted(declared["enum"]) == sorted(declared["x-extensions"])


def test_the_lab_offers_the_kinds_the_service_knows():
    assert front_end_kinds() == kinds(spec())["SubmissionFile"]


def test_submissions_are_sent_with_the_declared_idempotency_header():
    description = spec()
    for path in ("api/requests", f"api/requests/{REQUEST_ID}/resubmit"):
        assert lab.IDEMPOTENCY_HEADER.lower() in parameters(description, operation(description, "POST", path), "header")


@pytest.mark.parametrize("where", ["openapi", "lab", "service"])
def test_a_field_added_on_one_side_only_is_noticed(monkeypatch, where):
    description = spec()
    if where == "openapi":
        description["components"]["schemas"]["SubmissionMetadata"]["properties"]["deadline"] = {"type": "string"}
        media_type = description["components"]["schemas"]["SubmissionFile"]["properties"]["media_type"]
        media_type["x-extensions"]["image/gif"] = [".gif"]
        media_type["enum"].append("image/gif")
        assert len(lab_mismatches(description)) == 2 and len(service_mismatches(description)) == 2
    elif where == "lab":
        monkeypatch.setattr(lab, "SUBMISSION_FIELDS", lab.SUBMISSION_FIELDS | {"deadline"})
        monkeypatch.setattr(lab, "MEDIA_TYPES", {**lab.MEDIA_TYPES, ".gif": "image/gif"})
        assert len(lab_mismatches(description)) == 2
    else:
        monkeypatch.setattr(payloads, "COMMENT_FIELDS", payloads.COMMENT_FIELDS | {"pinned"})
        monkeypatch.setattr(uploads, "KINDS", uploads.KINDS | {"map"})
        assert len(service_mismatches(description)) == 3  # comment fields; kinds of SubmissionFile and File


# ---- the lab's requests on the wire -----------------------------------------------------

def a_request(state: str = "submitted") -> dict[str, Any]:
    return {"id": REQUEST_ID, "project": "alpha", "author": "ada", "title": "t", "purpose": "p",
            "state": state, "version": 1, "history": [], "comments": [],
            "versions": [{"number": 1, "files": []}]}


class StandIn:
    """A recording egress service on loopback: each request kept, answered as the service would."""

    def __init__(self) -> None:
        self.seen: list[dict[str, Any]] = []
        self.fail_next: list[int] = []  # statuses to answer first, one per request

    def answer(self, handler: web.RequestHandler) -> None:
        request = handler.request
        self.seen.append({"method": request.method, "path": request.path.removeprefix("/"),
                          "query": {k: v[-1].decode() for k, v in request.query_arguments.items()},
                          "headers": dict(request.headers), "body": request.body})
        if self.fail_next:
            handler.set_status(self.fail_next.pop(0))
            handler.finish(json.dumps({"status": handler.get_status(), "message": "not now"}))
            return
        path = request.path.removeprefix("/")
        if path == "api/requests" and request.method == "GET":
            value: Any = {"requests": [a_request()], "left_out": 3}  # the newest 200 whole, then a count
        elif path == "api/preflight":
            value = {"files": []}
        else:
            value = a_request("withdrawn" if path.endswith("/withdraw") else "submitted")
        handler.set_status(201 if (request.method, path) == ("POST", "api/requests") else 200)
        handler.finish(json.dumps(value))


@pytest.fixture
def stand_in() -> Iterator[tuple[StandIn, str]]:
    recorder = StandIn()

    class Handler(web.RequestHandler):
        def get(self, _: str) -> None:
            recorder.answer(self)

        post = get

    loop = asyncio.new_event_loop()
    started = threading.Event()
    port: list[int] = []

    def serve() -> None:
        asyncio.set_event_loop(loop)
        server = httpserver.HTTPServer(web.Application([(r"/(.*)", Handler)]))
        [socket] = bind_sockets(0, "127.0.0.1")
        server.add_sockets([socket])
        port.append(socket.getsockname()[1])
        started.set()
        loop.run_forever()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    started.wait(5)
    yield recorder, f"http://127.0.0.1:{port[0]}/"
    loop.call_soon_threadsafe(loop.stop)
    thread.join(5)


@pytest.fixture
def egress_url(stand_in) -> str:
    return stand_in[1]


async def send(fetch, *parts, body: dict[str, Any] | None = None, headers: dict[str, str] | None = None):
    try:
        response = await fetch(*parts, method="GET" if body is None else "POST",
                               body=None if body is None else json.dumps(body), headers=headers or {})
    except HTTPClientError as error:
        response = error.response
    return response.code, json.loads(response.body or b"{}")


def multipart_fields(seen: dict[str, Any]) -> dict[str, bytes]:
    head = f"Content-Type: {seen['headers']['Content-Type']}\r\n\r\n".encode()
    message = BytesParser(policy=HTTP).parsebytes(head + seen["body"])
    return {part.get_param("name", header="content-disposition"): part.get_payload(decode=True)
            for part in message.iter_parts()}


def check_on_the_wire(seen: dict[str, Any]) -> None:
    """One request the lab sent, held to the described operation it reaches."""
    description = spec()
    op = operation(description, seen["method"], seen["path"])
    assert set(seen["query"]) <= parameters(description, op, "query"), seen["query"]
    standard = {"host", "accept", "authorization", "content-type", "content-length", "connection",
                "accept-encoding", "user-agent"}
    assert {name.lower() for name in seen["headers"]} - standard <= parameters(description, op, "header")
    content = op.get("requestBody", {}).get("content", {})
    if "multipart/form-data" in content:
        fields = multipart_fields(seen)
        metadata = json.loads(fields.pop("metadata"))
        validate(description, metadata, {"$ref": "#/components/schemas/SubmissionMetadata"})
        assert set(metadata) <= lab.SUBMISSION_FIELDS
        assert all(set(entry) <= lab.FILE_FIELDS for entry in metadata["files"])
        assert set(fields) == {f"file-{i}" for i in range(len(metadata["files"]))}
    elif seen["body"]:
        validate(description, json.loads(seen["body"]), content["application/json"]["schema"])


async def test_every_request_the_lab_sends_is_a_described_one(jp_fetch, stand_in, workspace):
    recorder, _ = stand_in
    (workspace / "table.csv").write_bytes(TABLE)
    (workspace / "figure.png").write_bytes(b"\x89PNG\r\n\x1a\n")
    files = [{"path": "workspace/table.csv", "description": "counts", "kind": "frequency_table",
              "controls": ["rounded to 5"]},
             {"path": "workspace/figure.png", "description": "plot"}]
    calls = [
        ("haven", "requests", {"title": "T", "purpose": "P", "files": files, "include_code": False}),
        ("haven", "preflight", {"files": files}),
        ("haven", "requests", REQUEST_ID, "resubmit",
         {"title": "T2", "purpose": "P2", "files": files[:1], "keep": ["workspace/figure.png"], "note": "rounded"}),
        ("haven", "requests", REQUEST_ID, "withdraw", {"reason": "wrong table"}),
        ("haven", "requests", None),
    ]
    for *parts, body in calls:
        code, answer = await send(jp_fetch, *parts, body=body)
        assert code in (200, 201), answer
    sent = {(s["method"], s["path"]) for s in recorder.seen}
    assert sent == {("POST", "api/requests"), ("POST", "api/preflight"),
                    ("POST", f"api/requests/{REQUEST_ID}/resubmit"), ("POST", f"api/requests/{REQUEST_ID}/comments"),
                    ("POST", f"api/requests/{REQUEST_ID}/withdraw"), ("GET", "api/requests"),
                    # A resubmission reads which workspace file each sent one was made from.
                    ("GET", f"api/requests/{REQUEST_ID}")}
    for seen in recorder.seen:
        check_on_the_wire(seen)
    resubmit = next(s for s in recorder.seen if s["path"].endswith("/resubmit"))
    assert json.loads(multipart_fields(resubmit)["metadata"])["title"] == "T2"
    withdraw = next(s for s in recorder.seen if s["path"].endswith("/withdraw"))
    assert json.loads(withdraw["body"]) == {"reason": "wrong table"}


async def test_the_releases_list_is_one_call(jp_fetch, stand_in):
    recorder, _ = stand_in
    code, answer = await send(jp_fetch, "haven", "requests")
    assert code == 200 and [r["id"] for r in answer["requests"]] == [REQUEST_ID]
    assert answer["left_out"] == 3  # the panel says how many older ones are not listed
    [listing] = recorder.seen
    assert listing["query"] == {"project": "alpha", "author": "ada", "whole": "true"}


async def test_a_retried_submission_carries_the_same_key(jp_fetch, stand_in, workspace):
    recorder, _ = stand_in
    (workspace / "table.csv").write_bytes(TABLE)
    recorder.fail_next = [503, 502]
    browser_key = str(uuid.uuid4())
    code, answer = await send(jp_fetch, "haven", "requests", headers={lab.IDEMPOTENCY_HEADER: browser_key}, body={
        "title": "T", "purpose": "P", "files": [{"path": "workspace/table.csv", "description": "d"}]})
    assert code == 201, answer
    keys = [s["headers"][lab.IDEMPOTENCY_HEADER] for s in recorder.seen]
    assert keys == [browser_key] * 3
    assert len({s["body"] for s in recorder.seen}) == 1


async def test_each_action_gets_its_own_key_and_a_refusal_is_not_retried(jp_fetch, stand_in, workspace):
    recorder, _ = stand_in
    (workspace / "table.csv").write_bytes(TABLE)
    body = {"title": "T", "purpose": "P", "files": [{"path": "workspace/table.csv", "description": "d"}]}
    recorder.fail_next = [422]
    code, _ = await send(jp_fetch, "haven", "requests", body=body)
    assert code == 422 and len(recorder.seen) == 1
    code, _ = await send(jp_fetch, "haven", "requests", body=body)
    assert code == 201
    first, second = (uuid.UUID(s["headers"][lab.IDEMPOTENCY_HEADER]) for s in recorder.seen)
    assert first != second and first.version == second.version == 4


@pytest.mark.parametrize("key", ["not-a-uuid", str(uuid.uuid1())])
async def test_a_malformed_key_is_refused_before_anything_is_sent(jp_fetch, stand_in, workspace, key):
    recorder, _ = stand_in
    (workspace / "table.csv").write_bytes(TABLE)
    code, answer = await send(jp_fetch, "haven", "requests", headers={lab.IDEMPOTENCY_HEADER: key}, body={
        "title": "T", "purpose": "P", "files": [{"path": "workspace/table.csv", "description": "d"}]})
    assert code == 400 and "UUID" in answer["message"]
    assert recorder.seen == []


def test_the_description_check_is_not_vacuous():
    description = spec()
    broken = copy.deepcopy(description)
    broken["components"]["schemas"]["SubmissionMetadata"]["properties"].pop("purpose")
    with pytest.raises(jsonschema.ValidationError):
        validate(broken, {"title": "t", "purpose": "p", "files": []},
                 {"$ref": "#/components/schemas/SubmissionMetadata"})
