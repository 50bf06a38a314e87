"""A spawned project server as an analyst's script reaches it: HTTP through the hub's proxy
with the analyst's token, code run in one of its kernels, a terminal."""

from __future__ import annotations

import asyncio
import json
import uuid

import requests
from tornado.httpclient import HTTPRequest
from tornado.websocket import websocket_connect


class ProjectServer:
    def __init__(self, base: str, token: str) -> None:
        self.base = base if base.endswith("/") else base + "/"
        self.headers = {"Authorization": f"token {token}"}

    def request(self, method: str, path: str, headers: dict | None = None, **kwargs) -> requests.Response:
        return requests.request(method, self.base + path, headers={**self.headers, **(headers or {})},
                                timeout=60, allow_redirects=False, **kwargs)

    def websocket(self, path: str):
        url = self.base.replace("http://", "ws://", 1) + path
        return websocket_connect(HTTPRequest(url, headers=self.headers, connect_timeout=30))

    def run_in_kernel(self, code: str, timeout: float = 60) -> str:
        """Runs code in a new kernel of the server; returns what it printed."""
        kernel = self.request("POST", "api/kernels", json={"name": "python3"})
        assert kernel.status_code == 201, kernel.text
        try:
            return asyncio.run(self._execute(kernel.json()["id"], code, timeout))
        finally:
            self.request("DELETE", f"api/kernels/{kernel.json()['id']}")

    async def _execute(self, kernel_id: str, code: str, timeout: float) -> str:
        connection = await self.websocket(f"api/kernels/{kernel_id}/channels")
        msg_id = uuid.uuid4().hex
        connection.write_message(json.dumps({
            "header": {"msg_id": msg_id, "msg_type": "execute_request", "username": "", "session": uuid.uuid4().hex,
                       "version": "5.3"},
            "parent_header": {}, "metadata": {}, "channel": "shell",
            "content": {"code": code, "silent": False, "store_history": False, "allow_stdin": False},
        }))
        printed = []
        async with asyncio.timeout(timeout):
            while True:
                message = json.loads(await connection.read_message())
                if message.get("parent_header", {}).get("msg_id") != msg_id:
                    continue
                kind = message["msg_type"]
                if kind == "stream":
                    printed.append(message["content"]["text"])
                elif kind == "error":
                    raise AssertionError("\n".join(message["content"]["traceback"]))
                elif kind == "status" and message["content"]["execution_state"] == "idle":
                    connection.close()
                    return "".join(printed)

    def terminal_says(self, name: str, command: str, expected: str, timeout: float = 30) -> str:
        async def talk() -> str:
            connection = await self.websocket(f"terminals/websocket/{name}")
            connection.write_message(json.dumps(["stdin", command + "\r"]))
            seen = ""
            async with asyncio.timeout(timeout):
                while expected not in seen:
                    message = await connection.read_message()
                    if message is None:
                        break
                    kind, *content = json.loads(message)
                    if kind == "stdout":
                        seen += content[0]
            connection.close()
            return seen

        return asyncio.run(talk())
