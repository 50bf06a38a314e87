"""Runs inside a container (stdlib only) and reports what the container can see and do.

Invoked as ``python3 - PARAMS_JSON`` with this file on stdin. PARAMS may hold
``tcp`` ([[host, port], ...]), ``dns`` ([[resolver, port, name], ...]) and
``http`` ([url, ...]); every network probe has a short timeout. Prints one JSON object.

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


# Paths under /sys/fs/cgroup, v2 then v1: a copy of tests/security/cgroups.FILES (this
# script runs alone in the container); the raw text goes back and cgroups.py parses it.
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
    scratch = tempfile.mkdtemp(prefix="haven-probe-")
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
    try:
        with urllib.request.urlopen(url, timeout=TIMEOUT) as response:
            return {"status": response.status}
    except urllib.error.HTTPError as exc:
        return {"status": exc.code}
    except Exception as exc:  # noqa: BLE001 - any failure to get an answer is the result
        return {"status": None, "error": f"{type(exc).__name__}: {exc}"}


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
    }
    # Last, so the network probes above never run while pids or memory are exhausted.
    if params.get("privileged"):
        result["privileged"] = privileged_attempts()
    if "allocate" in params:
        result["allocate"] = allocate(int(params["allocate"]))
    if "fork" in params:
        result["fork"] = fork_until_refused(int(params["fork"]))
    json.dump(result, sys.stdout)


main()
