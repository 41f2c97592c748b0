"""deertrack api: serve the HTTP API (queue exports, follow jobs, download results)."""

from __future__ import annotations

import argparse

from deertrack_core import settings

NAME = "api"
HELP = "Serve the HTTP API (OpenAPI docs at /docs) on DEERTRACK_API_PORT (default 8001)."


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--port", type=int, help="port (default: DEERTRACK_API_PORT)")
    parser.add_argument("--host", default="127.0.0.1", help="address (default: 127.0.0.1)")


def run(args: argparse.Namespace) -> int:
    import uvicorn

    port = args.port or settings.api_port()
    print(f"DeerTrack API on http://{args.host}:{port} (docs: /docs)")
    uvicorn.run("api.app:app", host=args.host, port=port, log_level="info")
    return 0
