"""Where each identity came from, and which identities a count includes.

Every detection's identity is one of:

* ``confirmed``: a reviewer confirmed it or chose the deer (match status confirmed/corrected);
* ``automatic``: the machine decided: matched at or above the recorded threshold (``auto``), or
  created a new individual because nothing reached it (``new``); the model and threshold of
  the decision come from the logged scores (:func:`attach_decisions`);
* ``proposed``: no identity taken: candidates wait for a reviewer;
* ``unidentified``: no identity and none proposed (matching has not run, or not an animal box);
* ``rejected``: a reviewer said it is not a deer.

Counts of individuals use ``confirmed`` and ``automatic`` identities by default, or
``confirmed`` only when the user asks (:func:`apply_scope`); either way the report says which.
This is the one place that classification is made: the loaders, PDFs, CSVs and Camtrap DP call it.
"""

from __future__ import annotations

import enum

import numpy as np
import pandas as pd
from sqlalchemy import String, select, type_coerce
from sqlalchemy.orm import Session

from deertrack_core.models import Detection, MatchStatus, ReidSimilarityScore


class Provenance(enum.StrEnum):
    CONFIRMED = "confirmed"
    AUTOMATIC = "automatic"
    PROPOSED = "proposed"
    UNIDENTIFIED = "unidentified"
    REJECTED = "rejected"


HUMAN = (MatchStatus.CONFIRMED.value, MatchStatus.CORRECTED.value)
MACHINE = (MatchStatus.AUTO.value, MatchStatus.NEW.value)

#: What a count of individuals includes, in words, by scope.
SCOPE_TEXT = {
    False: "confirmed and automatic identities",
    True: "confirmed identities only",
}


def classify(match_status: pd.Series, deer_id: pd.Series) -> pd.Series:
    """The :class:`Provenance` of each detection from its match status and deer."""
    status = match_status.astype("string").fillna(MatchStatus.PENDING.value).to_numpy()
    has_deer = deer_id.notna().to_numpy()
    out = np.full(len(status), Provenance.UNIDENTIFIED.value, dtype=object)
    out[status == MatchStatus.PROPOSED.value] = Provenance.PROPOSED.value
    out[np.isin(status, MACHINE) & has_deer] = Provenance.AUTOMATIC.value
    out[np.isin(status, HUMAN) & has_deer] = Provenance.CONFIRMED.value
    out[status == MatchStatus.REJECTED.value] = Provenance.REJECTED.value
    return pd.Series(out, index=match_status.index, name="provenance")


def apply_scope(df: pd.DataFrame, confirmed_only: bool) -> pd.DataFrame:
    """Add ``provenance``; with ``confirmed_only`` a machine identity is not counted (the box
    stays, as an unidentified deer)."""
    out = df.assign(provenance=classify(df["match_status"], df["deer_id"]))
    if confirmed_only:
        machine = out["provenance"] != Provenance.CONFIRMED.value
        out["deer_id"] = out["deer_id"].mask(machine)
        if "deer_name" in out.columns:
            out["deer_name"] = out["deer_name"].mask(machine)
    out.attrs["confirmed_only"] = bool(confirmed_only)
    return out


def counts(df: pd.DataFrame) -> dict[str, int]:
    """Detections by provenance (every class present, zeros included)."""
    prov = df["provenance"] if "provenance" in df.columns else classify(
        df["match_status"], df["deer_id"])  # fmt: skip
    found = prov.value_counts()
    return {p.value: int(found.get(p.value, 0)) for p in Provenance}


def reviewed_share(df: pd.DataFrame) -> float | None:
    """Share of the (non-rejected) boxes whose identity a reviewer set; None without boxes."""
    prov = classify(df["match_status"], df["deer_id"])
    prov = prov[prov != Provenance.REJECTED.value]
    return float((prov == Provenance.CONFIRMED.value).mean()) if len(prov) else None


def scope_label(confirmed_only: bool) -> str:
    """Short label for a count: "(confirmed + automatic)" or "(confirmed only)"."""
    return "(confirmed only)" if confirmed_only else "(confirmed + automatic)"


def decisions(session: Session) -> pd.DataFrame:
    """Model, threshold and run of each machine identity decision, from the logged scores.

    One row per detection whose status is auto or new: the latest matching run that scored it
    (backfill runs are evidence, not decisions, and are skipped). Detections without scores
    (a first deer created from an empty gallery) are absent.
    """
    s = ReidSimilarityScore
    stmt = (
        select(
            s.detection_id,
            s.model,
            s.threshold_used,
            s.run_id,
            type_coerce(s.calculated_at, String()),
        )  # fmt: skip
        .join(Detection, Detection.id == s.detection_id)
        .where(
            Detection.match_status.in_(MACHINE),
            ~s.run_id.startswith("backfill-"),
            # the matched row of an automatic match; any row of a new individual's decision
            (s.matched.is_(True)) | (Detection.match_status == MatchStatus.NEW.value),
        )
        .distinct()
    )
    rows = session.connection().execute(stmt).all()
    cols = ["detection_id", "identity_model", "identity_threshold", "identity_run", "at"]
    df = pd.DataFrame(rows, columns=cols)
    if df.empty:
        return df.drop(columns="at")
    df = df.sort_values(["detection_id", "at"]).drop_duplicates("detection_id", keep="last")
    return df.drop(columns="at").reset_index(drop=True)


def attach_decisions(session: Session, df: pd.DataFrame) -> pd.DataFrame:
    """Add ``identity_model``, ``identity_threshold`` and ``identity_run`` to machine rows."""
    info = decisions(session)
    out = df.merge(info, on="detection_id", how="left") if len(info) else df.assign(
        identity_model=None, identity_threshold=np.nan, identity_run=None)  # fmt: skip
    machine = classify(out["match_status"], out["deer_id"]) == Provenance.AUTOMATIC.value
    for col in ("identity_model", "identity_threshold", "identity_run"):
        out[col] = out[col].where(machine.to_numpy())
    return out


def machine_summary(df: pd.DataFrame) -> str:
    """ "model X at threshold 0.895" for the machine identities in ``df`` (several: listed)."""
    if "identity_model" not in df.columns:
        return ""
    pairs = df[["identity_model", "identity_threshold"]].dropna().drop_duplicates()
    return "; ".join(f"{m} at threshold {t:.3f}" for m, t in pairs.itertuples(index=False))
