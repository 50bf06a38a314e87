"""The "Python 3 (ACRO)" kernel in a real project server: ACRO (pandas 2) checks a table made
with ``import haven`` and writes its output folder into the workspace, on the read-only root,
as the analyst, without network; the default kernel keeps pandas 3 and never sees ACRO."""

from __future__ import annotations

import json
import subprocess

import pytest

from tests.fixtures.docker_engine import DOCKER_CLI, run_python

pytestmark = [pytest.mark.docker, pytest.mark.usefixtures("hub_log_on_failure", "dump_logs_on_failure")]

ACRO_KERNEL = "python3-acro"
SYSTEM_KERNELS = "/usr/local/share/jupyter/kernels"

# Run inside the ACRO kernel, from the Lab's root (/home/analyst), as a notebook there would.
ACRO_SESSION = """
import json, acro, haven, pandas
a = acro.ACRO(suppress=False)
df = haven.sql("select sex, age_band from patients").df()
table = a.crosstab(df.sex, df.age_band)
a.finalise("workspace/acro_out", "json")
print("RESULT " + json.dumps({"pandas": pandas.__version__, "table": table.to_dict()}))
"""

# Drives the kernel the way JupyterLab does (a kernel manager in the server's own python),
# so the kernelspec, ipykernel in /opt/acro and the read-only root are all exercised.
KERNEL_DRIVER = """
import json
from jupyter_client.manager import start_new_kernel
manager, client = start_new_kernel(kernel_name={kernel!r}, startup_timeout=120, cwd="/home/analyst")
output = []
def collect(message):
    if message["msg_type"] == "stream":
        output.append(message["content"]["text"])
    elif message["msg_type"] == "error":
        output.append("\\n".join(message["content"]["traceback"]))
try:
    reply = client.execute_interactive({code!r}, timeout=240, output_hook=collect)
finally:
    client.stop_channels()
    manager.shutdown_kernel(now=True)
print(json.dumps({{"status": reply["content"]["status"], "output": "".join(output)}}))
"""


@pytest.fixture(scope="module")
def ada_alpha(haven_hub):
    haven_hub.spawn("ada", "alpha")
    yield haven_hub.container_name("ada", "alpha")
    haven_hub.stop("ada", "alpha")


def in_container(container: str, code: str) -> dict:
    return json.loads(run_python(container, code).strip().splitlines()[-1])


def run_in(container: str, *command: str) -> subprocess.CompletedProcess:
    return subprocess.run([DOCKER_CLI, "exec", container, *command], capture_output=True, text=True, timeout=120)


def kernelspecs(container: str) -> dict:
    listed = run_in(container, "jupyter", "kernelspec", "list", "--json")
    assert listed.returncode == 0, listed.stderr
    return json.loads(listed.stdout)["kernelspecs"]


def test_the_acro_kernel_is_listed_system_wide_beside_the_default(ada_alpha):
    specs = kernelspecs(ada_alpha)
    assert set(specs) == {"python3", ACRO_KERNEL}
    acro_spec = specs[ACRO_KERNEL]
    assert acro_spec["resource_dir"] == f"{SYSTEM_KERNELS}/{ACRO_KERNEL}"
    assert acro_spec["spec"]["display_name"] == "Python 3 (ACRO)"
    assert acro_spec["spec"]["argv"][0] == "/opt/acro/bin/python"
    # The default kernel is still the server's own python.
    assert specs["python3"]["spec"]["display_name"] == "Python 3 (ipykernel)"
    assert specs["python3"]["spec"]["argv"][0] == "python"
    written = run_in(ada_alpha, "sh", "-c", f"echo x > {SYSTEM_KERNELS}/{ACRO_KERNEL}/kernel.json")
    assert written.returncode != 0 and "Read-only file system" in written.stderr


def test_the_two_pythons_do_not_mix(ada_alpha):
    code = """
import json, pandas
try:
    import acro
    acro_found = True
except ModuleNotFoundError:
    acro_found = False
print(json.dumps({"pandas": pandas.__version__, "acro": acro_found}))
"""
    default = in_container(ada_alpha, code)
    assert default["pandas"].startswith("3.") and default["acro"] is False
    acro_python = run_in(ada_alpha, "/opt/acro/bin/python", "-c", "import acro, pandas; print(pandas.__version__)")
    assert acro_python.returncode == 0, acro_python.stderr
    assert acro_python.stdout.split()[-1] == "2.3.3"


def test_acro_checks_a_haven_query_in_its_kernel_and_writes_to_the_workspace(ada_alpha):
    session = in_container(ada_alpha, KERNEL_DRIVER.format(kernel=ACRO_KERNEL, code=ACRO_SESSION))
    assert session["status"] == "ok", session["output"]
    result = json.loads(session["output"].split("RESULT ", 1)[1].splitlines()[0])
    assert result["pandas"] == "2.3.3"

    # The same counts from the default kernel's haven (pandas 3): ACRO tabulated Haven's data.
    expected = in_container(ada_alpha, """
import haven, json
rows = haven.sql("select sex, age_band, count(*) from patients group by all").fetchall()
print(json.dumps([[s, a, n] for s, a, n in rows]))
""")
    tabulated = {(sex, band): n for band, by_sex in result["table"].items() for sex, n in by_sex.items()}
    assert {(s, a): n for s, a, n in expected} == {key: n for key, n in tabulated.items() if n}

    folder = "/home/analyst/workspace/acro_out"
    listing = run_in(ada_alpha, "sh", "-c", f"cd {folder} && ls . checksums")
    assert listing.returncode == 0, listing.stderr
    assert {"results.json", "output_0_0.csv", "results.json.txt"} <= set(listing.stdout.split())
    results = json.loads(run_in(ada_alpha, "cat", f"{folder}/results.json").stdout)
    crosstab = results["results"]["output_0"]
    assert crosstab["properties"]["method"] == "crosstab"
    checks = crosstab["files"][0]["sdc"]
    # Sex "I" has a handful of patients: cells under ACRO's threshold of 10 must be flagged.
    small = sorted((s, a) for s, a, n in expected if n < 10)
    assert small, "the test data should have small cells"
    assert crosstab["status"] == "fail"
    assert checks["summary"]["MinimumThresholdCheck"] >= len(small)
    assert len(checks["cells"]["MinimumThresholdCheck"]) == checks["summary"]["MinimumThresholdCheck"]
