"""Export request validation: every field, all problems at once, deployments checked in the DB."""

from __future__ import annotations

import datetime as dt

import pytest

from deertrack_core.errors import ValidationError
from deertrack_core.models import Deployment
from deertrack_core.reports.request import (
    REPORT_TYPES,
    ExportRequest,
    validate_export_request,
)

GOOD = {
    "report_type": "seasonal_activity",
    "start_date": "2024-05-01",
    "end_date": "2024-09-30",
    "group_by": "week",
    "independence_minutes": 30,
}


def problems_of(data, **kw) -> dict[str, str]:
    with pytest.raises(ValidationError) as info:
        validate_export_request(data, **kw)
    return info.value.problems


def test_valid_request_becomes_export_request():
    req = validate_export_request(GOOD)
    assert req == ExportRequest(
        report_type="seasonal_activity",
        start_date=dt.date(2024, 5, 1),
        end_date=dt.date(2024, 9, 30),
        group_by="week",
        independence_minutes=30.0,
    )


@pytest.mark.parametrize(
    ("report_type", "fmt"),
    [
        ("seasonal_activity", "pdf"),
        ("individual_history", "pdf"),
        ("camera_summary", "pdf"),
        ("detections_csv", "csv"),
        ("record_table_csv", "csv"),
        ("camtrap_dp", "zip"),
        ("secr_capthist", "zip"),
        ("mark_inp", "inp"),
        ("detection_history", "zip"),
        ("scores_csv", "csv"),
        ("scores_parquet", "parquet"),
        ("megadetector_json", "json"),
    ],
)
def test_format_follows_report_type(report_type, fmt):
    assert validate_export_request({"report_type": report_type}).fmt == fmt


def test_every_report_type_has_a_format():
    assert len(REPORT_TYPES) == 12


def test_defaults_for_optional_fields():
    req = validate_export_request({"report_type": "camtrap_dp"})
    assert (req.start_date, req.end_date, req.group_by, req.deployments) == (None, None, "week", ())
    assert req.independence_minutes == 30.0


def test_as_dict_round_trips():
    req = validate_export_request({**GOOD, "deployments": [3, 1, 3]})
    assert req.deployments == (1, 3)
    assert validate_export_request(req.as_dict()) == req


@pytest.mark.parametrize(
    ("value", "expected"),
    [(True, True), ("true", True), ("1", True), (1, True), (False, False), ("no", False),
     (None, False), ("", False)],
)  # fmt: skip
def test_confirmed_only_is_a_flag(value, expected):
    req = validate_export_request({**GOOD, "confirmed_only": value})
    assert req.confirmed_only is expected
    assert validate_export_request(req.as_dict()) == req


@pytest.mark.parametrize("value", ["maybe", 2, [True], {"x": 1}])
def test_confirmed_only_that_is_not_a_flag_is_refused(value):
    problems = problems_of({**GOOD, "confirmed_only": value})
    assert "confirmed_only must be true or false" in problems["confirmed_only"]


def test_scores_filters_are_checked_and_only_for_scores_exports():
    req = validate_export_request({"report_type": "scores_csv", "model": "mobilenetv2-imagenet",
                                   "run_id": "backfill-3dd912af"})  # fmt: skip
    assert (req.model, req.run_id) == ("mobilenetv2-imagenet", "backfill-3dd912af")
    assert validate_export_request(req.as_dict()) == req
    assert (
        "not a run id" in problems_of({"report_type": "scores_csv", "run_id": "x; drop"})["run_id"]
    )
    assert "at most 300" in problems_of({"report_type": "scores_csv", "model": "m" * 301})["model"]
    assert "scores exports only" in problems_of({**GOOD, "model": "x"})["model"]


def test_start_after_end_is_refused():
    problems = problems_of({**GOOD, "start_date": "2024-10-01"})
    assert problems == {"start_date": "start_date must be on or before end_date"}


@pytest.mark.parametrize(
    ("field", "value", "match"),
    [
        ("report_type", "pie_chart", "not known; choose one of seasonal_activity"),
        ("report_type", None, "report_type is required"),
        ("start_date", "01/05/2024", "start_date must be an ISO date"),
        ("end_date", "2024-02-30", "end_date must be an ISO date"),
        ("end_date", 20240101, "end_date must be an ISO date"),
        ("group_by", "year", "group_by must be one of day, week, month"),
        ("independence_minutes", -1, "independence_minutes must be 0 or more"),
        ("independence_minutes", "soon", "independence_minutes must be a number"),
        ("independence_minutes", True, "independence_minutes must be a number"),
        ("deployments", "1,2", "deployments must be a list"),
        ("deployments", [1, -2], "not ids: -2"),
        ("colour", "red", "unknown field 'colour'"),
    ],
)
def test_bad_field_is_named_with_its_fix(field, value, match):
    problems = problems_of({**GOOD, field: value})
    assert list(problems) == [field]
    assert match in problems[field]


def test_all_problems_are_reported_at_once():
    problems = problems_of(
        {"report_type": "x", "start_date": "nope", "group_by": "year", "extra": 1}
    )
    assert set(problems) == {"report_type", "start_date", "group_by", "extra"}


def test_non_mapping_is_refused():
    with pytest.raises(ValidationError, match="must be an object"):
        validate_export_request(["report_type"])  # type: ignore[arg-type]


def test_deployments_must_exist(session):
    session.add(Deployment(station="A", camera="c1"))
    session.commit()
    existing = session.query(Deployment.id).scalar()
    problems = problems_of({**GOOD, "deployments": [existing, existing + 100]}, session=session)
    assert problems == {
        "deployments": f"deployments {existing + 100} do not exist; "
        "choose ids from the Deployments list"
    }


def test_existing_deployments_pass(session):
    session.add(Deployment(station="A", camera="c1"))
    session.commit()
    existing = session.query(Deployment.id).scalar()
    req = validate_export_request({**GOOD, "deployments": [str(existing)]}, session=session)
    assert req.deployments == (existing,)


# --- bounds: what an attacker (or a typo) sends -------------------------------------------------


@pytest.mark.parametrize(
    ("field", "value"),
    [("end_date", "9999-12-31"), ("start_date", "0001-01-01"), ("end_date", "1989-12-31")],
)
def test_dates_outside_1990_to_next_year_are_refused(field, value):
    data = {**GOOD, field: value}
    if field == "end_date":
        data["start_date"] = None
    assert "must lie between 1990-01-01 and" in problems_of(data)[field]


def test_the_last_day_of_next_year_is_allowed():
    last = dt.date(dt.date.today().year + 1, 12, 31)
    assert validate_export_request({**GOOD, "end_date": last.isoformat()}).end_date == last
    assert "must lie" in problems_of({**GOOD, "end_date": last + dt.timedelta(days=1)})["end_date"]


def test_a_huge_deployment_list_is_refused_by_its_length():
    problem = problems_of({**GOOD, "deployments": list(range(1, 300_001))})["deployments"]
    assert problem.startswith("deployments may name at most 10000 deployments (got 300000)")
    endless = iter(int, 1)  # never ends: counting must stop by itself
    assert "at most 10000" in problems_of({**GOOD, "deployments": endless})["deployments"]


@pytest.mark.parametrize("bad", [2**31, 10**30, "99999999999999999999999"])
def test_deployment_ids_beyond_the_column_are_refused(bad):
    assert "not ids" in problems_of({**GOOD, "deployments": [1, bad]})["deployments"]


def test_an_independence_interval_over_a_year_is_refused():
    assert (
        "at most 527040"
        in problems_of({**GOOD, "independence_minutes": 1e300})["independence_minutes"]
    )


def test_messages_never_echo_a_huge_input():
    found = problems_of(
        {"report_type": "x" * 100_000, "y" * 100_000: 1, **{str(i): 1 for i in range(50)}}
    )
    assert sum(len(k) + len(v) for k, v in found.items()) < 3000
