"""deertrack abundance and deertrack scores summary, end to end on a matched archive."""

from __future__ import annotations

import json

from deertrack_cli.main import main


def run_json(capsys, *argv) -> dict:
    assert main(list(argv)) == 0
    return json.loads(capsys.readouterr().out)


def test_abundance_json_gives_each_model_both_intervals(season, db_url, capsys):
    body = run_json(capsys, "abundance", "--occasion", "week", "--json", "--replicates", "20",
                    "--url", db_url)  # fmt: skip
    assert body["occasion"] == "week" and body["occasions"] == season["weeks"]
    assert body["identities"] == "confirmed and automatic identities"
    models = {m["model"]: m for m in body["models"]}
    assert set(models) == {"M0", "Mt", "Mb", "Mh2"}
    for m in models.values():
        assert set(m["sampling"]) >= {"lower", "upper"}
        assert set(m["with_id_error"]) >= {"estimate", "lower", "upper"}
    m0 = models["M0"]
    assert (
        m0["with_id_error"]["lower"]
        <= m0["with_id_error"]["estimate"]
        <= m0["with_id_error"]["upper"]
    )
    assert body["id_error"]["replicates"] == 20


def test_abundance_confirmed_only_and_text_table(season, db_url, capsys):
    body = run_json(capsys, "abundance", "--confirmed-only", "--occasion", "day", "--json",
                    "--url", db_url)  # fmt: skip
    assert body["confirmed_only"] is True and "confirmed identities only" in body["id_error_note"]
    assert main(["abundance", "--replicates", "10", "--url", db_url]) == 0
    out = capsys.readouterr().out
    assert "sampling only" in out and "with ID error" in out and "Chapman" in out


def test_abundance_refuses_bad_input_with_the_field(season, db_url, capsys):
    assert main(["abundance", "--replicates", "0", "--url", db_url]) == 2
    assert "--replicates must be 1 to" in capsys.readouterr().err
    assert main(["abundance", "--start", "2026-13-01", "--url", db_url]) == 2
    assert "start_date must be an ISO date" in capsys.readouterr().err


def test_scores_summary_reports_the_matching_run(season, db_url, capsys):
    body = run_json(capsys, "scores", "summary", "--json", "--url", db_url)
    assert body["total"] > 0 and body["matched"] == 12  # one matched score per machine match
    (run,) = body["runs"]
    assert run["kind"] == "matching" and run["threshold"] == 0.9
    assert main(["scores", "summary", "--url", db_url, "--bins", "5"]) == 0
    assert "led to a match" in capsys.readouterr().out
