"""The README stays true: the quick start, and every command documented."""

from __future__ import annotations

import argparse
import re
from pathlib import Path

from nistpf.cli import build_parser

README = (Path(__file__).resolve().parents[1] / "README.md").read_text("utf-8")


def commands() -> dict[str, argparse.ArgumentParser]:
    parser = build_parser()
    action = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return dict(action.choices)


def test_quick_start_is_exactly_two_commands():
    section = README.split("## Quick start", 1)[1].split("\n## ", 1)[0]
    commands_shown = re.findall(r"^\s*(uv run [^\n]+)$", section, flags=re.M)
    assert commands_shown == ["uv run nistpf demo", "uv run pytest"]


def test_ci_runs_the_readme_test_command():
    ci = (Path(__file__).resolve().parents[1] / ".ci" / "run").read_text("utf-8")
    assert re.search(r"^\s*uv run pytest\s*$", ci, flags=re.M)


def test_every_command_has_help_and_a_readme_section():
    found = commands()
    assert found, "no commands"
    for name, parser in found.items():
        assert parser.description, f"nistpf {name} has no description"
        assert f"### `nistpf {name}" in README, f"nistpf {name} is missing from the README"
        for action in parser._actions:
            if action.option_strings and action.dest != "help":
                assert action.help, f"nistpf {name} {action.option_strings} has no help"
                assert action.option_strings[-1] in README, (
                    f"nistpf {name} {action.option_strings[-1]} is missing from the README"
                )


def test_readme_lists_every_inventory_sheet_and_column():
    from nistpf.inventory.schema import SHEETS

    section = README.split("## The inventory workbook", 1)[1].split("\n## ", 1)[0]
    for sheet in SHEETS:
        row = next((line for line in section.splitlines() if f"| **{sheet.name}** |" in line), "")
        assert row, f"sheet {sheet.name} is missing from the README's inventory table"
        for column in sheet.columns:
            marked = f"`{column.name}`" + ("*" if column.required else "")
            assert marked in row, (
                f"{sheet.name}.{column.name} is missing or mis-marked in the README"
            )
