from __future__ import annotations

import socket

LOOPBACK = "127.0.0.1"


def bind_loopback(port: int = 0, host: str = LOOPBACK) -> socket.socket:
    """A listening TCP socket on 127.0.0.1, or on the one address `host` names (never all of
    them unless asked); port 0 lets the kernel pick a free one."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError:
        sock.close()
        raise
    sock.listen(1024)
    return sock


def free_loopback_port() -> int:
    """For servers that insist on binding themselves (aiosmtpd): a port free right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port
