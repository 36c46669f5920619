"""Client files in other locales: every CSV delimiter and encoding, numbers in either convention
(refused when ambiguous, unless the workbook's locale is declared), and the words of seven
languages from one table kept as data (``nistpf/data/words.csv``). Every interpretation is a row
in the validation report.

Expected values are written by hand from the rules (a month is 30 days, a year 365), never taken
from the program's output."""

from __future__ import annotations

import csv
import dataclasses
import datetime as dt
import io
from importlib import resources
from pathlib import Path

import pandas as pd
import pytest

import nistpf
from nistpf.cli import main
from nistpf.inventory.csvsource import detect_delimiter, read_csv_files
from nistpf.inventory.locale import (
    AMBIGUOUS,
    LANGUAGES,
    MONTHS,
    WORDS,
    NumberReading,
    UnknownLocaleError,
    Word,
    convention,
    lookup,
    parse_number,
)
from nistpf.inventory.mapping import MappingError, load_mapping
from nistpf.inventory.report import Report
from nistpf.inventory.values import (
    Bad,
    Noted,
    count_reader,
    days_reader,
    level_reader,
    read_date,
    read_days,
    read_yesno,
)
from nistpf.scales import scale
from tests.conftest import shared_path
from tests.inventory_files import valid_sheets, write_workbook

# -- CSV: every delimiter × every encoding ----------------------------------------------------

DELIMITERS = {",": "','", ";": "';'", "\t": "a tab", "|": "'|'"}
# encoding name → (how the bytes are made, the warning code and problem expected, or None)
ENCODINGS = {
    "utf-8": (lambda text: text.encode("utf-8"), None),
    "utf-8-bom": (lambda text: text.encode("utf-8-sig"), None),
    "utf-16-le-bom": (
        lambda text: b"\xff\xfe" + text.encode("utf-16-le"),
        (
            "csv-encoding",
            "the file is UTF-16 (little-endian, with a byte order mark); it was read so",
        ),
    ),
    "utf-16-be-bom": (
        lambda text: b"\xfe\xff" + text.encode("utf-16-be"),
        ("csv-encoding", "the file is UTF-16 (big-endian, with a byte order mark); it was read so"),
    ),
    "utf-16-le-no-bom": (
        lambda text: text.encode("utf-16-le"),
        (
            "csv-encoding",
            "the file is UTF-16 (little-endian, without a byte order mark); it was read so",
        ),
    ),
    "cp1252": (
        lambda text: text.encode("cp1252"),
        ("not-utf8", "the file is not UTF-8; it was read as Windows-1252"),
    ),
}
# A name holding every other delimiter, quoted by the writer: it must stay one field.
TRICKY_NAME = "Café, Zürich; Ltd | Büro\tNord"


def csv_text(rows: list[list], delimiter: str) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=delimiter, lineterminator="\r\n")
    writer.writerows(["" if v is None else v for v in row] for row in rows)
    return buffer.getvalue()


@pytest.mark.parametrize("encoding", sorted(ENCODINGS))
@pytest.mark.parametrize("delimiter", sorted(DELIMITERS), ids=lambda d: DELIMITERS[d])
def test_every_delimiter_in_every_encoding_reads_the_same_inventory(tmp_path, delimiter, encoding):
    encode, expected_encoding = ENCODINGS[encoding]
    sheets = valid_sheets()
    sheets["Systems"][1][1] = TRICKY_NAME
    folder = tmp_path / "inventory"
    folder.mkdir()
    for name, rows in sheets.items():
        (folder / f"{name}.csv").write_bytes(encode(csv_text(rows, delimiter)))
    inventory = nistpf.load_inventory(folder)

    assert inventory.systems["name"].tolist() == [
        TRICKY_NAME,
        "Customer Data Platform",
        "Web Chatbot",
    ]
    assert inventory.systems["data_categories"][0] == ("user.contact.email", "user.name")
    assert inventory.controls["applies_to"][1] == ("CRM-01", "CDP-01")
    assert inventory.flows["flow_id"].tolist() == ["F-001", "F-002"]
    expected = []
    for file in ("Controls.csv", "DataFlows.csv", "Systems.csv"):
        # Windows-1252 shows only where a byte is not UTF-8: the accented name in Systems
        if expected_encoding and (encoding != "cp1252" or file == "Systems.csv"):
            expected.append([file, *expected_encoding])
        if delimiter != ",":
            expected.append(
                [file, "csv-delimiter", f"the file uses {DELIMITERS[delimiter]} between fields; "
                 "it was read so"]
            )  # fmt: skip
    issues = inventory.issues
    assert issues["severity"].eq("warning").all()
    assert sorted(issues[["sheet", "code", "problem"]].values.tolist()) == sorted(expected)


@pytest.mark.parametrize(
    ("text", "delimiter"),
    [
        ("system_id,name\nCRM-01,CRM\n", ","),
        ("system_id;name\nCRM-01;CRM\n", ";"),
        ("system_id\tname\nCRM-01\tCRM\n", "\t"),
        ("system_id|name\nCRM-01|CRM\n", "|"),
        # one column, some values holding a ';' or a ',': read as the one column it is
        ("system_id\nCRM-01\nBOT-01; legacy\nCDP-01\n", ","),
        ("notes\nsee the DPA, clause 4\nnone\nn/a\n", ","),
        # quoted fields holding the other delimiters do not count
        ('a;b;c\n"x,y,z";2;3\n"p,q";"r,s,t";6\n', ";"),
        ('a,b,c\n"x;y;z",2,3\n"p;q","r;s;t",6\n', ","),
        # ';' between fields, ',' in the free text (a tool's export)
        ("ref;name;description\nA;Alpha;one, two, three\nB;Beta;four\nC;Gamma;five, six\n", ";"),
        # ',' between fields, ';' in the lists
        ("id,name,categories\nA,Alpha,a; b; c\nB,Beta,d\nC,Gamma,e; f\n", ","),
        # a title line above the header
        ("Systems register\nsystem_id;name;type\nCRM-01;CRM;CRM\nBOT-01;Bot;Chatbot\n", ";"),
        ("", ","),
    ],
)
def test_the_delimiter_is_found(text, delimiter):
    assert detect_delimiter(text) == delimiter


def test_excel_sep_line_names_the_delimiter_and_rows_are_numbered_as_excel_shows_them(tmp_path):
    sheets = valid_sheets()
    folder = tmp_path / "inventory"
    folder.mkdir()
    for name, rows in sheets.items():
        (folder / f"{name}.csv").write_text("sep=;\r\n" + csv_text(rows, ";"), encoding="utf-8")
    inventory = nistpf.load_inventory(folder)
    # line 1 is sep=;, which Excel does not show: the header is Excel's row 1, the first
    # system (line 3 of the file) row 2
    assert inventory.systems["excel_row"].tolist() == [2, 3, 4]
    rows = inventory.issues[inventory.issues["sheet"] == "Systems.csv"]
    assert rows[["code", "problem"]].values.tolist() == [
        [
            "csv-delimiter",
            "the file's first line 'sep=;' names ';' as the delimiter between fields; it was "
            "read so, and rows are numbered as Excel shows them (without that line)",
        ]
    ]


# -- the field samples -------------------------------------------------------------------------


@pytest.fixture
def field() -> Path:
    """The client files in ``../shared/samples/field`` (skipped where ../shared is missing)."""
    return shared_path("samples", "field")


@pytest.mark.shared
def test_field_sample_semicolon_separated_csv_loads_with_its_mapping(field):
    folder = field
    inventory = nistpf.load_inventory(
        folder / "semicolon-separated.csv", mapping=folder / "semicolon-separated.toml"
    )
    systems = inventory.systems
    assert systems[["system_id", "name"]].values.tolist() == [["CRM-01", "Kunden-CRM"]]
    assert systems["records"].tolist() == [12400]  # plain digits: read silently
    assert inventory.issues[["severity", "sheet", "code", "problem"]].values.tolist() == [
        [
            "warning",
            "semicolon-separated.csv",
            "csv-delimiter",
            "the file uses ';' between fields; it was read so",
        ]
    ]


@pytest.mark.shared
def test_field_sample_ciso_assistant_export_each_file_has_its_own_delimiter(field):
    folder = field / "ciso-assistant-audit-export"
    report = Report()
    audit = read_csv_files([folder / "audit_export.csv"], "audit", report).sheets["audit_export"]
    systems = read_csv_files([folder / "systems.csv"], "systems", report).sheets["systems"]
    assert audit.rows[0] == [
        "urn", "ref_id", "name", "description", "typical_evidence", "annotation",
        "compliance_result", "extended_result", "requirement_progress", "score", "observations",
    ]  # fmt: skip
    assert all(len(row) == 11 for row in audit.rows)
    assert audit.rows[3][1] == "ID.IM-P1"
    assert audit.rows[3][6] == "non_compliant"
    # the descriptions hold commas, and stay one field
    assert audit.rows[4][3].startswith("Owners or operators (e.g., the organization")
    assert systems.rows[:3] == [
        ["system_id", "name", "type", "criticality"],
        ["CRM-01", "Customer CRM", "CRM", "High"],
        ["CHAT-01", "Web chatbot", "Chatbot", "Medium"],
    ]
    assert [(row["sheet"], row["code"]) for row in report.rows] == [
        ("audit_export.csv", "csv-delimiter")
    ]


def european_mapping(locale: str | None):
    mapping = load_mapping(
        {
            "sheets": {
                "Systems": {
                    "source": "Systems",
                    "columns": {"system_id": "system_id", "name": "name", "records": "records"},
                },
                "Controls": {
                    "source": "Controls",
                    "columns": {
                        "control_id": "control_id",
                        "name": "name",
                        "status": "status",
                        "maturity": "maturity",
                        "subcategories": "subcategories",
                    },
                },
            }
        }
    )
    return dataclasses.replace(mapping, locale=locale)


@pytest.mark.shared
def test_field_sample_european_numbers_refuses_the_ambiguous_one_without_a_locale(field):
    path = field / "european-numbers-as-text.xlsx"
    with pytest.raises(nistpf.InventoryError) as caught:
        nistpf.load_inventory(path)
    issues = caught.value.issues
    errors = issues[issues["severity"] == "error"]
    assert errors[["sheet", "excel_row", "column", "value", "code"]].values.tolist() == [
        ["Systems", 2, "records", "12.400", "ambiguous-number"]
    ]
    assert errors["problem"].tolist() == [
        "'12.400' is ambiguous: 12400 if '.' groups thousands, 12.4 if it is the decimal separator"
    ]
    assert "declare the workbook's locale" in errors["hint"].iloc[0]
    warnings = issues[issues["severity"] == "warning"].set_index("value")
    assert warnings.loc["2,5M", "problem"] == (
        "'2,5M' read as 2500000 (with a decimal comma; 'M' is a million)"
    )
    assert warnings.loc["2,5", "code"] == "decimal-comma"


@pytest.mark.shared
@pytest.mark.parametrize(
    ("locale", "crm_records"),
    [("de-DE", 12400), ("fr", 12400)],
)
def test_field_sample_european_numbers_with_a_declared_locale(field, locale, crm_records):
    path = field / "european-numbers-as-text.xlsx"
    inventory = nistpf.load_inventory(path, mapping=european_mapping(locale))
    assert inventory.systems["records"].tolist() == [crm_records, 2_500_000]
    assert inventory.controls["maturity"].tolist() == [2.5]
    readings = inventory.issues.set_index("value")
    assert readings.loc["12.400", "code"] == "number-converted"
    assert readings.loc["12.400", "problem"].startswith(f"'12.400' read as {crm_records} ")
    assert locale in readings.loc["12.400", "problem"]
    assert readings.loc["2,5", "problem"] == "'2,5' read as 2.5 with a decimal comma"


# -- numbers -----------------------------------------------------------------------------------

# written, {declared locale: expected count}, where None means undeclared; "ambiguous" refused;
# "fraction": read as a number that is not whole (12.4 records), refused as no count
NUMBERS = [
    ("12.400", {None: "ambiguous", "de-DE": 12400, "fr-FR": 12400, "en-US": "fraction"}),
    ("12.400", {"de-CH": "fraction"}),
    ("12,400", {None: "ambiguous", "de-DE": "fraction", "fr-FR": "fraction", "en-US": 12400}),
    ("12,400", {"de-CH": 12400}),
    ("1,250", {None: "ambiguous", "de-DE": "fraction", "en-GB": 1250}),
    ("2,5M", {None: 2_500_000, "de-DE": 2_500_000, "en-US": 2_500_000}),
    ("2.5M", {None: 2_500_000, "de-DE": 2_500_000}),
    ("1.234.567", {None: 1_234_567, "en-US": 1_234_567}),
    ("1,234,567", {None: 1_234_567, "de-DE": 1_234_567}),
    ("1.234,6", {None: "fraction", "en-US": "fraction"}),
    ("1,234.6", {None: "fraction", "de-DE": "fraction"}),
    ("1.234,0", {None: 1234}),
    ("12 400", {None: 12400}),
    ("12'400", {None: 12400}),
    ("12\u202f400", {None: 12400}),
    ("12\u00a0400", {None: 12400}),
    ("1 234 567,8", {None: "fraction"}),
    ("2,5 Mio.", {None: 2_500_000}),
    ("1,2 Mrd", {None: 1_200_000_000}),
    ("15K", {None: 15_000}),
    ("12 400 Datensätze", {None: 12400}),
    ("3 mil registros", {None: 3000}),
]


@pytest.mark.parametrize(
    ("written", "locale", "expected"),
    [(w, loc, e) for w, cases in NUMBERS for loc, e in cases.items()],
)
def test_counts_in_either_convention(written, locale, expected):
    result = count_reader(convention(locale) if locale else None)(written)
    if expected == "ambiguous":
        assert result.__class__ is Bad
        assert result.code == "ambiguous-number"
    elif expected == "fraction":
        assert result.__class__ is Bad
        assert result.code == "invalid-number"
        assert result.problem.startswith(f"{written!r} is not a whole number")
    else:
        assert result.__class__ is Noted, result
        assert result.value == expected
        assert result.code == "number-converted"
        assert result.problem.startswith(f"{written!r} read as {expected} (")


@pytest.mark.parametrize("written", ["12400", "250000", "12400.0", "7", "12400 records"])
def test_a_plain_number_is_read_silently(written):
    assert count_reader()(written) == int(float(written.split()[0]))
    assert count_reader(convention("de-DE"))(written) == int(float(written.split()[0]))


@pytest.mark.parametrize(
    "written", ["12.40.0", "1.2345.678", "12,", ",5", "1.234,567,8", "12 4", "12 400 apples", "x"]
)
def test_what_is_no_number_in_either_convention_is_refused(written):
    result = count_reader()(written)
    assert result.__class__ is Bad
    assert result.code == "invalid-number"


def test_parse_number_rules():
    de, en = convention("de"), convention("en")
    assert parse_number("12400") == NumberReading(12400.0, "")
    assert parse_number("12.400") is AMBIGUOUS
    assert parse_number("0,500").value == 0.5  # "0" cannot be a first group of thousands
    assert parse_number("1234,567").value == 1234.567  # nor can "1234"
    assert parse_number("12.400", de).value == 12400
    assert parse_number("12.400", en).value == 12.4
    assert parse_number("12,4").how == "with a decimal comma"
    assert parse_number("12'400").how == "apostrophes group thousands"


def test_an_ambiguous_number_of_days_is_refused_unless_a_locale_says():
    assert read_days("1.000 Tage").code == "ambiguous-number"
    assert days_reader(convention("de-DE"))("1.000 Tage") == Noted(
        1000, "'1.000 Tage' read as 1000 days", "write the number of days", "converted-days"
    )
    assert days_reader(convention("en-US"))("1,000 days").value == 1000
    assert days_reader(convention("en-US"))("1.000 days").value == 1


@pytest.mark.parametrize(
    ("written", "expected", "noted"),
    [
        ("2,5", 2.5, True),
        ("2.5", 2.5, False),
        ("2,500", 2.5, True),  # no scale reaches the thousands: the comma is decimal
        ("3", 3.0, False),
        (2.5, 2.5, False),
    ],
)
def test_a_level_reads_a_decimal_comma_and_says_so(written, expected, noted):
    result = level_reader(scale("tiers"))(written)
    if noted:
        assert result == Noted(
            expected,
            f"{written!r} read as {expected} with a decimal comma",
            f"confirm the level {expected} with the client",
            "decimal-comma",
        )
    else:
        assert result == expected


def inventory_with(records: list, about_locale: str | None = None, mapping_locale=None):
    sheets = valid_sheets()
    sheets["Systems"][0].append("records")
    for row, value in zip(sheets["Systems"][1:], records, strict=True):
        row.append(value)
    sheets["Controls"][2][3] = "2,5"
    if about_locale is not None:
        sheets["About"] = [["field", "value"], ["client", "Acme"], ["locale", about_locale]]
    return sheets


def test_an_ambiguous_number_is_refused_without_a_locale_and_read_with_one(tmp_path):
    records = ["12.400", "12.400", "1.234.567"]
    path = write_workbook(tmp_path / "none.xlsx", inventory_with(records))
    with pytest.raises(nistpf.InventoryError) as caught:
        nistpf.load_inventory(path)
    errors = caught.value.issues.query("severity == 'error'")
    # one error per cell: each row's number is missing until the locale is declared
    assert errors[["excel_row", "value", "code"]].values.tolist() == [
        [2, "12.400", "ambiguous-number"],
        [3, "12.400", "ambiguous-number"],
    ]
    path = write_workbook(tmp_path / "de.xlsx", inventory_with(records, "de-DE"))
    inventory = nistpf.load_inventory(path)
    assert inventory.systems["records"].tolist() == [12400, 12400, 1_234_567]
    assert inventory.controls["maturity"].tolist()[1] == 2.5
    assert inventory.about.set_index("field").loc["locale", "value"] == "de-DE"
    rows = inventory.issues[["excel_row", "value", "code", "problem"]].values.tolist()
    assert rows == [
        [2, "12.400", "number-converted",
         "'12.400' read as 12400 ('.' groups thousands in the declared locale de-DE) on 2 rows"],
        [4, "1.234.567", "number-converted", "'1.234.567' read as 1234567 ('.' groups thousands)"],
        [3, "2,5", "decimal-comma", "'2,5' read as 2.5 with a decimal comma"],
    ]  # fmt: skip


def test_a_locale_in_the_mapping_reads_the_number(tmp_path):
    path = write_workbook(tmp_path / "m.xlsx", inventory_with(["12,400", 5, 6]))
    inventory = nistpf.load_inventory(path, mapping=valid_mapping("en-US", about=False))
    assert inventory.systems["records"].tolist() == [12400, 5, 6]


def valid_mapping(locale, *, about: bool = True):
    """A mapping of the sheets of :func:`inventory_with` as they are (About too, when
    ``about``), declaring ``locale``."""
    sheets = inventory_with([1, 2, 3], "en" if about else None)
    mapping = load_mapping(
        {
            "sheets": {
                sheet: {"source": sheet, "columns": {c: c for c in rows[0]}}
                for sheet, rows in sheets.items()
            }
        }
    )
    return dataclasses.replace(mapping, locale=locale)


def test_about_and_mapping_declaring_different_conventions_is_an_error_naming_both(tmp_path):
    path = write_workbook(tmp_path / "m.xlsx", inventory_with(["12,400", 5, 6], "de-DE"))
    with pytest.raises(nistpf.InventoryError) as caught:
        nistpf.load_inventory(path, mapping=valid_mapping("en-US"))
    issues = caught.value.issues
    conflict = issues[issues["code"] == "conflicting-locales"]
    assert conflict[["sheet", "excel_row", "value"]].values.tolist() == [["About", 3, "de-DE"]]
    problem = conflict["problem"].iloc[0]
    assert "About (row 3) declares the locale de-DE (decimal comma)" in problem
    assert "but the mapping declares en-US (decimal point)" in problem
    # neither is trusted: the ambiguous number stays refused
    assert "ambiguous-number" in set(issues["code"])


def test_about_and_mapping_in_the_same_convention_agree(tmp_path):
    path = write_workbook(tmp_path / "m.xlsx", inventory_with(["12.400", 5, 6], "fr"))
    inventory = nistpf.load_inventory(path, mapping=valid_mapping("de-AT"))
    assert inventory.systems["records"].tolist() == [12400, 5, 6]


@pytest.mark.parametrize("declared", ["german", "xx-YY", "de-DEU", "12"])
def test_an_unknown_locale_is_an_error_listing_the_accepted_ones(tmp_path, declared):
    path = write_workbook(tmp_path / "m.xlsx", inventory_with([1, 2, 3], declared))
    with pytest.raises(nistpf.InventoryError) as caught:
        nistpf.load_inventory(path)
    issues = caught.value.issues
    row = issues[issues["code"] == "unknown-locale"].iloc[0]
    assert (row["sheet"], row["excel_row"], row["value"]) == ("About", 3, declared)
    assert row["problem"] == f"About (row 3): {declared!r} is not a locale nistpf knows"
    assert row["hint"] == (
        "use a language code (en, de, fr, es, it, nl, pt), alone or with a region: de-DE, "
        "fr-FR, en-US, pt-BR, de-CH …"
    )


@pytest.mark.parametrize(
    ("declared", "decimal"),
    [
        ("de-DE", ","), ("de", ","), ("DE-at", ","), ("de-CH", "."), ("fr", ","), ("fr-CA", ","),
        ("en-US", "."), ("en_GB", "."), ("en-ZA", ","), ("es", ","), ("es-MX", "."),
        ("it-IT", ","), ("it-CH", "."), ("nl-BE", ","), ("pt-BR", ","), ("pt-PT", ","),
        ("es-419", ","),
    ],
)  # fmt: skip
def test_each_locale_has_its_decimal_separator(declared, decimal):
    assert convention(declared).decimal == decimal


def test_an_unknown_locale_raises():
    with pytest.raises(UnknownLocaleError, match="is not a locale nistpf knows"):
        convention("klingon")


# -- words in seven languages ------------------------------------------------------------------

# By hand, per language: plain yes and no words; durations in days (silent) and in weeks, months
# and years (converted: a week is 7 days, a month 30, a year 365); "indefinite" words; and the same
# dates (3 March 2026, 15 October 2025) as people write them.
LANGUAGE_CASES = {
    "en": {
        "yes": ["yes", "Y", "TRUE"],
        "no": ["no", "N", "false"],
        "days": {"90 days": 90, "1 day": 1, "30 d": 30},
        "converted": {"2 weeks": 14, "6 months": 180, "1 year": 365, "3 mo": 90, "1,5 years": 548},
        "indefinite": ["indefinite", "Forever", "no retention"],
        "march": ["3 March 2026", "March 3, 2026", "3 Mar 2026", "3-Mar-2026", "3rd March 2026"],
        "october": ["15 Oct 2025", "Oct. 15, 2025"],
    },
    "de": {
        "yes": ["ja", "J", "wahr"],
        "no": ["nein", "falsch"],
        "days": {"90 Tage": 90, "1 Tag": 1, "30 Tagen": 30},
        "converted": {"2 Wochen": 14, "6 Monate": 180, "1 Jahr": 365, "1 Monat": 30,
                      "2 Jahren": 730, "6 Mon.": 180, "1,5 Jahre": 548},
        "indefinite": ["unbefristet", "unbegrenzt", "für immer", "dauerhaft"],
        "march": ["3. März 2026", "3 März 2026", "3. Mär. 2026", "3. Marz 2026", "3. Mrz. 2026"],
        "october": ["15. Okt. 2025", "15. Oktober 2025"],
    },
    "fr": {
        "yes": ["oui", "Vrai"],
        "no": ["non", "faux"],
        "days": {"90 jours": 90, "1 jour": 1},
        "converted": {"2 semaines": 14, "6 mois": 180, "1 an": 365, "2 ans": 730,
                      "1 année": 365, "1,5 an": 548},
        "indefinite": ["indéfiniment", "illimité", "pour toujours", "sans limite"],
        "march": ["3 mars 2026", "3 Mars 2026", "3-mars-2026"],
        "october": ["15 oct. 2025", "15 octobre 2025"],
    },
    "es": {
        "yes": ["sí", "si", "S", "verdadero"],
        "no": ["no", "falso"],
        "days": {"90 días": 90, "90 dias": 90, "1 día": 1},
        "converted": {"2 semanas": 14, "6 meses": 180, "1 mes": 30, "1 año": 365, "2 años": 730},
        "indefinite": ["indefinido", "indefinidamente", "para siempre", "ilimitado"],
        "march": ["3 de marzo de 2026", "3 marzo 2026", "3 mar 2026"],
        "october": ["15 de octubre de 2025", "15 oct 2025"],
    },
    "it": {
        "yes": ["sì", "si", "vero"],
        "no": ["no", "falso"],
        "days": {"90 giorni": 90, "30 gg": 30, "1 giorno": 1},
        "converted": {"2 settimane": 14, "6 mesi": 180, "1 mese": 30, "1 anno": 365,
                      "2 anni": 730},
        "indefinite": ["indefinito", "illimitato", "per sempre"],
        "march": ["3 marzo 2026", "3 mar 2026"],
        "october": ["15 ottobre 2025", "15 ott 2025"],
    },
    "nl": {
        "yes": ["ja", "waar"],
        "no": ["nee", "onwaar"],
        "days": {"90 dagen": 90, "1 dag": 1},
        "converted": {"2 weken": 14, "6 maanden": 180, "1 maand": 30, "1 jaar": 365,
                      "2 jaren": 730},
        "indefinite": ["onbepaald", "onbeperkt", "voor altijd", "onbepaalde tijd"],
        "march": ["3 maart 2026", "3 mrt. 2026", "3 mrt 2026"],
        "october": ["15 oktober 2025", "15 okt 2025"],
    },
    "pt": {
        "yes": ["sim", "Sim", "verdadeiro"],
        "no": ["não", "nao", "falso"],
        "days": {"90 dias": 90, "1 dia": 1},
        "converted": {"2 semanas": 14, "6 meses": 180, "1 mês": 30, "1 ano": 365, "2 anos": 730},
        "indefinite": ["indefinido", "indefinidamente", "para sempre", "ilimitado"],
        "march": ["3 de março de 2026", "3 março 2026", "3 mar 2026", "3 de marco de 2026"],
        "october": ["15 de outubro de 2025", "15 out 2025"],
    },
}  # fmt: skip


def test_every_language_is_tested():
    assert sorted(LANGUAGE_CASES) == sorted(LANGUAGES)


@pytest.mark.parametrize("language", sorted(LANGUAGE_CASES))
def test_yes_and_no_words_are_read_silently(language):
    cases = LANGUAGE_CASES[language]
    for word in cases["yes"]:
        assert read_yesno(word) is True, word
    for word in cases["no"]:
        assert read_yesno(word) is False, word


@pytest.mark.parametrize("language", sorted(LANGUAGE_CASES))
def test_days_are_days_and_other_durations_are_converted_and_noted(language):
    for written, days in LANGUAGE_CASES[language]["days"].items():
        assert read_days(written) == days, written
    for written, days in LANGUAGE_CASES[language]["converted"].items():
        assert read_days(written) == Noted(
            days, f"{written!r} read as {days} days", "write the number of days", "converted-days"
        ), written


@pytest.mark.parametrize("language", sorted(LANGUAGE_CASES))
def test_indefinite_words_mean_no_retention_period(language):
    for written in LANGUAGE_CASES[language]["indefinite"]:
        assert read_days(written) == Noted(
            None,
            f"{written!r} read as no retention period",
            "write the number of days if there is a limit",
            "no-retention-limit",
        ), written


@pytest.mark.parametrize("language", sorted(LANGUAGE_CASES))
def test_dates_with_month_names(language):
    for written in LANGUAGE_CASES[language]["march"]:
        assert read_date(written) == dt.date(2026, 3, 3), written
    for written in LANGUAGE_CASES[language]["october"]:
        assert read_date(written) == dt.date(2025, 10, 15), written


def test_dates_with_month_names_that_are_no_dates_are_refused():
    assert read_date("1er mars 2026") == dt.date(2026, 3, 1)
    assert read_date("31 févr. 2026").code == "invalid-date"  # no 31 February
    assert read_date("3 Brumaire 2026").code == "invalid-date"  # no month of the table
    assert read_date("März 2026").code == "invalid-date"  # no day


@pytest.mark.parametrize("language", sorted(LANGUAGE_CASES))
def test_a_workbook_in_each_language_loads_with_its_readings_reported(language, tmp_path):
    cases = LANGUAGE_CASES[language]
    ((days_word, days),) = list(cases["days"].items())[:1]
    six_months = next(written for written, d in cases["converted"].items() if d == 180)
    sheets = valid_sheets()
    sheets["DataFlows"][0].append("retention_days")
    sheets["DataFlows"][1][6:] = [cases["yes"][0], six_months]
    sheets["DataFlows"][2][6:] = [cases["no"][0], days_word]
    sheets["About"] = [["field", "value"], ["date", cases["march"][0]]]
    inventory = nistpf.load_inventory(write_workbook(tmp_path / "inv.xlsx", sheets))
    assert inventory.flows["encrypted_in_transit"].tolist() == [True, False]
    assert inventory.flows["retention_days"].tolist() == [180, days]
    assert inventory.about.set_index("field").loc["date", "value"] == "2026-03-03"
    # the yes/no words and the days are silent; the months are converted, once
    assert inventory.issues[["excel_row", "column", "value", "code"]].values.tolist() == [
        [2, "retention_days", six_months, "converted-days"]
    ]


# A criticality and a control status per language, as a client there writes them (by hand).
CHOICES_BY_LANGUAGE = {
    "de": {"Hoch": "High", "niedrig": "Low", "Umgesetzt": "Implemented",
           "teilweise umgesetzt": "Partially implemented", "entfällt": "Not applicable"},
    "fr": {"Élevée": "High", "Moyenne": "Medium", "Mis en œuvre": "Implemented",
           "Partiellement mis en œuvre": "Partially implemented", "Prévu": "Planned"},
    "es": {"Alta": "High", "Baja": "Low", "Implementado": "Implemented",
           "No implementado": "Not implemented", "No aplica": "Not applicable"},
    "it": {"Alta": "High", "Media": "Medium", "Implementato": "Implemented",
           "Parziale": "Partially implemented", "Pianificato": "Planned"},
    "nl": {"Hoog": "High", "Laag": "Low", "Geïmplementeerd": "Implemented",
           "Gedeeltelijk": "Partially implemented", "Niet van toepassing": "Not applicable"},
    "pt": {"Alta": "High", "Média": "Medium", "Implementado": "Implemented",
           "Não implementado": "Not implemented", "Planejado": "Planned"},
}  # fmt: skip


@pytest.mark.parametrize("language", sorted(CHOICES_BY_LANGUAGE))
def test_criticality_and_status_in_each_language_are_read_and_reported(language, tmp_path):
    """A criticality or a control status in the client's language is read as its choice, one
    value-read-as warning per distinct word, so the consultant confirms the reading."""
    words = CHOICES_BY_LANGUAGE[language]
    criticality = [(w, c) for w, c in words.items() if c in ("High", "Medium", "Low")]
    status = [(w, c) for w, c in words.items() if (w, c) not in criticality]
    sheets = valid_sheets()
    column = sheets["Systems"][0].index("criticality")
    for row, (word, _) in zip(sheets["Systems"][1:], criticality, strict=False):
        row[column] = word
    column = sheets["Controls"][0].index("status")
    for row, (word, _) in zip(sheets["Controls"][1:], status, strict=False):
        row[column] = word
    inventory = nistpf.load_inventory(write_workbook(tmp_path / "inv.xlsx", sheets))
    read = inventory.systems["criticality"].tolist()[: len(criticality)]
    assert read == [choice for _, choice in criticality][: len(read)]
    read = inventory.controls["status"].tolist()[: len(status)]
    assert read == [choice for _, choice in status][: len(read)]
    reported = inventory.issues.query("code == 'value-read-as'")["value"].tolist()
    used = [w for w, _ in criticality][: len(sheets["Systems"]) - 1]
    used += [w for w, _ in status][: len(sheets["Controls"]) - 1]
    assert sorted(reported) == sorted(used)


def test_a_word_for_one_columns_choice_is_not_read_in_another():
    """ "Hoch" is a criticality, not a control status or a priority."""
    from nistpf.inventory.schema import sheet
    from nistpf.inventory.values import choice_reader

    assert choice_reader(sheet("Systems").column("criticality"))("hoch").value == "High"
    assert choice_reader(sheet("Controls").column("status"))("hoch").__class__ is Bad
    assert choice_reader(sheet("Profile").column("priority"))("hoch").__class__ is Bad


# -- the table -------------------------------------------------------------------------------


def test_the_table_is_in_the_package():
    assert (resources.files("nistpf") / "data" / "words.csv").is_file()


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_language_has_every_meaning(language):
    meanings = {word.meaning for word in WORDS if word.language == language}
    needed = {"yes", "no", "day", "week", "month", "year", "indefinite", "decimal", *MONTHS}
    assert needed <= meanings


def test_a_word_with_two_meanings_in_one_group_is_refused():
    words = (Word("en", "march", "Mar"), Word("xx", "may", "mar"))
    with pytest.raises(ValueError, match="'mar' means march in 'en' and may in 'xx'"):
        lookup(words, "month")


def test_the_table_is_tidy():
    table = pd.read_csv(
        resources.files("nistpf") / "data" / "words.csv", dtype=str, keep_default_na=False
    )
    assert list(table.columns) == ["language", "meaning", "word"]
    assert not table.duplicated().any()
    assert (table["word"].str.strip() == table["word"]).all()
    assert (table["word"] != "").all()
    languages = set(LANGUAGES) | {"*"}
    regional = {lang for lang in table["language"] if "-" in lang}
    assert set(table["language"]) - regional <= languages
    assert {lang.split("-")[0] for lang in regional} <= set(LANGUAGES)


def test_a_grouped_or_converted_number_past_int64_is_refused_not_overflowed(tmp_path):
    assert count_reader()("9,999,999,999,999,999,999,999").problem == (
        "'9,999,999,999,999,999,999,999' is too large a number"
    )
    assert read_days("99999999999999999999 years").code == "invalid-number"
    sheets = inventory_with(["9.999.999.999.999.999.999.999", 1, 2])
    with pytest.raises(nistpf.InventoryError) as caught:
        nistpf.load_inventory(write_workbook(tmp_path / "big.xlsx", sheets))
    errors = caught.value.issues.query("severity == 'error'")
    assert errors[["excel_row", "column", "code"]].values.tolist() == [
        [2, "records", "invalid-number"]
    ]


def test_a_locale_in_a_mapping_file_reads_the_number_and_an_unknown_one_is_an_error(tmp_path):
    (tmp_path / "register.csv").write_bytes(
        b"system_id;name;records\r\nCRM-01;Kunden-CRM;12.400\r\n"
    )
    columns = (
        '[sheets.Systems]\nsource = "register"\n[sheets.Systems.columns]\n'
        'system_id = "system_id"\nname = "name"\nrecords = "records"\n'
    )
    (tmp_path / "de.toml").write_text('locale = "de-DE"\n' + columns, encoding="utf-8")
    inventory = nistpf.load_inventory(tmp_path / "register.csv", mapping=tmp_path / "de.toml")
    assert inventory.systems["records"].tolist() == [12400]
    # a well-formed tag of a language nistpf has no words for (Serbian): a mistake in the
    # mapping file, one line like its other mistakes, before any cell is read
    (tmp_path / "sr.toml").write_text('locale = "sr-RS"\n' + columns, encoding="utf-8")
    with pytest.raises(MappingError) as caught:
        nistpf.load_inventory(tmp_path / "register.csv", mapping=tmp_path / "sr.toml")
    assert str(caught.value).startswith(
        "sr.toml: locale = 'sr-RS' is not a locale nistpf knows; use a language code (en, de, fr"
    )


@pytest.mark.shared
def test_the_field_sample_with_en_us_declared_refuses_12_point_4_records(field):
    """Read the en-US way, '12.400' is 12.4 records: no count of records, so an error rather
    than a silent 12."""
    path = field / "european-numbers-as-text.xlsx"
    with pytest.raises(nistpf.InventoryError) as caught:
        nistpf.load_inventory(path, mapping=european_mapping("en-US"))
    errors = caught.value.issues.query("severity == 'error'")
    assert errors[["excel_row", "column", "value", "code"]].values.tolist() == [
        [2, "records", "12.400", "invalid-number"]
    ]
    assert errors["problem"].iloc[0].startswith("'12.400' is not a whole number (read as 12.4")


def test_a_retention_that_is_not_a_whole_number_of_days_is_rounded_and_said():
    assert days_reader()(30.5) == Noted(
        30, "30.5 read as 30 days (rounded to a whole day)", "write the number of days",
        "converted-days",
    )  # fmt: skip
    assert days_reader()(30.0) == 30


@pytest.mark.parametrize("content", [b"", b"\xef\xbb\xbf", b"\r\n\r\n", b";;;\r\n;;\r\n"])
def test_an_empty_csv_file_is_one_line_saying_so(tmp_path, content, capsys):
    """A CSV file with no value in it (0 bytes, a byte order mark alone, blank lines, only
    delimiters) is refused in one line naming the file, exit 2, as an empty workbook is."""
    path = tmp_path / "export.csv"
    path.write_bytes(content)
    assert main(["validate", str(path)]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("nistpf: export.csv: export.csv is empty")
    assert "\n" not in err


def test_a_single_csv_file_that_is_no_inventory_sheet_says_how_to_read_it(tmp_path, capsys):
    """One CSV file named after no inventory sheet is one error that points to a mapping (and
    nistpf map), not a list of missing Systems.csv and Controls.csv beside it."""
    path = tmp_path / "systeme-export.csv"
    path.write_text("id;name\r\nA;Alpha\r\n", encoding="utf-8")
    with pytest.raises(nistpf.InventoryError) as caught:
        nistpf.load_inventory(path)
    errors = caught.value.issues.query("severity == 'error'")
    assert errors[["sheet", "code"]].values.tolist() == [["systeme-export.csv", "single-csv"]]
    assert "nistpf map systeme-export.csv -o mapping.toml" in errors["hint"].iloc[0]


def test_validate_on_the_current_folder_names_it_and_counts_in_words(tmp_path, capsys, monkeypatch):
    """``nistpf validate .`` names the folder (not an empty name), and one control is "1
    control"."""
    folder = tmp_path / "client-csv"
    folder.mkdir()
    sheets = valid_sheets()
    sheets["Controls"] = sheets["Controls"][:2]
    for name, rows in sheets.items():
        (folder / f"{name}.csv").write_text(csv_text(rows, ","), encoding="utf-8")
    monkeypatch.chdir(folder)
    assert main(["validate", "."]) == 0
    last = capsys.readouterr().out.strip().splitlines()[-1]
    assert last == "client-csv: 3 systems, 1 control, 2 data flows; no errors"


@pytest.mark.parametrize("written", ["10 J.", "10 j", "10 J"])
def test_a_one_letter_unit_that_means_years_in_one_language_and_days_in_another_is_refused(
    written,
):
    # "J." is Jahr (de) or jaar (nl), and was jour (fr): 10 of them are 3,650 or 10 days.
    result = read_days(written)
    assert isinstance(result, Bad)
    assert result.code == "invalid-days"


def test_unambiguous_duration_words_still_read():
    assert read_days("10 Jahre").value == 3650
    assert read_days("10 jours") == 10
    assert read_days("10 jr").value == 3650  # Dutch jaar abbreviated, nothing else in the list


def test_a_number_of_days_written_as_text_that_is_not_whole_is_rounded_and_said():
    assert read_days("2.5") == Noted(
        2, "'2.5' read as 2 days (rounded to a whole day)", "write the number of days",
        "converted-days",
    )  # fmt: skip
    assert read_days("2,5 Tage") == Noted(
        2, "'2,5 Tage' read as 2 days (rounded to a whole day)", "write the number of days",
        "converted-days",
    )  # fmt: skip
    assert read_days("1,5 Jahre").value == 548  # 547.5 days, rounded


def test_a_csv_file_or_folder_past_the_cell_bound_is_refused_in_one_line(tmp_path, monkeypatch):
    """A file of delimiters (every record 1,000 empty fields) cannot make millions of cells: the
    records × the widest record are held to MAX_CELLS, for one file and for a folder's files
    together (bound lowered here so the files stay small)."""
    from nistpf.inventory import limits

    monkeypatch.setattr(limits, "MAX_CELLS", 10_000)
    wide = tmp_path / "wide.csv"
    wide.write_text("a,b\n" + ("," * 999 + "\n") * 20, encoding="utf-8")  # 21 × 1,000 cells
    with pytest.raises(nistpf.UnreadableInventoryError) as caught:
        nistpf.load_inventory(wide)
    row = caught.value.issues.iloc[0]
    assert row["code"] == "too-large"
    assert "more than the 10,000 cells nistpf reads in a source" in row["problem"]
    folder = tmp_path / "folder"
    folder.mkdir()
    for name in ("Systems", "Controls", "DataFlows"):  # 3 × 4,000 cells: each fits, not all
        (folder / f"{name}.csv").write_text(("x," * 39 + "x\n") * 100, encoding="utf-8")
    with pytest.raises(nistpf.UnreadableInventoryError) as caught:
        nistpf.load_inventory(folder)
    assert caught.value.issues.iloc[0]["code"] == "too-large"
