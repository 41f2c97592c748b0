"""Models: fine-tuned versions of the embedder with before/after evidence; train, promote,
roll back (admins)."""

import streamlit as st

from deertrack_core.reid import active
from ui import jobs, models_view, readers, resources
from ui import state as K

url = resources.start_page(
    "Models",
    "Every reviewed identity is training data: a new version of the re-identification model "
    "learns from them, and is measured on individuals it never saw before you promote it.",
    role="admin",
)

with resources.session() as s:
    model, threshold = active.active_threshold(s)
st.markdown(f"Active: **`{model}`** with threshold **{threshold:.3f}**")

versions = readers.model_versions(url)
st.subheader("Versions")
if versions:
    models_view.versions_table(versions)
else:
    st.caption("No version yet: train one below (or `deertrack train`).")

st.subheader("Train")
models_view.train_form()
if models_view.follow(K.TRAIN_JOB, "Training (epochs, loss and time left):"):
    readers.clear_caches()
    st.rerun()  # the new version in the table and the version picker

st.subheader("Promote or roll back")
st.caption("Promoting re-embeds every detection with the version (the cache keeps each "
           "model's vectors), re-scores and re-matches, as one job; rollback is one click.")  # fmt: skip
models_view.switch(versions)
if models_view.follow(K.SWITCH_JOB, "Switching the model:"):
    readers.clear_caches()
    st.rerun()

st.subheader("Recent model jobs")
recent = [j for j in jobs.recent(30) if j.kind in ("train", "promote", "rollback")][:5]
if recent:
    jobs.table_view(recent)
else:
    st.caption("None yet.")
