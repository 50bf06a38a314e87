"""The egress review queue: limits, checks, notices."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, field_validator

from .common import ByteSize, _Section
from .ingress import Ingress


class EgressNotifySmtp(_Section):
    host: str = Field(min_length=1, description="SMTP server the egress service sends notices through.")
    port: int = Field(25, ge=1, le=65535, description="Its port (25, or 587 with `starttls`).")
    sender: str = Field(min_length=3, description="The From address of the notices, e.g. `haven@tre.example.org`.")
    starttls: bool = Field(True, description="Upgrade the connection with STARTTLS before sending (refuse if the server cannot).")
    checkers: list[str] = Field(
        default_factory=list,
        description="Addresses told of each new submission, e.g. the output checkers' team mailbox.",
    )
    author_address: str = Field(
        "",
        description=(
            "How to reach a request's author, with `{user}` for their Haven username, e.g. "
            "`{user}@tre.example.org`. Empty: authors get no email, only the in-app count."
        ),
    )
    public_url: str = Field(
        "", description="Haven's address as people reach it, for the link in each notice, e.g. `https://tre.example.org`."
    )


class Egress(_Section):
    auth_cache_seconds: int = Field(
        10,
        ge=0,
        le=300,
        description=(
            "How long the egress service trusts the hub's answer about a token or login. "
            "A revoked or expired token, or a changed role, takes effect within this time "
            "(JupyterHub's default is 300 s)."
        ),
    )
    port: int = Field(
        8082,
        ge=1,
        le=65535,
        description=(
            "Port of the egress service (the review queue, at `/services/egress/`). It listens on "
            "every address so project containers reach it through their network's gateway; the "
            "host firewall admits it only from loopback and the project networks."
        ),
    )
    database_url: str = Field(
        "",
        description=(
            "SQLAlchemy URL of the egress database, e.g. `postgresql+psycopg://haven@db/egress`. "
            "Empty: SQLite (WAL) at `egress.sqlite` in `egress.data_dir`. Migrated at every start."
        ),
    )
    data_dir: Path = Field(
        Path("egress"),
        description="Where the egress service keeps its SQLite database and the submitted files (blobs).",
    )
    package_source_url: str = Field(
        "https://pypi.org",
        pattern=r"^https?://[^\s/]+(/\S*)?$",
        description=(
            "Where `haven packages add` fetches approved wheels from, on the host: an index with PEP 691 "
            "JSON project pages at `<url>/simple/<name>/` (PyPI, devpi, pypiserver). Only adding reaches it; project servers never "
            "do, and the package index never fetches on their behalf (`docs/packages.md`)."
        ),
    )
    required_approvals: int = Field(
        2, ge=1, le=10, description="Independent approvals each released file needs."
    )
    checkers_may_review_own_projects: bool = Field(
        False,
        description=(
            "Whether an output checker who is a member of a project may review its outputs. "
            "An author never reviews their own request, whatever this says."
        ),
    )
    members_may_download: bool = Field(
        False,
        description="Whether project members other than the author may download released files.",
    )
    max_file_size: ByteSize = Field(
        "16M", validate_default=True, description="Largest file a request may hold, e.g. `16M`."
    )
    max_request_size: ByteSize = Field(
        "64M", validate_default=True, description="Largest total size of one request's files."
    )
    max_files: int = Field(50, ge=1, le=1000, description="Most files one request may hold.")
    daily_request_limit: int = Field(
        0,
        ge=0,
        le=10_000,
        description=(
            "Most new release requests one project may file per day (UTC), so checkers' time is "
            "shared fairly; one more is refused (429) with the time the count resets. "
            "Resubmissions of returned requests are never counted. 0: no limit."
        ),
    )
    daily_request_limit_by_project: dict[str, Annotated[int, Field(ge=0, le=10_000)]] = Field(
        default_factory=dict,
        description=(
            "Per project id, a daily limit that replaces `daily_request_limit` for that project "
            "(0: no limit for it), e.g. `{\"alpha\": 40}`."
        ),
    )
    max_table_rows: int = Field(
        5000,
        ge=1,
        description=(
            "Most rows (after a header) any file to be released may carry, read from its content "
            "whatever its name: every text file (CSV, TSV, `.txt`, `.md`, JSON, HTML, code, a "
            "PDF's text) is read as a table in both orientations (a transposed table's columns "
            "are rows) and line by line (a quoted cell of many lines is as many rows); the "
            "largest reading counts. More is row-level data, not a summary: the file is refused "
            "at submit. Supporting files are exempt (never released)."
        ),
    )
    max_opaque_file_size: ByteSize = Field(
        "64K",
        validate_default=True,
        description=(
            "Largest file whose content no check can read (binary in no known format) a "
            "request may hold; such a file is always flagged for a person, with the reason. "
            "Only reachable with the `other` file type; archives and Office files are refused."
        ),
    )
    max_image_pixels: int = Field(
        25_000_000,
        ge=1,
        description=(
            "Most pixels (width × height) an image may have. Images are decoded and re-encoded "
            "(what is stored and released is the re-encoding, without metadata or trailing "
            "bytes); one claiming more is refused before it is decoded (a decompression bomb)."
        ),
    )
    notify_smtp: EgressNotifySmtp | None = Field(
        None,
        description=(
            "Email notices: to `checkers` on each submission, to the author on each decision. A notice "
            "carries the request id, project, state and a link, never file names or content. "
            "Unset: no email; the pages still show counts."
        ),
    )
    file_types: list[
        Literal["csv", "tsv", "txt", "md", "json", "png", "jpeg", "pdf", "html", "py", "R", "sql", "ipynb",
                "other"]
    ] = Field(
        default_factory=lambda: [
            "csv", "tsv", "txt", "md", "json", "png", "jpeg", "pdf", "html", "py", "R", "sql", "ipynb"
        ],
        min_length=1,
        description=(
            "File types a request may hold, told by extension and checked by content (a PNG must "
            "be a PNG that decodes; a PDF must parse and carry no embedded files, scripts or "
            "forms). Notebooks (`ipynb`) must have no outputs: submit the HTML rendering to "
            "show results. Remove a type to refuse it. `other` (not in the default) admits any "
            "other name, or none: text is held to `max_table_rows`, anything else to "
            "`max_opaque_file_size`, and a person is always asked to look."
        ),
    )
    ingress: Ingress = Field(
        default_factory=Ingress,
        description="Requests to bring files and packages into a project, and JupyterLab's upload route.",
    )
    check_workers: int = Field(
        3,
        ge=1,
        le=16,
        description=(
            "Requests whose automated disclosure checks run at once. Each request's files are checked "
            "by one worker, so a slow request never holds up another while a worker is free. The checks "
            "are mostly Python and share one core between workers; more than the cores the service "
            "may use mostly adds waiting."
        ),
    )
    disclosure_preset: str = Field(
        "acro",
        description=(
            "Disclosure-check preset for projects that name none (`acro`: threshold 10, N-K 2/0.9, "
            "p-ratio 0.1; `opensafely`: counts of 7 or less redacted, the rest rounded to 5). A "
            "project chooses its own with `haven project update ID --disclosure-preset NAME`."
        ),
    )
    disclosure_overrides: dict[str, dict[str, str | int | float | bool | list[str] | None]] = Field(
        default_factory=dict,
        description=(
            "Values overriding a preset's parameters, by preset, e.g. `{acro: {threshold: 12}}`; "
            "the parameters are listed in docs/disclosure-checks.md. Checked at start."
        ),
    )

    @field_validator("disclosure_preset")
    @classmethod
    def _known_preset(cls, preset: str) -> str:
        from haven_disclosure.settings import PRESETS  # the presets are the checks' data

        if preset not in PRESETS:
            raise ValueError(f"unknown preset {preset!r}; known presets: {', '.join(PRESETS)}")
        return preset

    @field_validator("disclosure_overrides")
    @classmethod
    def _valid_overrides(cls, overrides: dict) -> dict:
        from haven_disclosure import DisclosureCheckError, resolve_settings

        for preset, values in overrides.items():
            try:
                resolve_settings(preset, values)
            except DisclosureCheckError as error:
                raise ValueError(f"{preset}: {error}") from None
        return overrides


