"""The Models page's parts: the versions with their held-out evidence, training, promotion and
rollback as background jobs (issue 9)."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from deertrack_core.reid.versions import VersionInfo
from ui import errors, jobs, resources
from ui import state as K

METRICS = (("rank1", "rank-1"), ("rank5", "rank-5"), ("mean_ap", "mAP"), ("roc_auc", "AUC"))
SPLITS = {"identity_split": "held-out individuals", "time_split": "later sightings"}


def _f(value) -> str:
    return "–" if value is None else f"{value:.2f}"


def versions_table(versions: list[VersionInfo]) -> None:
    """One row per version: what it was trained on, and before → after on data it never saw."""
    rows = []
    for v in versions:
        row = {
            "version": ("● " if v.active else "") + v.name,
            "trained on": f"{v.crops:,} crops, {v.identities} deer",
            "created": v.created_at,
        }
        split = next((k for k in SPLITS if v.metrics.get(k)), None)
        row["evaluated on"] = SPLITS.get(split, "not evaluated")
        for key, label in METRICS:
            b, a = (
                ((v.metrics.get(split) or {}).get(w, {}).get(key) for w in ("before", "after"))
                if split
                else (None, None)
            )
            row[label] = f"{_f(b)} → {_f(a)}"
        row["train time"] = f"{v.metrics.get('train_seconds', 0):.0f} s"
        rows.append(row)
    st.dataframe(
        pd.DataFrame(rows), hide_index=True, width="stretch",
        column_config={"created": st.column_config.DatetimeColumn(format="D MMM HH:mm")},
    )  # fmt: skip
    bases = ", ".join(sorted({f"`{v.base_model}`" for v in versions}))
    st.caption(
        f"● the active model. Fine-tuned from {bases}. Metrics: base model → fine-tuned, on "
        "individuals held out of training (else on later sightings); `deertrack models show "
        "NAME` has both."
    )


def train_form() -> None:
    """Queue a fine-tuning job on the reviewed individuals' crops."""
    with st.form("models_train"):
        st.markdown("**Train a new version** on the crops of the individuals reviewers have "
                    "confirmed; a quarter of them are held out to measure it.")  # fmt: skip
        c = st.columns(3)
        epochs = c[0].number_input("Epochs", 1, 500, 12, key="models_epochs")
        blocks = c[1].number_input("Blocks trained", 1, 5, 2, key="models_blocks",
                                   help="Last modules of MobileNetV2 that learn (2 measured best)")  # fmt: skip
        holdout = c[2].slider("Held out", 0.1, 0.5, 0.25, 0.05, key="models_holdout",
                              help="Share of individuals kept out of training, to evaluate")  # fmt: skip
        if st.form_submit_button("Train", type="primary", icon=":material/model_training:",
                                 key="models_train_go"):  # fmt: skip
            with errors.shown():
                settings = {"epochs": int(epochs), "trainable_blocks": int(blocks)}
                st.session_state[K.TRAIN_JOB] = jobs.tasks().enqueue_train(
                    settings, holdout=float(holdout), actor=resources.actor()
                )


def switch(versions: list[VersionInfo]) -> None:
    """Promote a version (re-embed, re-score, re-match as one job) or roll back in one click."""
    a, b, c = st.columns([3, 1, 1], vertical_alignment="bottom")
    names = [v.name for v in versions]
    if st.session_state.get("models_pick") not in names:
        st.session_state.pop("models_pick", None)  # chosen before this version existed
    name = a.selectbox("Version", names, key="models_pick")
    if b.button("Promote", key="models_promote", icon=":material/upgrade:", width="stretch",
                disabled=name is None):  # fmt: skip
        with errors.shown():
            st.session_state[K.SWITCH_JOB] = jobs.tasks().enqueue_promote(
                name, actor=resources.actor()
            )
    if c.button("Roll back", key="models_rollback", icon=":material/undo:", width="stretch",
                help="Back to the model and threshold in use before the current one"):  # fmt: skip
        with errors.shown():
            st.session_state[K.SWITCH_JOB] = jobs.tasks().enqueue_rollback(actor=resources.actor())


def follow(key: str, what: str) -> bool:
    """Progress of the job under ``key``; True on the first run that sees it completed."""
    job_id = st.session_state.get(key)
    if not job_id:
        return False
    st.caption(what)
    return jobs.first_completion(jobs.follow(job_id))
