"""The dashboard served as ``make run`` serves it, on a scratch archive and a free port: for the
browser tests and the browser bench (one way to start it, so they measure what users get)."""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
#: Debian's Chromium, driven by Playwright (never ``playwright install``), and its flags here.
CHROMIUM = "/usr/bin/chromium"
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
START_S = 120  # a cold start on a busy two-core machine takes tens of seconds


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def scratch_env(url: str, work: Path, **extra: str) -> dict[str, str]:
    """This process's environment pointed at database ``url`` and files under ``work``, with
    the embedded job queue (no Redis) and no model-hub downloads."""
    env = {
        **os.environ,
        "DEERTRACK_DATABASE_URL": url,
        "DEERTRACK_DATA_ROOT": str(work),
        "DEERTRACK_HUEY_PATH": str(work / "huey.db"),
        "DEERTRACK_EXPORT_DIR": str(work / "exports"),
        "HF_HUB_OFFLINE": "1",
        **extra,
    }
    env.pop("DEERTRACK_REDIS_URL", None)
    return env


def cli(env: dict[str, str], *args: str, stdin: str | None = None) -> None:
    """Run ``deertrack ARGS`` in ``env`` (raises with its output when it fails)."""
    subprocess.run([str(BIN / "deertrack"), *args], env=env, input=stdin, text=True,
                   check=True, capture_output=True)  # fmt: skip


def wait_http(url: str, timeout: float = START_S, proc: subprocess.Popen | None = None) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except OSError:
            if proc is not None and proc.poll() is not None:
                raise RuntimeError(f"the server stopped (exit {proc.returncode})") from None
            if time.monotonic() > deadline:
                raise TimeoutError(f"{url} did not answer within {timeout} s") from None
            time.sleep(0.3)


@contextlib.contextmanager
def serve(env: dict[str, str], log_path: Path, *, worker: bool = False) -> Iterator[str]:
    """The dashboard as ``make run`` starts it (:mod:`ui.launch`, i.e. ``streamlit run
    app.py`` with the pages' code loaded first), and ``deertrack worker`` when asked, until
    the block ends;
    yields the dashboard's address. Their output goes to ``log_path``."""
    port = free_port()
    with open(log_path, "w") as log:
        procs = []
        if worker:
            procs.append(subprocess.Popen([str(BIN / "deertrack"), "worker"], env=env,
                                          stdout=log, stderr=log))  # fmt: skip
        procs.append(subprocess.Popen(
            [str(BIN / "python"), "-m", "ui.launch", "--server.port", str(port),
             "--server.address", "127.0.0.1", "--server.headless", "true"],
            env=env, cwd=ROOT, stdout=log, stderr=log,
        ))  # fmt: skip
        try:
            wait_http(f"http://127.0.0.1:{port}/_stcore/health", proc=procs[-1])
            yield f"http://127.0.0.1:{port}"
        finally:
            for p in procs:
                p.terminate()
            for p in procs:
                try:
                    p.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    p.kill()
