"""Progress reporting for long work.

Core functions that take a while accept ``progress: ProgressCallback | None`` and call it as
``progress(done, total, message)``. The CLI shows a bar, a Huey task writes it to the job-status
store, the dashboard shows a progress bar; the core does not know which.
"""

from __future__ import annotations

from typing import Protocol


class ProgressCallback(Protocol):
    def __call__(self, done: int, total: int, message: str = "") -> None: ...


def noop(done: int, total: int, message: str = "") -> None:
    """The default callback: report nowhere."""


def tqdm_progress(desc: str):
    """A callback that draws a tqdm bar on stderr (for the CLI). Call ``.close()`` at the end."""
    from tqdm import tqdm

    bar = tqdm(desc=desc, unit="item", dynamic_ncols=True)

    def update(done: int, total: int, message: str = "") -> None:
        if bar.total != total:
            bar.total = total
        bar.n = done
        if message:
            bar.set_postfix_str(message[-40:], refresh=False)
        bar.refresh()

    update.close = bar.close  # type: ignore[attr-defined]
    return update
