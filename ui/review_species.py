"""The review desk's species and sex/age helpers: "not a deer", a species picker, and the
sex/age class suggested from the reviewers' own labels (written only when a reviewer clicks)."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

import streamlit as st

from deertrack_core import settings, species_review
from deertrack_core.reid import sexage
from deertrack_core.review import ReviewItem, TrackRef
from deertrack_core.species import KNOWN
from ui import background, readers, resources

PICKER = "review_species_pick"


def not_target(ref: TrackRef, act: Callable[..., None]) -> None:
    """The "Not a deer" decision: another species (unnamed); the track leaves re-identification."""
    act(species_review.mark_not_target, ref.detection_ids, versions=dict(ref.versions),
        message="Marked as another species: out of re-identification.")  # fmt: skip


def species_picker(item: ReviewItem, ref: TrackRef, act: Callable[..., None]) -> None:
    """Name the species of the track (a target species keeps it in re-identification)."""
    with st.expander("Species"):
        st.caption(f"Target species: {settings.target_species()}. Another species leaves "
                   "re-identification; the detection keeps its species in exports.")  # fmt: skip
        picked = st.selectbox("Species of this animal", sorted(KNOWN), index=None,
                              accept_new_options=True, key=f"{PICKER}_{item.track_key}",
                              placeholder="Choose or type a species")  # fmt: skip
        if st.button("Set species", key="review_set_species", disabled=picked is None):
            act(species_review.set_species, ref.detection_ids, picked,
                versions=dict(ref.versions), message=f"Species set to {picked}.")  # fmt: skip


def sex_age_suggestion(url: str, model: str, item: ReviewItem, ref: TrackRef,
                       act: Callable[..., None]) -> None:  # fmt: skip
    """The class a classifier on the reviewed embeddings suggests, with its probability and
    its cross-validated accuracy; a button writes it (nothing is written otherwise)."""
    if item.sex_age != "unknown":
        return
    classifier = background.result(
        ("sex/age", url, model, readers.sex_age_version(url, model)),
        partial(readers.fit_sex_age, url, model),
        "Sex/age suggestion: learning from the reviewed deer…",
    )
    if classifier is None:
        return
    if isinstance(classifier, str):
        st.caption(f"Sex/age suggestion: none yet — {classifier}")
        return
    with resources.session() as s:
        suggestion = sexage.track_suggestion(s, classifier, ref.detection_ids)
    if suggestion is None:
        st.caption("Sex/age suggestion: none (this track has no embedding yet).")
        return
    text, button = st.columns([4, 1], vertical_alignment="center")
    text.markdown(
        f"Suggested sex/age: **{suggestion.value}** (probability {suggestion.probability:.0%}; "
        f"cross-validated accuracy {_pct(classifier.cv_accuracy_)} vs "
        f"{_pct(classifier.baseline_accuracy_)} always guessing the commonest class, "
        f"{classifier.n_individuals_} individuals)"
        + (" — :orange[no better than guessing yet: label more deer]"
           if not classifier.cv_accuracy_ > classifier.baseline_accuracy_ else "")
    )  # fmt: skip
    if button.button(f"Set {suggestion.value}", key="review_accept_sex", width="stretch",
                     icon=":material/lightbulb:"):  # fmt: skip
        act(sexage.accept_suggestion, ref, suggestion,
            message=f"Set to {suggestion.value} (suggested).")  # fmt: skip


def _pct(value: float) -> str:
    return "n/a" if value != value else f"{value:.0%}"
