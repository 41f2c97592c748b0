"""deertrack threshold: does the recorded threshold still meet its goal? Its history."""

from __future__ import annotations

import argparse

NAME = "threshold"
HELP = (
    "Refit the threshold calibrator on today's reviewed evidence and say whether the recorded "
    "threshold still meets its target precision (with a 95%% interval); --history lists every "
    "recorded threshold; --auto applies the refit when DEERTRACK_AUTO_THRESHOLD allows."
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--url", help="database URL (default: DEERTRACK_DATABASE_URL)")
    parser.add_argument("--model", help="embedding model (default: the active one)")
    parser.add_argument("--history", action="store_true", help="list the recorded thresholds")
    parser.add_argument(
        "--auto", action="store_true",
        help="apply the recommendation if DEERTRACK_AUTO_THRESHOLD=on and enough new pairs",
    )  # fmt: skip


def run(args: argparse.Namespace) -> int:
    from deertrack_core import db
    from deertrack_core.reid import drift

    with db.session_scope(args.url) as session:
        if args.history:
            for r in drift.threshold_history(session, args.model):
                pairs = r.evidence.get("same_pairs", "-")
                print(f"{r.set_at:%Y-%m-%d %H:%M}  {r.model}  {r.threshold:.3f}  {r.goal or '-'}  "
                      f"{r.kind} by {r.set_by}  same-deer pairs {pairs}")  # fmt: skip
            return 0
        if args.auto:
            decision = drift.auto_apply(session)
            print(("applied " if decision.applied else "not applied: ") + decision.reason)
            if decision.threshold is not None:
                print(f"threshold in force: {decision.threshold:.3f}")
            return 0
        r = drift.drift_report(session, args.model)
    lo, hi = r.interval
    recorded = "recorded" if r.recorded else "setting (none recorded)"
    print(f"model {r.model}: {recorded} threshold {r.threshold:.3f}, target precision "
          f"{r.target_precision:g}")  # fmt: skip
    print(
        f"today's evidence: {r.same_pairs} same-deer / {r.different_pairs} different pairs "
        f"({r.new_pairs} same-deer pairs new since it was fitted), ROC AUC {r.roc_auc:.3f}"
    )
    if r.trained_left_out:
        print(f"({r.trained_left_out} reviewed detections left out: the model was trained on them)")
    print(f"precision at the threshold: {r.precision:.3f} [95% {lo:.3f}-{hi:.3f}] over "
          f"{r.called} pairs called a match: {r.verdict}")  # fmt: skip
    rlo, rhi = r.recommended_interval
    note = "" if r.recommended_achieved else " (target not reached)"
    print(f"refit recommends {r.recommended:.3f}: precision {r.recommended_precision:.3f} "
          f"[95% {rlo:.3f}-{rhi:.3f}]{note}")  # fmt: skip
    return 0
