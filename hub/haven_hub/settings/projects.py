"""Projects as the settings file seeds them: limits, dataset grants, dates."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from pydantic import Field, field_validator

from .common import BYTE_SIZE, PROJECT_ID, USERNAME, _Section


class Limits(_Section):
    cpu: float = Field(1.0, gt=0, le=64, description="CPU cores a project server may use.")
    memory: Annotated[str, Field(pattern=BYTE_SIZE)] = Field(
        "2G", description="Memory limit of a project server, e.g. `2G`, `512M`."
    )
    pids: int = Field(512, ge=32, le=65536, description="Most processes and threads in one server.")
    browser_bytes_per_day: Annotated[str, Field(pattern=BYTE_SIZE)] = Field(
        "100M",
        description="Bytes a member's server may send to their browser in a UTC day (contents reads, kernel and "
        "terminal output; not Lab's own static files). Past it the hub stops the server and refuses to start it "
        "again that day, and administrators are told. A ceiling and a detector, not secrecy.",
    )


DATASET_NAME = r"^[a-z][a-z0-9_]{0,62}$"


class DatasetGrant(_Section):
    name: Annotated[str, Field(pattern=DATASET_NAME)] = Field(description="Dataset name in the catalogue.")
    version: Annotated[str, Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]{0,39}$")] | None = Field(
        None, description="A pinned version; empty means the latest version at each spawn."
    )


class Project(_Section):
    id: Annotated[str, Field(pattern=PROJECT_ID)] = Field(
        description="Short id: lower-case letters, digits and dashes; names the server, network and folders."
    )
    title: str = Field(min_length=1, description="Human-readable title.")
    purpose: str = Field("", description="What the project is approved to do.")
    end_date: date | None = Field(None, description="Date after which the project is suspended.")
    members: list[Annotated[str, Field(pattern=USERNAME)]] = Field(
        default_factory=list, description="Usernames of the analysts in the project."
    )
    limits: Limits = Field(default_factory=Limits, description="Resources of each member's server.")
    terminals: bool = Field(
        False,
        description="Members' servers offer terminals (a shell in the container). Off by default; "
        "see docs/lab-boundary.md for what a terminal opens.",
    )
    datasets: list[DatasetGrant] = Field(
        default_factory=list,
        description="Datasets granted to the project, mounted read-only at `/data/<name>` in its servers.",
    )

    @field_validator("datasets")
    @classmethod
    def _grant_once_each(cls, grants: list[DatasetGrant]) -> list[DatasetGrant]:
        names = [grant.name for grant in grants]
        if len(set(names)) != len(names):
            raise ValueError("a dataset may be granted once per project")
        return grants


