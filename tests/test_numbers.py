"""Numbers are printed as the gap register's cells display them: the decimal value rounded half
away from zero (what Excel and LibreOffice do with a 0.00 format), never Python's rounding of
the binary value."""

from __future__ import annotations

import openpyxl
import pandas as pd
import pytest

import nistpf
from nistpf.export.report import build_report_html
from nistpf.numbers import fixed, percent
from nistpf.text import assessment_summary
from tests.inventory_files import THREE_SYSTEMS, small_inventory


@pytest.mark.parametrize(
    ("value", "places", "shown"),
    [
        (0.155, 2, "0.16"),  # f"{0.155:.2f}" is '0.15'
        (2.675, 2, "2.68"),  # f"{2.675:.2f}" is '2.67'
        (1.005, 2, "1.01"),
        (2.994, 2, "2.99"),
        (12.0, 2, "12.00"),
        (0.25, 1, "0.3"),
        (float("nan"), 2, "nan"),
    ],
)
def test_fixed_rounds_as_a_spreadsheet_shows(value, places, shown):
    assert fixed(value, places) == shown


def test_percent_rounds_as_a_spreadsheet_shows():
    assert percent(0.005) == "1%"
    assert percent(0.4775) == "48%"
    assert percent(1) == "100%"


def test_the_cli_the_report_and_the_register_show_the_same_figure(tmp_path):
    from nistpf.export.excel import write_gap_register

    # Organisation-level ratings 4, 4, 4 and 3.5 and nothing else: the overall current is
    # (3 × 4 + 3.5) / 100 = 0.155, which a 0.00 cell shows as 0.16.
    responses = pd.DataFrame(
        {
            "subcategory": ["ID.IM-P1", "ID.IM-P2", "ID.IM-P3", "ID.IM-P4"],
            "system": ["", "", "", ""],
            "current": [4, 4, 4, 3.5],
        }
    )
    systems = THREE_SYSTEMS.drop(columns="data_categories")
    a = nistpf.assess(small_inventory([], systems=systems, Responses=responses))
    assert a.overall.current == pytest.approx(0.155)
    assert f"{a.overall.current:.2f}" == "0.15"  # what the old formatting printed
    assert "Overall: current 0.16 " in assessment_summary(a)
    assert 'data-field="overall.current" data-value="0.155">0.16<' in build_report_html(a)
    path = write_gap_register(a, tmp_path / "register.xlsx")
    summary = openpyxl.load_workbook(path)["Summary"]
    cells = [c for row in summary.iter_rows() for c in row if c.value == a.overall.current]
    assert cells
    assert cells[0].number_format == "0.00"
