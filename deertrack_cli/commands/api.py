"""deertrack api: serve the HTTP API (queue exports, follow jobs, download results)."""

from __future__ import annotations

import argparse

from deertrack_core import auth, settings

NAME = "api"
HELP = (
    "Serve the HTTP API (OpenAPI docs at /docs) on DEERTRACK_API_HOST:DEERTRACK_API_PORT "
    "(default 127.0.0.1:8001); beyond loopback only once user accounts exist."
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--port", type=int, help="port (default: DEERTRACK_API_PORT)")
    parser.add_argument("--host", help="address (default: DEERTRACK_API_HOST, 127.0.0.1)")


def run(args: argparse.Namespace) -> int:
    import uvicorn

    host = args.host or settings.api_host()
    port = args.port or settings.api_port()
    auth.check_listen(host, "API")  # no accounts yet: this machine only
    print(f"DeerTrack API on http://{host}:{port} (docs: /docs)")
    uvicorn.run("api.app:app", host=host, port=port, log_level="info")
    return 0
