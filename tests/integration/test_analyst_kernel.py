"""The default "Python 3" kernel in a real project server, reached as the Lab reaches it (the hub's
proxy, the kernel's websocket): the analysis stack imports, models fit on the project's data
through ``haven.sql``, a matplotlib figure arrives as an ``image/png`` output, the installed
packages are exactly the image's lock, and git versions the workspace on the read-only root."""

from __future__ import annotations

import asyncio
import base64
import json
import re
import subprocess
from pathlib import Path

import pytest
import requests
from tornado.httpclient import HTTPRequest
from tornado.websocket import websocket_connect

from tests.fixtures.docker_engine import DOCKER_CLI
from tests.fixtures.kernel_messages import execute

pytestmark = [pytest.mark.docker, pytest.mark.usefixtures("hub_log_on_failure", "dump_logs_on_failure")]

LOCK = Path(__file__).resolve().parents[2] / "images" / "notebook" / "requirements.lock"
# "name==version", then a backslash and its "--hash=" lines (scripts/lock-notebook --generate-hashes).
LOCKED_PIN = r"^([a-z0-9-]+)==([^\s\\]+)(?: \\)?$"
STACK = ["duckdb", "pandas", "polars", "pyarrow", "numpy", "scipy", "statsmodels", "sklearn", "matplotlib",
         "seaborn", "lifelines", "haven"]

# One cell, as an analyst would write it. The checks against DuckDB's own aggregates are computed
# in SQL, independently of the Python libraries under test.
ANALYSIS = """
import importlib, json
versions = {name: getattr(importlib.import_module(name), "__version__", "?") for name in %(stack)r}
import haven
import statsmodels.formula.api as smf
from lifelines import KaplanMeierFitter
stays = haven.sql("select length_of_stay_days as los, cost_gbp as cost from admissions").df()
ols = smf.ols("cost ~ los", data=stays).fit()
sql_slope, n, over_3 = haven.sql(
    "select regr_slope(cost_gbp, length_of_stay_days), count(*), avg((length_of_stay_days > 3)::int) "
    "from admissions").fetchall()[0]
kmf = KaplanMeierFitter().fit(stays["los"], event_observed=[1] * len(stays))
print("\\nRESULT " + json.dumps({"versions": versions, "rows": len(stays), "n": n, "slope": float(ols.params["los"]),
                             "sql_slope": sql_slope, "km_at_3": float(kmf.survival_function_at_times(3).iloc[0]),
                             "sql_over_3": over_3}))
"""

FIGURE = """
import matplotlib.pyplot as plt
import seaborn as sns
import haven
counts = haven.sql("select age_band, count(*) as n from patients group by all order by 1").df()
sns.barplot(data=counts, x="age_band", y="n")
plt.title("Patients by age band")
plt.show()
"""


@pytest.fixture(scope="module")
def ada_alpha(haven_hub, docker_client):
    haven_hub.spawn("ada", "alpha")
    container = docker_client.containers.get(haven_hub.container_name("ada", "alpha"))
    env = dict(line.split("=", 1) for line in container.attrs["Config"]["Env"])
    yield {"container": container.name, "base": f"{haven_hub.url}/user/ada/alpha/",
           "headers": {"Authorization": f"token {env['JUPYTERHUB_API_TOKEN']}"}}
    haven_hub.stop("ada", "alpha")


async def run_cells(url: str, headers: dict[str, str], cells: list[str]) -> list[list[dict]]:
    """Each cell's messages (stream, display_data, error, ...) as the Lab's websocket delivers them."""
    socket = await websocket_connect(HTTPRequest(url, headers=headers), max_message_size=64 * 1024**2)
    results = []
    try:
        for code in cells:
            message_id = await execute(socket, code)
            messages = []
            while True:
                raw = await asyncio.wait_for(socket.read_message(), timeout=300)
                assert raw is not None, f"the kernel socket closed: {socket.close_code} {socket.close_reason}"
                message = json.loads(raw)
                if message.get("parent_header", {}).get("msg_id") != message_id:
                    continue
                if message["msg_type"] == "status" and message["content"]["execution_state"] == "idle":
                    break
                messages.append(message)
            results.append(messages)
    finally:
        socket.close()
    return results


def text_of(messages: list[dict]) -> str:
    parts = []
    for message in messages:
        if message["msg_type"] == "stream":
            parts.append(message["content"]["text"])
        elif message["msg_type"] == "error":
            parts.append("\n".join(message["content"]["traceback"]))
    return "".join(parts)


def in_container(container: str, script: str) -> subprocess.CompletedProcess:
    return subprocess.run([DOCKER_CLI, "exec", container, "bash", "-c", script], capture_output=True, text=True,
                          timeout=120)


def test_the_default_kernel_fits_models_on_haven_data_and_draws_inline(ada_alpha):
    kernel = requests.post(f"{ada_alpha['base']}api/kernels", headers=ada_alpha["headers"], json={"name": "python3"},
                           timeout=60)
    assert kernel.status_code == 201, kernel.text
    url = ada_alpha["base"].replace("http", "ws", 1) + f"api/kernels/{kernel.json()['id']}/channels"
    analysis, figure = asyncio.run(run_cells(url, ada_alpha["headers"], [ANALYSIS % {"stack": STACK}, FIGURE]))

    output = text_of(analysis)
    assert not [m for m in analysis if m["msg_type"] == "error"], output
    result = json.loads(output.split("\nRESULT ", 1)[1].splitlines()[0])
    locked = dict(re.findall(LOCKED_PIN, LOCK.read_text(), re.MULTILINE))
    for module, version in result["versions"].items():
        distribution = {"sklearn": "scikit-learn", "haven": None}.get(module, module)
        if distribution:
            assert version == locked[distribution], (module, version)
    assert result["rows"] == result["n"] > 1000
    assert result["slope"] == pytest.approx(result["sql_slope"], rel=1e-9)
    assert result["km_at_3"] == pytest.approx(result["sql_over_3"], abs=1e-12)

    pictures = [m["content"]["data"]["image/png"] for m in figure
                if m["msg_type"] == "display_data" and "image/png" in m["content"]["data"]]
    assert len(pictures) == 1, [m["msg_type"] for m in figure] + [text_of(figure)]
    png = base64.b64decode(pictures[0])
    assert png.startswith(b"\x89PNG\r\n\x1a\n") and len(png) > 5_000
    # On a read-only root matplotlib would fall back to a temporary cache directory, and say so.
    errors = "".join(m["content"]["text"] for m in figure + analysis
                     if m["msg_type"] == "stream" and m["content"]["name"] == "stderr")
    assert "cache directory" not in errors and "not a writable directory" not in errors, errors
    cache = in_container(ada_alpha["container"], "ls /home/analyst/.cache/matplotlib")
    assert re.search(r"fontlist-v[\d.]+\.json", cache.stdout), cache.stdout + cache.stderr


def test_the_kernel_has_exactly_the_locked_packages(ada_alpha):
    frozen = in_container(ada_alpha["container"], "pip freeze --all --exclude pip --exclude setuptools")
    assert frozen.returncode == 0, frozen.stderr
    installed = {}
    for line in frozen.stdout.splitlines():
        name, _, version = line.partition(" @ ")[0].partition("==")
        installed[re.sub(r"[-_.]+", "-", name).lower()] = version
    # Haven's own two packages are installed from the build context, not from PyPI.
    assert {"haven-py", "haven-lab"} <= set(installed)
    installed = {name: version for name, version in installed.items() if name not in ("haven-py", "haven-lab")}
    locked = dict(re.findall(LOCKED_PIN, LOCK.read_text(), re.MULTILINE))
    assert installed == locked


def test_git_versions_the_workspace_and_has_no_remote_to_reach(ada_alpha):
    done = in_container(ada_alpha["container"], """
set -e
cd /home/analyst/workspace && mkdir -p analysis && cd analysis
git init -q -b main
git config user.name Ada && git config user.email ada@example.invalid
echo 'select count(*) from patients' > count.sql
git add count.sql && git commit -q -m 'First query'
git log --format=%s
git status --porcelain
""")
    assert done.returncode == 0, done.stderr
    assert done.stdout.split("\n")[0] == "First query" and done.stdout.strip() == "First query"
    # The control for "installed": git itself lives on the read-only root, where nothing can be added.
    written = in_container(ada_alpha["container"], "touch \"$(dirname \"$(command -v git)\")/git-x\"")
    assert written.returncode != 0 and "Read-only file system" in written.stderr
