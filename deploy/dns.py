"""A tiny DNS server that answers one name with a list of IPv4 addresses.

It plays the part Docker's embedded DNS plays in ``compose.yaml``: HAProxy's ``server-template``
asks for the replicas' name and gets one address per replica. Only what HAProxy's resolver needs:
a query for ``name`` (A) gets every address; AAAA for it gets an empty answer; anything else gets
NXDOMAIN. UDP, one thread, stdlib only.
"""

from __future__ import annotations

import socket
import struct
import threading


def _question_end(packet: bytes) -> int:
    """Offset just past the first question (QNAME labels, QTYPE, QCLASS)."""
    pos = 12
    while packet[pos]:
        pos += 1 + packet[pos]
    return pos + 1 + 4


def _qname(packet: bytes) -> str:
    labels, pos = [], 12
    while packet[pos]:
        length = packet[pos]
        labels.append(packet[pos + 1 : pos + 1 + length].decode("ascii", "replace"))
        pos += 1 + length
    return ".".join(labels).lower()


def answer(query: bytes, name: str, addresses: list[str], ttl: int = 1) -> bytes:
    """The DNS response to `query` (RFC 1035 wire format)."""
    (ident, flags, qdcount) = struct.unpack("!HHH", query[:6])
    end = _question_end(query)
    question = query[12:end]
    qtype = struct.unpack("!H", query[end - 4 : end - 2])[0]
    found = qdcount == 1 and _qname(query) == name.lower().rstrip(".")
    records = b""
    if found and qtype == 1:  # A
        for address in addresses:
            # name = pointer to the question's name (offset 12), type A, class IN, ttl, 4 bytes
            records += struct.pack("!HHHIH", 0xC00C, 1, 1, ttl, 4) + socket.inet_aton(address)
    rcode = 0 if found else 3  # NOERROR / NXDOMAIN
    out_flags = 0x8000 | 0x0400 | (flags & 0x0100) | rcode  # QR, AA, copy RD
    count = len(addresses) if found and qtype == 1 else 0
    return struct.pack("!HHHHHH", ident, out_flags, 1, count, 0, 0) + question + records


class TinyDNS:
    """Answer `name` with `addresses` on 127.0.0.1:<port> (a free port unless given)."""

    def __init__(self, name: str, addresses: list[str], host: str = "127.0.0.1", port: int = 0):
        self.name = name
        self.addresses = list(addresses)
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind((host, port))
        self.sock.settimeout(0.5)
        bound_host, bound_port = self.sock.getsockname()
        self.address = f"{bound_host}:{bound_port}"
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, name="tiny-dns", daemon=True)

    def start(self) -> TinyDNS:
        self._thread.start()
        return self

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                query, client = self.sock.recvfrom(4096)
            except TimeoutError:
                continue
            except OSError:
                return
            try:
                self.sock.sendto(answer(query, self.name, self.addresses), client)
            except (IndexError, struct.error, OSError):
                continue  # a malformed query: no answer, like any DNS server

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=2)
        self.sock.close()
