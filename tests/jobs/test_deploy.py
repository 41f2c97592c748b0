"""The deployment files in deploy/ name commands and settings that exist."""

from __future__ import annotations

import re
import shlex

import pytest

from deertrack_cli.main import build_parser
from deertrack_core import settings
from tests.conftest import ROOT

UNITS = sorted((ROOT / "deploy" / "systemd").glob("*.service"))


def commands(unit):
    for line in unit.read_text().splitlines():
        key, _, value = line.partition("=")
        if key in ("ExecStart", "ExecStartPre"):
            yield shlex.split(re.sub(r"\$\{(\w+)\}", "127.0.0.1", value))


def test_there_are_units_for_workers_api_and_dashboard():
    names = {u.name for u in UNITS}
    assert {"deertrack-worker@.service", "deertrack-api.service"} <= names
    assert "deertrack-dashboard.service" in names


@pytest.mark.parametrize("unit", UNITS, ids=lambda u: u.name)
def test_every_deertrack_command_of_a_unit_parses(unit):
    found = [argv for argv in commands(unit) if argv[0].endswith("/deertrack")]
    assert found, f"{unit.name} runs no deertrack command"
    for argv in found:
        build_parser().parse_args(argv[1:])  # exits (fails the test) on an unknown command


@pytest.mark.parametrize("unit", UNITS, ids=lambda u: u.name)
def test_units_read_the_environment_file_and_restart(unit):
    text = unit.read_text()
    assert "EnvironmentFile=/etc/deertrack/deertrack.env" in text
    assert "Restart=always" in text


def test_environment_example_names_only_real_settings():
    example = (ROOT / "deploy" / "systemd" / "deertrack.env.example").read_text()
    named = re.findall(r"^(DEERTRACK_\w+)=", example, flags=re.MULTILINE)
    known = {s.name for s in settings.SETTINGS}
    assert named and set(named) <= known, set(named) - known
