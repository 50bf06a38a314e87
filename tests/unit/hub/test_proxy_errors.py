"""Which proxy errors get Haven's service-down page, and how the proxy is started for it
(haven_hub.proxy_errors); the page itself is tested against a real hub in
tests/integration/test_service_down.py."""

from __future__ import annotations

import shutil
import subprocess

import pytest

from haven_hub import proxy_errors
from haven_hub.proxy_errors import launch


@pytest.mark.parametrize(("url", "prefix", "service"), [
    ("/services/egress/", "/", "egress"),
    ("/services/egress", "/", "egress"),
    ("/services/egress/mine?page=2", "/", "egress"),
    ("/services/admin/projects", "/", "admin"),
    ("/haven/services/egress/queue", "/haven/", "egress"),
    # Anything else keeps JupyterHub's page: an allowlist, by whole path segment.
    ("/services/egressive/", "/", None),
    ("/services/idle-culler/", "/", None),
    ("/user/ada/alpha/lab", "/", None),
    ("/services/egress/", "/haven/", None),
    ("/other/?url=/services/egress/", "/", None),
    ("", "/", None),
])
def test_only_havens_own_services_get_the_page(url, prefix, service):
    assert proxy_errors.service_asked_for(url, prefix) == service


def test_the_error_target_is_rewritten_to_havens_handler():
    args = ["--ip", "127.0.0.1", "--error-target", "http://127.0.0.1:8081/hub/error", "--log-level", "info"]
    assert launch.rewritten(args) == ["--ip", "127.0.0.1", "--error-target",
                                      "http://127.0.0.1:8081/hub/haven-proxy-error", "--log-level", "info"]
    assert launch.rewritten(["--error-target=http://h/hub/error/"]) == ["--error-target=http://h/hub/haven-proxy-error"]
    # A target an operator chose themselves is left alone.
    assert launch.rewritten(["--error-target", "http://pages.example/errors"]) == [
        "--error-target", "http://pages.example/errors"]


def test_the_retry_after_preload_is_added_to_node_options():
    assert launch.node_options(None) == f"--require={launch.RETRY_AFTER_JS}"
    assert launch.node_options("--max-old-space-size=256") == (
        f"--max-old-space-size=256 --require={launch.RETRY_AFTER_JS}")


@pytest.mark.skipif(shutil.which("node") is None, reason="needs node, as the proxy does")
def test_the_preload_adds_retry_after_only_to_a_503_without_one():
    script = """
const http = require("http");
const server = http.createServer((req, res) => {
  if (req.url === "/own") res.setHeader("Retry-After", "5");
  res.writeHead(req.url === "/ok" ? 200 : 503); res.end();
}).listen(0, "127.0.0.1", async () => {
  const port = server.address().port, seen = {};
  for (const path of ["/down", "/own", "/ok"]) {
    const answer = await fetch(`http://127.0.0.1:${port}${path}`);
    seen[path] = answer.headers.get("retry-after");
  }
  console.log(JSON.stringify(seen)); server.close();
});
"""
    out = subprocess.run(["node", f"--require={launch.RETRY_AFTER_JS}", "-e", script],
                         capture_output=True, text=True, timeout=30, check=True).stdout
    assert out.strip() == '{"/down":"60","/own":"5","/ok":null}'
