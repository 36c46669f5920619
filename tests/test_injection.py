"""Injection across every output: one inventory whose every text field (found from the schema, so
a new column is covered too) carries a payload — spreadsheet formulas, HTML and script tags,
control characters — goes through the real loader into the gap register, the HTML report and
the slide deck, and comes out inert in each.

The per-output tests (test_register, test_report_html, test_deck) check each payload in depth;
this one checks that no output lets any payload through, from any field.

Control characters: the loader keeps them (they are the client's text); Excel cannot store
most C0 controls, so the register shows each as U+FFFD; the report escapes nothing but HTML's
special characters (a control character in HTML text is shown, never run); python-pptx writes
them as OOXML's ``_xHHHH_`` escapes. No output crashes on them, and every file still opens.
"""

from __future__ import annotations

import dataclasses
import html
import re
import shutil
import zipfile
from itertools import cycle
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from plotly.offline import get_plotlyjs
from pptx import Presentation

import nistpf
from nistpf.export.deck import write_deck
from nistpf.export.excel import write_gap_register
from nistpf.export.report import build_report_html, write_report
from nistpf.inventory import schema
from nistpf.io.xlsx import FORMULA_STARTS, storable_text
from nistpf.safe_names import safe_filename
from nistpf.ui.session import Session

CONTROL = "bell\x07escape\x1bend"
PAYLOADS = (
    '=HYPERLINK("http://x","y")',
    "+cmd|' /C calc'!A0",
    "@SUM(A1)",
    "-2+3",
    "<script>alert(1)</script>",
    CONTROL,
    '"><img src=x onerror=alert(1)>',
    "=1+1",
    "javascript:alert(1)",
)
HTML_SPECIAL = re.compile(r"[<>&\"']")
# The rows that make the inventory valid; every text and list column is then filled with
# payloads (keys, choices, numbers and references stay valid).
BASE = {
    "Systems": {
        "system_id": ["CRM", "BOT"],
        "type": ["CRM", "Chatbot"],
        "criticality": ["High", "Low"],
        "data_categories": ["user.contact.email", "user.name"],
    },
    "Controls": {
        "control_id": ["C1", "C2"],
        "status": ["Partially implemented", "Implemented"],
        "subcategories": ["PR.DS-P2; ID.IM-P1", "PR.AC-P1"],
        "applies_to": ["ALL", "BOT"],
    },
    "DataFlows": {
        "flow_id": ["F-1", "F-2"],
        "source": ["BOT", "CRM"],
        "destination": ["CRM", "external:Ad network"],
        "data_categories": ["user.contact.email", "user.name"],
        "stage": ["transfer", "sharing"],
        "encrypted_in_transit": ["no", "yes"],
        "retention_days": [30, None],
    },
    "Profile": {"pf_id": ["PR.DS-P2", "ID.IM-P1"], "target": [3, 2], "priority": ["High", "Low"]},
    "Responses": {
        "subcategory": ["PR.DS-P2", "ID.IM-P1"],
        "system": ["CRM", ""],
        "current": [1, 1],
        "method": ["test", "interview"],
    },
    "Tiers": {"attribute": ["Workforce", "Risk Management Process"], "tier": [2, 1]},
}
TEXT_KINDS = {"text", "list"}
ABOUT_TEXT = ("client", "engagement", "assessor")


def hostile_sheets() -> dict[str, pd.DataFrame]:
    payloads = cycle(PAYLOADS)
    sheets = {}
    for name, base in BASE.items():
        columns = dict(base)
        for column in schema.sheet(name).columns:
            if column.kind in TEXT_KINDS and column.name not in base:
                columns[column.name] = [next(payloads), next(payloads)]
        columns["notes"] = [next(payloads), next(payloads)]  # a client's own column
        sheets[name] = pd.DataFrame(columns)
    about = [(field, next(payloads)) for field in ABOUT_TEXT]
    sheets["About"] = pd.DataFrame(about, columns=["field", "value"])
    return sheets


@pytest.fixture(scope="module")
def hostile() -> nistpf.Assessment:
    inventory = nistpf.load_inventory(hostile_sheets())
    assert not (inventory.issues["severity"] == "error").any()
    # The inventory's own name is client text too (it reaches every output's footer).
    return nistpf.assess(dataclasses.replace(inventory, source=PAYLOADS[0]))


def test_every_text_field_carries_a_payload_through_the_loader(hostile):
    inventory = hostile.inventory
    systems = inventory.systems
    assert systems["name"].tolist() == [PAYLOADS[0], PAYLOADS[1]]
    assert CONTROL in set(inventory.flows["purpose"]) | set(inventory.controls["evidence"]) | {
        inventory.about_value(f) for f in ABOUT_TEXT
    } | set(systems["owner"]) | set(systems["hosting"])


def test_the_register_holds_payloads_as_text_and_no_formula(hostile, tmp_path):
    path = write_gap_register(hostile, tmp_path / "register.xlsx")
    book = openpyxl.load_workbook(path)  # a valid workbook, control characters and all
    found = set()
    for worksheet in book:
        for row in worksheet.iter_rows():
            for cell in row:
                where = f"{worksheet.title}!{cell.coordinate}"
                assert cell.data_type != "f", where
                if not isinstance(cell.value, str):
                    continue
                assert not re.search("[\x07\x1b]", cell.value), where
                for payload in PAYLOADS:
                    if storable_text(payload) in cell.value:  # control characters: U+FFFD
                        found.add(payload)
                        assert cell.data_type == "s", where
                if cell.value.startswith(FORMULA_STARTS):
                    assert cell.quotePrefix, where  # stays text when edited in Excel
    assert found == set(PAYLOADS)
    with zipfile.ZipFile(path) as archive:
        for name in archive.namelist():
            if name.startswith("xl/worksheets/") and name.endswith(".xml"):
                xml = archive.read(name).decode("utf-8")
                assert not re.search(r"<f[ >]", xml), name  # no cell formula at all
        assert not [n for n in archive.namelist() if "externalLink" in n]


def test_the_report_shows_payloads_escaped_and_runs_none(hostile, tmp_path):
    text = write_report(hostile, tmp_path / "report.html").read_text(encoding="utf-8")
    assert text == build_report_html(hostile)
    page = text.replace(get_plotlyjs(), "")
    assert "<script>alert" not in page
    assert "<img" not in page
    assert "onerror=alert" not in page.replace("onerror=alert(1)&gt;", "")
    assert 'href="javascript' not in page.lower()
    assert not re.search(r"""(?:src|href)\s*=\s*["']?\s*(?:https?:|//|javascript:)""", page)
    shown = [p for p in PAYLOADS if html.escape(p) in page]
    assert PAYLOADS[4] in {html.unescape(html.escape(p)) for p in shown}  # the client's name
    for payload in PAYLOADS:
        if HTML_SPECIAL.search(payload):
            assert payload not in page, payload


def test_the_deck_keeps_payloads_as_literal_text(hostile, tmp_path):
    path = write_deck(hostile, tmp_path / "deck.pptx")
    deck = Presentation(str(path))
    texts = []
    for slide in deck.slides:
        for shape in slide.shapes:
            frames = []
            if shape.has_text_frame:
                frames.append(shape.text_frame)
            if shape.has_table:
                frames += [cell.text_frame for row in shape.table.rows for cell in row.cells]
            for frame in frames:
                texts += [run.text for p in frame.paragraphs for run in p.runs]
    joined = "\n".join(texts)
    assert PAYLOADS[0] in joined  # a system's name, as typed
    assert PAYLOADS[4] in joined  # the client's name, as typed
    with zipfile.ZipFile(path) as archive:
        xml = "".join(
            archive.read(name).decode("utf-8")
            for name in archive.namelist()
            if name.startswith("ppt/") and name.endswith(".xml")
        )
    assert "<script>" not in xml
    assert "<img" not in xml
    assert "hlinkClick" not in xml  # no payload became a link
    assert "\x07" not in xml
    assert "\x1b" not in xml


# -- file names from client text -------------------------------------------------------------

NASTY_NAMES = (
    "../../etc/passwd",
    "..\\..\\Windows\\System32\\drivers\\etc\\hosts",
    "/etc/cron.d/evil",
    "C:\\Users\\Public\\evil.xlsx",
    "C:evil.xlsx",
    "\\\\server\\share\\evil.xlsx",
    "..",
    ".",
    "...",
    "",
    "   ",
    ".bashrc",
    ".hidden.xlsx",
    "CON",
    "con.xlsx",
    "Nul.tar.gz",
    "PRN.",
    "aux .txt",
    "COM1.xlsx",
    "lpt9",
    "COM¹.xlsx",
    "inventory.xlsx.",
    "inventory.xlsx   ",
    "bell\x07\x00\x1b\x7f\x85.xlsx",
    'a<b>c:d"e|f?g*h.xlsx',
    "x" * 300 + ".xlsx",
    "é" * 300,
    "\U0001f600" * 100 + ".xlsx",
    "name." + "x" * 300,
    "inventory\nreport.xlsx",
    '=HYPERLINK("http://x","y").xlsx',
    "<script>alert(1)</script>.xlsx",
)
RESERVED = re.compile(r"^(CON|PRN|AUX|NUL|COM[1-9¹²³]|LPT[1-9¹²³])(\..*)?$", re.IGNORECASE)


@pytest.mark.parametrize("name", NASTY_NAMES, ids=lambda name: repr(name)[:30])
def test_safe_filename_makes_one_harmless_name(name, tmp_path):
    safe = safe_filename(name)
    assert safe
    assert len(safe) <= 100
    assert safe == safe_filename(safe)  # stable
    assert "/" not in safe
    assert "\\" not in safe
    assert ":" not in safe
    assert safe not in {".", ".."}
    assert not safe.startswith((".", " "))
    assert not safe.endswith((".", " "))
    assert not re.search(r'[\x00-\x1f\x7f-\x9f<>"|?*]', safe)
    assert not RESERVED.match(safe.split(".")[0].rstrip()), safe
    created = tmp_path / safe
    created.write_bytes(b"x")  # a file this system can create, inside the folder
    assert created.resolve().parent == tmp_path.resolve()


def test_safe_filename_keeps_ordinary_names_and_extensions():
    assert safe_filename("Acme CX inventory (v2).xlsx") == "Acme CX inventory (v2).xlsx"
    assert safe_filename("Ünïcødé – 2026.xlsx") == "Ünïcødé – 2026.xlsx"
    long = safe_filename("x" * 300 + ".xlsx", max_length=50)
    assert long == "x" * 45 + ".xlsx"
    assert safe_filename("../../", default="upload") == "upload"
    with pytest.raises(ValueError, match="too short"):
        safe_filename("a", max_length=3)


@pytest.mark.parametrize("name", NASTY_NAMES, ids=lambda name: repr(name)[:30])
def test_an_upload_lands_in_the_engagement_folder_under_a_safe_name(name, tmp_path):
    session = Session(tmp_path / "acme" / "engagement.nistpf")
    path = session.save_upload(name, b"content")
    assert path.parent == session.folder
    assert path.name == safe_filename(name, default="upload")
    assert path.read_bytes() == b"content"
    assert session.save_upload(name, b"other").name != path.name  # never replaced
    assert sorted(p.name for p in tmp_path.iterdir()) == ["acme"]  # nothing written outside


def test_exports_named_after_a_hostile_inventory_stay_in_their_folder(tmp_path):
    from nistpf.ui.steps_review import ExportStep

    store = tmp_path / "acme" / "engagement.nistpf"
    session = Session(store)
    session.load(nistpf.sample_path())
    # Deliverables are named after the client the About sheet names: here a hostile one.
    inventory = session.assessment.inventory
    about = inventory.about.copy()
    about.loc[about["field"] == "client", "value"] = "../../CON"
    session.assessment = dataclasses.replace(
        session.assessment,
        inventory=dataclasses.replace(inventory, source="../../CON", about=about),
    )
    step = ExportStep(session)
    written = step._write("report", tmp_path / "acme" / "outputs")
    assert Path(written).parent == tmp_path / "acme" / "outputs"
    assert Path(written).name == "con-report.html"  # letters kept, the path and dots gone


def test_a_bidi_control_in_the_inventory_name_is_shown_escaped_in_every_deliverable(tmp_path):
    """An inventory file named with a right-to-left override ("acme\u202exslx.exe.xlsx",
    which a reader sees as "acmeexe.xlsx…" reversed) is named with the control escaped in the
    register (Summary and Method), the HTML report's footer and the deck's sources, so the
    name cannot reorder the text after it (the SHA-256 showed reversed in the report)."""
    from openpyxl import load_workbook

    from nistpf.export.deck import source_notes

    path = tmp_path / "acme\u202exslx.exe.xlsx"
    shutil.copyfile(nistpf.sample_path(), path)
    assessment = nistpf.assess(nistpf.load_inventory(path))
    escaped = "acme\\u202exslx.exe.xlsx"
    register = nistpf.write_gap_register(assessment, tmp_path / "r.xlsx")
    book = load_workbook(register)
    cells = [c.value for ws in book for row in ws.iter_rows() for c in row if c.value]
    named = [v for v in cells if isinstance(v, str) and "xslx.exe" in v]
    assert len(named) >= 2, named  # the Summary's Input and the Method's File
    assert all(escaped in v for v in named), named
    html = nistpf.write_report(assessment, tmp_path / "r.html").read_text(encoding="utf-8")
    assert "\u202e" not in html
    assert escaped in html
    notes = dict(source_notes(assessment))
    assert notes["Input"] == escaped
