"""``citizen-hub --help`` explains every command: a line for each subcommand, help and a
default for every option, and plain text (no reStructuredText markup from docstrings)."""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
from collections.abc import Iterator

import pytest

from hub.cli import _parser

MARKUP = re.compile(r"``|:(?:class|func|meth|mod|data|attr):`")


def commands(
    parser: argparse.ArgumentParser, path: tuple[str, ...] = ()
) -> Iterator[tuple[tuple[str, ...], argparse.ArgumentParser]]:
    yield path, parser
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                yield from commands(sub, (*path, name))


ALL = list(commands(_parser()))
IDS = [" ".join(path) or "citizen-hub" for path, _ in ALL]


def test_the_known_commands_are_all_there() -> None:
    top = {path[0] for path, _ in ALL if path}
    assert {"seed", "serve", "demo", "db", "schema", "scopes", "token", "clients"} <= top
    assert ("db", "stop") in {path for path, _ in ALL}
    assert ("schema", "diff") in {path for path, _ in ALL}


@pytest.mark.parametrize(("path", "parser"), ALL, ids=IDS)
def test_help_is_plain_text(path: tuple[str, ...], parser: argparse.ArgumentParser) -> None:
    text = parser.format_help()
    assert not MARKUP.search(text), f"markup in citizen-hub {' '.join(path)} --help:\n{text}"
    if path:
        assert parser.description, f"citizen-hub {' '.join(path)} --help says nothing about it"


@pytest.mark.parametrize(("path", "parser"), ALL, ids=IDS)
def test_every_subcommand_has_a_line(
    path: tuple[str, ...], parser: argparse.ArgumentParser
) -> None:
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            lines = {choice.dest: choice.help for choice in action._choices_actions}
            missing = [name for name in action.choices if not lines.get(name)]
            assert not missing, f"citizen-hub {' '.join(path)}: no help line for {missing}"


@pytest.mark.parametrize(("path", "parser"), ALL, ids=IDS)
def test_every_option_has_help_and_a_default(
    path: tuple[str, ...], parser: argparse.ArgumentParser
) -> None:
    required_groups = {
        id(action)
        for group in parser._mutually_exclusive_groups
        if group.required
        for action in group._group_actions
    }
    for action in parser._actions:
        if isinstance(action, argparse._HelpAction | argparse._SubParsersAction):
            continue
        name = "/".join(action.option_strings) or action.dest
        where = f"citizen-hub {' '.join(path)} {name}"
        assert action.help, f"{where} has no help"
        optional = action.option_strings and not action.required
        if optional and id(action) not in required_groups:
            assert "default" in action.help.lower(), f"{where}: its help names no default"


def test_the_command_runs_from_the_venv_and_prints_help() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "hub", "--help"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("usage: citizen-hub")
    assert ".venv/bin/citizen-hub" in done.stdout  # how to run it from a checkout
    assert not MARKUP.search(done.stdout)
