"""Refuse every outbound connection except loopback and Unix sockets.

Tests run with the network blocked except loopback: this makes the rule hold inside the test
process (conftest) and inside the servers tests start (sitecustomize on their PYTHONPATH),
so a hidden download fails loudly instead of passing on a connected machine.
"""

from __future__ import annotations

import ipaddress
import socket

_original_connect = socket.socket.connect
_original_connect_ex = socket.socket.connect_ex


class NetworkBlocked(OSError):
    pass


def _allowed(sock: socket.socket, address: object) -> bool:
    if sock.family == getattr(socket, "AF_UNIX", None):
        return True
    host = address[0] if isinstance(address, tuple) else address
    if host in ("localhost", "", None):
        return True
    try:
        return ipaddress.ip_address(str(host).split("%")[0]).is_loopback
    except ValueError:
        return False  # a host name that is not localhost: would need DNS and the internet


def _connect(self: socket.socket, address: object) -> None:
    if not _allowed(self, address):
        raise NetworkBlocked(
            f"test network guard: connection to {address!r} refused (loopback only)"
        )
    return _original_connect(self, address)


def _connect_ex(self: socket.socket, address: object) -> int:
    if not _allowed(self, address):
        raise NetworkBlocked(
            f"test network guard: connection to {address!r} refused (loopback only)"
        )
    return _original_connect_ex(self, address)


def install() -> None:
    socket.socket.connect = _connect  # type: ignore[method-assign]
    socket.socket.connect_ex = _connect_ex  # type: ignore[method-assign]
