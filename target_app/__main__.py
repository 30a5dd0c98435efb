"""`python -m target_app`: uvicorn on a loopback socket this process binds itself (or on
the one address `--host` names, for load generators on other hosts).

Port 0 picks a free port with no race (the socket is bound before uvicorn starts), and
`--port-file` tells whoever started the process which port that was. `uvicorn
target_app.main:app` works too; this entry exists for the harness and the tests.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import uvicorn

from bgbench.files import write_atomically
from target_app.services.ports import LOOPBACK, bind_loopback


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m target_app", description=__doc__)
    parser.add_argument("--port", type=int, default=8000, help="0 = any free port")
    parser.add_argument(
        "--host", default=LOOPBACK, help="the address to listen on (default: loopback only)"
    )
    parser.add_argument("--port-file", type=Path, help="write the bound port here")
    parser.add_argument("--http", choices=["httptools", "h11"], default="httptools")
    parser.add_argument("--access-log", action="store_true", help="log every request")
    parser.add_argument("--log-level", default="info")
    parser.add_argument(
        "--timeout-graceful-shutdown",
        type=int,
        default=None,
        help="seconds uvicorn waits for running requests and their background tasks",
    )
    args = parser.parse_args(argv)
    try:
        sock = bind_loopback(args.port, args.host)
    except OSError as exc:
        sys.exit(f"cannot listen on {args.host}:{args.port}: {exc.strerror}; pick another --port")
    port = sock.getsockname()[1]
    url_host = f"[{args.host}]" if ":" in args.host else args.host
    config = uvicorn.Config(
        "target_app.main:app",
        http=args.http,
        access_log=args.access_log,
        log_level=args.log_level,
        timeout_graceful_shutdown=args.timeout_graceful_shutdown,
    )
    if args.port_file is not None:
        write_atomically(args.port_file, str(port))
    print(f"target_app listening on http://{url_host}:{port}", flush=True)
    uvicorn.Server(config).run(sockets=[sock])


if __name__ == "__main__":
    main()
