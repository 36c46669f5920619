"""The Excel gap register: written, read back with openpyxl, and compared with the Assessment."""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
import os
import re
import shutil
import subprocess
from collections import Counter
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from openpyxl.utils import get_column_letter

import nistpf
from nistpf.errors import (
    NistpfError,
    OutputIsInputError,
    OutputNotWritableError,
    RegisterError,
)
from nistpf.export import excel_sheets
from nistpf.export.excel import closed_items, write_gap_register
from nistpf.export.register_edits import read_register_edits
from nistpf.synth import synthetic_inventory
from tests.inventory_files import healthy_flow, small_inventory

SHEETS = [
    "Summary",
    "Gap Register",
    "Profile",
    "Systems",
    "Data Flows",
    "Data journeys",
    "Privacy risk (PRAM)",
    "Validation",
    "Method",
]
GAP_HEADERS = [
    "Subcategory",
    "Outcome",
    "Affected systems",
    "Current",
    "Target",
    "Gap",
    "Priority",
    "Gap points",
    "Recommended action",
    "Owner",
    "Due date",
    "Status",
    "Comments",
    "Function",
    "Category",
    "Source",
    "Coverage",
    "Data categories",
    "Controls",
    "Findings",
    "SP 800-53 Rev. 5",
    "GDPR",
    "All affected systems",
    "All data categories",
    "All controls",
    "All SP 800-53 Rev. 5",
    "All GDPR",
    "nistpf's suggestion",
]
PRINTED_HEADERS = GAP_HEADERS[: GAP_HEADERS.index("Status") + 1]
PAYLOADS = ['=HYPERLINK("http://evil","x")', "+cmd|' /C calc'!A0", "-2+3", "@SUM(A1)", "\tX", "\rX"]


# -- fixtures and helpers ---------------------------------------------------------------------


@pytest.fixture(scope="module")
def sample() -> nistpf.Assessment:
    return nistpf.assess(nistpf.load_inventory(nistpf.sample_path()))


@pytest.fixture(scope="module")
def written(sample, tmp_path_factory) -> Path:
    return write_gap_register(sample, tmp_path_factory.mktemp("register") / "register.xlsx")


@pytest.fixture(scope="module")
def book(written) -> openpyxl.Workbook:
    return openpyxl.load_workbook(written)


def table(worksheet) -> list[dict]:
    """A table sheet's rows as dicts keyed by the row-1 headers."""
    rows = worksheet.iter_rows(values_only=True)
    headers = next(rows)
    return [dict(zip(headers, row, strict=False)) for row in rows]


def block(worksheet, title: str) -> list[dict]:
    """The rows of the block titled ``title`` on a block sheet (Summary, Method), keyed by its
    header row; the block ends at the first blank row."""
    rows = [list(r) for r in worksheet.iter_rows(values_only=True)]
    start = next(i for i, r in enumerate(rows) if r[0] == title)
    headers = rows[start + 1]
    found = []
    for row in rows[start + 2 :]:
        if all(v is None for v in row):
            break
        found.append({h: v for h, v in zip(headers, row, strict=False) if h is not None})
    return found


def listed(a: nistpf.Assessment) -> pd.DataFrame:
    """The Gap Register's rows as the issue defines them, computed here independently."""
    subs = a.subcategories.reset_index(drop=True)
    subs["order"] = range(len(subs))
    keep = subs["in_profile"] & ((subs["gap"] > 0) | (subs["findings"].map(len) > 0))

    # The one ranking: gap points, then the gap in levels, both as shown (two decimals, half
    # away from zero, as a spreadsheet shows them), then the framework's order.
    def shown(value: float) -> Decimal:
        return Decimal(f"{value:.15g}").quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)

    subs = subs.assign(_points=subs["gap_points"].map(shown), _gap=subs["gap"].map(shown))
    return subs[keep].sort_values(
        ["_points", "_gap", "order"], ascending=[False, False, True], kind="stable"
    )


def small(controls, flows=(), **sheets) -> nistpf.Inventory:
    """The three-system inventory with flows given as (flow_id, source, destination, changes)."""
    rows = [healthy_flow(f, s, d, **changes) for f, s, d, changes in flows]
    return small_inventory(controls, rows, **sheets)


def one_line(error: Exception) -> str:
    text = str(error)
    assert text
    assert "\n" not in text
    return text


# -- sheets, headers, values ------------------------------------------------------------------


def test_sheet_names_and_order(book):
    assert book.sheetnames == SHEETS


def test_gap_register_headers(book):
    assert [c.value for c in book["Gap Register"][1]] == GAP_HEADERS


def test_gap_register_rows_equal_the_assessment(book, sample):
    rows = table(book["Gap Register"])
    expected = listed(sample)
    assert [r["Subcategory"] for r in rows] == list(expected["subcategory"])
    assert len(rows) > 20
    for row, (_, sub) in zip(rows, expected.iterrows(), strict=True):
        assert row["Current"] == sub["current"]  # full float precision, not rounded
        assert row["Target"] == sub["target"]
        assert row["Gap"] == sub["gap"]
        assert row["Gap points"] == sub["gap_points"]
        assert row["Coverage"] == sub["coverage"]
        assert row["Source"] == sub["source"]
        assert row["Priority"] == sub["priority"]
        assert row["Outcome"] == sub["text"]
        assert row["Findings"] == ("; ".join(sub["findings"]) or None)
        assert [line.split(" ")[0] for line in (row["Controls"] or "").splitlines()] == list(
            sub["controls"]
        )
    gap_points = [r["Gap points"] for r in rows]
    assert gap_points == sorted(gap_points, reverse=True)


def test_gap_register_number_formats(book):
    worksheet = book["Gap Register"]
    formats = {c.value: worksheet.cell(2, c.column).number_format for c in worksheet[1]}
    assert formats["Current"] == formats["Gap"] == formats["Gap points"] == "0.00"
    assert formats["Coverage"] == "0%"
    assert formats["Due date"] == "yyyy-mm-dd"


def test_affected_systems_data_categories_and_crosswalks(book, sample):
    rows = {r["Subcategory"]: r for r in table(book["Gap Register"])}
    row = rows["PR.DS-P2"]
    levels = sample.levels
    levels = levels[levels["subcategory"] == "PR.DS-P2"]
    target = sample.subcategories.set_index("subcategory").at["PR.DS-P2", "target"]
    below = list(levels.loc[levels["level"] < target, "system"])
    assert len(below) == len(set(levels["system"])) == 15
    assert row["Affected systems"] == "all 15 in-scope systems"
    assert row["All affected systems"] == "; ".join(below)
    held = sample.inventory.systems.set_index("system_id")["data_categories"]
    union = sorted({c for system in below for c in held[system]})
    assert len(union) == 23
    assert row["Data categories"] == f"23 data categories: {', '.join(union[:3])} (+20 more)"
    assert row["All data categories"] == "; ".join(union)
    walk = sample.framework.crosswalk("sp800-53r5")
    ids = list(dict.fromkeys(walk.loc[walk["pf_id"] == "PR.DS-P2", "target_id"]))
    assert len(ids) == 2
    assert row["SP 800-53 Rev. 5"] == row["All SP 800-53 Rev. 5"] == "; ".join(ids)
    gdpr = sample.framework.crosswalk("gdpr")
    assert (
        row["GDPR"]
        == row["All GDPR"]
        == "; ".join(dict.fromkeys(gdpr.loc[gdpr["pf_id"] == "PR.DS-P2", "target_id"]))
    )
    flows = sample.findings.loc[sample.findings["subcategory"] == "PR.DS-P2", "flow_id"]
    assert len(flows) >= 2
    *first, last = dict.fromkeys(flows)
    assert row["Recommended action"].endswith(f"Fix the data flows: {', '.join(first)} and {last}.")


def test_profile_lists_every_subcategory(book, sample):
    rows = table(book["Profile"])
    subs = sample.subcategories
    assert [r["Subcategory"] for r in rows] == list(subs["subcategory"])
    assert len(rows) == 100
    for row, (_, sub) in zip(rows, subs.iterrows(), strict=True):
        assert row["Current"] == sub["current"]
        assert row["In profile"] == ("yes" if sub["in_profile"] else "no")
        assert row["Source"] == sub["source"]
        if sub["in_profile"]:
            assert (row["Target"], row["Gap"], row["Priority"]) == (
                sub["target"],
                sub["gap"],
                sub["priority"],
            )
        else:
            assert (row["Target"], row["Gap"]) == (None, None)


def test_summary_overall_functions_and_categories(book, sample):
    summary = book["Summary"]
    [overall] = block(summary, "Overall")
    assert (overall["Current"], overall["Target"], overall["Gap"], overall["Coverage"]) == tuple(
        sample.overall
    )
    functions = block(summary, "By Function")
    expected = sample.functions
    assert [r["Function"] for r in functions] == list(expected["function"])
    for row, (_, want) in zip(functions, expected.iterrows(), strict=True):
        assert [row[k] for k in ("Current", "Target", "Gap", "Coverage")] == [
            want["current"],
            want["target"],
            want["gap"],
            want["coverage"],
        ]
    names = dict(sample.framework.functions[["id", "name"]].itertuples(index=False))
    assert [r["Name"] for r in functions] == [names[f] for f in expected["function"]]
    categories = block(summary, "By Category")
    assert [r["Category"] for r in categories] == list(sample.categories["category"])
    assert [r["Gap"] for r in categories] == list(sample.categories["gap"])
    tiers = block(summary, "Implementation Tiers (organisation level)")
    assert [(r["Attribute"], r["Tier"]) for r in tiers] == list(
        zip(sample.tiers["attribute"], sample.tiers["tier"], strict=True)
    )


def test_summary_engagement_fields(book, sample):
    values = {
        r[0]: r[1] for r in book["Summary"].iter_rows(min_row=3, max_row=14, values_only=True)
    }
    about = sample.inventory.about_value
    assert values["Client"] == about("client")
    assert values["Engagement"] == about("engagement")
    assert values["Date"] == about("date")
    assert values["Framework version"] == "1.0"
    assert values["Scale"] == f"tiers: {sample.scale.describe()}"


def test_summary_has_native_radar_and_bar_charts(book):
    charts = book["Summary"]._charts
    kinds = sorted(type(c).__name__ for c in charts)
    assert kinds == ["BarChart", "RadarChart"]
    radar = next(c for c in charts if type(c).__name__ == "RadarChart")
    references = [s.val.numRef.f for s in radar.series]
    assert all(ref.startswith("Summary!$") or ref.startswith("'Summary'!$") for ref in references)
    assert len(radar.series) == 2  # current and target


def test_a_profile_without_subcategories_still_writes_every_sheet(tmp_path):
    inventory = small(
        [["C1", "TLS", "Implemented", 4, "ID.IM-P1", "ALL"]],
        Profile=pd.DataFrame(
            {"pf_id": ["ID-P", "GV-P", "CT-P", "CM-P", "PR-P"], "in_profile": "no"}
        ),
    )
    a = nistpf.assess(inventory)
    book = openpyxl.load_workbook(write_gap_register(a, tmp_path / "r.xlsx"))
    assert book.sheetnames == SHEETS
    assert table(book["Gap Register"]) == []
    assert book["Summary"]._charts == []
    [overall] = block(book["Summary"], "Overall")
    assert overall["Current"] is None  # no Subcategory in the profile: no score, not 0
    assert len(table(book["Profile"])) == 100


def test_status_dropdown_covers_the_rows(book):
    worksheet = book["Gap Register"]
    last = worksheet.max_row
    lists = [dv for dv in worksheet.data_validations.dataValidation if dv.type == "list"]
    [status] = lists
    assert status.formula1 == '"Open,In progress,Done,Risk accepted"'
    assert str(status.sqref) == f"L2:L{last}"
    assert {worksheet.cell(r, 12).value for r in range(2, last + 1)} == {"Open"}
    assert worksheet.cell(2, 11).number_format == "yyyy-mm-dd"


def test_frozen_headers_filters_and_print_setup(book):
    for name in SHEETS[1:6]:
        worksheet = book[name]
        assert worksheet.freeze_panes in ("A2", "B2", "C2"), name
        assert worksheet.auto_filter.ref.startswith("A1:"), name
        assert worksheet.print_title_rows == "$1:$1", name
    for name in SHEETS:
        worksheet = book[name]
        assert worksheet.page_setup.orientation == "landscape", name
        assert worksheet.oddFooter.center.text == "&A, page &P of &N", name
        # The Summary prints at 100 % (its charts on a page of their own); the rest fit across.
        fitted = worksheet.sheet_properties.pageSetUpPr.fitToPage
        assert fitted == (name != "Summary"), name
        if fitted:
            assert worksheet.page_setup.fitToHeight == 0, name


# -- printing ---------------------------------------------------------------------------------

# The arithmetic of a printed page, done here by hand. Paper widths, landscape, in points.
LANDSCAPE = {"Letter": 11 * 72, "A4": 297 / 25.4 * 72}
# A column `width` characters wide prints `width` digits of the default font, Calibri 11, wide:
# Excel rounds the digit to 7 pixels at 96 per inch; LibreOffice keeps Calibri's (and
# Carlito's) 1038/2048 em.
DIGIT = {"Excel": 7 * 72 / 96, "LibreOffice": 11 * 1038 / 2048}
LEGIBLE = 8  # points


def printable(worksheet, paper: str) -> float:
    margins = worksheet.page_margins
    return LANDSCAPE[paper] - (margins.left + margins.right) * 72


def widths(worksheet, first: int, last: int) -> list[float]:
    return [worksheet.column_dimensions[get_column_letter(c)].width for c in range(first, last + 1)]


def fitted_scale(worksheet, columns: list[float], paper: str, app: str) -> float:
    """The scale a page fit to one page wide prints ``columns`` at (Excel in whole percents)."""
    scale = min(1.0, printable(worksheet, paper) / (sum(columns) * DIGIT[app]))
    return math.floor(scale * 100) / 100 if app == "Excel" else scale


def smallest_text(worksheet, last_column: int) -> float:
    """The smallest font size of the text in the first ``last_column`` columns (a font without
    a size has the workbook's default font's)."""
    default = worksheet.parent._fonts[0].sz
    return min(
        cell.font.sz or default
        for row in worksheet.iter_rows(max_col=last_column)
        for cell in row
        if cell.value is not None
    )


@pytest.fixture(scope="module")
def synthetic() -> nistpf.Assessment:
    """120 systems, 400 controls: affected systems, controls and references by the dozen."""
    frames = synthetic_inventory(systems=120, controls=400, flows=300, seed=3)
    return nistpf.assess(nistpf.load_inventory(frames))


@pytest.fixture(scope="module")
def synthetic_book(synthetic, tmp_path_factory) -> openpyxl.Workbook:
    path = write_gap_register(synthetic, tmp_path_factory.mktemp("synthetic") / "register.xlsx")
    return openpyxl.load_workbook(path)


@pytest.mark.parametrize("which", ["book", "synthetic_book"])
def test_the_gap_register_prints_its_reader_columns_at_8_points_or_more(which, request):
    worksheet = request.getfixturevalue(which)["Gap Register"]
    last = worksheet.max_row
    assert last > 20
    printed = len(PRINTED_HEADERS)
    assert [c.value for c in worksheet[1]][:printed] == PRINTED_HEADERS
    assert worksheet.print_area == f"'Gap Register'!$A$1:${get_column_letter(printed)}${last}"
    assert worksheet.print_title_rows == "$1:$1"  # the header row on every page
    setup = worksheet.page_setup
    assert (setup.orientation, setup.fitToWidth, setup.fitToHeight) == ("landscape", 1, 0)
    assert worksheet.sheet_properties.pageSetUpPr.fitToPage
    columns = widths(worksheet, 1, printed)
    text = smallest_text(worksheet, printed)
    assert text == 11
    sizes = {
        (paper, app): text * fitted_scale(worksheet, columns, paper, app)
        for paper in LANDSCAPE
        for app in DIGIT
    }
    assert min(sizes.values()) >= LEGIBLE, sizes
    # Excel on Letter: 168 characters of columns, 882 points, on 734.4 printable: 83 %.
    assert sum(columns) == 168
    assert sizes["Letter", "Excel"] == pytest.approx(11 * 0.83)


@pytest.mark.parametrize("name", ["Profile", "Systems", "Validation", "Method"])
def test_the_other_tables_print_one_page_across_at_8_points_or_more(book, name):
    worksheet = book[name]
    assert worksheet.page_setup.fitToWidth == 1
    columns = widths(worksheet, 1, worksheet.max_column)
    for paper in LANDSCAPE:
        for app in DIGIT:
            scale = fitted_scale(worksheet, columns, paper, app)
            assert 11 * scale >= LEGIBLE, (name, paper, app)


def test_data_flows_print_pages_across_with_the_flow_id_on_each(book):
    """Too wide for one page: at the 8-point scale its columns, laid page by page with the
    flow_id repeated, take no more pages across than it is fit to, so the fit is no smaller."""
    worksheet = book["Data Flows"]
    assert worksheet.print_title_cols == "$A:$A"
    pages_wide = worksheet.page_setup.fitToWidth
    assert pages_wide > 1
    columns = widths(worksheet, 1, worksheet.max_column)
    for paper in LANDSCAPE:
        for app in DIGIT:
            room = printable(worksheet, paper) / (LEGIBLE / 11) / DIGIT[app]
            pages, used = 1, 0.0
            for width in columns:
                if used + width > room and used > columns[0]:
                    pages, used = pages + 1, columns[0]
                used += width
            assert pages <= pages_wide, (paper, app)


def test_the_summary_prints_at_full_size_with_its_charts_on_a_page_of_their_own(book):
    worksheet = book["Summary"]
    assert not worksheet.sheet_properties.pageSetUpPr.fitToPage
    assert worksheet.page_setup.scale in (None, 100)
    columns = widths(worksheet, 1, 7)
    assert all(sum(columns) * DIGIT[app] <= printable(worksheet, "Letter") for app in DIGIT)
    [page_break] = [b.id for b in worksheet.row_breaks.brk]
    last_table_row = max(
        r for r, row in enumerate(worksheet.iter_rows(values_only=True), start=1) if any(row)
    )
    assert page_break == last_table_row + 1
    rows = sorted(chart.anchor._from.row + 1 for chart in worksheet._charts)  # 1-based
    assert len(rows) == 2
    assert rows[0] > page_break
    # Both charts, each 8 cm tall, fit the printable height of landscape A4 (the lower page).
    height = 210 / 25.4 * 72 - (worksheet.page_margins.top + worksheet.page_margins.bottom) * 72
    assert (rows[1] - rows[0]) * 15 + 8 / 2.54 * 72 <= height


def listing_rule(items: list[str], noun: str, in_scope: int | None = None) -> str | None:
    """The summary rule, written out: up to 6 items in full, else a count and the first 3."""
    if len(items) <= 6:
        return "; ".join(items) or None
    if in_scope == len(items):
        return f"all {in_scope} in-scope {noun}"
    count = f"{len(items)} of {in_scope} in-scope" if in_scope else f"{len(items)}"
    return f"{count} {noun}: {items[0]}, {items[1]}, {items[2]} (+{len(items) - 3} more)"


def expected_lists(a: nistpf.Assessment) -> dict[str, dict[str, list[str]]]:
    """Per listed Subcategory, the full lists its row summarises, from the Assessment."""
    subs = a.subcategories.set_index("subcategory")
    held = a.inventory.systems.set_index("system_id")["data_categories"]
    walks = {name: a.framework.crosswalk(name) for name in ("sp800-53r5", "gdpr")}
    found = {}
    for sub in listed(a)["subcategory"]:
        levels = a.levels[a.levels["subcategory"] == sub]
        below = list(levels.loc[levels["level"] < subs.at[sub, "target"], "system"])
        found[sub] = {
            "systems": below,
            "data categories": sorted({c for y in below for c in held[y]}),
            "controls": list(subs.at[sub, "controls"]),
            **{
                name: list(dict.fromkeys(walk.loc[walk["pf_id"] == sub, "target_id"]))
                for name, walk in walks.items()
            },
        }
    return found


@pytest.mark.parametrize(
    ("which", "assessment"), [("book", "sample"), ("synthetic_book", "synthetic")]
)
def test_long_lists_are_summarised_and_kept_whole(which, assessment, request):
    rows = table(request.getfixturevalue(which)["Gap Register"])
    a = request.getfixturevalue(assessment)
    in_scope = a.levels["system"].nunique()
    expected = expected_lists(a)
    assert [r["Subcategory"] for r in rows] == list(expected)
    seen = Counter()
    for row in rows:
        lists = expected[row["Subcategory"]]
        systems = lists["systems"]
        assert row["Affected systems"] == listing_rule(systems, "systems", in_scope)
        assert row["Data categories"] == listing_rule(lists["data categories"], "data categories")
        for header, name in (("SP 800-53 Rev. 5", "sp800-53r5"), ("GDPR", "gdpr")):
            assert row[header] == listing_rule(lists[name], "references")
            assert row[f"All {header}"] == ("; ".join(lists[name]) or None)
        controls = lists["controls"]
        if len(controls) > 6:
            assert row["Controls"] == listing_rule(controls, "controls")
        else:
            assert [line.split(" ")[0] for line in (row["Controls"] or "").splitlines()] == controls
        assert row["All affected systems"] == ("; ".join(systems) or None)
        assert row["All data categories"] == ("; ".join(lists["data categories"]) or None)
        assert row["All controls"] == ("; ".join(controls) or None)
        seen.update(
            {
                "all systems": len(systems) == in_scope > 6,
                "some systems": 6 < len(systems) < in_scope,
                "few systems": 0 < len(systems) <= 6,
                "many categories": len(lists["data categories"]) > 6,
                "many references": len(lists["gdpr"]) > 6,
                "many controls": len(controls) > 6,
            }
        )
    if assessment == "sample":
        for case in ("all systems", "some systems", "few systems", "many categories"):
            assert seen[case], case
    else:
        assert seen["many controls"]


def test_the_summaries_read_as_written_on_the_sample(book):
    """Cells of the bundled sample, as a reader sees them."""
    rows = {r["Subcategory"]: r for r in table(book["Gap Register"])}
    assert rows["PR.DS-P3"]["Affected systems"] == "all 15 in-scope systems"
    assert rows["CT.DP-P5"]["Affected systems"] == (
        "9 of 15 in-scope systems: CCS-01, BPO-01, TKT-01 (+6 more)"
    )
    assert rows["CT.DP-P5"]["Data categories"] == (
        "17 data categories: user.account.username, user.authorization.credentials, "
        "user.behavior.purchase_history (+14 more)"
    )
    assert rows["CT.PO-P2"]["GDPR"] == (
        "28 references: Art. 5(1)(d), Art. 5(2), Art. 7(3) (+25 more)"
    )
    # Six or fewer are listed in full.
    assert rows["ID.IM-P1"]["Affected systems"] == "TKT-01"
    assert rows["ID.IM-P1"]["Data categories"] == (
        "user.behavior.purchase_history; user.contact.email; user.contact.phone_number; "
        "user.content.private; user.health_and_medical; user.name"
    )
    assert len(rows["CT.DP-P2"]["Controls"].splitlines()) == 6


def soffice_with_carlito() -> str:
    """LibreOffice, with Carlito for Calibri (without it LibreOffice lays the sheets out in a
    wider font and prints them smaller than Excel does). Outside CI, skipped when missing."""
    soffice = shutil.which("soffice")
    fonts = shutil.which("fc-match")
    carlito = (
        bool(fonts)
        and "carlito"
        in subprocess.run(
            [fonts, "Calibri"], capture_output=True, text=True, check=False
        ).stdout.lower()
    )
    missing = [
        name
        for name, found in (
            ("soffice (libreoffice-calc)", soffice),
            ("pdftotext (poppler-utils)", shutil.which("pdftotext")),
            ("Carlito (fonts-crosextra-carlito)", carlito),
        )
        if not found
    ]
    if missing:
        reason = "needs " + ", ".join(missing)
        if os.environ.get("CI"):
            pytest.fail(reason)
        pytest.skip(reason)
    return soffice


WORD = re.compile(
    r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">([^<]*)</word>'
)


def test_libreoffice_prints_the_gap_register_at_8_points_or_more(written, tmp_path):
    """The register converted to PDF by LibreOffice: on every Gap Register page the text is as
    tall as 8-point text or taller. Text height is measured against the Summary, which prints
    at 100 %, so its 11-point text gives the scale."""
    soffice = soffice_with_carlito()
    profile = (tmp_path / "profile").as_uri()
    subprocess.run(
        [
            soffice,
            f"-env:UserInstallation={profile}",
            "--headless",
            "--convert-to",
            "pdf",
            "--outdir",
            str(tmp_path),
            str(written),
        ],
        check=True,
        capture_output=True,
        timeout=120,
    )
    xhtml = subprocess.run(
        ["pdftotext", "-bbox", str(tmp_path / "register.pdf"), "-"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    pages = []
    for page in xhtml.split("<page ")[1:]:
        width, height = map(float, re.search(r'width="([\d.]+)" height="([\d.]+)"', page).groups())
        words = [
            (float(y1) - float(y0), float(y0), text) for _, y0, _, y1, text in WORD.findall(page)
        ]
        footer = " ".join(t for _, y, t in words if y > height - 0.6 * 72)
        body = [(h, t) for h, y, t in words if y <= height - 0.6 * 72]
        pages.append((width, height, footer, body))
    assert all(width > height for width, height, _, _ in pages)  # landscape
    [summary] = [body for _, _, footer, body in pages if footer.startswith("Summary, page 1 ")]
    eleven = Counter(round(h, 1) for h, _ in summary).most_common(1)[0][0]
    register = [body for _, _, footer, body in pages if footer.startswith("Gap Register,")]
    assert len(register) >= 2
    for body in register:
        words = {t for _, t in body}
        assert {"Subcategory", "Outcome", "Status"} <= words  # the header row repeats
        assert "Comments" not in words  # the screen's columns do not print
        assert 11 * min(h for h, _ in body) / eleven >= LEGIBLE


def test_conditional_formats(book, sample):
    def rules(worksheet):
        return {
            str(k.sqref): [r.type for r in v]
            for k, v in worksheet.conditional_formatting._cf_rules.items()
        }

    gap_rows = book["Gap Register"].max_row
    assert rules(book["Gap Register"]) == {f"F2:F{gap_rows}": ["dataBar"]}
    systems = len(sample.systems["system"].unique())
    assert rules(book["Systems"]) == {f"F2:J{systems + 1}": ["colorScale"]}
    flows = rules(book["Data Flows"])
    assert list(flows.values()) == [["expression", "expression"]]


def test_systems_matrix_equals_the_assessment(book, sample):
    worksheet = book["Systems"]
    headers = [c.value for c in worksheet[1]]
    functions = list(sample.framework.functions["id"])
    assert headers[5:] == [
        f"{f} {n}" for f, n in sample.framework.functions[["id", "name"]].itertuples(index=False)
    ]
    got = {
        (row[0], function): value
        for row in worksheet.iter_rows(min_row=2, values_only=True)
        for function, value in zip(functions, row[5:], strict=True)
    }
    want = {(r.system, r.function): r.level for r in sample.systems.itertuples()}
    assert got == want


def test_data_flows_lists_every_flow_with_its_findings(book, sample):
    rows = table(book["Data Flows"])
    flows = sample.inventory.flows
    assert [r["Flow ID"] for r in rows] == list(flows["flow_id"])
    findings = sample.findings
    for row in rows:
        ids = list(findings.loc[findings["flow_id"] == row["Flow ID"], "finding_id"])
        assert row["Findings"] == ("; ".join(ids) or None)
    f018 = next(r for r in rows if r["Flow ID"] == "F-018")
    assert f018["Severity"] == "High"
    assert "F-018" in f018["Finding messages"]
    assert f018["Encrypted in transit"] == "no"


def test_validation_sheet_lists_warnings_or_says_none(book, sample, tmp_path):
    rows = table(book["Validation"])
    issues = sample.inventory.issues
    assert [(r["Sheet"], r["Inventory row"], r["Column"], r["Problem"]) for r in rows] == list(
        zip(issues["sheet"], issues["excel_row"], issues["column"], issues["problem"], strict=True)
    )
    clean = small([["C1", "x", "Implemented", None, "ID.IM-P1", "ALL"]])
    assert clean.issues.empty
    path = write_gap_register(nistpf.assess(clean), tmp_path / "clean.xlsx")
    assert openpyxl.load_workbook(path)["Validation"]["A2"].value == "No problems found"


def test_method_names_the_input_hash_version_framework_and_rules(book, sample):
    text = [v for row in book["Method"].iter_rows(values_only=True) for v in row if v is not None]
    assert sample.inventory.sha256 in text
    assert sample.inventory.source in text
    assert nistpf.__version__ in text
    assert sample.framework.manifest["doi"] in text
    rules = block(book["Method"], "Data-flow rules")
    assert [r["Rule"] for r in rules] == list(nistpf.findings.load_rules()["id"])
    assert {"Rule", "Description", "Subcategory", "Severity", "Cap"} <= set(rules[0])
    scale = block(book["Method"], "Scale: tiers")
    assert [(r["Level"], r["Label"]) for r in scale] == list(sample.scale.labels.items())


def test_no_cell_holds_a_formula(book):
    for worksheet in book:
        for row in worksheet.iter_rows():
            assert not any(c.data_type == "f" for c in row), worksheet.title


# -- default actions --------------------------------------------------------------------------


def actions(inventory) -> dict[str, str]:
    a = nistpf.assess(inventory)
    register = excel_sheets.gap_register(a)
    return dict(zip(register["subcategory"], register["recommended_action"], strict=True))


def test_default_actions_follow_the_data():
    inventory = small(
        [
            ["C1", "TLS", "Implemented", None, "PR.DS-P2", "ALL"],
            ["C2", "CRM masking", "Implemented", None, "PR.DS-P5", "CRM; CDP"],
            ["C3", "DLP", "Planned", None, "PR.DS-P6", "ALL"],
            ["C4", "Retention", "Partially implemented", 2, "CT.DM-P5", "ALL"],
            ["C5", "Inventory", "Implemented", 2, "ID.IM-P1", "ALL"],
        ],
        [("F-1", "CRM", "CDP", {"encrypted_in_transit": "no"})],
    )
    found = actions(inventory)
    text = nistpf.framework().get("PR.PO-P1").text
    assert found["PR.PO-P1"] == f"Define and implement a control for: {text}"
    assert found["PR.DS-P2"] == "Fix the data flows: F-1."
    assert found["PR.DS-P5"] == "Extend C2 to BOT."
    assert found["PR.DS-P6"] == "Implement C3 (Planned)."
    assert found["CT.DM-P5"] == "Complete the implementation of C4."
    assert found["ID.IM-P1"] == "Raise the maturity of C5 to 3 Repeatable."


# -- text is never a formula ------------------------------------------------------------------


def poisoned(payload_of) -> nistpf.Inventory:
    """The small inventory with ``payload_of(i)`` in every text column (i numbers the rows)."""
    base = small(
        [["C1", "TLS", "Partially implemented", None, "PR.DS-P2; ID.IM-P1", "ALL"]],
        [("F-1", "CRM", "CDP", {}), ("F-2", "CDP", "BOT", {})],
        About=pd.DataFrame({"field": ["client", "engagement"], "value": ["a", "b"]}),
    )
    systems = base.systems.copy()
    for column in ("name", "type", "owner", "vendor", "hosting"):
        systems[column] = [payload_of(i) for i in range(len(systems))]
    systems["data_categories"] = [(payload_of(i),) for i in range(len(systems))]
    controls = base.controls.assign(name=[payload_of(0)], owner=[payload_of(1)])
    flows = base.flows.copy()
    for column in ("purpose", "stage", "minimization", "consent_basis", "owner"):
        flows[column] = [payload_of(i) for i in range(len(flows))]
    flows["data_categories"] = [(payload_of(i),) for i in range(len(flows))]
    flows["notes"] = [payload_of(i + 1) for i in range(len(flows))]  # a client's own column
    about = pd.DataFrame(
        {"field": ["client", "engagement"], "value": [payload_of(0), payload_of(1)]}
    )
    issues = pd.DataFrame(
        [["warning", "Systems", 3, "name", payload_of(2), payload_of(3), payload_of(4), "x"]],
        columns=base.issues.columns,
    )
    return dataclasses.replace(
        base,
        systems=systems,
        controls=controls,
        flows=flows,
        about=about,
        issues=issues,
        source=payload_of(5),
    )


@pytest.mark.parametrize("payload", PAYLOADS, ids=repr)
def test_injection_payloads_come_back_as_text(payload, tmp_path):
    inventory = poisoned(lambda i: payload)
    path = write_gap_register(nistpf.assess(inventory), tmp_path / "register.xlsx")
    book = openpyxl.load_workbook(path)
    seen = set()
    for worksheet in book:
        headers = [c.value for c in worksheet[1]]
        for row in worksheet.iter_rows():
            for cell in row:
                assert cell.data_type != "f", f"{worksheet.title}!{cell.coordinate}"
                if cell.value == payload:
                    assert cell.data_type == "s", f"{worksheet.title}!{cell.coordinate}"
                    assert cell.quotePrefix, f"{worksheet.title}!{cell.coordinate}"
                    header = headers[cell.column - 1] if cell.column <= len(headers) else None
                    seen.add((worksheet.title, header))
    expected = {
        ("Systems", "Name"),
        ("Systems", "Type"),
        ("Systems", "Owner"),
        *(
            ("Data Flows", c)
            for c in ("Purpose", "Stage", "Minimization", "Consent basis", "Owner")
        ),
        ("Data Flows", "Data categories"),
        ("Data Flows", "Notes"),
        ("Validation", "Value"),
        ("Validation", "Problem"),
        ("Validation", "Hint"),
    }
    assert expected <= seen
    summary = {r[0]: r[1] for r in book["Summary"].iter_rows(values_only=True) if r[0]}
    assert [summary[k] for k in ("Client", "Engagement")] == [payload] * 2
    # the input's file name is shown with control characters escaped (a tab as \t)
    assert summary["Input"] == payload.encode("unicode_escape").decode("ascii")
    gaps = {r["Subcategory"]: r for r in table(book["Gap Register"])}
    assert gaps["ID.IM-P1"]["Data categories"] == payload
    assert gaps["PR.DS-P2"]["Controls"] == f"C1 {payload}"


def test_distinct_payloads_keep_their_columns(tmp_path):
    """Each payload lands in its own cell, unchanged, whatever its neighbours hold."""
    inventory = poisoned(lambda i: PAYLOADS[i % len(PAYLOADS)])
    path = write_gap_register(nistpf.assess(inventory), tmp_path / "register.xlsx")
    rows = table(openpyxl.load_workbook(path)["Systems"])
    assert [r["Name"] for r in rows] == PAYLOADS[:3]
    flows = table(openpyxl.load_workbook(path)["Data Flows"])
    assert [r["Purpose"] for r in flows] == PAYLOADS[:2]
    assert [r["Notes"] for r in flows] == PAYLOADS[1:3]


# -- carry-over -------------------------------------------------------------------------------


def closing_inventory(tmp_path: Path, subcategory: str) -> nistpf.Inventory:
    """The sample plus an Implemented maturity-4 control for ``subcategory`` on every system."""
    path = tmp_path / "next-year.xlsx"
    shutil.copy(nistpf.sample_path(), path)
    book = openpyxl.load_workbook(path)
    sheet = book["Controls"]
    headers = [c.value for c in sheet[1]]
    values = {
        "control_id": "CTL-900",
        "name": "New control",
        "status": "Implemented",
        "maturity": 4,
        "subcategories": subcategory,
        "applies_to": "ALL",
    }
    sheet.append([values.get(h) for h in headers])
    book.save(path)
    return nistpf.load_inventory(path)


@pytest.fixture(scope="module")
def edited(written, sample, tmp_path_factory) -> tuple[Path, str, str]:
    """A copy of the sample register in which the client filled two rows (by code, as Excel
    would): the first whose gap a new control closes, and the second."""
    path = tmp_path_factory.mktemp("edited") / "old-register.xlsx"
    shutil.copy(written, path)
    book = openpyxl.load_workbook(path)
    sheet = book["Gap Register"]
    rated = set(sample.inventory.responses["subcategory"])
    rows = listed(sample)
    candidates = rows[(rows["findings"].map(len) == 0) & ~rows["subcategory"].isin(rated)]
    closing, staying = list(candidates["subcategory"][:2])
    column = {c.value: c.column for c in sheet[1]}
    for row in range(2, sheet.max_row + 1):
        sub = sheet.cell(row, column["Subcategory"]).value
        if sub in (closing, staying):
            sheet.cell(row, column["Owner"]).value = f"Owner of {sub}"
            sheet.cell(row, column["Status"]).value = "In progress"
            sheet.cell(row, column["Due date"]).value = dt.datetime(2027, 3, 31)
            sheet.cell(row, column["Comments"]).value = f"Budget approved for {sub}"
            sheet.cell(row, column["Recommended action"]).value = f"Our plan for {sub}"
    book.save(path)
    return path, closing, staying


def test_read_register_edits(edited, sample):
    path, closing, staying = edited
    edits = read_register_edits(path)
    assert list(edits.columns) == [
        "subcategory",
        "recommended_action",
        "owner",
        "due_date",
        "status",
        "comments",
    ]
    assert list(edits["subcategory"]) == list(listed(sample)["subcategory"])
    row = edits.set_index("subcategory").loc[staying]
    assert row["owner"] == f"Owner of {staying}"
    assert row["due_date"] == dt.date(2027, 3, 31)
    assert row["status"] == "In progress"
    assert row["comments"] == f"Budget approved for {staying}"
    assert row["recommended_action"] == f"Our plan for {staying}"
    untouched = edits.set_index("subcategory").drop([closing, staying])
    assert set(untouched["status"]) == {"Open"}
    assert untouched["owner"].isna().all()
    assert untouched["due_date"].isna().all()


def test_carry_over_brings_edits_and_reports_closed(edited, sample, tmp_path):
    path, closing, staying = edited

    def edited_sample(_path):
        return sample

    later = nistpf.assess(closing_inventory(tmp_path, closing))
    assert later.subcategories.set_index("subcategory").at[closing, "gap"] == 0
    new = write_gap_register(later, tmp_path / "new-register.xlsx", carry_over=path)
    book = openpyxl.load_workbook(new)
    rows = {r["Subcategory"]: r for r in table(book["Gap Register"])}
    assert closing not in rows
    kept = rows[staying]
    assert kept["Owner"] == f"Owner of {staying}"
    assert kept["Status"] == "In progress"
    assert kept["Due date"] == dt.datetime(2027, 3, 31)
    assert kept["Comments"] == f"Budget approved for {staying}"
    assert kept["Recommended action"] == f"Our plan for {staying}"
    others = [r for s, r in rows.items() if s != staying]
    assert {r["Status"] for r in others} == {"Open"}
    assert all(r["Owner"] is None and r["Recommended action"] for r in others)
    closed = block(book["Summary"], "Closed since the previous register")
    # Everything the client wrote on the closed row stays in the register, under its headers.
    assert closed == [
        {
            "Subcategory": closing,
            "Recommended action": f"Our plan for {closing}",
            "Owner": f"Owner of {closing}",
            "Due date": dt.datetime(2027, 3, 31),
            "Status": "In progress",
            "Comments": f"Budget approved for {closing}",
            "Now": "gap closed",
        }
    ]
    reported = closed_items(later, read_register_edits(path))
    assert list(reported["subcategory"]) == [closing]
    assert reported.loc[0, "owner"] == f"Owner of {closing}"
    assert reported.loc[0, "reason"] == "gap closed"
    # Read back from the new register, the closed row's edits are still there: a register
    # written from the old assessment (the gap open again) gets them back on its row.
    again = read_register_edits(new).set_index("subcategory")
    assert again.loc[closing, "comments"] == f"Budget approved for {closing}"
    reopened = write_gap_register(edited_sample(path), tmp_path / "reopened.xlsx", carry_over=new)
    rows = {r["Subcategory"]: r for r in table(openpyxl.load_workbook(reopened)["Gap Register"])}
    assert rows[closing]["Owner"] == f"Owner of {closing}"
    assert rows[closing]["Comments"] == f"Budget approved for {closing}"


def test_carry_over_into_the_register_it_reads(edited, sample, tmp_path):
    """The old register may be the destination: it is read before anything is written."""
    path, _, staying = edited
    target = tmp_path / "register.xlsx"
    shutil.copy(path, target)
    write_gap_register(sample, target, carry_over=target)
    rows = {r["Subcategory"]: r for r in table(openpyxl.load_workbook(target)["Gap Register"])}
    assert rows[staying]["Owner"] == f"Owner of {staying}"


def test_carry_over_from_a_dataframe_with_blanks_and_text_dates(sample, tmp_path):
    first, second = list(listed(sample)["subcategory"][:2])
    edits = pd.DataFrame(
        {
            "subcategory": [first.lower(), second],
            "recommended_action": ["", "Do it"],
            "owner": ["DPO", ""],
            "due_date": ["2027-01-15", ""],
            "status": ["done", ""],
            "comments": ["", None],
        }
    )
    path = write_gap_register(sample, tmp_path / "r.xlsx", carry_over=edits)
    rows = {r["Subcategory"]: r for r in table(openpyxl.load_workbook(path)["Gap Register"])}
    assert rows[first]["Owner"] == "DPO"
    assert rows[first]["Status"] == "Done"
    assert rows[first]["Due date"] == dt.datetime(2027, 1, 15)
    assert rows[first]["Recommended action"]  # blank keeps nistpf's default
    assert rows[second]["Recommended action"] == "Do it"
    assert rows[second]["Status"] == "Open"
    assert rows[second]["Owner"] is None


def test_read_register_edits_after_columns_are_moved(edited, tmp_path):
    """A register re-saved with a title row above the header, the Status column moved to the
    front and a column of the client's own still reads the same."""
    path, _, _ = edited
    before = read_register_edits(path)
    book = openpyxl.load_workbook(path)
    sheet = book["Gap Register"]
    rows = sheet.max_row
    sheet.insert_cols(1)
    sheet.move_range(f"M1:M{rows}", cols=-12)  # Status (M after the insert) to column A
    sheet.delete_cols(13)
    sheet.insert_cols(5)
    sheet.cell(1, 5).value = "CISO notes"
    sheet.insert_rows(1, amount=2)
    sheet.cell(1, 1).value = "Gap register — reviewed by the client"
    assert [c.value for c in sheet[3]][:2] == ["Status", "Subcategory"]
    moved = tmp_path / "moved.xlsx"
    book.save(moved)
    after = read_register_edits(moved)
    pd.testing.assert_frame_equal(after, before)


# -- safety -----------------------------------------------------------------------------------


def test_interrupted_write_leaves_the_old_file(sample, tmp_path, monkeypatch):
    path = write_gap_register(sample, tmp_path / "register.xlsx")
    before = path.read_bytes()
    from openpyxl.writer.excel import ExcelWriter

    original = ExcelWriter.write_worksheet
    written = []

    def power_cut(self, ws):
        if len(written) == 3:  # three sheets are in the temporary file already
            raise RuntimeError("power cut")
        written.append(ws.title)
        return original(self, ws)

    monkeypatch.setattr(ExcelWriter, "write_worksheet", power_cut)
    with pytest.raises(RuntimeError, match="power cut"):
        write_gap_register(sample, path)
    assert written == SHEETS[:3]
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["register.xlsx"]


def test_refuses_to_write_over_the_input_workbook(tmp_path):
    source = tmp_path / "inventory.xlsx"
    shutil.copy(nistpf.sample_path(), source)
    before = source.read_bytes()
    a = nistpf.assess(nistpf.load_inventory(source))
    for spelling in (source, tmp_path / "." / "inventory.xlsx"):
        with pytest.raises(OutputIsInputError) as caught:
            write_gap_register(a, spelling)
        assert "input workbook" in one_line(caught.value)
        assert caught.value.code == "output-is-input"
    link = tmp_path / "link.xlsx"
    link.symlink_to(source)
    with pytest.raises(OutputIsInputError):
        write_gap_register(a, link)
    assert source.read_bytes() == before


def test_missing_folder_is_a_one_line_error(sample, tmp_path):
    path = tmp_path / "nowhere" / "register.xlsx"
    with pytest.raises(OutputNotWritableError) as caught:
        write_gap_register(sample, path)
    message = one_line(caught.value)
    assert message == (
        f"cannot write {path}: the folder {path.parent} does not exist; create it first, or "
        "write elsewhere"
    )
    assert caught.value.code == "output-not-writable"
    assert isinstance(caught.value, NistpfError)
    assert isinstance(caught.value, OSError)
    assert not path.parent.exists()


def test_unwritable_destination_is_a_one_line_error(sample, tmp_path):
    # A folder that is a regular file fails for root too (chmod does not stop root).
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    with pytest.raises(OutputNotWritableError) as caught:
        write_gap_register(sample, blocker / "register.xlsx")
    assert "not a folder" in one_line(caught.value)
    with pytest.raises(OutputNotWritableError) as caught:
        write_gap_register(sample, tmp_path)
    assert "is a folder" in one_line(caught.value)


def test_a_register_open_in_libreoffice_or_excel_is_not_replaced(sample, tmp_path):
    path = tmp_path / "register.xlsx"
    for lock in (".~lock.register.xlsx#", "~$register.xlsx"):
        (tmp_path / lock).write_text("someone")
        with pytest.raises(OutputNotWritableError) as caught:
            write_gap_register(sample, path)
        assert "close it" in one_line(caught.value)
        (tmp_path / lock).unlink()
    assert not path.exists()


@pytest.mark.parametrize(
    ("setup", "problem"),
    [
        (lambda p: None, "no such file"),
        (lambda p: p.write_text("owner,status\n"), "not an Excel workbook"),
        (lambda p: openpyxl.Workbook().save(p), "has no 'Gap Register' sheet"),
    ],
    ids=["missing", "not-a-workbook", "no-sheet"],
)
def test_read_register_edits_errors(tmp_path, setup, problem):
    path = tmp_path / "old.xlsx"
    setup(path)
    with pytest.raises(RegisterError) as caught:
        read_register_edits(path)
    message = one_line(caught.value)
    assert message.startswith(f"{path}: ")
    assert problem in message


def test_read_register_edits_without_a_header_row(tmp_path):
    book = openpyxl.Workbook()
    book.active.title = "Gap Register"
    book.active.append(["ID", "Owner"])
    book.save(tmp_path / "old.xlsx")
    with pytest.raises(RegisterError, match="no header row with a 'Subcategory' column"):
        read_register_edits(tmp_path / "old.xlsx")


def test_scores_are_written_at_full_precision(tmp_path):
    """openpyxl writes 16 significant digits; 3.3 - 1.5 needs 17 to read back equal."""
    inventory = small(
        [["C1", "TLS", "Implemented", 3, "ID.IM-P1", "CRM"]],
        Profile=pd.DataFrame({"pf_id": ["ID.IM-P1"], "target": [3.3]}),
    )
    a = nistpf.assess(inventory)
    gap = a.subcategories.set_index("subcategory").at["ID.IM-P1", "gap"]
    assert float(f"{gap:.16g}") != gap  # what openpyxl alone would get wrong
    path = write_gap_register(a, tmp_path / "r.xlsx")
    rows = {r["Subcategory"]: r for r in table(openpyxl.load_workbook(path)["Gap Register"])}
    assert rows["ID.IM-P1"]["Gap"] == gap
