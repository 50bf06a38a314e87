"""DNS queries crossing a host interface (a project's bridge), watched from the host.

A lookup that the container's resolver forwards leaves the container on its bridge; the
selfcheck and the security tests watch the bridge while the probe resolves, so "nothing was
sent out" is seen on the wire, not inferred. Needs root (a raw packet socket), as the hub has.
"""

from __future__ import annotations

import socket
import struct
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

ETH_P_ALL = 0x0003
DNS_PORT = 53


def query_name(packet: bytes, offset: int) -> str:
    labels = []
    while offset < len(packet) and packet[offset]:
        labels.append(packet[offset + 1: offset + 1 + packet[offset]].decode(errors="replace"))
        offset += packet[offset] + 1
    return ".".join(labels)


@contextmanager
def dns_packets_on(interface: str) -> Iterator[list[str]]:
    """Every DNS query (UDP or TCP, port 53) crossing ``interface`` while the block runs: its
    destination and the name asked for (UDP)."""
    seen: list[str] = []
    sock = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ALL))
    sock.bind((interface, 0))
    sock.settimeout(0.2)
    stop = threading.Event()

    def watch() -> None:
        while not stop.is_set():
            try:
                frame = sock.recv(2048)
            except OSError:
                continue
            if len(frame) < 34 or frame[12:14] != b"\x08\x00":
                continue  # not IPv4
            ip = frame[14:]
            header, protocol = (ip[0] & 0x0F) * 4, ip[9]
            if protocol not in (6, 17) or len(ip) < header + 4:
                continue
            destination_port = struct.unpack(">H", ip[header + 2: header + 4])[0]
            if destination_port == DNS_PORT:
                name = query_name(ip, header + 8 + 12) if protocol == 17 else "(tcp)"
                seen.append(f"{socket.inet_ntoa(ip[16:20])} {name}")

    thread = threading.Thread(target=watch, daemon=True)
    thread.start()
    try:
        yield seen
    finally:
        time.sleep(0.5)  # a forward the resolver sends just after answering the container
        stop.set()
        thread.join(timeout=5)
        sock.close()
