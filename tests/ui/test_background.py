"""Slow page results start after the page's run, are kept per key, and a failure is shown once
and then tried again; the preload of the pages' code leaves torch out."""

from __future__ import annotations

import subprocess
import sys
import threading
import uuid
from pathlib import Path

import pytest

from ui import background, warmup

ROOT = Path(__file__).resolve().parents[2]


def test_a_computation_waits_for_the_end_of_the_run_then_is_kept():
    key, ran = ("test", uuid.uuid4().hex), threading.Event()

    def compute():
        ran.set()
        return 42

    assert background.submit(key, compute) is None
    assert background.submit(key, compute) is None  # asked twice in one run: queued once
    assert not ran.wait(0.3)  # nothing runs while the page is still drawing
    background.start_queued()
    assert ran.wait(10)
    background.wait()
    future = background.submit(key, lambda: pytest.fail("computed twice"))
    assert future is not None and future.result() == 42


def test_a_failure_is_shown_once_then_tried_again():
    key, calls = ("test", uuid.uuid4().hex), []

    def compute():
        calls.append(1)
        if len(calls) == 1:
            raise RuntimeError("database went away")
        return "ok"

    background.submit(key, compute)
    background.wait()
    failed = background.submit(key, compute)
    with pytest.raises(RuntimeError, match="database went away"):
        failed.result()
    assert background.submit(key, compute) is None  # forgotten: asked again, queued again
    background.wait()
    assert background.submit(key, compute).result() == "ok"
    assert len(calls) == 2


def test_the_preload_names_every_ui_module_and_imports_no_torch():
    names = warmup.modules()
    assert "ui.population_view" in names and "deertrack_core.analysis.population" in names
    code = (
        "import sys; from ui import warmup; warmup._load(); "
        "missing=[m for m in warmup.modules() if m not in sys.modules]; "
        "print(missing, 'torch' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True,
                         text=True, timeout=120, check=True)  # fmt: skip
    assert out.stdout.strip().splitlines()[-1] == "[] False"


def test_the_preload_starts_once_per_process(monkeypatch):
    monkeypatch.setattr(warmup, "_STARTED", threading.Event())
    first = warmup.start(delay=0)
    assert first is not None and warmup.start(delay=0) is None
    first.join(120)
    assert not first.is_alive() and "ui.population_view" in sys.modules
