"""Slow results a page shows when they are ready, computed off its critical path.

A page asks for a result by key (everything it depends on, e.g. the database, the model and a
fingerprint of the evidence). The page draws everything else at once and says what is being
computed; a small fragment, which the browser reruns every second once it has drawn the page,
starts the computation in a background thread at low priority on its first tick, and reruns the
page when the result is there. Started any earlier, the computation would compete with the page
for the interpreter and the processor while the page is still being drawn (measured: half a
second more for the Population page at 100,000 detections). Later asks with the same key get
the kept result at once. No Streamlit call happens in the thread.
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
_QUEUED: dict[Hashable, Callable[[], Any]] = {}  # asked for, not started yet (see start_queued)
_POOL = ThreadPoolExecutor(
    max_workers=1, thread_name_prefix="background", initializer=_low_priority
)


def submit(key: Hashable, compute: Callable[[], Any]) -> Future | None:
    """The computation for ``key`` if under way or done; else ``None``, with ``compute`` queued
    for :func:`start_queued`. A failed one is returned once (its page shows the error) and
    forgotten, so that the next ask tries again."""
    with _LOCK:
        future = _RESULTS.get(key)
        if future is None:
            _QUEUED.setdefault(key, compute)
            return None
        if future.done() and future.exception() is not None:
            del _RESULTS[key]
        else:
            _RESULTS.move_to_end(key)
        return future


def start_queued() -> None:
    """Start the computations asked for (the poll's first tick: the page has been drawn)."""
    with _LOCK:
        for key, compute in _QUEUED.items():
            _RESULTS[key] = _POOL.submit(compute)
            _RESULTS.move_to_end(key)
        _QUEUED.clear()
        while len(_RESULTS) > KEEP:
            _RESULTS.popitem(last=False)


def result(key: Hashable, compute: Callable[[], Any], waiting: str) -> Any | None:
    """The result for ``key`` when it is ready; else ``None``, after showing ``waiting`` and
    starting a poll that reruns the page once it is (``waiting`` may be empty when the page
    says so itself). An exception of ``compute`` is raised."""
    future = submit(key, compute)
    if future is not None and future.done():
        return future.result()

    @st.fragment(run_every=POLL_S)
    def poll() -> None:
        start_queued()
        current = _RESULTS.get(key)
        if current is not None and current.done():
            st.rerun()
        if waiting:
            st.caption(waiting)

    poll()
    return None


def wait(timeout: float = 120.0) -> None:
    """Start the queued computations and wait for every one under way (tests: then run the
    page again)."""
    start_queued()
    with _LOCK:
        pending = [f for f in _RESULTS.values() if not f.done()]
    wait_all(pending, timeout=timeout)
