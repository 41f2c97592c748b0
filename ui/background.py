"""Slow results a page shows when they are ready, computed off its critical path.

A page asks for a result by key (everything it depends on, e.g. the database, the model and a
fingerprint of the evidence). The first ask starts the computation in a background thread at low
priority; the page draws everything else at once, says what is being computed, and a small
fragment checks every second and reruns the page when the result is there. Later asks with the
same key get the kept result at once. No Streamlit call happens in the thread.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import wait as wait_all
from typing import Any

import streamlit as st

from ui.evidence import _low_priority

KEEP = 16  # results kept (the oldest are dropped first)
POLL_S = 1.0

_LOCK = threading.Lock()
_RESULTS: OrderedDict[Hashable, Future] = OrderedDict()
_POOL = ThreadPoolExecutor(
    max_workers=1, thread_name_prefix="background", initializer=_low_priority
)


def submit(key: Hashable, compute: Callable[[], Any]) -> Future:
    """The computation for ``key``: the one under way or done, else ``compute`` started now."""
    with _LOCK:
        future = _RESULTS.get(key)
        if future is None or (future.done() and future.exception() is not None):
            future = _POOL.submit(compute)
            _RESULTS[key] = future
            while len(_RESULTS) > KEEP:
                _RESULTS.popitem(last=False)
        _RESULTS.move_to_end(key)
        return future


def result(key: Hashable, compute: Callable[[], Any], waiting: str) -> Any | None:
    """The result for ``key`` when it is ready; else ``None``, after showing ``waiting`` and
    starting a poll that reruns the page once it is (``waiting`` may be empty when the page
    says so itself). An exception of ``compute`` is raised."""
    future = submit(key, compute)
    if future.done():
        return future.result()

    @st.fragment(run_every=POLL_S)
    def poll() -> None:
        if future.done():
            st.rerun()
        if waiting:
            st.caption(waiting)

    poll()
    return None


def wait(timeout: float = 120.0) -> None:
    """Wait for every computation under way (tests: then run the page again)."""
    with _LOCK:
        pending = [f for f in _RESULTS.values() if not f.done()]
    wait_all(pending, timeout=timeout)
