"""Runs inside a project server's container (stdlib only) and reports what it can see and do.

The one probe of Haven's boundaries: ``haven selfcheck`` runs it in a throwaway server of a
running Haven, and the security tests run it in the containers they start. It only reports;
``haven_hub.selfcheck.checks`` judges. Invoked as ``python3 - PARAMS_JSON`` with this file on
stdin, or ``python3 -c SOURCE PARAMS_JSON``. Prints one JSON object.

PARAMS may hold ``tcp`` ([[host, port], ...]), ``dns`` ([[resolver, port, name], ...]: a raw
query sent to that address), ``resolve`` ([name, ...]: looked up through the container's own
resolver, as any program would), ``http`` ([url, ...]), ``writes`` ([path, ...]),
``hub_calls`` ([[method, path], ...]: the hub API with the server's own token),
``server_routes`` ([path, ...]: this server's routes, relative to its base URL, with that
token) and ``duckdb`` (true: escapes tried through the analyst library's connection). Every
network probe has a short timeout.

Limits and privileges are also exercised, not only read, when PARAMS ask:
``fork`` (N: fork sleeping children until fork is refused or N are made, then kill them),
``allocate`` (BYTES: a child process touches that much memory; how it ended), and
``privileged`` (true: attempt mount, chown, setuid, mknod, a raw socket, setting the
clock and the hostname, each in a child process; the errno of each). Each is bounded in
count and time, so a missing limit shows up as a number, not a hung host.
"""

import ctypes
import errno
import json
import os
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request

TIMEOUT = 3.0


def status_fields():
    fields = {}
    with open("/proc/self/status") as handle:
        for line in handle:
            key, _, value = line.partition(":")
            if key in ("CapInh", "CapPrm", "CapEff", "CapBnd", "CapAmb", "NoNewPrivs"):
                fields[key] = value.strip()
    return fields


def root_mount_options():
    with open("/proc/self/mounts") as handle:
        for line in handle:
            device, mountpoint, fstype, options, *_ = line.split()
            if mountpoint == "/":
                return options.split(",")
    return []


def mount_of(path):
    found = None
    with open("/proc/self/mounts") as handle:
        for line in handle:
            device, mountpoint, fstype, options, *_ = line.split()
            if mountpoint == path:
                found = {"fstype": fstype, "options": options.split(",")}
    return found


def try_write(path):
    try:
        with open(path, "w") as handle:
            handle.write("probe")
        os.unlink(path)
        return "written"
    except OSError as exc:
        return f"{type(exc).__name__}: {exc.strerror}"


def read_first(*paths):
    for path in paths:
        try:
            with open(path) as handle:
                return handle.read().strip()
        except OSError:
            continue
    return None


# Paths under /sys/fs/cgroup, v2 then v1: a copy of cgroups.FILES (this script runs alone
# in the container; a unit test keeps the two equal); the raw text goes back and
# cgroups.py parses it.
CGROUP_FILES = (
    "cpu.max", "memory.max", "pids.max",
    "cpu/cpu.cfs_quota_us", "cpu/cpu.cfs_period_us", "memory/memory.limit_in_bytes", "pids/pids.max",
)


def cgroup_files():
    return {path: read_first(os.path.join("/sys/fs/cgroup", path)) for path in CGROUP_FILES}


def fork_until_refused(cap, seconds=20.0):
    """Forks children that block on a pipe until fork fails or ``cap`` are alive."""
    read_end, write_end = os.pipe()
    children, refused = [], None
    started = time.monotonic()
    while len(children) < cap and time.monotonic() - started < seconds:
        try:
            pid = os.fork()
        except OSError as exc:
            refused = errno.errorcode.get(exc.errno, str(exc.errno))
            break
        if pid == 0:
            os.close(write_end)
            try:
                os.read(read_end, 1)
            finally:
                os._exit(0)
        children.append(pid)
    os.close(write_end)
    os.close(read_end)
    for pid in children:
        try:
            os.kill(pid, signal.SIGKILL)
        except OSError:
            pass
    for pid in children:
        os.waitpid(pid, 0)
    return {"forked": len(children), "refused": refused, "seconds": round(time.monotonic() - started, 2)}


ALLOCATE = """
import sys
step, target, chunks = 16 * 2**20, int(sys.argv[1]), []
while len(chunks) * step < target:
    chunks.append(bytearray(b"\\x01") * step)  # written, so resident
print("allocated", flush=True)
"""


def allocate(nbytes, seconds=60):
    """A child touches ``nbytes`` of memory; returns how it ended."""
    started = time.monotonic()
    try:
        done = subprocess.run([sys.executable, "-c", ALLOCATE, str(nbytes)], capture_output=True, timeout=seconds)
    except subprocess.TimeoutExpired:
        return {"returncode": None, "allocated": False, "memory_error": False, "seconds": seconds}
    return {
        "returncode": done.returncode,  # -9: killed by SIGKILL (the OOM killer)
        "allocated": b"allocated" in done.stdout,
        "memory_error": b"MemoryError" in done.stderr,
        "seconds": round(time.monotonic() - started, 2),
    }


def _in_child(action):
    """Runs ``action`` in a forked child (so a success changes nothing here): "ok" or the errno name."""
    pid = os.fork()
    if pid == 0:
        code = 0
        try:
            action()
        except OSError as exc:
            code = exc.errno or 255
        except BaseException:  # noqa: BLE001 - anything else is reported as 254
            code = 254
        os._exit(code)
    _, status = os.waitpid(pid, 0)
    code = os.waitstatus_to_exitcode(status)
    return "ok" if code == 0 else errno.errorcode.get(code, str(code))


def _libc_call(name, *args):
    libc = ctypes.CDLL(None, use_errno=True)
    if getattr(libc, name)(*args) != 0:
        raise OSError(ctypes.get_errno(), name)


def privileged_attempts():
    other = 0 if os.getuid() != 0 else 1  # another user: root if we are not, else uid 1
    try:
        scratch = tempfile.mkdtemp(prefix="haven-probe-")
    except OSError:  # no writable /tmp (a container without Haven's tmpfs): Docker's /dev/shm
        scratch = tempfile.mkdtemp(prefix="haven-probe-", dir="/dev/shm")
    owned = os.path.join(scratch, "owned")
    open(owned, "w").close()
    target = "/mnt" if os.path.isdir("/mnt") else scratch
    now = time.clock_gettime(time.CLOCK_REALTIME)
    try:
        return {
            "mount": _in_child(lambda: _libc_call("mount", b"none", target.encode(), b"tmpfs", 0, None)),
            "chown": _in_child(lambda: os.chown(owned, other, other)),
            "setuid": _in_child(lambda: os.setuid(other)),
            "mknod": _in_child(lambda: os.mknod(os.path.join(scratch, "null"), 0o600 | 0o020000, os.makedev(1, 3))),
            "raw_socket": _in_child(lambda: socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP).close()),
            "set_clock": _in_child(lambda: time.clock_settime(time.CLOCK_REALTIME, now)),
            "set_hostname": _in_child(lambda: socket.sethostname("haven-probe")),
        }
    finally:
        for name in os.listdir(scratch):
            os.unlink(os.path.join(scratch, name))
        os.rmdir(scratch)


def tcp_connect(host, port):
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.settimeout(TIMEOUT)
    try:
        sock.connect((host, port))
        sock.settimeout(TIMEOUT)
        try:
            data = sock.recv(64)
        except OSError:
            data = b""
        return {"connected": True, "banner": data.decode(errors="replace")}
    except OSError as exc:
        return {"connected": False, "error": f"{type(exc).__name__}: {exc}"}
    finally:
        sock.close()


def dns_query(resolver, port, name):
    query_id = 0x4856
    header = struct.pack(">HHHHHH", query_id, 0x0100, 1, 0, 0, 0)
    question = b"".join(bytes([len(part)]) + part.encode() for part in name.split(".")) + b"\0"
    packet = header + question + struct.pack(">HH", 1, 1)
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.settimeout(TIMEOUT)
    try:
        sock.sendto(packet, (resolver, port))
        data, _ = sock.recvfrom(512)
        answers = struct.unpack(">H", data[6:8])[0]
        return {"answered": True, "answers": answers}
    except OSError as exc:
        return {"answered": False, "error": f"{type(exc).__name__}: {exc}"}
    finally:
        sock.close()


def http_get(url):
    """The HTTP status ``url`` (or a ``urllib.request.Request``) answers with, or why none came."""
    try:
        with urllib.request.urlopen(url, timeout=TIMEOUT) as response:
            return {"status": response.status}
    except urllib.error.HTTPError as exc:
        return {"status": exc.code}
    except Exception as exc:  # noqa: BLE001 - any failure to get an answer is the result
        return {"status": None, "error": f"{type(exc).__name__}: {exc}"}


# A lookup through the container's own resolver (Docker's embedded DNS at 127.0.0.11), in a
# child with a short resolver timeout so a resolver that never answers costs seconds.
RESOLVE = """
import socket, sys
try:
    print(socket.getaddrinfo(sys.argv[1], 80, socket.AF_INET)[0][4][0])
except OSError as exc:
    print("error: %s" % exc)
"""


def resolve(name):
    env = {**os.environ, "RES_OPTIONS": "timeout:2 attempts:1"}
    started = time.monotonic()
    try:
        done = subprocess.run([sys.executable, "-c", RESOLVE, name], capture_output=True, timeout=15, env=env)
        output = done.stdout.decode(errors="replace").strip()
    except subprocess.TimeoutExpired:
        output = "error: timed out"
    return {"resolved": not output.startswith("error"), "answer": output,
            "seconds": round(time.monotonic() - started, 2)}


def _with_token(url, method="GET"):
    token = os.environ.get("JUPYTERHUB_API_TOKEN", "")
    request = urllib.request.Request(url, method=method, headers={"Authorization": f"token {token}"},
                                     data=b"{}" if method in ("POST", "PATCH", "PUT") else None)
    return http_get(request)


def hub_call(method, path):
    api = os.environ.get("JUPYTERHUB_API_URL", "").rstrip("/")
    if not api:
        return {"status": None, "error": "no JUPYTERHUB_API_URL in this container"}
    return _with_token(api + path, method)


def server_route(path):
    # The server listens on 8888 inside its container; the base URL is /user/<name>/<server>/.
    prefix = os.environ.get("JUPYTERHUB_SERVICE_PREFIX", "/")
    return _with_token(f"http://127.0.0.1:8888{prefix.rstrip('/')}/{path.lstrip('/')}")


# Escapes tried through the analyst library's own locked connection (haven.connect()); run
# in a child so an image without the library reports that instead of failing the probe.
DUCKDB_ESCAPES = """
import json
try:
    import haven
except ImportError as exc:
    print(json.dumps({"error": "no analyst library: %s" % exc}))
    raise SystemExit(0)
con = haven.connect()

def attempt(sql):
    try:
        con.execute(sql).fetchall()
        return "ok"
    except Exception as exc:
        return type(exc).__name__

names = [dataset.name for dataset in haven.datasets()]
print(json.dumps({
    "datasets": names,
    "control": attempt('select count(*) from "%s"' % names[0]) if names else None,
    "attempts": {
        "read /etc/passwd": attempt("select * from read_csv('/etc/passwd')"),
        "read the hub's files": attempt("select * from read_text('/proc/1/environ')"),
        "write outside the workspace": attempt("copy (select 42) to '/tmp/haven-probe.csv'"),
        "attach a database file": attempt("attach '/tmp/haven-probe.duckdb'"),
        "install an extension": attempt("install httpfs"),
        "load an extension": attempt("load httpfs"),
        "enable external access": attempt("set enable_external_access = true"),
        "unlock the configuration": attempt("set lock_configuration = false"),
        "widen the allowed directories": attempt("set allowed_directories = ['/']"),
    },
}))
"""


def duckdb_escapes():
    try:
        done = subprocess.run([sys.executable, "-c", DUCKDB_ESCAPES], capture_output=True, timeout=120)
    except subprocess.TimeoutExpired:
        return {"error": "timed out"}
    try:
        return json.loads(done.stdout)
    except ValueError:
        return {"error": done.stderr.decode(errors="replace")[-500:]}


def main():
    params = json.loads(sys.argv[1]) if len(sys.argv) > 1 else {}
    result = {
        "uid": os.getuid(),
        "gid": os.getgid(),
        "status": status_fields(),
        "root_mount_options": root_mount_options(),
        "tmp_mount": mount_of("/tmp"),
        "write_root": try_write("/haven-probe"),
        "write_usr": try_write("/usr/haven-probe"),
        "docker_socket": [p for p in ("/var/run/docker.sock", "/run/docker.sock") if os.path.exists(p)],
        "ipv6_addresses": (read_first("/proc/net/if_inet6") or "").splitlines(),
        "cgroup_files": cgroup_files(),
        "env": sorted(os.environ),
        "tcp": {f"{h}:{p}": tcp_connect(h, p) for h, p in params.get("tcp", [])},
        "dns": {f"{r}:{p}/{n}": dns_query(r, p, n) for r, p, n in params.get("dns", [])},
        "http": {url: http_get(url) for url in params.get("http", [])},
        "resolve": {name: resolve(name) for name in params.get("resolve", [])},
        "writes": {path: try_write(path) for path in params.get("writes", [])},
        "hub_calls": {f"{m} {p}": hub_call(m, p) for m, p in params.get("hub_calls", [])},
        "server_routes": {path: server_route(path) for path in params.get("server_routes", [])},
    }
    if params.get("duckdb"):
        result["duckdb"] = duckdb_escapes()
    # Last, so the network probes above never run while pids or memory are exhausted.
    if params.get("privileged"):
        result["privileged"] = privileged_attempts()
    if "allocate" in params:
        result["allocate"] = allocate(int(params["allocate"]))
    if "fork" in params:
        result["fork"] = fork_until_refused(int(params["fork"]))
    json.dump(result, sys.stdout)


if __name__ == "__main__":
    main()
