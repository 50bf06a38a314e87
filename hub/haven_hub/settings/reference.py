"""The settings reference page (docs/settings.md), generated from the schema."""

from __future__ import annotations

import json
import types
import typing
from datetime import date
from pathlib import Path

from pydantic import BaseModel, BeforeValidator
from pydantic.fields import FieldInfo

from . import location
from .common import size_in_bytes
from .schema import Settings

_NAMES = {str: "text", int: "integer", float: "number", bool: "boolean", Path: "path", date: "date"}


def _is_size(metadata: list) -> bool:
    return any(isinstance(item, BeforeValidator) and item.func is size_in_bytes for item in metadata)


def _type_name(annotation: object, metadata: list = ()) -> str:
    """A reader's name for a type (``list of text``), never a Python repr."""
    if _is_size(metadata):
        return "size (`512`, `64K`, `16M`, `1.5G`)"
    origin, args = typing.get_origin(annotation), typing.get_args(annotation)
    if origin is typing.Annotated:
        return _type_name(args[0], [*args[1:], *metadata])
    if origin is typing.Literal:
        return "one of " + ", ".join(f"`{value}`" for value in args)
    pattern = next((item.pattern for item in metadata if getattr(item, "pattern", None)), None)
    if annotation is str and pattern:
        return f"text matching `{pattern}`"
    if origin in (typing.Union, types.UnionType):
        named = [_type_name(arg) for arg in args if arg is not type(None)]
        return " or ".join(named) + (" (optional)" if type(None) in args else "")
    if origin is list:
        item = _type_name(args[0])
        return f"list, each {item}" if item.startswith("one of") else f"list of {item}"
    if origin is dict:
        return f"mapping of {_type_name(args[0])} to {_type_name(args[1])}"
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return "section"
    return _NAMES.get(annotation, getattr(annotation, "__name__", str(annotation)))


def _default(field: FieldInfo) -> str:
    if field.is_required():
        return "required"
    value = field.get_default(call_default_factory=True)
    if value is None:
        return "unset"
    if isinstance(value, BaseModel):
        value = value.model_dump(mode="json")
    # As the value would be written in the YAML file (flow style), not as Python shows it.
    return f"`{json.dumps(value) if isinstance(value, (list, dict, bool)) or value == '' else value}`"


def _row(*cells: str) -> str:
    # A `|` inside a cell would end it, even within backticks: GitHub's tables need `\|`.
    return "| " + " | ".join(cell.replace("|", "\\|").replace("\n", " ") for cell in cells) + " |"


def _markdown_rows(model: type[BaseModel], prefix: str) -> list[str]:
    rows: list[str] = []
    for name, field in model.model_fields.items():
        key, meaning = f"`{prefix}{name}`", field.description or ""
        annotation = field.annotation
        args = typing.get_args(annotation)
        item = args[0] if args else None
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            rows.append(_row(key, "section", "", meaning))
            rows.extend(_markdown_rows(annotation, f"{prefix}{name}."))
        elif isinstance(item, type) and issubclass(item, BaseModel) and type(None) in args:
            # An optional section (``Section | None``): off unless the file sets it.
            rows.append(_row(key, "optional section", "unset", meaning))
            rows.extend(_markdown_rows(item, f"{prefix}{name}."))
        elif isinstance(item, type) and issubclass(item, BaseModel):
            rows.append(_row(key, "list of sections", "`[]`", meaning))
            rows.extend(_markdown_rows(item, f"{prefix}{name}[]."))
        else:
            rows.append(_row(key, _type_name(annotation, field.metadata), _default(field), meaning))
    return rows


def settings_reference() -> str:
    """The settings reference page, generated from the schema."""
    lines = [
        "# Settings reference",
        "",
        "Generated from `hub/haven_hub/settings/` by `python -m haven_hub.settings --docs`;",
        "do not edit by hand. Unknown keys are errors. Paths that are not absolute are under `hub.data_dir`.",
        "",
        "## Where the settings file is",
        "",
        "Every command (`haven …`, `scripts/up`, `scripts/down`, `images/build.py`), the hub and its",
        "services read the file found by one function, `haven_hub.settings.locate_settings`, in this order:",
        "",
        "1. `--settings FILE` on the command line (`haven --settings FILE COMMAND …` names it for any command);",
        "2. the environment variable `HAVEN_SETTINGS`;",
        f"3. `{location.DEPLOYED}`, if it exists (where a deployment installs it);",
        f"4. `{location.DEMO.relative_to(location.CHECKOUT)}` of the checkout the code runs from (what `scripts/up` starts), found from",
        "   the code's own location, never from the working directory.",
        "",
        "So after `scripts/up`, every `haven` command works from any directory without flags;",
        "`haven settings` prints the file it found and checks it.",
        "",
        "## Keys",
        "",
        "| key | type | default | meaning |",
        "| --- | --- | --- | --- |",
        *_markdown_rows(Settings, ""),
        "",
    ]
    return "\n".join(lines)
