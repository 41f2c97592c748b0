"""The Population page: occasion and scope choices, each model with both intervals."""

from __future__ import annotations

import pytest

from tests.ui.conftest import run_page
from tests.ui.test_provenance_pages import machine_archive  # noqa: F401 - fixture
from ui import background
from ui import state as K


def _table(at):
    return at.dataframe[0].value


@pytest.mark.usefixtures("machine_archive")
def test_population_page_shows_each_model_with_both_intervals():
    at = run_page("population.py", timeout=60)
    assert not at.exception
    # First the sampling-only fit, at once; the ID-error intervals follow from the background.
    quick = _table(at)
    assert set(quick["95% with ID error"]) == {"computing…"}
    assert set(quick["N with ID error"]) == {"…"}  # not an empty number shown as "None"
    background.wait()
    at.run()
    df = _table(at)
    # The quick fit (from the rows the pages share) and the full report agree on sampling.
    cols = ["model", "N", "95% sampling only", "AICc"]
    assert quick[cols].sort_values("model").to_dict("records") == df[cols].sort_values(
        "model"
    ).to_dict("records")
    assert set(df["model"]) == {"M0", "Mt", "Mb", "Mh2"}
    for col in ("N", "95% sampling only", "N with ID error", "95% with ID error", "AICc"):
        assert col in df.columns
    assert "notes" not in df.columns  # sentences: under the table, not in a column cut off
    assert "computing…" not in set(df["95% with ID error"])  # the final table replaced it
    said = " ".join(m.value for m in at.markdown)
    assert "4 deer seen" in said and "confirmed and automatic identities" in said
    assert at.get("vega_lite_chart")  # the interval chart


@pytest.mark.usefixtures("machine_archive")
def test_population_page_follows_occasion_and_scope():
    at = run_page("population.py", timeout=60)
    at.button_group(key=K.POP_OCCASION).set_value("day").run()
    assert not at.exception
    assert "daily occasions" in " ".join(m.value for m in at.markdown)
    at.toggle(key=f"{K.CONFIRMED_ONLY_TOGGLE}_population").set_value(True).run()
    assert not at.exception
    said = " ".join(m.value for m in at.markdown)
    assert "3 deer seen" in said and "confirmed identities only" in said


def test_population_page_on_an_empty_archive_says_what_to_do(empty_db):
    at = run_page("population.py")
    assert not at.exception
    assert any("No identified deer yet" in i.value for i in at.info)


def test_model_notes_go_under_the_table_one_line_with_shared_notes_together():
    from ui import population_view

    class Report:  # what model_notes reads of a PopulationReport
        def model_rows(self):
            same = "no unseen deer suggested"
            return [{"model": "M0", "note": same}, {"model": "Mb", "note": same},
                    {"model": "Mh2", "note": "flat likelihood: no standard error"},
                    {"model": "Mt", "note": ""}]  # fmt: skip

    assert population_view.model_notes(Report()) == (
        "M0, Mb: no unseen deer suggested · Mh2: flat likelihood: no standard error"
    )
