"""The settings reference page (docs/settings.md), generated from the schema."""

from __future__ import annotations

import re

from pydantic import BaseModel

from .schema import Settings


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
        "Generated from `hub/haven_hub/settings/` by `python -m haven_hub.settings --docs`;",
        "do not edit by hand. Unknown keys are errors. Paths that are not absolute are under `hub.data_dir`.",
        "",
        "| key | type | default | meaning |",
        "| --- | --- | --- | --- |",
        *_markdown_rows(Settings, ""),
        "",
    ]
    return "\n".join(lines)

