"""Signing in to the dashboard in a real headless Chromium: a wrong password is refused, the
right one shows the user's name and role, and the admin's menu has the Users page."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.browser.test_dashboard import ARTIFACTS, CHROMIUM, FLAGS
from ui import served

pytestmark = [pytest.mark.browser, pytest.mark.slow]
PASSWORD = "correct horse battery"


@pytest.fixture(scope="module")
def server(tmp_path_factory) -> Iterator[str]:
    if not Path(CHROMIUM).exists():
        pytest.skip(f"{CHROMIUM} is not installed")
    work = tmp_path_factory.mktemp("signin")
    env = served.scratch_env(f"sqlite:///{work / 'deertrack.db'}", work)
    served.cli(env, "migrate")
    for name, role in (("ada", "admin"), ("vic", "viewer")):
        served.cli(env, "user", "add", name, "--role", role, stdin=PASSWORD + "\n")
    with served.serve(env, work / "streamlit.log") as base:
        yield base


def test_sign_in_refuses_a_wrong_password_and_then_shows_the_user(server):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=FLAGS, headless=True)
        tab = browser.new_page(viewport={"width": 1280, "height": 900})
        tab.set_default_timeout(60_000)
        tab.goto(server)
        tab.get_by_text("Sign in to DeerTrack").wait_for()

        def sign_in(password: str, name: str = "ada") -> None:
            tab.get_by_label("User name").fill(name)
            tab.get_by_label("Password", exact=True).fill(password)
            tab.get_by_role("button", name="Sign in").click()

        sign_in("not the password")
        tab.get_by_text("Wrong user name or password").wait_for()
        sign_in(PASSWORD)
        tab.get_by_text("Signed in as").wait_for()
        tab.get_by_text("archive is empty").wait_for()
        sidebar = tab.locator('[data-testid="stSidebar"]')
        assert "ada" in sidebar.inner_text() and "(admin)" in sidebar.inner_text()
        assert sidebar.get_by_text("Users", exact=True).count() == 1
        ARTIFACTS.mkdir(exist_ok=True)
        tab.screenshot(path=str(ARTIFACTS / "signed_in.png"))
        tab.reload()  # a new Streamlit session: the sign-in is kept (the cookie's token)
        tab.get_by_text("archive is empty").wait_for()
        assert "ada" in sidebar.inner_text()
        assert tab.get_by_text("Sign in to DeerTrack").count() == 0
        tab.get_by_role("button", name="Sign out").click()
        tab.get_by_text("Sign in to DeerTrack").wait_for()
        tab.reload()  # signed out stays signed out: the token is revoked, the cookie cleared
        tab.get_by_text("Sign in to DeerTrack").wait_for()
        assert not [c for c in tab.context.cookies() if c["name"] == "deertrack_signin"]
        sign_in(PASSWORD, "vic")
        tab.get_by_text("archive is empty").wait_for()
        menu = sidebar.inner_text()
        assert "vic" in menu and "(viewer)" in menu
        assert not {"Users", "Import", "Review", "Admin"} & set(menu.split("\n")), menu
        tab.screenshot(path=str(ARTIFACTS / "signed_in_viewer.png"))
        tab.goto(f"{server}/import_data")  # a new session, still signed in: the guard refuses
        tab.get_by_text("This page needs the admin role").wait_for()
        assert tab.get_by_text("Sign in to DeerTrack").count() == 0
        browser.close()
