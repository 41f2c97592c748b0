"""Serve the dashboard with its code already loaded: ``python -m ui.launch [OPTIONS]`` is
``streamlit run app.py [OPTIONS]`` (what ``make run`` starts), after importing every page's
modules first.

Streamlit imports a page's code on the first visit that needs it; on a fresh server the very
first page paid for pandas, Altair, SQLAlchemy and our own modules (seconds on a two-core
machine). Loading them before the server listens moves that wait to start-up, where nobody is
looking at a blank page yet. The threshold evidence starts being prepared then too.
"""

from __future__ import annotations

import logging
import sys
from pathlib import Path

APP = Path(__file__).resolve().parents[1] / "app.py"


def preload() -> None:
    """Import what the pages use (see :mod:`ui.warmup`)."""
    # The cached readers are declared before the Streamlit runtime exists; their caches are made
    # when first called, inside it. Streamlit warns about the declaration only: not a problem.
    from streamlit.runtime.caching import cache_data_api  # it sets its logger's level on import

    quiet = logging.getLogger(cache_data_api.__name__)
    level = quiet.level
    quiet.setLevel(logging.ERROR)
    try:
        from ui import warmup

        warmup.preload()
    finally:
        quiet.setLevel(level)


def main(argv: list[str] | None = None) -> int:
    try:
        preload()
    except KeyboardInterrupt:  # Ctrl-C while loading: stop quietly, as the server would
        return 130
    from streamlit.web import cli

    from deertrack_core import settings
    from ui import evidence

    # The threshold evidence (seconds on a large archive) while the server starts, in the
    # background: the Threshold page finds it ready, and no page has to draw beside it.
    evidence.warm(settings.database_url(), delay=0.0)

    sys.argv = ["streamlit", "run", str(APP), *(sys.argv[1:] if argv is None else argv)]
    return cli.main()


if __name__ == "__main__":
    sys.exit(main())
