"""The stand-in outside world's listeners, run inside the test's network namespace.

TCP on each address given (port 80) answers with a banner; a UDP DNS resolver on
RESOLVER:53 answers every A query with the first address and logs each query name.

usage: outside_server.py LOGFILE RESOLVER ADDRESS [ADDRESS ...]
"""

import socket
import socketserver
import struct
import sys
import threading


class Banner(socketserver.BaseRequestHandler):
    def handle(self):
        # Valid as an HTTP response too, so both raw TCP and HTTP probes can succeed.
        self.request.sendall(b"HTTP/1.0 200 OK\r\nContent-Length: 14\r\n\r\noutside-world\n")


class Server(socketserver.ThreadingTCPServer):
    allow_reuse_address = True
    daemon_threads = True


def serve_dns(resolver, answer, log_path):
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind((resolver, 53))
    while True:
        data, peer = sock.recvfrom(512)
        if len(data) < 12:
            continue
        query_id = data[:2]
        labels, i = [], 12
        while i < len(data) and data[i] != 0:
            labels.append(data[i + 1 : i + 1 + data[i]].decode(errors="replace"))
            i += data[i] + 1
        question = data[12 : i + 5]
        with open(log_path, "a") as log:
            log.write(".".join(labels) + "\n")
        header = query_id + struct.pack(">HHHHH", 0x8180, 1, 1, 0, 0)
        record = b"\xc0\x0c" + struct.pack(">HHIH", 1, 1, 60, 4) + socket.inet_aton(answer)
        sock.sendto(header + question + record, peer)


def main():
    log_path, resolver, *addresses = sys.argv[1:]
    for address in addresses:
        server = Server((address, 80), Banner)
        threading.Thread(target=server.serve_forever, daemon=True).start()
    threading.Thread(target=serve_dns, args=(resolver, addresses[0], log_path), daemon=True).start()
    print("ready", flush=True)
    threading.Event().wait()


main()
