"""`make run` stops cleanly on Ctrl-C: its trap stops the three servers and does not crash bash.

The recipe's trap used to be ``trap 'kill 0' INT TERM EXIT``: ``kill 0`` signals its own shell,
which re-entered the trap until bash died of SIGSEGV ("Segmentation fault" on every Ctrl-C).
This runs the Makefile's own trap line over three stand-in servers and presses Ctrl-C.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _trap() -> str:
    recipe = (ROOT / "Makefile").read_text()
    line = next(ln for ln in recipe.splitlines() if ln.startswith("\t@trap "))
    return re.match(r"\t@(trap '[^']*' [A-Z ]+);", line).group(1).replace("$$", "$")


def test_ctrl_c_stops_every_server_and_the_shell_exits_normally(tmp_path):
    script = tmp_path / "run.sh"
    # Three stand-ins that, like the servers, exit on SIGINT/SIGTERM; the last in the foreground.
    script.write_text(f"{_trap()}; sleep 60 & sleep 60 & sleep 60\n")
    shell = subprocess.Popen(["bash", str(script)], start_new_session=True)
    time.sleep(0.5)
    os.killpg(shell.pid, signal.SIGINT)  # what a terminal does on Ctrl-C
    status = shell.wait(timeout=20)
    assert status != -signal.SIGSEGV and status >= 0, f"bash ended with {status}"
    time.sleep(0.2)
    try:
        os.killpg(shell.pid, 0)
        left = True
    except ProcessLookupError:
        left = False
    assert not left, "a server of make run outlived Ctrl-C"
