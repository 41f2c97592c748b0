"""The threshold screen's heavy inputs, computed off the page's critical path.

Fitting the curves reads every reviewed embedding and scores every (detection, deer) pair; on a
100,000-detection archive that is 1.5-2 s of work, too slow for a page that should draw in under
2 s. So it is computed in a background thread: once when the dashboard starts, and again a few
seconds after a change (debounced, so a reviewer clicking through tracks is not slowed), and
kept per (database, model, :func:`deertrack_core.stats.evidence_version`): a page that finds it
ready draws at once; one that does not waits for the computation already under way instead of
starting a second one. No Streamlit call happens in the threads.
"""

from __future__ import annotations

import logging
import os
import threading
from collections import OrderedDict
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import numpy as np

from deertrack_core import db, stats
from deertrack_core.errors import DeertrackError

log = logging.getLogger(__name__)

#: The threshold curves are fitted on a uniform sample of at most this many score pairs.
MAX_PAIRS = 200_000
KEEP = 4  # versions kept
DELAY_S = 3.0  # after a change, wait this long for the next one before computing


def _low_priority() -> None:
    """Run this thread at the lowest CPU priority (Linux schedules threads one by one), so the
    preparation never slows a page someone is waiting for; elsewhere, at normal priority."""
    try:
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), 19)
    except (AttributeError, OSError):
        pass


_LOCK = threading.Lock()
_RESULTS: OrderedDict[tuple, Future] = OrderedDict()
_POOL = ThreadPoolExecutor(max_workers=1, thread_name_prefix="evidence", initializer=_low_priority)
_TIMER: threading.Timer | None = None


@dataclass(frozen=True)
class ThresholdInputs:
    """What the threshold screen computes from the reviewed evidence, kept as one object."""

    calibrator: Any  # ThresholdCalibrator fitted on a sample of at most MAX_PAIRS pairs
    n_same: int  # same-deer pairs in the whole evidence
    n_different: int
    pending: Any  # PendingScores: best gallery score of every track awaiting an identity


def compute(url: str, model: str) -> ThresholdInputs:
    """Calibrator and pending best scores from one read of the known deer's embeddings, the two
    side by side (database reads and numpy release the GIL). A large archive has millions of
    pairs: each is kept with the same chance, so precision stays unbiased."""
    from deertrack_core.reid.calibration import (
        ThresholdCalibrator,
        evidence_pairs,
        pending_best_scores,
    )
    from deertrack_core.reid.scores import load_labelled

    with db.session_scope(url) as s:
        gallery = load_labelled(s, model)

    def fit():
        with db.session_scope(url) as s:
            scores, same = evidence_pairs(s, model, gallery=gallery)
        n_same, n_diff = int(same.sum()), int(len(same) - same.sum())
        if len(scores) > MAX_PAIRS:
            keep = np.random.default_rng(0).random(len(scores)) < MAX_PAIRS / len(scores)
            scores, same = scores[keep], same[keep]
        return ThresholdCalibrator().fit(scores, same), n_same, n_diff

    def pending():
        with db.session_scope(url) as s:
            return pending_best_scores(s, model, gallery=gallery)

    with ThreadPoolExecutor(
        max_workers=2, thread_name_prefix="evidence-part", initializer=_low_priority
    ) as pool:
        fitted, best = pool.submit(fit), pool.submit(pending)
        cal, n_same, n_diff = fitted.result()
        return ThresholdInputs(cal, n_same, n_diff, best.result())


def _future(url: str, model: str, version: tuple) -> Future:
    key = (url, model, version)
    with _LOCK:
        fut = _RESULTS.get(key)
        failed = fut is not None and fut.done() and fut.exception() is not None
        # A DeertrackError (too little evidence) holds for this version; anything else is retried.
        if fut is None or (failed and not isinstance(fut.exception(), DeertrackError)):
            fut = _POOL.submit(compute, url, model)
            _RESULTS[key] = fut
        _RESULTS.move_to_end(key)
        while len(_RESULTS) > KEEP:
            _RESULTS.popitem(last=False)
        return fut


def threshold_inputs(url: str, model: str, version: tuple) -> ThresholdInputs:
    """The inputs for this version of the evidence: ready, or waited for."""
    return _future(url, model, version).result()


def ready(url: str, model: str, version: tuple) -> bool:
    fut = _RESULTS.get((url, model, version))
    return fut is not None and fut.done()


def _warm(url: str) -> None:
    try:
        from deertrack_core.reid.active import active_threshold

        with db.session_scope(url) as s:
            model, version = active_threshold(s)[0], stats.evidence_version(s)
        _future(url, model, version)
    except Exception:  # noqa: BLE001 - the page computes it (and shows any error) when opened
        log.warning("could not prepare the threshold evidence in the background", exc_info=True)


def warm(url: str, delay: float = DELAY_S) -> None:
    """Prepare the inputs for the current evidence in the background, ``delay`` seconds from now
    (a later call before then moves the moment on)."""
    global _TIMER
    with _LOCK:
        if _TIMER is not None:
            _TIMER.cancel()
        _TIMER = threading.Timer(delay, _warm, args=(url,))
        _TIMER.daemon = True
        _TIMER.start()


def forget() -> None:
    with _LOCK:
        _RESULTS.clear()
