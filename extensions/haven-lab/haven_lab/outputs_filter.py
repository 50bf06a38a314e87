"""Rich outputs without the markup that leaves the page by navigating, which CSP cannot stop.

The Content-Security-Policy holds every fetch, image, frame, form and socket to this
origin, but not the page's own navigation: ``<meta http-equiv="refresh" content="0;url=
https://elsewhere/?data">`` in an HTML or Markdown output takes the browser, and whatever
the URL carries, to another site (JupyterLab renders trusted outputs unsanitised). DNS
prefetch and preconnect ``<link>``s are outside CSP too. So ``<meta>`` and ``<link>`` in
rich outputs are renamed to inert elements on the two ways outputs reach the browser: the
kernel's messages (the websocket) and saved notebooks (the contents API).
"""

from __future__ import annotations

import re
from typing import Any

from jupyter_client.session import DELIM
from jupyter_server.services.kernels.connection.channels import ZMQChannelsWebsocketConnection

INERT_TAGS = re.compile(r"<(\s*/?\s*)(meta|link)\b", re.IGNORECASE)
RICH_TYPES = ("text/html", "text/markdown", "image/svg+xml")
OUTPUT_MESSAGES = frozenset({"display_data", "execute_result", "update_display_data"})


def inert(markup: str) -> str:
    return INERT_TAGS.sub(lambda m: f"<{m.group(1)}haven-removed-{m.group(2).lower()}", markup)


def neutralise_data(data: Any) -> bool:
    """Makes ``<meta>``/``<link>`` inert in an output's mime bundle in place; True if changed."""
    changed = False
    if not isinstance(data, dict):
        return False
    for media_type in RICH_TYPES:
        value = data.get(media_type)
        if isinstance(value, str):
            cleaned = inert(value)
        elif isinstance(value, list) and all(isinstance(v, str) for v in value):
            cleaned = [inert(v) for v in value]
        else:
            continue
        if cleaned != value:
            data[media_type] = cleaned
            changed = True
    return changed


def neutralise_notebook(notebook: Any) -> None:
    for cell in notebook.get("cells", []) if isinstance(notebook, dict) else []:
        for output in cell.get("outputs", []) or []:
            if isinstance(output, dict):
                neutralise_data(output.get("data"))


class HavenKernelConnection(ZMQChannelsWebsocketConnection):
    """The stock kernel websocket, with rich outputs on iopub made inert as above."""

    def handle_outgoing_message(self, stream: Any, outgoing_msg: list[Any]) -> None:
        channel = stream if isinstance(stream, str) else getattr(stream, "channel", None)
        if channel == "iopub":
            outgoing_msg = self._neutralised(outgoing_msg)
        super().handle_outgoing_message(stream, outgoing_msg)

    def _neutralised(self, parts: list[Any]) -> list[Any]:
        raw = [part if isinstance(part, bytes) else part.bytes for part in parts]
        if DELIM not in raw:
            return parts
        start = raw.index(DELIM) + 1
        # [signature, header, parent header, metadata, content, *buffers]
        header = self.session.unpack(raw[start + 1])
        if header.get("msg_type") not in OUTPUT_MESSAGES:
            return parts
        content = self.session.unpack(raw[start + 4])
        if not neutralise_data(content.get("data")):
            return parts
        raw[start + 4] = self.session.pack(content)
        raw[start] = self.session.sign(raw[start + 1:start + 5])
        return raw
