"""deertrack user / token / listen-check on a real database."""

from __future__ import annotations

import io

from deertrack_cli.main import main as cli
from tests.auth.conftest import PASSWORD


def _run(monkeypatch, capsys, *argv: str, stdin: str = "") -> tuple[int, str, str]:
    monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
    code = cli(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_user_commands(url, monkeypatch, capsys):
    assert _run(monkeypatch, capsys, "user", "add", "ada", "--role", "admin", stdin=PASSWORD + "\n")[0] == 0  # fmt: skip
    assert _run(monkeypatch, capsys, "user", "add", "vic", "--role", "viewer", stdin=PASSWORD)[0] == 0  # fmt: skip
    code, _, err = _run(
        monkeypatch, capsys, "user", "add", "bob", "--role", "viewer", stdin="short"
    )
    assert code == 2 and "10 to 1024 characters" in err
    assert _run(monkeypatch, capsys, "user", "set-role", "vic", "reviewer")[0] == 0
    assert _run(monkeypatch, capsys, "user", "disable", "vic")[0] == 0
    code, out, _ = _run(monkeypatch, capsys, "user", "list")
    lines = out.splitlines()[1:]
    assert [line.split()[:3] for line in lines] == [
        ["ada", "admin", "active"], ["vic", "reviewer", "disabled"]
    ]  # fmt: skip
    code, _, err = _run(monkeypatch, capsys, "user", "disable", "ada")
    assert code == 2 and "last active admin" in err


def test_token_commands_print_the_token_once(url, monkeypatch, capsys):
    _run(monkeypatch, capsys, "user", "add", "ada", "--role", "admin", stdin=PASSWORD)
    code, out, _ = _run(monkeypatch, capsys, "token", "create", "ada", "--label", "R scripts")
    token = out.splitlines()[0]
    assert code == 0 and token.startswith("dt_")
    code, out, _ = _run(monkeypatch, capsys, "token", "list")
    assert token not in out and token[:10] in out and "R scripts" in out and "active" in out
    assert _run(monkeypatch, capsys, "token", "revoke", "1")[0] == 0
    assert "revoked" in _run(monkeypatch, capsys, "token", "list", "ada")[1]


def test_listen_check(url, monkeypatch, capsys):
    assert _run(monkeypatch, capsys, "listen-check", "dashboard", "127.0.0.1")[0] == 0
    code, _, err = _run(monkeypatch, capsys, "listen-check", "dashboard", "0.0.0.0")
    assert code == 2 and "deertrack user add NAME --role admin" in err
    code, _, err = _run(monkeypatch, capsys, "api", "--host", "0.0.0.0", "--port", "1")
    assert code == 2 and "API would listen on 0.0.0.0" in err
