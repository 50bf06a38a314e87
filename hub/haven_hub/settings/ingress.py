"""The ingress queue: what analysts may ask to bring into a project, and the Lab upload route."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BeforeValidator, Field

from .common import ByteSize, _Section, size_in_bytes

# Zero allowed: 0 closes the route the size caps.
SizeOrZero = Annotated[int, BeforeValidator(size_in_bytes), Field(ge=0)]

INGRESS_FILE_TYPES = ("csv", "tsv", "txt", "json", "md", "py", "R", "sql", "yaml")


class Ingress(_Section):
    max_file_size: ByteSize = Field(
        "2M",
        validate_default=True,
        description=(
            "Largest file an ingress request may carry, e.g. `2M` (code, code lists, lookup tables; "
            "a larger import is a dataset, curated by an administrator)."
        ),
    )
    file_types: list[Literal["csv", "tsv", "txt", "json", "md", "py", "R", "sql", "yaml"]] = Field(
        default_factory=lambda: list(INGRESS_FILE_TYPES),
        min_length=1,
        description=(
            "File types an ingress request may carry, told by extension; every one must be UTF-8 "
            "text without NUL bytes (binary files are refused whatever their name). Remove a type "
            "to refuse it."
        ),
    )
    folder: str = Field(
        "imports",
        pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$",
        description=(
            "Folder in the project's workspace an approved file lands in, as "
            "`<folder>/<request id>/<name>` (one segment, no `..`)."
        ),
    )
    lab_upload_max_size: SizeOrZero = Field(
        0,
        description=(
            "Largest text file an analyst may still upload straight into the project through "
            "JupyterLab's file browser, e.g. `64K`; each such upload is recorded in the egress "
            "audit chain. `0` (the default): direct uploads are refused and the file browser "
            "points to the ingress request page."
        ),
    )
