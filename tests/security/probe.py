"""Runs inside a container (stdlib only) and reports what the container can see and do.

Invoked as ``python3 - PARAMS_JSON`` with this file on stdin. PARAMS may hold
``tcp`` ([[host, port], ...]), ``dns`` ([[resolver, port, name], ...]) and
``http`` ([url, ...]); every network probe has a short timeout. Prints one JSON object.
"""

import json
import os
import socket
import struct
import sys
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


def cgroup_limits():
    return {
        # cgroup v1 first, then v2
        "pids": read_first("/sys/fs/cgroup/pids/pids.max", "/sys/fs/cgroup/pids.max"),
        "memory": read_first("/sys/fs/cgroup/memory/memory.limit_in_bytes", "/sys/fs/cgroup/memory.max"),
        "cpu_quota": read_first("/sys/fs/cgroup/cpu/cpu.cfs_quota_us", "/sys/fs/cgroup/cpu.max"),
        "cpu_period": read_first("/sys/fs/cgroup/cpu/cpu.cfs_period_us"),
    }


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
        "cgroup": cgroup_limits(),
        "env": sorted(os.environ),
        "tcp": {f"{h}:{p}": tcp_connect(h, p) for h, p in params.get("tcp", [])},
        "dns": {f"{r}:{p}/{n}": dns_query(r, p, n) for r, p, n in params.get("dns", [])},
        "http": {url: http_get(url) for url in params.get("http", [])},
    }
    json.dump(result, sys.stdout)


main()
