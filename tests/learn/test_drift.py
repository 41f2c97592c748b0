"""The calibrator's drift check and the opt-in automatic threshold, on seeded evidence."""

from __future__ import annotations

import numpy as np
import pytest
from sqlalchemy import select

from deertrack_core.models import ReidSetting
from deertrack_core.reid import drift
from deertrack_core.reid.active import record as apply_threshold
from deertrack_core.reid.calibration import InsufficientEvidenceError
from tests.reid_match.builders import MODEL, Archive, near, unit

DEER, PER_DEER = 8, 10  # 80 same-deer pairs: enough for a Wilson bound above 0.95


@pytest.fixture
def evidence(engine, session, monkeypatch):
    monkeypatch.setenv("DEERTRACK_EMBEDDER", MODEL)
    rng = np.random.default_rng(7)
    arc = Archive(session)
    for centre in unit(rng, DEER, 32):
        deer = arc.deer()
        for v in near(rng, centre, PER_DEER, 0.08):
            arc.detection(v, deer=deer)
    session.commit()
    return session


def _record(session, threshold: float, same_pairs: int = 10) -> None:
    apply_threshold(session, threshold, model=MODEL, goal="precision>=0.95", user="tester",
                    evidence={"same_pairs": same_pairs, "target_precision": 0.95})  # fmt: skip
    session.commit()


@pytest.mark.parametrize(
    ("threshold", "verdict"), [(0.5, "meets"), (-1.0, "fails"), (0.9999999, "untested")]
)
def test_recorded_threshold_is_judged_with_its_interval(evidence, threshold, verdict):
    _record(evidence, threshold)
    r = drift.drift_report(evidence)
    assert r.verdict == verdict and r.threshold == threshold
    assert r.same_pairs == DEER * PER_DEER and r.different_pairs == DEER * PER_DEER * (DEER - 1)
    lo, hi = r.interval
    assert lo <= r.precision <= hi
    assert r.new_pairs == DEER * PER_DEER - 10


def test_too_little_evidence_is_an_error_with_the_fix(engine, session, monkeypatch):
    monkeypatch.setenv("DEERTRACK_EMBEDDER", MODEL)
    with pytest.raises(InsufficientEvidenceError, match="at least 2"):
        drift.drift_report(session)


def test_wilson_interval_matches_the_textbook_values():
    lo, hi = drift.wilson_interval(8, 10)
    assert (round(lo, 3), round(hi, 3)) == (0.490, 0.943)
    assert drift.wilson_interval(0, 0) == (0.0, 1.0)


def test_auto_apply_is_off_unless_opted_in(evidence):
    _record(evidence, -0.5)
    decision = drift.auto_apply(evidence)
    assert not decision.applied and "DEERTRACK_AUTO_THRESHOLD" in decision.reason
    assert len(evidence.scalars(select(ReidSetting)).all()) == 1


def test_auto_apply_waits_for_enough_new_pairs(evidence, monkeypatch):
    monkeypatch.setenv("DEERTRACK_AUTO_THRESHOLD", "on")
    monkeypatch.setenv("DEERTRACK_AUTO_THRESHOLD_PAIRS", "50")
    _record(evidence, -0.5, same_pairs=60)  # 20 new pairs since
    decision = drift.auto_apply(evidence)
    assert not decision.applied and "20 new same-deer pairs of the 50" in decision.reason


def test_auto_apply_records_the_refit_like_a_manual_apply(evidence, monkeypatch):
    monkeypatch.setenv("DEERTRACK_AUTO_THRESHOLD", "on")
    monkeypatch.setenv("DEERTRACK_AUTO_THRESHOLD_PAIRS", "50")
    _record(evidence, -0.5, same_pairs=10)  # a stale threshold, 70 new pairs since
    before = drift.drift_report(evidence)
    assert before.verdict == "fails"
    decision = drift.auto_apply(evidence)
    evidence.commit()
    assert decision.applied and decision.threshold == before.recommended
    history = drift.threshold_history(evidence)
    assert [h.kind for h in history] == ["automatic", "manual"]
    latest = history[0]
    assert latest.set_by == drift.AUTO_USER and latest.threshold == before.recommended
    assert latest.evidence["auto"] is True and latest.evidence["new_pairs"] == 70
    assert latest.evidence["same_pairs"] == DEER * PER_DEER
    after = drift.drift_report(evidence)
    # the recommendation reaches the target on the point estimate; its interval may straddle it
    assert after.precision >= 0.95 and after.verdict in ("meets", "uncertain")
    assert after.new_pairs == 0
    assert not drift.auto_apply(evidence).applied  # nothing new: no second refit


def test_threshold_command_prints_the_verdict_and_the_history(evidence, capsys):
    from deertrack_cli.main import main

    _record(evidence, 0.5)
    assert main(["threshold"]) == 0
    out = capsys.readouterr().out
    assert "recorded threshold 0.500, target precision 0.95" in out
    assert "precision at the threshold: 1.000" in out and out.count(": meets") == 1
    assert main(["threshold", "--history"]) == 0
    assert "test-model  0.500  precision>=0.95  manual by tester" in capsys.readouterr().out
    assert main(["threshold", "--auto"]) == 0
    assert "not applied: DEERTRACK_AUTO_THRESHOLD is off" in capsys.readouterr().out


def test_a_versions_evidence_leaves_out_what_it_was_trained_on(engine, session):
    from deertrack_core.models import ModelVersion

    rng = np.random.default_rng(3)
    arc = Archive(session, model="version:tuned")
    dets = []
    for centre in unit(rng, 4, 16):
        deer = arc.deer()
        dets += [arc.detection(v, deer=deer).id for v in near(rng, centre, 5, 0.1)]
    trained = dets[:10]  # two deer's detections: the model has seen them
    session.add(ModelVersion(name="tuned", base_model="mobilenetv2-imagenet", file="tuned.pt",
                             training_set={"trained_detections": trained}, settings={},
                             metrics={}, created_by="tester"))  # fmt: skip
    session.commit()
    r = drift.drift_report(session, "version:tuned")
    assert r.trained_left_out == 10 and r.same_pairs == 10  # only the other two deer's 10
    assert r.different_pairs == 10  # each scored against the one other unseen deer


def test_reid_applies_the_refit_first_when_opted_in(evidence, monkeypatch, capsys):
    from deertrack_cli.main import main

    monkeypatch.setenv("DEERTRACK_AUTO_THRESHOLD", "on")
    monkeypatch.setenv("DEERTRACK_AUTO_THRESHOLD_PAIRS", "50")
    _record(evidence, -0.5, same_pairs=10)
    assert main(["reid"]) == 0
    out = capsys.readouterr().out
    assert "automatic threshold" in out and "after 70 new same-deer pairs" in out
    evidence.expire_all()
    assert drift.threshold_history(evidence)[0].kind == "automatic"
