"""Progress reporting for long work.

Core functions that take a while accept ``progress: ProgressCallback | None`` and call it as
``progress(done, total, message)``. The CLI shows a bar, a Huey task writes it to the job-status
store, the dashboard shows a progress bar; the core does not know which.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Protocol


class ProgressCallback(Protocol):
    def __call__(self, done: int, total: int, message: str = "") -> None: ...


def noop(done: int, total: int, message: str = "") -> None:
    """The default callback: report nowhere."""


@contextmanager
def progress_bar(desc: str, enabled: bool = True) -> Iterator[ProgressCallback | None]:
    """A callback that draws a tqdm bar on stderr while the block runs (for the CLI), or
    ``None`` when not ``enabled``. The bar is closed however the block ends."""
    if not enabled:
        yield None
        return
    from tqdm import tqdm

    bar = tqdm(desc=desc, unit="item", dynamic_ncols=True)

    def update(done: int, total: int, message: str = "") -> None:
        if bar.total != total:
            bar.total = total
        bar.n = done
        if message:
            bar.set_postfix_str(message[-40:], refresh=False)
        bar.refresh()

    try:
        yield update
    finally:
        bar.close()


def scaled(progress: ProgressCallback | None, low: float, high: float) -> ProgressCallback | None:
    """A callback for one phase of a longer task: its ``done/total`` is reported to ``progress``
    as ``low..high`` per mille of the whole (so a bar does not jump back between phases)."""
    if progress is None:
        return None

    def report(done: int, total: int, message: str = "") -> None:
        fraction = min(max(done / total, 0.0), 1.0) if total else 1.0
        progress(int(low + (high - low) * fraction), 1000, message)

    return report
