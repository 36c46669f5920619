"""Every CSV nistpf writes opens in a spreadsheet as data: text a spreadsheet would run as a
formula — starting with =, +, -, @, a tab or a carriage return, at the cell's start or after a
semicolon, tab or line break inside it — gets a ' in front (OWASP, "CSV Injection"); numbers
nistpf writes as numbers stay numbers.

The payloads go in through the real readers (a client's CSV inventory, the store's setters) and
come out through the real writers (``nistpf validate --format csv``, ``Store.export_log``,
``write_framework_tables``); the CSV is read back with Python's csv module, and once by
LibreOffice, which shows what a spreadsheet makes of it."""

from __future__ import annotations

import codecs
import contextlib
import csv
import io
import re
import subprocess
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

import nistpf
from nistpf import cli
from nistpf.cli import main
from nistpf.errors import InventoryError
from nistpf.export.tables import write_framework_tables
from nistpf.inventory.report import format_report
from nistpf.io.csv_safe import CSV_WRITERS, csv_text, neutral_text, neutralise, write_csv
from nistpf.store import open_store
from tests import conftest
from tests.inventory_files import valid_sheets, write_csv_folder

PAYLOADS = (
    '=HYPERLINK("http://x","y")',
    "+cmd|' /C calc'!A0",
    "-2+3",
    "@SUM(A1)",
    "\t=1",
    "\r=1",
)
# What a spreadsheet may take for a formula: a formula character at a cell's start, or (split
# on ";" or a tab, or a line break inside a quoted cell) at the start of a part of it.
STARTS = ("=", "+", "-", "@", "\t", "\r")
RISKY = re.compile(r'(?:^|(?<=[;\t\r\n]))"*[=+\-@\t\r]')


def cells(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text, newline="")))


def read(path: Path) -> str:
    """The text of the CSV file ``path`` as written (a carriage return in a cell stays one),
    after the UTF-8 byte-order mark every CSV file nistpf writes starts with."""
    raw = path.read_bytes()
    assert raw.startswith(codecs.BOM_UTF8), path
    return raw[len(codecs.BOM_UTF8) :].decode("utf-8")


def assert_inert(rows: list[list[str]]) -> None:
    """No cell of ``rows`` starts a formula, at its start or after a separator inside it."""
    for row in rows:
        for cell in row:
            assert not cell.startswith(STARTS), repr(cell)
            found = RISKY.search(cell)
            assert found is None, repr(cell)


# -- the rule --------------------------------------------------------------------------------


# Each expectation written by hand from the rule: a ' before each formula start (behind any
# double quotes) at the text's start or after ;, tab, CR or LF.
@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('=HYPERLINK("http://x","y")', '\'=HYPERLINK("http://x","y")'),
        ("+cmd|' /C calc'!A0", "'+cmd|' /C calc'!A0"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\t=1", "'\t'=1"),
        ("\r=1", "'\r'=1"),
        ("-1", "'-1"),  # a client's "-1" is text
        ("x;=2+2", "x;'=2+2"),
        ("x\n@A1", "x\n'@A1"),
        ('x;"=1"', 'x;\'"=1"'),
        ("2027-03-31", "2027-03-31"),
        ("Backups - daily; -weekly", "Backups - daily; -weekly"),  # a space breaks the start
        ("a=b+c", "a=b+c"),
        ("", ""),
    ],
)
def test_a_formula_start_gets_a_quote_and_other_text_is_unchanged(text, expected):
    assert neutral_text(text) == expected


def test_numbers_written_as_numbers_stay_numbers_and_text_that_looks_like_one_is_text():
    frame = pd.DataFrame(
        {
            "level": pd.array([-3, None], dtype="Int64"),
            "score": [-2.5, 1.0],
            "mixed": [-3, "-3"],  # a number nistpf holds, and a client's text
            "due": ["2027-03-31", None],
            "=label": ["ok", "=1"],
        }
    )
    assert csv_text(frame) == (
        "level,score,mixed,due,'=label\n-3,-2.5,-3,2027-03-31,ok\n,1.0,'-3,,'=1\n"
    )
    assert neutralise(frame)["level"].dtype == "Int64"  # the column is untouched
    assert frame["=label"].tolist() == ["ok", "=1"]  # the caller's frame too


def test_a_line_break_in_a_cell_is_quoted_and_rows_end_in_a_line_feed():
    frame = pd.DataFrame({"a": ["x\ry", "x\ny", "x\r\ny", 'say "hi"'], "b": [1, 2, 3, 4]})
    text = csv_text(frame)
    assert text == 'a,b\n"x\ry",1\n"x\ny",2\n"x\r\ny",3\n"say ""hi""",4\n'
    assert cells(text)[1:] == [["x\ry", "1"], ["x\ny", "2"], ["x\r\ny", "3"], ['say "hi"', "4"]]


# -- nistpf validate --format csv ------------------------------------------------------------


def hostile_folder(folder: Path) -> Path:
    """A client's CSV inventory whose cells the validation report quotes carry the payloads."""
    sheets = valid_sheets()
    sheets["Systems"][1][3] = PAYLOADS[0]  # criticality: not a choice
    sheets["Systems"][2][5] = PAYLOADS[1]  # in_scope: not yes/no
    sheets["Controls"][1][2] = PAYLOADS[2]  # status: not a choice
    sheets["Controls"][2][5] = PAYLOADS[3]  # applies_to: no such system
    sheets["DataFlows"][1][5] = PAYLOADS[4]  # stage: not a choice
    sheets["DataFlows"][2][2] = PAYLOADS[5]  # destination: no such system
    return write_csv_folder(folder, sheets)


def validate_csv(source: Path) -> tuple[int, str]:
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        code = main(["validate", str(source), "--format", "csv"])
    return code, out.getvalue()


def test_validate_csv_writes_every_payload_as_text(tmp_path):
    code, out = validate_csv(hostile_folder(tmp_path / "client"))
    assert code == 1
    rows = cells(out)
    assert rows[0] == [
        "severity",
        "sheet",
        "excel_row",
        "column",
        "value",
        "problem",
        "hint",
        "code",
    ]
    assert_inert(rows)
    values = {row[3]: row[4] for row in rows[1:]}
    # The loader strips a carriage return at a cell's edge ("\r=1" is read as "=1").
    assert values == {
        "criticality": "'" + PAYLOADS[0],
        "in_scope": "'" + PAYLOADS[1],
        "status": "'" + PAYLOADS[2],
        "applies_to": "'" + PAYLOADS[3],
        "stage": "'\t'=1",
        "destination": "'=1",
    }
    assert {row[2] for row in rows[1:]} == {"2", "3"}  # Excel rows: numbers, no quote


def test_the_report_frame_and_format_report_agree_with_csv_text(tmp_path):
    with pytest.raises(InventoryError) as caught:
        nistpf.load_inventory(hostile_folder(tmp_path / "client"))
    issues = caught.value.issues
    assert format_report(issues, "csv") == csv_text(issues)
    raw = cells(issues.to_csv(index=False, lineterminator="\n"))
    with pytest.raises(AssertionError):
        assert_inert(raw)  # without the quote, the same report would run formulas


# -- the store's log -------------------------------------------------------------------------


@pytest.fixture
def hostile_store(tmp_path):
    """A store whose log holds every payload as a name, a client, evidence, a note and a who."""
    store = open_store(tmp_path / "engagement.nistpf")
    run = store.new_assessment("Baseline", date="2026-03-31", who=PAYLOADS[0])
    for number, payload in enumerate(PAYLOADS):
        store.set_rating(
            run,
            "ID.IM-P1",
            system=f"S{number}",
            current=1,
            evidence=payload,
            notes=payload,
            who=payload,
            note=payload,
        )
    store.set_engagement_name(PAYLOADS[3], who=PAYLOADS[2])
    store.set_client(PAYLOADS[1], who=PAYLOADS[4], note=PAYLOADS[5])
    return store


def test_the_exported_log_writes_every_payload_as_text(hostile_store, tmp_path):
    path = hostile_store.export_log(tmp_path / "log.csv")
    rows = cells(read(path))
    assert rows[0] == ["seq", "at", "who", "assessment", "entity", "key", "field", "old", "new",
                       "note"]  # fmt: skip
    assert_inert(rows)
    who = [row[2] for row in rows[1:]]
    for payload in PAYLOADS:
        assert neutral_text(payload) in who
    assert "'" + PAYLOADS[0] in who
    # seq and assessment are numbers, written as numbers
    assert [row[0] for row in rows[1:]] == [str(n) for n in range(1, len(rows))]
    assert {row[3] for row in rows[1:]} <= {"1", ""}
    log = hostile_store.log()
    assert len(rows) - 1 == len(log)
    raw = cells(log.to_csv(index=False, lineterminator="\n"))
    with pytest.raises(AssertionError):
        assert_inert(raw)


# -- the framework's tables ------------------------------------------------------------------


class _Framework:
    """A stand-in framework with a payload in every text column of the Core, the Tiers and
    its one crosswalk."""

    version = "9.9"

    def __init__(self) -> None:
        real = nistpf.framework()
        self.core = real.core.head(3).astype(object).copy()
        self.core["text"] = list(PAYLOADS[:3])
        self.tiers = real.tiers.head(2).astype(object).copy()
        self.tiers["text"] = list(PAYLOADS[3:5])
        self._crosswalk = real.crosswalk("gdpr").head(1).astype(object).copy()
        self._crosswalk["notes"] = [PAYLOADS[5]]

    def crosswalks(self) -> list[str]:
        return ["gdpr"]

    def crosswalk(self, name: str) -> pd.DataFrame:
        return self._crosswalk


def test_the_framework_tables_write_a_payload_as_text(tmp_path):
    paths = write_framework_tables(_Framework(), tmp_path)
    assert [p.name for p in paths] == [
        "pf-9.9-core.csv",
        "pf-9.9-tiers.csv",
        "pf-9.9-crosswalks.csv",
    ]
    texts = [read(p) for p in paths]
    for text in texts:
        assert_inert(cells(text))
    assert [r[-1] for r in cells(texts[0])[1:]] == ["'" + p for p in PAYLOADS[:3]]
    assert [r[-1] for r in cells(texts[1])[1:]] == ["'" + PAYLOADS[3], "'\t'=1"]
    assert cells(texts[2])[1][-1] == "'\r'=1"


def test_nists_text_is_written_as_it_is():
    """No cell of the Core, the Tiers or a crosswalk starts a formula, so the quote changes
    none of them: the tables are what pandas writes without it."""
    fw = nistpf.framework()
    crosswalks = pd.concat([fw.crosswalk(name) for name in fw.crosswalks()], ignore_index=True)
    for table in (fw.core, fw.tiers, crosswalks):
        assert csv_text(table) == table.to_csv(index=False, lineterminator="\n")


# -- nistpf framework --format csv (cli._emit) -----------------------------------------------


def test_every_csv_writer_in_the_package_is_listed():
    """Each place in nistpf that writes CSV (``to_csv(`` or ``csv.writer(``) is a writer in
    :data:`CSV_WRITERS` that goes through ``csv_text``, or the converter of NIST's data."""
    package = Path(nistpf.__file__).parent
    raw = set()
    for path in sorted(package.rglob("*.py")):
        text = path.read_text(encoding="utf-8")
        if re.search(r"\.to_csv\(|csv\.(?:writer|DictWriter)\(", text):
            raw.add(path.relative_to(package).as_posix())
    # csv_safe itself, and the converter writing nistpf's own data from NIST's workbooks
    # (CSV_WRITERS says why it is not neutralised).
    assert raw == {"io/csv_safe.py", "convert/build.py"}
    assert len(CSV_WRITERS) == 4


def test_framework_format_csv_writes_a_payload_as_text(monkeypatch, capsys):
    fake = _Framework()
    monkeypatch.setattr(cli.nistpf, "framework", lambda version=None: fake)
    assert main(["framework", "--format", "csv"]) == 0
    rows = cells(capsys.readouterr().out)
    assert [r[-1] for r in rows[1:]] == ["'" + p for p in PAYLOADS[:3]]
    assert_inert(rows)


# -- what a spreadsheet makes of it ----------------------------------------------------------


def soffice() -> str:
    return conftest.soffice("to open the CSV as a spreadsheet would")


def opened_by_libreoffice(paths: list[Path], separator: str, folder: Path) -> dict[str, list]:
    """The cells LibreOffice makes of each CSV file of ``paths`` split on ``separator``
    (UTF-8), as saved to .xlsx, by file stem: ``(value, data type)`` for every cell that holds
    something. One start of LibreOffice for all of them."""
    out = folder / f"out-{ord(separator)}"
    subprocess.run(
        [
            soffice(),
            f"-env:UserInstallation={(folder / 'profile').as_uri()}",
            "--headless",
            f"--infilter=CSV:{ord(separator)},34,76,1",
            "--convert-to",
            "xlsx",
            "--outdir",
            str(out),
            *map(str, paths),
        ],
        check=True,
        capture_output=True,
        timeout=180,
    )
    opened = {}
    for path in paths:
        book = openpyxl.load_workbook(out / f"{path.stem}.xlsx")
        opened[path.stem] = [
            (cell.value, cell.data_type)
            for sheet in book
            for row in sheet.iter_rows()
            for cell in row
            if cell.value is not None
        ]
    return opened


def test_libreoffice_opens_the_csv_outputs_as_text_split_on_commas_or_semicolons(
    hostile_store, tmp_path
):
    """Slow-ish (LibreOffice starts twice, about 5 s). The raw CSV of the same report is
    opened too, so the test sees a formula when there is one."""
    with pytest.raises(InventoryError) as caught:
        nistpf.load_inventory(hostile_folder(tmp_path / "client"))
    issues = caught.value.issues
    issues.loc[len(issues) - 1, "hint"] = "x;=2+2"  # a separator a ';' split would cut at
    files = {
        "report": csv_text(issues),
        "log": read(hostile_store.export_log(tmp_path / "log-export.csv")),
        "raw": issues.to_csv(index=False, lineterminator="\n"),
    }
    paths = []
    for name, text in files.items():
        paths.append(tmp_path / f"{name}.csv")
        paths[-1].write_text(text, encoding="utf-8", newline="")
    for separator in (",", ";"):
        opened = opened_by_libreoffice(paths, separator, tmp_path)
        assert any(kind == "f" for _, kind in opened["raw"]), separator  # it can see one
        for name in ("report", "log"):
            formulas = [value for value, kind in opened[name] if kind == "f"]
            assert formulas == [], (name, separator)
        texts = {value for value, kind in opened["report"] if kind == "s"}
        assert ("'" + PAYLOADS[0] in texts) == (separator == ",")  # ";" splits it at a comma


def test_a_csv_file_starts_with_the_utf8_mark_and_reads_back_as_written(tmp_path, hostile_store):
    """Every CSV file nistpf writes starts with the UTF-8 byte-order mark — Excel opens a
    double-clicked CSV as UTF-8 only with it, and in the system's ANSI code page without it
    ("organization’s" becomes "organizationâ€™s") — and the mark is not part of the first
    header for pandas or for Python's csv module with ``utf-8-sig``."""
    text = "The organization’s role; Müller → ✓"
    written = write_csv(tmp_path / "t.csv", pd.DataFrame({"id": ["A"], "text": [text]}))
    log = hostile_store.export_log(tmp_path / "log.csv")
    tables = write_framework_tables(_Framework(), tmp_path / "tables")
    for path in (written, log, *tables):
        assert path.read_bytes().startswith(codecs.BOM_UTF8), path
    assert pd.read_csv(written).to_dict("records") == [{"id": "A", "text": text}]
    assert pd.read_csv(log).columns[0] == "seq"
    with tables[0].open(encoding="utf-8-sig", newline="") as stream:
        assert next(csv.reader(stream))[0] == "level"
