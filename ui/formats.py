"""How numbers and times read on screen, the same on every page."""

from __future__ import annotations

import datetime as dt


def score_and_threshold(score: float, threshold: float, digits: int = 3) -> tuple[str, str]:
    """Both numbers with as many decimals as it takes to show how they compare.

    The machine compares the raw values (``score >= threshold``); at three decimals 0.89478 and
    0.89512 would both read 0.895, and "0.895 is below the threshold 0.895" reads as a bug.
    """
    d = digits
    while d < 6 and score != threshold and f"{score:.{d}f}" == f"{threshold:.{d}f}":
        d += 1
    return f"{score:.{d}f}", f"{threshold:.{d}f}"


def machine_says(deer_name: str | None, score: float | None, threshold: float) -> str:
    """The machine's proposal in words, its score compared with the threshold."""
    if score is None:
        return "not matched yet"
    s, t = score_and_threshold(score, threshold)
    if deer_name and score >= threshold:
        return f"machine says **{deer_name}** (score {s} ≥ threshold {t})"
    if deer_name:
        return f"machine says **{deer_name}** (score {s})"
    return f"best score {s} is below the threshold {t}: your call"


def clock(when: dt.datetime | None) -> str:
    return when.strftime("%H:%M:%S") if when else "time unknown"


def day_time(when: dt.datetime | None) -> str:
    return when.strftime("%d %b %Y %H:%M") if when else "time unknown"


def burst_times(times: list[dt.datetime | None]) -> list[str]:
    """Labels for the frames of a burst in time order: the first frame's clock time, then
    each later frame's seconds after it ("+2 s")."""
    first = next((t for t in times if t is not None), None)
    out = []
    for i, t in enumerate(times):
        if t is None or first is None:
            out.append("time unknown")
        elif i == 0 or t == first:
            out.append(clock(t))
        else:
            out.append(f"{clock(t)} (+{(t - first).total_seconds():.0f} s)")
    return out
