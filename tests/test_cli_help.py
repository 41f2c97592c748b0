"""Every `deertrack` command prints its help (argparse formats help text with %, so a stray
percent sign in a HELP string crashes `deertrack --help` for every command)."""

from __future__ import annotations

import pytest

from deertrack_cli.main import _command_modules, build_parser

COMMANDS = sorted(module.NAME for module in _command_modules())


def test_the_top_level_help_lists_every_command(capsys):
    with pytest.raises(SystemExit) as exit_:
        build_parser().parse_args(["--help"])
    assert exit_.value.code == 0
    out = capsys.readouterr().out
    assert all(name in out for name in COMMANDS)


@pytest.mark.parametrize("name", COMMANDS)
def test_each_command_prints_its_help(name, capsys):
    with pytest.raises(SystemExit) as exit_:
        build_parser().parse_args([name, "--help"])
    assert exit_.value.code == 0
    assert capsys.readouterr().out.startswith(f"usage: deertrack {name}")
