"""One register, one header style; registers of the previous version still read; one name —
carry-over — for the earlier register whose edits come back, in the library, the CLI and the
docs."""

from __future__ import annotations

import dataclasses
import inspect
import re
import warnings
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from pptx import Presentation

import nistpf
from nistpf.cli import build_parser, main
from nistpf.export.deck import write_deck
from nistpf.export.excel import build_sheets, write_gap_register
from nistpf.export.excel_sheets import layout
from nistpf.export.register_edits import read_register_edits

README = (Path(__file__).resolve().parents[1] / "README.md").read_text("utf-8")
# The previous version's headers of the sheets that then used the inventory's column names.
OLD_HEADERS = {
    "Data Flows": {
        "Flow ID": "flow_id",
        "Source": "source",
        "Destination": "destination",
        "Data categories": "data_categories",
        "Purpose": "purpose",
        "Stage": "stage",
        "Encrypted in transit": "encrypted_in_transit",
        "Minimization": "minimization",
        "Consent basis": "consent_basis",
        "Third party": "third_party",
        "Retention (days)": "retention_days",
        "Owner": "owner",
        "Findings": "findings",
        "Severity": "severity",
        "Finding messages": "finding messages",
        "Inventory row": "excel_row",
    },
    "Validation": {
        "Sheet": "sheet",
        "Inventory row": "excel_row",
        "Column": "column",
        "Value": "value",
        "Problem": "problem",
        "Hint": "hint",
    },
}
TYPED = {"Owner": "Head of CX", "Due date": "31.03.2027", "Status": "In progress"}


@pytest.fixture(scope="module")
def assessment():
    """The sample, its flows with two columns of the client's own: one named as the
    inventory names columns, one in the client's words."""
    inventory = nistpf.load_inventory(nistpf.sample_path())
    flows = inventory.flows.assign(legal_review="done", **{"GDPR Art. 30 ref": "R-1"})
    warned = pd.DataFrame(
        [["warning", "Systems", 3, "name", "x", "a problem", "a hint", "code"]],
        columns=inventory.issues.columns,
    )
    inventory = dataclasses.replace(inventory, flows=flows, issues=warned)
    return nistpf.assess(inventory)


@pytest.fixture(scope="module")
def register(assessment, tmp_path_factory):
    path = write_gap_register(assessment, tmp_path_factory.mktemp("register") / "register.xlsx")
    book = openpyxl.load_workbook(path)
    sheet = book["Gap Register"]
    headers = [c.value for c in sheet[1]]
    for header, value in TYPED.items():
        sheet.cell(2, headers.index(header) + 1, value)
    book.save(path)
    return path


def is_words(header: str) -> bool:
    """A header as the register writes them: no snake_case, a capital (or a digit) first;
    nistpf's own name stays in lower case."""
    return "_" not in header and bool(re.match(r"nistpf's |[A-Z0-9]", header))


def test_every_header_of_every_sheet_is_in_words(assessment, register):
    headers = [
        (sheet.name, header)
        for sheet in build_sheets(assessment)
        for kind, _, values in layout(sheet)
        if kind == "header"
        for header in values
    ]
    assert len(headers) > 80
    assert [(s, h) for s, h in headers if not is_words(h)] == []
    # As written: row 1 of every table sheet.
    book = openpyxl.load_workbook(register, read_only=True)
    for name in ("Gap Register", "Profile", "Systems", "Data Flows", "Validation"):
        row = next(book[name].iter_rows(max_row=1, values_only=True))
        assert [h for h in row if not is_words(h)] == [], name


def test_the_data_flows_and_validation_sheets_name_their_columns(register):
    book = openpyxl.load_workbook(register, read_only=True)
    flows = next(book["Data Flows"].iter_rows(max_row=1, values_only=True))
    assert (
        list(flows)
        == [
            *list(OLD_HEADERS["Data Flows"])[:12],
            "Legal review",  # the client's own column, named as the inventory names them
            "GDPR Art. 30 ref",  # the client's own column, in the client's words: as written
            *list(OLD_HEADERS["Data Flows"])[12:],
        ]
    )
    validation = next(book["Validation"].iter_rows(max_row=1, values_only=True))
    assert list(validation) == list(OLD_HEADERS["Validation"])
    assert list(next(book["Validation"].iter_rows(min_row=2, max_row=2, values_only=True))) == [
        "Systems",
        3,
        "name",
        "x",
        "a problem",
        "a hint",
    ]


def as_previous_version(register: Path, path: Path, *, snake_gap_register: bool = False) -> Path:
    """``register`` with the previous version's headers (and, with ``snake_gap_register``,
    its Gap Register's headers in the inventory's style: ``due_date``)."""
    book = openpyxl.load_workbook(register)
    for name, old in OLD_HEADERS.items():
        for cell in book[name][1]:
            cell.value = old.get(cell.value, cell.value)
    if snake_gap_register:
        for cell in book["Gap Register"][1]:
            cell.value = cell.value.lower().replace(" ", "_")
    book.save(path)
    return path


@pytest.mark.parametrize("snake", [False, True], ids=["previous", "snake-case"])
def test_a_register_with_the_previous_headers_reads_the_same(register, tmp_path, snake):
    old = as_previous_version(register, tmp_path / "old.xlsx", snake_gap_register=snake)
    book = openpyxl.load_workbook(old, read_only=True)
    assert "flow_id" in next(book["Data Flows"].iter_rows(max_row=1, values_only=True))
    now, then = read_register_edits(register), read_register_edits(old)
    pd.testing.assert_frame_equal(then, now)
    assert then.attrs["notes"] == []
    first = then.iloc[0]
    assert (first["owner"], first["status"], first["due_date"].isoformat()) == (
        "Head of CX",
        "In progress",
        "2027-03-31",
    )


def test_the_previous_versions_register_carries_over(assessment, register, tmp_path):
    old = as_previous_version(register, tmp_path / "old.xlsx")
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # nothing to warn about
        new = write_gap_register(assessment, tmp_path / "new.xlsx", carry_over=old)
    first = read_register_edits(new).iloc[0]
    assert (first["owner"], first["status"]) == ("Head of CX", "In progress")


# -- one name: carry-over ------------------------------------------------------------------------


def test_the_writers_and_the_cli_call_it_carry_over():
    for writer in (nistpf.write_gap_register, nistpf.write_deck):
        assert "carry_over" in inspect.signature(writer).parameters, writer.__name__
    commands = build_parser()._subparsers._group_actions[0].choices
    for command in ("assess", "report"):
        options = {o for a in commands[command]._actions for o in a.option_strings}
        assert "--carry-over" in options
        assert not {"--edits", "--previous"} & options
    assert "carry_over=None" in README
    assert "edits=None" not in README


def roadmap_text(path) -> str:
    """The roadmap slide's text: its text frames and table cells (the slide whose section
    label reads ROADMAP, wherever the deck puts it)."""
    slides = Presentation(str(path)).slides
    slide = next(
        s
        for s in slides
        if any(sh.has_text_frame and sh.text_frame.text == "ROADMAP" for sh in s.shapes)
    )
    parts = []
    for shape in slide.shapes:
        if shape.has_text_frame:
            parts.append(shape.text_frame.text)
        if shape.has_table:
            parts.extend(cell.text for row in shape.table.rows for cell in row.cells)
    return "\n".join(parts)


def test_the_deck_carries_over_from_a_register_path_or_its_edits(assessment, register, tmp_path):
    by_path = write_deck(assessment, tmp_path / "by-path.pptx", carry_over=register)
    edits = read_register_edits(register)
    with pytest.warns(
        DeprecationWarning, match=r"write_deck\(edits=\.\.\.\) is deprecated: use carry_over="
    ):
        by_alias = write_deck(assessment, tmp_path / "by-alias.pptx", edits=edits)
    shown = roadmap_text(by_path)
    assert "Head of CX" in shown
    assert "2027-03-31" in shown
    assert roadmap_text(by_alias) == shown
    with pytest.raises(TypeError, match="give carry_over or edits"):
        write_deck(assessment, tmp_path / "both.pptx", carry_over=register, edits=edits)
    with pytest.raises(ValueError, match="carry_over: expected a DataFrame with a 'subcategory'"):
        write_deck(assessment, tmp_path / "bad.pptx", carry_over=pd.DataFrame({"owner": ["x"]}))


def test_build_sheets_calls_it_carry_over_and_warns_of_its_earlier_name(assessment, register):
    edits = read_register_edits(register)
    assert "carry_over" in inspect.signature(build_sheets).parameters
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        now = build_sheets(assessment, carry_over=edits)
    with pytest.warns(
        DeprecationWarning, match=r"build_sheets\(edits=\.\.\.\) is deprecated: use carry_over="
    ):
        then = build_sheets(assessment, edits=edits)
    assert then == now
    gap = next(s for s in now if s.name == "Gap Register")
    assert "Head of CX" in str(gap)  # the client's owner is carried over
    with pytest.raises(TypeError, match="give carry_over or edits"):
        build_sheets(assessment, carry_over=edits, edits=edits)


def test_the_readme_says_edits_is_deprecated():
    sentence = README[README.index("`edits=`") :]
    sentence = sentence[: sentence.index(")")]
    assert "deprecated" in sentence
    assert "DeprecationWarning" in sentence


# -- headers read under another of their names --------------------------------------------------


def renamed(register: Path, path: Path, headers: dict[str, str], extra: str | None = None):
    """``register`` with its Gap Register headers renamed (old → new) and, with ``extra``, a
    column of the client's own under that header at the end."""
    book = openpyxl.load_workbook(register)
    sheet = book["Gap Register"]
    for cell in sheet[1]:
        cell.value = headers.get(cell.value, cell.value)
    if extra:
        sheet.cell(1, sheet.max_column + 1, extra)
    book.save(path)
    return path


@pytest.mark.parametrize(
    "headers",
    [
        {"Subcategory": "Subcategory ID"},
        {"Subcategory": "PF ID"},
        {"Due date": "Target date"},
        {"Owner": "Action owner"},
        {"Subcategory": "Subcategory ID", "Due date": "Target date", "Owner": "Action owner"},
    ],
    ids=lambda h: "+".join(h.values()),
)
def test_a_header_read_under_another_name_reads_and_is_carried(register, tmp_path, headers):
    path = renamed(register, tmp_path / "renamed.xlsx", headers)
    edits = read_register_edits(path)
    pd.testing.assert_frame_equal(edits, read_register_edits(register))
    first = edits.iloc[0]
    assert (first["owner"], first["due_date"].isoformat()) == ("Head of CX", "2027-03-31")
    assert edits.attrs["notes"] == []  # read through its other name: carried, nothing to say


def test_only_a_column_nistpf_does_not_read_is_not_carried(register, tmp_path):
    path = renamed(register, tmp_path / "renamed.xlsx", {"Due date": "Target date"}, "Budget")
    assert read_register_edits(path).attrs["notes"] == [
        "renamed.xlsx has columns nistpf did not write ('Budget'): they are not carried into "
        "the new register; copy them across by hand"
    ]


def test_nistpf_report_notes_what_it_cannot_carry_over(register, tmp_path, capsys):
    book = openpyxl.load_workbook(register)
    sheet = book["Gap Register"]
    column = [c.value for c in sheet[1]].index("Due date") + 1
    sheet.cell(2, column, "03/04/2027")
    returned = tmp_path / "returned.xlsx"
    book.save(returned)
    html = tmp_path / "report.html"
    code = main(
        ["report", str(nistpf.sample_path()), "--html", str(html), "--carry-over", str(returned)]
    )
    assert code == 0
    err = capsys.readouterr().err
    assert "nistpf: note: returned.xlsx, sheet Gap Register row 2" in err
    assert "'03/04/2027' could be day/month or month/day" in err
