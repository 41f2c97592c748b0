"""Accounts in the dashboard (AppTest): sign-in, throttling, sign-out, pages and menus by role."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from streamlit.testing.v1 import AppTest

from deertrack_core import auth, db, signin
from deertrack_core.models import Correction
from tests.ui.conftest import ROOT, run_page
from ui import navigation, resources
from ui.resources import ACTOR

PASSWORD = "correct horse battery"


@pytest.fixture
def accounts(archive, engine):
    """ada (admin), rex (reviewer), vic (viewer) on the small archive."""
    url = engine.url.render_as_string(hide_password=False)
    with db.session_scope(url) as s:
        for name, role in (("ada", "admin"), ("rex", "reviewer"), ("vic", "viewer")):
            auth.add_user(s, name, role, PASSWORD, actor=auth.Actor.console("root"))
    signin.THROTTLE.clear()
    yield url
    signin.THROTTLE.clear()


def _app(**state) -> AppTest:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=30)
    for k, v in state.items():
        at.session_state[k] = v
    return at.run()


def _sign_in(at: AppTest, name: str, password: str) -> AppTest:
    at.text_input(key="signin_name").input(name)
    at.text_input(key="signin_password").input(password)
    return at.button[0].click().run()


def _errors(at) -> str:
    return " ".join(e.value for e in at.error)


def test_without_accounts_there_is_no_sign_in(archive):
    at = _app()
    assert not at.exception
    assert not [t for t in at.text_input if t.key == "signin_name"]
    assert at.title[0].value != "Sign in to DeerTrack"  # a page, not the sign-in form


def test_once_accounts_exist_the_sign_in_comes_first(accounts):
    at = _app()
    assert not at.exception and at.title[0].value == "Sign in to DeerTrack"
    at = _sign_in(at, "rex", "wrong password!")
    assert "Wrong user name or password" in _errors(at)
    assert ACTOR not in at.session_state
    at = _sign_in(at, "rex", PASSWORD)
    assert not at.exception
    assert at.session_state[ACTOR] == auth.Actor.user("rex", "reviewer")
    assert any("Signed in as **rex** (reviewer)" in c.value for c in at.sidebar.caption)


def test_sign_out(accounts):
    at = _app(**{ACTOR: auth.Actor.user("vic", "viewer")})
    at.sidebar.button(key="signout").click().run()
    assert ACTOR not in at.session_state
    assert [t for t in at.text_input if t.key == "signin_name"]


def test_failed_sign_ins_are_throttled(accounts):
    at = _app()
    for _ in range(signin.FREE_FAILURES):
        at = _sign_in(at, "ada", "not the password")
        assert "Wrong user name" in _errors(at)
    at = _sign_in(at, "ada", PASSWORD)  # even the right password waits now
    assert "Too many failed sign-ins" in _errors(at)
    assert ACTOR not in at.session_state


def test_the_throttle_locks_per_name_and_client_and_unlocks_later(accounts):
    throttle = signin.Throttle()
    with db.session_scope(accounts) as s:
        for i in range(signin.FREE_FAILURES):
            with pytest.raises(auth.AuthenticationError, match="Wrong"):
                signin.sign_in(s, "ada", "nope nope nope", client="10.0.0.9", now=i,
                               throttle=throttle)  # fmt: skip
        with pytest.raises(auth.AuthenticationError, match="Too many"):
            signin.sign_in(s, "ada", PASSWORD, client="10.0.0.1", now=10, throttle=throttle)
        with pytest.raises(auth.AuthenticationError, match="Too many"):  # the client, too
            signin.sign_in(s, "rex", PASSWORD, client="10.0.0.9", now=10, throttle=throttle)
        assert signin.sign_in(s, "rex", PASSWORD, client="10.0.0.2", now=10, throttle=throttle)
        later = 10 + signin.LOCK_S
        assert signin.sign_in(s, "ada", PASSWORD, client="10.0.0.1", now=later, throttle=throttle)


@pytest.mark.parametrize(
    ("role", "visible", "hidden"),
    [
        ("viewer", {"Overview", "Individuals", "Exports", "Jobs", "Audit trail"},
         {"Review", "Import", "Users"}),
        ("reviewer", {"Review", "Individuals"}, {"Import", "Users"}),
        ("admin", {"Review", "Import", "Users"}, set()),
    ],
)  # fmt: skip
def test_the_menu_shows_only_what_the_role_may_use(accounts, role, visible, hidden):
    name = {"viewer": "vic", "reviewer": "rex", "admin": "ada"}[role]
    at = _app(**{ACTOR: auth.Actor.user(name, role)})
    assert not at.exception
    with _as(at):
        pages = navigation.visible_titles()
    assert visible <= pages and not hidden & pages


class _as:
    """Answer ``resources.actor()`` with the actor of an AppTest run."""

    def __init__(self, at: AppTest) -> None:
        self.actor = at.session_state[ACTOR]

    def __enter__(self):
        self._old, resources.actor = resources.actor, lambda: self.actor
        return self

    def __exit__(self, *exc):
        resources.actor = self._old


@pytest.mark.parametrize(("page", "needs"), [("import_data.py", "admin"),
                                              ("review.py", "reviewer"), ("users.py", "admin")])  # fmt: skip
def test_a_page_reached_by_its_url_refuses_a_role_too_low(accounts, page, needs):
    at = run_page(page, **{ACTOR: auth.Actor.user("vic", "viewer")})
    assert not at.exception
    assert f"This page needs the {needs} role" in _errors(at)
    assert not at.main.button  # nothing to press


def test_a_reviewer_confirms_and_the_audit_names_them(accounts):
    at = run_page("review.py", **{ACTOR: auth.Actor.user("rex", "reviewer")})
    assert not at.exception and not at.error
    at.button(key="review_confirm").click().run()
    assert not at.exception
    with db.session_scope(accounts) as s:
        who = s.scalars(select(Correction.changed_by).where(Correction.action == "confirm"))
        assert set(who) == {"rex"}


def test_a_disabled_user_is_signed_out_at_the_next_run(accounts):
    with db.session_scope(accounts) as s:
        auth.set_disabled(s, "vic", actor=auth.Actor.user("ada", "admin"))
    at = _app(**{ACTOR: auth.Actor.user("vic", "viewer")})
    assert ACTOR not in at.session_state
    assert [t for t in at.text_input if t.key == "signin_name"]


def test_an_admin_adds_a_user_and_makes_a_token_shown_once(accounts):
    admin = {ACTOR: auth.Actor.user("ada", "admin")}
    at = run_page("users.py", **admin)
    assert not at.exception
    at.text_input(key="users_add_name").input("sam")
    at.selectbox(key="users_add_role").set_value("reviewer")
    at.text_input(key="users_add_password").input(PASSWORD)
    at.button[0].click().run()  # the form's submit button
    assert not at.exception
    assert any("User sam added as reviewer" in s.value for s in at.success)
    at.selectbox(key="tokens_user").set_value("sam")
    at.button(key="tokens_create").click().run()
    token = [c.value for c in at.code]
    assert len(token) == 1 and token[0].startswith("dt_")
    at.run()
    assert not at.code  # shown once
    with db.session_scope(accounts) as s:
        assert auth.sign_in(s, "sam", PASSWORD).role == "reviewer"
        from deertrack_core import tokens

        assert tokens.actor_for_token(s, token[0]).name == "sam"


@pytest.mark.parametrize(("page", "write"), [("individuals.py", "deer_rename_btn"),
                                              ("jobs.py", "jobs_backfill")])  # fmt: skip
def test_a_viewer_sees_no_write_buttons(archive, accounts, page, write):
    deer = {"deer_selected": archive.deer[0]}
    viewer = run_page(page, **{ACTOR: auth.Actor.user("vic", "viewer")}, **deer)
    assert not viewer.exception
    assert write not in {b.key for b in viewer.button}
    admin = run_page(page, **{ACTOR: auth.Actor.user("ada", "admin")}, **deer)
    assert write in {b.key for b in admin.button}


def test_listening_beyond_loopback_without_accounts_is_refused_with_the_fix(archive):
    from streamlit import config

    before = config.get_option("server.address")
    config.set_option("server.address", "0.0.0.0")
    try:
        at = _app()
    finally:
        config.set_option("server.address", before)
    assert not at.exception
    assert "dashboard would listen on 0.0.0.0" in _errors(at)
    assert "deertrack user add NAME --role admin" in _errors(at)


def test_a_download_is_only_a_file_in_the_jobs_export_folder(tmp_path, monkeypatch):
    monkeypatch.setenv("DEERTRACK_EXPORT_DIR", str(tmp_path / "exports"))
    (tmp_path / "exports" / "job1").mkdir(parents=True)
    (tmp_path / "exports" / "job1" / "report.csv").write_text("a,b\n")
    (tmp_path / "secret.txt").write_text("root:x:0:0\n")

    def page(result_path: str) -> None:
        from types import SimpleNamespace

        from ui import jobs

        jobs.download(SimpleNamespace(id="job1", result_path=result_path), key="dl")

    good = AppTest.from_function(page, args=(str(tmp_path / "exports" / "job1" / "report.csv"),))
    assert [b.label for b in good.run().get("download_button")] != []
    bad = AppTest.from_function(page, args=(str(tmp_path / "secret.txt"),)).run()
    assert not bad.get("download_button")
    assert any("no longer on the server" in c.value for c in bad.caption)
