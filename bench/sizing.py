"""The sizing table of docs/scaling.md, from a run of bench/capacity.py.

Written between two markers, so the page's prose stays the page's and only the measured part
is replaced by each run. The arithmetic, from the measured figures and three stated choices:

- *idle servers*: host memory, less a reserve for the system and the measured hub and services,
  divided by one server's measured memory at rest (a kernel that imported ``haven`` and ran a
  query): an upper bound, reached only if nobody computes;
- *at full limit*: the same memory divided by the project memory limit (2 GiB by default), no
  overcommit: what Haven's derived ``active_server_limit`` allows;
- *analysts, 1 in 4 busy*: if a quarter of the servers use their whole memory limit and one core
  at any moment and the rest sit at rest, the smaller of what the memory and the cores carry;
- *start all*: the time to start that many servers after a restart, at the burst's measured
  rate scaled to the host's cores (starts are mostly CPU work in the engine and the hub).
"""

from __future__ import annotations

from pathlib import Path

BEGIN = "<!-- capacity:begin (written by bench/capacity.py; edit the script, not this) -->"
END = "<!-- capacity:end -->"
HOSTS = ((16, 4), (32, 8), (64, 16), (128, 32), (256, 64))  # (GiB, cores)
RESERVE_GIB = 2.0  # the operating system, the Docker engine and page cache for the datasets' files
SERVER_LIMIT_GIB = 2.0  # Limits.memory's default
SERVER_CPUS = 1.0  # Limits.cpu's default
BUSY_SHARE = 0.25


def rows(result: dict) -> list[tuple]:
    held, burst = result["held"], result["burst"]
    rest_gib = held["memory_mib_median"] / 1024
    services_gib = held["services_mib"] / 1024
    starts_per_core_s = burst["size"] / burst["wall_s"] / result["host"]["cpus"]
    table = []
    for memory, cores in HOSTS:
        free = memory - RESERVE_GIB - services_gib
        idle = int(free // rest_gib)
        at_limit = int(free // SERVER_LIMIT_GIB)
        mixed = rest_gib + BUSY_SHARE * (SERVER_LIMIT_GIB - rest_gib)
        analysts = min(int(free // mixed), int(cores / (BUSY_SHARE * SERVER_CPUS)))
        start_all = analysts / (starts_per_core_s * cores)
        table.append((memory, cores, idle, at_limit, analysts, start_all))
    return table


def markdown(result: dict) -> str:
    held, burst, api, audit, host = (result[k] for k in ("held", "burst", "api", "audit", "host"))
    sizes = result["sizes"]
    small = sizes != {"burst": 20, "running": 50, "stopped": 200, "events": 1_000_000}
    lines = [
        BEGIN,
        "",
        f"Measured on {result['date']} on a {host['cpus']}-core, {host['memory_gib']} GiB machine"
        + (f" (load average {host['load_before_1min']} when it began, {host['load_1min']} at the end)"
           if "load_before_1min" in host else
           f" (load average {host['load_1min']} at the end of the run)" if "load_1min" in host else "")
        + (": **other work shared the machine** (a load above its cores), so the burst and hub API "
           "figures are upper bounds" if host.get("load_before_1min", 0) > host["cpus"] else "")
        + (" **at a small size** (burst {burst}, running {running}, stopped {stopped}, {events:,} audit events), "
           "on a machine shared with other work: indicative only; the full size is "
           "`python bench/capacity.py` on a quiet host".format(**sizes) if small else ", full size")
        + ".",
        "",
        "| figure | measured | against |",
        "| --- | --- | --- |",
        f"| one spawn to `/api/me` 200 | {result['single_s']:.1f} s | |",
        f"| burst of {burst['size']} at once, p50 | {burst['p50_s']:.1f} s | {burst['p50_ratio']:.2f}x one spawn |",
        f"| burst of {burst['size']} at once, p95 | {burst['p95_s']:.1f} s | {burst['p95_ratio']:.2f}x one spawn |",
        f"| servers held at once, kernel with `haven` | {held['answering']} of {held['running']} answering | |",
        f"| memory per server at rest | {held['memory_mib_median']:.0f} MiB (max {held['memory_mib_max']:.0f}) "
        f"| limit {SERVER_LIMIT_GIB:.0f} GiB |",
        f"| CPU per server at rest | {held['cpu_percent_median']:.2f}% of a core | |",
        f"| hub, proxy, egress and admin services | {held['services_mib']:.0f} MiB | |",
        f"| hub API p95, a user's own model ({api['running']} running, {api['stopped']} stopped) "
        f"| {api['loaded']['user_model_p95_ms']:.0f} ms | {api['user_model_ratio']:.2f}x an empty hub |",
        f"| hub API p95, the admin's user list (same) | {api['loaded']['user_list_p95_ms']:.0f} ms "
        f"| {api['user_list_ratio']:.2f}x an empty hub |",
        f"| `haven audit verify`, {audit['events']:,} events | {audit['verify_s']:.1f} s "
        f"({audit['per_million_s']:.0f} s per million) | {audit['verify_ratio']:.1f}x reading the rows |",
        "",
        f"Analysts per host from these figures (reserve {RESERVE_GIB:.0f} GiB for the system; project "
        f"limits {SERVER_CPUS:.0f} CPU and {SERVER_LIMIT_GIB:.0f} GiB; 1 in {round(1 / BUSY_SHARE)} busy "
        "at its limit at any moment):",
        "",
        "| host RAM | cores | idle servers (upper bound) | servers at full limit (no overcommit) "
        "| analysts, 1 in 4 busy | start them all |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for memory, cores, idle, at_limit, analysts, start_all in rows(result):
        lines.append(f"| {memory} GiB | {cores} | {idle} | {at_limit} | {analysts} | {start_all / 60:.1f} min |")
    lines += ["", END]
    return "\n".join(lines)


def write_table(path: Path, result: dict) -> None:
    """Replaces what lies between the markers in ``path``; a file without them gets the table alone."""
    section = markdown(result)
    text = path.read_text() if path.exists() else ""
    if BEGIN in text and END in text:
        before, rest = text.split(BEGIN, 1)
        text = before + section + rest.split(END, 1)[1]
    else:
        text = section + "\n"
    path.write_text(text)
