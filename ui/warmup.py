"""Load the code of every page once per process, so that no page's first visit waits for it.

A fresh server imports a page's modules on its first visit: for the Population page that is
scipy's optimisers and the estimators, about 0.7 s of a 2 s budget. ``make run`` loads them all
before the server listens (:mod:`ui.launch` calls :func:`preload`); under a plain ``streamlit run
app.py``, :func:`start` loads them in a low-priority thread just after the first page, while it
is being read. Importing is all it does: no query, no Streamlit call. torch is left out (only
the worker and the sex/age classifier need it, and the latter runs in the background).
"""

from __future__ import annotations

import importlib
import logging
import pkgutil
import threading
from pathlib import Path

from ui.evidence import _low_priority

log = logging.getLogger(__name__)

DELAY_S = 0.5  # let the first page finish drawing first

#: Modules the pages import inside functions (so not reached by importing ``ui``'s modules).
LAZY = (
    "deertrack_core.analysis.population",
    "deertrack_core.reid.same_probability",
    "deertrack_core.reid.drift",
    "deertrack_core.reports.scores",
    "deertrack_core.reports.request",
    "deertrack_core.detect.run",
    "deertrack_core.images.pipeline",
    "deertrack_core.jobstatus.workers",
    "deertrack_core.tokens",
)

_STARTED = threading.Event()


def modules() -> list[str]:
    """Every module of ``ui``, then :data:`LAZY`."""
    here = Path(__file__).parent
    return [f"ui.{m.name}" for m in pkgutil.iter_modules([str(here)])] + list(LAZY)


def preload() -> None:
    """Import :func:`modules` (one that fails is logged: its page shows the error)."""
    for name in modules():
        try:
            importlib.import_module(name)
        except Exception:  # noqa: BLE001 - the page that needs it imports it and shows the error
            log.warning("could not preload %s", name, exc_info=True)


def _load() -> None:
    _low_priority()
    preload()


def start(delay: float = DELAY_S) -> threading.Thread | None:
    """Start the preload (once per process); the thread, or ``None`` when already started."""
    if _STARTED.is_set():
        return None
    _STARTED.set()
    timer = threading.Timer(delay, _load)
    timer.daemon = True
    timer.name = "warmup"
    timer.start()
    return timer
