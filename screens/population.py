"""Population size: every closed-population model, ranked by AICc, with its sampling-only
interval and its interval with identification error side by side."""

from functools import partial

import streamlit as st

from ui import background, population_view, readers, resources, scope
from ui import state as K

url = resources.start_page(
    "Population size",
    "Closed-population models (M0, Mt, Mb, Mh2) fitted to the capture histories of the "
    "identified deer. Sampling only treats every identity as right; with ID error also "
    "carries the machine's identification error, from the score evidence of reviewed pairs.",
)
a, b = st.columns([2, 3])
occasion = a.segmented_control(
    "Occasion", ["day", "week", "month"], default="week", key=K.POP_OCCASION,
    help="One capture occasion per day, ISO week or calendar month: a deer is caught on an "
    "occasion when it was photographed at least once in it.",
) or "week"  # fmt: skip
only = scope.toggle("population", b)
state = readers.archive_state(url)

quick = readers.population(url, occasion, only, state)
if quick.seen == 0:
    st.info("No identified deer yet: population size needs deer identified on at least "
            "two occasions. Review detections first.", icon=":material/info:")  # fmt: skip
    st.page_link("screens/review.py", label="Review detections", icon=":material/fact_check:")
    st.stop()
report = background.result(
    ("population", url, occasion, only, state),
    partial(readers.population_report, url, occasion, only),
    "",  # the table's own caption says the intervals with ID error are being computed
)
population_view.show(quick if report is None else report, pending=report is None)

with st.expander("Simple estimators (sampling only)"):
    st.dataframe(
        [{"estimator": e.method, "N": e.estimate, "95% interval":
          population_view.interval(e.lower, e.upper), "notes": e.note} for e in quick.simple],
        hide_index=True, width="stretch",
    )  # fmt: skip
st.caption(
    "Models fitted by maximum likelihood (Otis et al. 1978; Mh2: a two-point mixture, Pledger "
    "2000), ranked by AICc (ΔAICc 0: best supported). Intervals are log-normal (Chao 1987): they "
    "never fall below the deer seen and always contain their estimate. The same table is in "
    "the seasonal PDF and from `deertrack abundance --json`."
)
