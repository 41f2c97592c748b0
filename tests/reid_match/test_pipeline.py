"""calibrate_and_match on a small synthetic season, through the real MobileNetV2."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from deertrack_core import db
from deertrack_core.demo import load_demo
from deertrack_core.models import Detection, MatchStatus, ReidSetting, ReidSimilarityScore
from deertrack_core.reid.calibration import InsufficientEvidenceError
from deertrack_core.reid.pipeline import calibrate_and_match


def _pending(session) -> int:
    return session.scalar(
        select(func.count(Detection.id)).where(
            Detection.match_status == MatchStatus.PENDING.value, Detection.category == "animal"
        )
    )


@pytest.mark.slow
def test_calibrated_pass_records_a_threshold_and_decides_every_pending_box(
    engine, db_url, tmp_path, monkeypatch
):
    monkeypatch.setenv("DEERTRACK_DATA_ROOT", str(tmp_path))
    load_demo(db_url, out_dir=tmp_path / "season", seed=5, n_deer=4, n_cameras=2,
              visits_per_deer=3.0)  # fmt: skip
    with db.session_scope(db_url) as s:
        assert _pending(s) > 0
    result = calibrate_and_match(db_url, user="tester", target_precision=0.9)
    with db.session_scope(db_url) as s:
        setting = s.scalars(select(ReidSetting).order_by(ReidSetting.id.desc())).first()
        assert setting.set_by == "tester"
        assert setting.threshold == pytest.approx(result.threshold)
        assert setting.evidence["same_pairs"] > 0
        assert _pending(s) == 0
        logged = s.scalar(
            select(func.count())
            .select_from(ReidSimilarityScore)
            .where(ReidSimilarityScore.run_id == result.match.run_id)
        )
    assert logged == result.match.scores_logged > 0
    assert result.match.auto + result.match.proposed + result.match.new == result.match.tracks


def test_too_little_evidence_is_refused_with_what_to_do(engine, db_url, tmp_path, monkeypatch):
    monkeypatch.setenv("DEERTRACK_DATA_ROOT", str(tmp_path))
    load_demo(db_url, out_dir=tmp_path / "season", seed=5, n_deer=1, n_cameras=1,
              visits_per_deer=2.0)  # fmt: skip
    with pytest.raises(InsufficientEvidenceError, match="Review more detections"):
        calibrate_and_match(db_url, user="tester")
    with db.session_scope(db_url) as s:
        assert s.scalar(select(func.count(ReidSetting.id))) == 0
