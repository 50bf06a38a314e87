"""Haven's settings file: one schema, validated on every load.

The pydantic models below are the only place an option is declared. Each field's
description is its documentation: ``python -m haven_hub.settings --docs`` writes
``docs/settings.md`` from them, and a test keeps that page current.
"""

from __future__ import annotations

import re
import sys
from datetime import date
from pathlib import Path
from typing import Annotated, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from .roles import ANALYST, OUTPUT_CHECKER

PROJECT_ID = r"^[a-z][a-z0-9-]{1,30}[a-z0-9]$"
USERNAME = r"^[a-z][a-z0-9._-]{0,31}$"
BYTE_SIZE = r"^[0-9]+(\.[0-9]+)?[KMGT]?$"


def byte_count(size: str) -> int:
    """Bytes in a size written as in the settings (``16M``, ``1.5G``, ``512``)."""
    units = {"K": 1024, "M": 1024**2, "G": 1024**3, "T": 1024**4}
    if size[-1:] in units:
        return int(float(size[:-1]) * units[size[-1]])
    return int(float(size))


class SettingsError(Exception):
    """The settings file is missing, unreadable or invalid; the message names the key."""


class _Section(BaseModel):
    # A misspelt key is an error, never silently ignored.
    model_config = ConfigDict(extra="forbid", frozen=True)


class Limits(_Section):
    cpu: float = Field(1.0, gt=0, le=64, description="CPU cores a project server may use.")
    memory: Annotated[str, Field(pattern=BYTE_SIZE)] = Field(
        "2G", description="Memory limit of a project server, e.g. `2G`, `512M`."
    )
    pids: int = Field(512, ge=32, le=65536, description="Most processes and threads in one server.")


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


class Account(_Section):
    name: Annotated[str, Field(pattern=USERNAME)] = Field(description="Login name.")
    admin: bool = Field(False, description="Whether the account administers Haven.")
    roles: list[Literal[ANALYST, OUTPUT_CHECKER]] = Field(
        default_factory=lambda: [ANALYST],
        description=(
            "Haven roles of the account: `analyst` (works in projects, submits outputs) and/or "
            "`output-checker` (reviews the egress queue). Admins also get the `haven-admin` role. "
            "Roles and their scopes are defined in `hub/haven_hub/roles.py`."
        ),
    )

    @field_validator("roles")
    @classmethod
    def _roles_once_each(cls, roles: list[str]) -> list[str]:
        if len(set(roles)) != len(roles):
            raise ValueError("each role may appear once")
        return roles


HTTPS_URL = r"^https://\S+$"


class Oidc(_Section):
    authorize_url: str = Field("", description="The identity provider's authorization endpoint (`https://`).")
    token_url: str = Field("", description="The identity provider's token endpoint (`https://`).")
    userdata_url: str = Field("", description="The identity provider's userinfo endpoint (`https://`).")
    client_id: str = Field("", description="OAuth client id Haven is registered under at the provider.")
    client_secret_file: Path = Field(
        Path("secrets/oidc-client-secret"), description="File holding the OAuth client secret."
    )
    callback_url: str = Field(
        "", description="Haven's public callback URL, ending in `/hub/oauth_callback`."
    )
    username_claim: str = Field(
        "preferred_username", min_length=1, description="Claim of the userinfo that becomes the Haven username."
    )
    scopes: list[str] = Field(
        default_factory=lambda: ["openid", "profile", "email"], description="OAuth scopes requested."
    )
    login_service: str = Field("your organisation", description="Shown on the button: Sign in with ...")

    @field_validator("authorize_url", "token_url", "userdata_url")
    @classmethod
    def _https(cls, url: str) -> str:
        if url and not re.match(HTTPS_URL, url):
            raise ValueError(f"{url!r} is not an https:// URL")
        return url

    @field_validator("callback_url")
    @classmethod
    def _callback(cls, url: str) -> str:
        if url and not re.match(r"^https?://\S+/hub/oauth_callback$", url):
            raise ValueError(f"{url!r} must be Haven's address ending in /hub/oauth_callback")
        return url


class Auth(_Section):
    kind: Literal["builtin", "oidc"] = Field(
        "builtin",
        description=(
            "How people log in. `builtin`: Haven's own accounts (`haven account`), each with a hashed "
            "password and a TOTP second factor required for everyone, admin approval, lock-out and "
            "an approved-until date. `oidc`: an OpenID Connect provider (oauthenticator's "
            "GenericOAuthenticator) configured under `auth.oidc`; the provider enforces 2FA."
        ),
    )
    database_url: str = Field(
        "",
        description=(
            "SQLAlchemy URL of the built-in accounts store (hashed passwords, TOTP secrets, approval, "
            "lock-out). Empty: SQLite at `accounts.sqlite` in `hub.data_dir`."
        ),
    )
    max_failed_logins: int = Field(
        5, ge=1, le=100, description="Failed logins in a row (wrong password or code) that lock an account."
    )
    lockout_minutes: float = Field(
        15, gt=0, description="How long a locked account stays locked (an admin may unlock it earlier)."
    )
    default_approval_days: int = Field(
        365,
        ge=1,
        description="Approved-until date of a new account, in days from its creation, unless given.",
    )
    session_idle_minutes: float = Field(
        30,
        gt=0,
        description=(
            "A browser session with no activity (hub pages, or JupyterLab requests the hub sees) for "
            "this long must log in again, and the session's JupyterLab tokens are revoked."
        ),
    )
    session_max_hours: float = Field(
        12, gt=0, description="A browser session ends this long after its login, active or not."
    )
    signup: bool = Field(
        False,
        description=(
            "Whether people may ask for an account at `/hub/haven-accounts/signup` (they choose a "
            "password and enrol TOTP there); such accounts log in only after `haven account approve`."
        ),
    )
    credentials_dir: Path = Field(
        Path("secrets/accounts"),
        description=(
            "Where `scripts/up` writes the demo accounts' initial passwords and TOTP secrets "
            "(one file per account, readable by root only)."
        ),
    )
    oidc: Oidc = Field(default_factory=Oidc, description="OpenID Connect provider, used when `kind` is `oidc`.")
    accounts: list[Account] = Field(default_factory=list, description="Accounts allowed to log in.")

    @model_validator(mode="after")
    def _oidc_complete(self) -> Auth:
        if self.kind == "oidc":
            missing = [
                key for key in ("authorize_url", "token_url", "userdata_url", "client_id", "callback_url")
                if not getattr(self.oidc, key)
            ]
            if missing:
                raise ValueError(f"auth.kind is oidc but auth.oidc lacks {', '.join(missing)}")
        return self


class Hub(_Section):
    public_ip: str = Field("127.0.0.1", description="Address the public proxy listens on.")
    public_port: int = Field(8000, ge=1, le=65535, description="Port the public proxy listens on.")
    api_port: int = Field(
        8081,
        ge=1,
        le=65535,
        description=(
            "Port of the hub API. It listens on every address, and the host firewall admits it only "
            "from loopback and the project networks' gateways."
        ),
    )
    proxy_api_port: int = Field(8001, ge=1, le=65535, description="Port of the proxy's API (loopback).")
    data_dir: Path = Field(
        Path("/var/lib/haven"),
        description="Where the hub keeps its database, secrets, workspaces and logs.",
    )
    proxy_command: list[str] = Field(
        default_factory=lambda: ["configurable-http-proxy"],
        description="Command that starts configurable-http-proxy.",
    )
    operator_token_file: Path = Field(
        Path("secrets/operator-api-token"),
        description=(
            "File holding the API token of the `haven-operator` service, which the `haven` admin "
            "command uses (admin of users, groups and servers; no access to servers' contents)."
        ),
    )


class Spawner(_Section):
    image: str = Field("haven/notebook:latest", description="Single-user notebook image.")
    start_timeout: int = Field(120, ge=10, description="Seconds a server may take to start.")
    tmp_size: Annotated[str, Field(pattern=BYTE_SIZE)] = Field(
        "512M", description="Size of the tmpfs at /tmp (counts against the memory limit)."
    )
    container_prefix: Annotated[str, Field(pattern=r"^[a-z][a-z0-9-]{0,15}$")] = Field(
        "haven", description="Prefix of container and volume names."
    )


class Network(_Section):
    bridge_prefix: Annotated[str, Field(pattern=r"^[a-z]{1,5}-$")] = Field(
        "hv-",
        description=(
            "Prefix of the Linux bridge of each project's internal network; the host firewall "
            "matches it. Names are at most 15 characters, so long project ids are hashed."
        ),
    )
    firewall_chain: Annotated[str, Field(pattern=r"^[A-Z][A-Z0-9-]{1,24}$")] = Field(
        "HAVEN-INPUT", description="iptables chain holding the rules for traffic from projects to the host."
    )


class Images(_Section):
    base_image: str = Field(
        "",
        description=(
            "Base of the notebook image. Empty: build `haven/base:bookworm` locally with debootstrap "
            "(no registry needed). Set e.g. `debian:bookworm-slim` where a registry is reachable."
        ),
    )
    build_ca_bundle: Path | None = Field(
        Path("/etc/ssl/certs/ca-certificates.crt"),
        description=(
            "CA bundle trusted by pip during image builds, for networks that intercept TLS. "
            "Used in the build stage only; it does not reach the final image."
        ),
    )


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
    max_file_size: Annotated[str, Field(pattern=BYTE_SIZE)] = Field(
        "16M", description="Largest file a request may hold, e.g. `16M`."
    )
    max_request_size: Annotated[str, Field(pattern=BYTE_SIZE)] = Field(
        "64M", description="Largest total size of one request's files."
    )
    max_files: int = Field(50, ge=1, le=1000, description="Most files one request may hold.")
    max_table_rows: int = Field(
        5000,
        ge=1,
        description=(
            "Most data rows (after the header) a CSV or TSV file to be released may have; more "
            "is row-level data, not a summary. Supporting files are exempt (never released)."
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
        Literal["csv", "tsv", "txt", "md", "json", "png", "jpeg", "pdf", "html", "py", "R", "sql", "ipynb"]
    ] = Field(
        default_factory=lambda: [
            "csv", "tsv", "txt", "md", "json", "png", "jpeg", "pdf", "html", "py", "R", "sql", "ipynb"
        ],
        min_length=1,
        description=(
            "File types a request may hold, told by extension and checked by content (a PNG must "
            "be a PNG). Notebooks (`ipynb`) must have no outputs: submit the HTML rendering to "
            "show results. Remove a type to refuse it."
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
        from haven_egress.disclosure.settings import PRESETS  # the presets are the checks' data

        if preset not in PRESETS:
            raise ValueError(f"unknown preset {preset!r}; known presets: {', '.join(PRESETS)}")
        return preset

    @field_validator("disclosure_overrides")
    @classmethod
    def _valid_overrides(cls, overrides: dict) -> dict:
        from haven_egress.disclosure import DisclosureCheckError, resolve_settings

        for preset, values in overrides.items():
            try:
                resolve_settings(preset, values)
            except DisclosureCheckError as error:
                raise ValueError(f"{preset}: {error}") from None
        return overrides


class Datasets(_Section):
    catalogue_dir: Path = Field(
        Path("datasets"),
        description="The dataset catalogue (immutable, versioned Parquet); relative paths are under `hub.data_dir`.",
    )
    scratch_size: Annotated[str, Field(pattern=BYTE_SIZE)] = Field(
        "20G",
        description=(
            "Most disk DuckDB may spill to per server (its `max_temp_directory_size`), on a "
            "disk-backed volume at `/scratch`, so a query larger than memory slows down instead "
            "of failing. The volume itself is not size-capped by Docker's local driver."
        ),
    )
    demo_rows: int = Field(
        100_000, ge=100, description="Rows of the synthetic admissions dataset `scripts/up` loads for the demo."
    )


class IdleCuller(_Section):
    timeout_minutes: float = Field(
        60,
        ge=0,
        description=(
            "Project servers idle this long are stopped by jupyterhub-idle-culler (a hub service). "
            "Idle means no kernel or terminal activity and no browser traffic. 0 turns culling off."
        ),
    )
    every_seconds: int = Field(
        300, ge=1, le=3600, description="How often the culler looks for idle servers."
    )


class Admin(_Section):
    port: int = Field(
        8083,
        ge=1,
        le=65535,
        description="Port of the admin pages service (`/services/admin/`, loopback only; the proxy serves it).",
    )
    sweep_minutes: float = Field(
        15,
        gt=0,
        description=(
            "How often the admin service suspends projects whose end date has passed (and stops "
            "their servers), as `haven project sweep` does."
        ),
    )
    disk_warning_percent: int = Field(
        80,
        ge=1,
        le=100,
        description=(
            "A project's workspace using this share of its disk quota is flagged on the admin and "
            "project pages. Quotas are measured, not enforced, on filesystems without quota support."
        ),
    )


class Settings(_Section):
    hub: Hub = Field(default_factory=Hub, description="The hub and its proxy.")
    auth: Auth = Field(default_factory=Auth, description="Who can log in, and how.")
    spawner: Spawner = Field(default_factory=Spawner, description="Project servers.")
    network: Network = Field(default_factory=Network, description="Project networks and the host firewall.")
    images: Images = Field(default_factory=Images, description="How images are built.")
    datasets: Datasets = Field(default_factory=Datasets, description="Curated datasets and analysts' scratch space.")
    egress: Egress = Field(default_factory=Egress, description="The egress review queue (safe outputs).")
    idle_culler: IdleCuller = Field(default_factory=IdleCuller, description="Stopping idle project servers.")
    admin: Admin = Field(default_factory=Admin, description="The admin pages and the end-date sweep.")
    projects: list[Project] = Field(
        default_factory=list,
        description="Projects created at start-up (the demo project); full provisioning uses `haven project`.",
    )

    @field_validator("projects")
    @classmethod
    def _unique_project_ids(cls, projects: list[Project]) -> list[Project]:
        seen: set[str] = set()
        for project in projects:
            if project.id in seen:
                raise ValueError(f"project id {project.id!r} appears twice")
            seen.add(project.id)
        return projects

    @model_validator(mode="after")
    def _members_have_accounts(self) -> Settings:
        known = {account.name for account in self.auth.accounts}
        for i, project in enumerate(self.projects):
            for member in project.members:
                if member not in known:
                    raise ValueError(
                        f"projects.{i}.members: {member!r} has no account in auth.accounts"
                    )
        return self

    def data_path(self, path: Path) -> Path:
        """Resolves a path from the settings against ``hub.data_dir``."""
        return path if path.is_absolute() else self.hub.data_dir / path


def _describe(error: dict) -> str:
    key = ".".join(str(part) for part in error["loc"]) or "(top level)"
    message = error["msg"]
    if error["type"] == "extra_forbidden":
        message = "unknown setting"
    return f"{key}: {message}"


def parse_settings(raw: object, source: str = "settings") -> Settings:
    """Validates already-parsed YAML; raises SettingsError naming each bad key."""
    if raw is None:
        raw = {}
    if not isinstance(raw, dict):
        raise SettingsError(f"{source}: the top level must be a mapping of sections")
    try:
        return Settings.model_validate(raw)
    except ValidationError as exc:
        problems = "\n  ".join(_describe(error) for error in exc.errors())
        raise SettingsError(f"{source} is invalid:\n  {problems}") from None


def load_settings(path: str | Path) -> Settings:
    """Reads and validates a settings file. Called on every load, never cached."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise SettingsError(f"cannot read settings file {path}: {exc.strerror}") from None
    try:
        raw = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise SettingsError(f"{path} is not valid YAML: {exc}") from None
    return parse_settings(raw, str(path))


def _markdown_rows(model: type[BaseModel], prefix: str) -> list[str]:
    rows: list[str] = []
    for name, field in model.model_fields.items():
        key = f"{prefix}{name}"
        annotation = field.annotation
        nested = annotation if isinstance(annotation, type) and issubclass(annotation, BaseModel) else None
        item = getattr(annotation, "__args__", (None,))[0]
        if nested is not None:
            rows.append(f"| `{key}` | section | | {field.description or ''} |")
            rows.extend(_markdown_rows(nested, f"{key}."))
            continue
        if isinstance(item, type) and issubclass(item, BaseModel) and type(None) in annotation.__args__:
            # An optional section (``Section | None``): off unless the file sets it.
            rows.append(f"| `{key}` | optional section | unset | {field.description or ''} |")
            rows.extend(_markdown_rows(item, f"{key}."))
            continue
        if isinstance(item, type) and issubclass(item, BaseModel):
            rows.append(f"| `{key}` | list | `[]` | {field.description or ''} |")
            rows.extend(_markdown_rows(item, f"{key}[]."))
            continue
        if field.is_required():
            default = "required"
        else:
            value = field.get_default(call_default_factory=True)
            default = f"`{value.model_dump() if isinstance(value, BaseModel) else value}`"
        type_name = re.sub(r"typing\.|pathlib\.|datetime\.|<class '|'>", "", str(annotation))
        rows.append(f"| `{key}` | {type_name} | {default} | {field.description or ''} |")
    return rows


def settings_reference() -> str:
    """The settings reference page, generated from the schema."""
    lines = [
        "# Settings reference",
        "",
        "Generated from `hub/haven_hub/settings.py` by `python -m haven_hub.settings --docs`;",
        "do not edit by hand. Unknown keys are errors. Paths that are not absolute are under `hub.data_dir`.",
        "",
        "| key | type | default | meaning |",
        "| --- | --- | --- | --- |",
        *_markdown_rows(Settings, ""),
        "",
    ]
    return "\n".join(lines)


if __name__ == "__main__":  # pragma: no cover - thin command-line wrapper
    if sys.argv[1:] == ["--docs"]:
        sys.stdout.write(settings_reference())
    elif len(sys.argv) == 2:
        try:
            load_settings(sys.argv[1])
        except SettingsError as exc:
            sys.exit(str(exc))
        print(f"{sys.argv[1]}: valid")
    else:
        sys.exit("usage: python -m haven_hub.settings (--docs | SETTINGS_FILE)")
