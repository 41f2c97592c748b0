"""The dashboard in a real headless Chromium, with a real worker, on a small demo season.

Starts the dashboard as ``make run`` does (:mod:`ui.launch`) and ``deertrack worker`` on a scratch SQLite database holding a
small synthetic season (matched once, so the review queue has candidates), screenshots every page
into ``tests/browser/artifacts/``, runs an export end to end, downloading the file, and drives the
review desk (compare, zoom, box edits with undo), a bulk split, a re-import and, last, the removal
of the demo season.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from ui import served

pytestmark = [pytest.mark.browser, pytest.mark.slow]

ARTIFACTS = Path(__file__).resolve().parent / "artifacts"
CHROMIUM, FLAGS = served.CHROMIUM, served.FLAGS
# url path -> text that shows the page has arrived over the websocket
PAGES = {
    "": "What to do next",
    "import_data": "MegaDetector JSON on the server",
    "review": "Candidates",
    "individuals": "individuals; the most sighted first",
    "audit": "Audit trail",
    "similarity": "All scores",
    "threshold": "Recommended thresholds",
    "models": "Promote or roll back",
    "population": "Simple estimators",
    "exports": "Recent exports",
    "jobs": "Recent jobs",
}


@pytest.fixture(scope="module")
def dashboard(tmp_path_factory) -> Iterator[str]:
    if not Path(CHROMIUM).exists():
        pytest.skip(f"{CHROMIUM} is not installed")
    work = tmp_path_factory.mktemp("browser")
    env = served.scratch_env(f"sqlite:///{work / 'deertrack.db'}", work,
                             DEERTRACK_USER="browser-test", DEERTRACK_HUEY_IMMEDIATE="0")  # fmt: skip
    os.environ["DT_BROWSER_WORK"] = str(work)  # the re-import test names the demo's folder
    served.cli(env, "migrate")
    served.cli(env, "demo", "--deer", "6", "--cameras", "3", "--no-progress")
    served.cli(env, "reid")
    served.cli(env, "backfill")  # scores the reviewed detections too: both similarity histograms
    with served.serve(env, work / "processes.log", worker=True) as base:
        yield base


@pytest.fixture(scope="module")
def page(dashboard):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=FLAGS, headless=True)
        context = browser.new_context(
            viewport={"width": 1440, "height": 1800}, accept_downloads=True
        )
        tab = context.new_page()
        tab.set_default_timeout(60_000)
        yield tab
        context.close()
        browser.close()


@pytest.mark.parametrize("path", list(PAGES))
def test_every_page_renders_and_is_screenshotted(dashboard, page, path):
    page.goto(f"{dashboard}/{path}")
    page.get_by_text(PAGES[path], exact=False).first.wait_for()
    page.wait_for_timeout(1500)  # charts and images finish drawing
    assert page.locator("[data-testid='stException']").count() == 0
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{path or 'overview'}.png"), full_page=True)


def test_a_deer_page_shows_its_sightings(dashboard, page):
    page.goto(f"{dashboard}/individuals")
    page.get_by_role("button", name="Open").first.click()
    page.get_by_text("Latest sightings").first.wait_for()
    page.wait_for_timeout(1500)
    page.screenshot(path=str(ARTIFACTS / "individual.png"), full_page=True)


def _ready(page) -> None:
    """Wait until the script run is over and everything it sent has drawn."""
    from bench.browser_pages import RENDERED

    page.wait_for_function(RENDERED, timeout=60_000, polling=100)


def _press(page, key: str) -> None:
    page.get_by_role("heading", name="Review detections").click()  # focus the page, not a widget
    page.keyboard.press(key)
    page.wait_for_timeout(300)
    _ready(page)


def _big_pictures(page) -> list[str]:
    """The sources of the compare view's two pictures (the detection, then the candidate)."""
    return page.eval_on_selector_all(
        "[data-testid='stImage'] img",
        "imgs => imgs.filter(i => i.naturalWidth >= 600).map(i => i.src)",
    )


def test_review_compare_zoom_and_candidates(dashboard, page):
    page.goto(f"{dashboard}/review")
    page.get_by_text("Candidates").first.wait_for()
    _ready(page)
    first = _big_pictures(page)
    assert len(first) == 2  # the detection and the candidate, drawn at the same size
    sizes = page.eval_on_selector_all(
        "[data-testid='stImage'] img",
        "imgs => imgs.filter(i => i.naturalWidth >= 600).map(i => [i.width, i.height])",
    )
    assert sizes[0] == sizes[1]
    _press(page, "z")  # zoom: both pictures change
    zoomed = _big_pictures(page)
    assert not set(zoomed) & set(first)
    page.screenshot(path=str(ARTIFACTS / "review-zoom.png"))
    caption = page.get_by_text("Candidate 1:").first.inner_text()
    _press(page, "ArrowDown")  # compare with the next candidate
    page.get_by_text("Candidate 2:").first.wait_for()
    assert page.get_by_text("Candidate 2:").first.inner_text() != caption
    _press(page, "p")  # the whole photo
    page.get_by_text("var/demo-season/").first.wait_for()
    page.screenshot(path=str(ARTIFACTS / "review-photo.png"), full_page=True)
    _press(page, "v")


def test_review_keyboard_skip(dashboard, page):
    page.goto(f"{dashboard}/review")
    page.get_by_text("Candidates").first.wait_for()
    _ready(page)
    header = page.get_by_text("tracks in the queue").first
    first = header.inner_text()
    _press(page, "s")  # skip: the next track comes up
    deadline = time.monotonic() + 30
    while header.inner_text() == first and time.monotonic() < deadline:
        page.wait_for_timeout(250)
    assert header.inner_text() != first


def _trail(page, dashboard) -> list[str]:
    page.goto(f"{dashboard}/audit")
    page.get_by_text("Audit trail").first.wait_for()
    _ready(page)
    return page.locator("[data-testid='stMarkdown']").all_inner_texts()


def test_box_edit_by_drawing_is_audited_and_undone(dashboard, page):
    page.goto(f"{dashboard}/review")
    page.get_by_text("Candidates").first.wait_for()
    _ready(page)
    _press(page, "b")
    chart = page.locator("[data-testid='stVegaLiteChart']").first
    chart.wait_for()
    page.wait_for_timeout(1000)
    box = chart.bounding_box()
    x0, y0 = box["x"] + box["width"] * 0.1, box["y"] + box["height"] * 0.1
    page.mouse.move(x0, y0)
    page.mouse.down()
    page.mouse.move(x0 + box["width"] * 0.3, y0 + box["height"] * 0.4, steps=8)
    page.mouse.up()
    page.get_by_role("button", name="Use the drawn rectangle").wait_for()
    deadline = time.monotonic() + 30
    use = page.get_by_role("button", name="Use the drawn rectangle")
    while use.is_disabled() and time.monotonic() < deadline:
        page.wait_for_timeout(250)
    use.click()
    _ready(page)
    page.screenshot(path=str(ARTIFACTS / "review-boxes.png"))
    page.get_by_role("button", name="Move the box here").click()
    page.get_by_text("moved.").first.wait_for()
    assert any(t.startswith("box") and "moved or resized" in t for t in _trail(page, dashboard))
    page.screenshot(path=str(ARTIFACTS / "audit.png"), full_page=True)
    page.locator("button", has_text="Undo").first.click()
    page.get_by_text("Undone: box").first.wait_for()
    assert any("~~" not in t and "undone" in t.lower() for t in _trail(page, dashboard))


def test_a_deer_split_from_the_deer_page(dashboard, page):
    page.goto(f"{dashboard}/individuals")
    page.get_by_role("button", name="Open").first.click()
    page.get_by_text("Latest sightings").first.wait_for()
    page.get_by_text("Pick sightings to split off").click()
    boxes = page.locator(
        "[data-testid='stCheckbox']", has_text="#"
    )  # the sightings, not the toggle
    boxes.first.wait_for()
    boxes.nth(0).click()
    _ready(page)
    boxes.nth(1).click()
    _ready(page)
    page.get_by_role("button", name="Move 2 sightings to a new deer").click()
    page.get_by_text("2 sightings of").first.wait_for()
    assert any(t.startswith("split") for t in _trail(page, dashboard))


def test_demo_notice_is_shown(dashboard, page):
    page.goto(dashboard)
    page.get_by_text("Synthetic demo data").first.wait_for()


def test_export_runs_end_to_end_and_downloads(dashboard, page):
    page.goto(f"{dashboard}/exports")
    page.get_by_text("Recent exports").first.wait_for()
    page.get_by_test_id("stSelectbox").first.click()
    page.get_by_role("option", name="Detections table (CSV)").click()
    page.get_by_role("button", name="Build report").click()
    button = page.get_by_test_id("stDownloadButton").locator("button")
    button.first.wait_for(timeout=120_000)  # the worker builds it; the page polls its status
    page.screenshot(path=str(ARTIFACTS / "exports-done.png"), full_page=True)
    with page.expect_download() as info:
        button.first.click()
    target = ARTIFACTS / info.value.suggested_filename
    info.value.save_as(target)
    header = target.read_text().splitlines()[0]
    assert target.suffix == ".csv" and "detection" in header.lower()


def test_reimporting_the_demo_folder_adds_no_camera(dashboard, page):
    page.goto(dashboard)
    page.get_by_text("What to do next").first.wait_for()
    _ready(page)
    cameras = page.get_by_test_id("stMetricValue").nth(3).inner_text()
    page.goto(f"{dashboard}/import_data")
    page.get_by_text("Recent imports").first.wait_for()
    folder = page.get_by_label("Folder", exact=True)
    folder.fill(str(Path(os.environ.get("DT_BROWSER_WORK", "")) / "var" / "demo-season"))
    page.get_by_role("button", name="Import").click()
    page.get_by_text("Photos stored").first.wait_for(timeout=120_000)
    page.goto(dashboard)
    page.get_by_text("What to do next").first.wait_for()
    _ready(page)
    assert page.get_by_test_id("stMetricValue").nth(3).inner_text() == cameras


def test_removing_the_demo_season_last(dashboard, page):
    page.goto(f"{dashboard}/import_data")
    page.get_by_text("The demo season").first.wait_for()
    page.get_by_text("Yes, remove the demo season").click()
    page.get_by_role("button", name="Remove the demo season").click()
    page.get_by_text("Demo season removed").first.wait_for(timeout=60_000)
    page.goto(dashboard)
    page.get_by_text("What to do next").first.wait_for()
    _ready(page)
    assert page.get_by_text("Synthetic demo data").count() == 0
    assert page.get_by_test_id("stMetricValue").first.inner_text() == "0"
