"""``nistpf map``: a draft mapping for a client's own workbook or CSV files, which validates as
written (at most the edits its comments ask for), on code-built workbooks and on every public
sample in ../shared/samples/real-world."""

from __future__ import annotations

import csv
import os
import tempfile
import tomllib
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import nistpf
from nistpf.cli import main
from nistpf.errors import InventoryError, OutputIsInputError
from nistpf.inventory.draft import WORDS_PATH, draft_mapping, word_score, write_draft
from tests.inventory_files import write_workbook

REAL_WORLD = [
    "cybersoluce--Data_Inventory_Template.csv",
    "cybersoluce--Information_Asset_Register_Template.csv",
    "fideslang--data_categories.csv",
    "fideslang--data_uses.csv",
    "klotzkette--01_verarbeitungsverzeichnis_vvt_art30_dsgvo.xlsx",
    "specuslabs--ai-saas-data-inventory.csv",
    "specuslabs--d2c-data-inventory.csv",
    "specuslabs--system-data-map.csv",
    "specuslabs--vendor-data-map.csv",
]


def _columns(draft: str, sheet: str = "Systems") -> dict:
    return tomllib.loads(draft)["sheets"][sheet].get("columns", {})


@pytest.mark.parametrize("name", REAL_WORLD)
def test_the_draft_of_each_real_world_sample_validates(real_world, tmp_path, name, capsys):
    source = real_world / name
    out = tmp_path / "draft.toml"
    assert main(["map", str(source), "-o", str(out)]) == 0
    assert main(["validate", str(source), "--mapping", str(out)]) == 0
    assert "no errors" in capsys.readouterr().out
    inventory = nistpf.load_inventory(source, mapping=out)
    assert len(inventory.systems) > 0
    assert (inventory.systems["system_id"] != "").all()


@pytest.mark.parametrize(
    ("name", "expected", "header_row"),
    [
        # Read from the files' header rows by hand.
        (
            "klotzkette--01_verarbeitungsverzeichnis_vvt_art30_dsgvo.xlsx",
            {
                "system_id": "Nr.",
                "name": "Bezeichnung der Verarbeitung",
                "data_categories": "Kategorien personenbezogener Daten",
                "data_subjects": "Betroffene Personengruppen",
            },
            5,
        ),
        (
            "specuslabs--system-data-map.csv",
            {
                "system_id": "System Name",  # no ID column: the name doubles as the ID
                "name": "System Name",
                "owner": "System Owner / Admin",
                "data_categories": "Personal Data Categories Held",
            },
            5,
        ),
    ],
)
def test_real_world_drafts_guess_the_columns_a_consultant_would(
    real_world, name, expected, header_row
):
    draft = draft_mapping(real_world / name)
    assert tomllib.loads(draft)["sheets"]["Systems"]["header_row"] == header_row
    columns = _columns(draft)
    assert {k: columns[k] for k in expected} == expected
    if expected["system_id"] == expected["name"]:
        assert "# check: no system_id column was found" in draft


def test_a_german_register_built_by_code(tmp_path):
    rows = [
        ["Verzeichnis von Verarbeitungstätigkeiten"],
        [],
        ["Nr.", "Bezeichnung", "Verantwortlicher", "Anbieter", "Kritikalität", "Bemerkungen"],
        ["V-1", "Kundenservice", "Frau Abel", "Zendesk", "Hoch", "keine"],
        ["V-2", "Newsletter", "Herr Bode", "Brevo", "Mittel", ""],
    ]
    path = write_workbook(tmp_path / "vvt.xlsx", {"Verarbeitungsverzeichnis": rows})
    draft = draft_mapping(path)
    mapping = tomllib.loads(draft)
    systems = mapping["sheets"]["Systems"]
    assert systems["source"] == "Verarbeitungsverzeichnis"
    assert systems["header_row"] == 3
    # "Hoch" and "Mittel" are German criticalities: read (and reported) as High and Medium
    assert systems["columns"] == {
        "system_id": "Nr.",
        "name": "Bezeichnung",
        "owner": "Verantwortlicher",
        "vendor": "Anbieter",
        "criticality": "Kritikalität",
    }
    assert '#   "Bemerkungen"  # e.g. keine' in draft
    inventory = nistpf.load_inventory(path, mapping=mapping)
    assert list(inventory.systems["vendor"]) == ["Zendesk", "Brevo"]
    assert list(inventory.systems["criticality"]) == ["High", "Medium"]


def test_a_french_register_built_by_code(tmp_path):
    rows = [
        ["Identifiant", "Nom du système", "Propriétaire", "Hébergement", "Personnes concernées"],
        ["S1", "Centre de contact", "Service client", "UE", "Clients"],
        ["S2", "CRM", "Ventes", "France", "Clients; Prospects"],
    ]
    path = write_workbook(tmp_path / "registre.xlsx", {"Systèmes": rows})
    draft = draft_mapping(path)
    assert _columns(draft) == {
        "system_id": "Identifiant",
        "name": "Nom du système",
        "owner": "Propriétaire",
        "hosting": "Hébergement",
        "data_subjects": "Personnes concernées",
    }
    inventory = nistpf.load_inventory(path, mapping=tomllib.loads(draft))
    assert inventory.systems.loc[1, "data_subjects"] == ("Clients", "Prospects")


def test_a_two_sheet_workbook_drafts_systems_and_controls(tmp_path):
    systems = [
        ["Application", "Ref", "Owner"],
        ["Service Cloud", "APP-1", "CX Ops"],
        ["Chatbot", "APP-2", "CX Ops"],
    ]
    controls = [
        ["Control ref", "Title", "Implementation status", "PF subcategories", "Notes"],
        ["C-1", "TLS everywhere", "Implemented", "PR.DS-P2", ""],
        ["C-2", "DSAR workflow", "in progress", "CT.DM-P1", "slow"],
    ]
    notes = [["just", "some"], ["notes", "here"]]
    path = write_workbook(
        tmp_path / "two.xlsx", {"Safeguards": controls, "Asset register": systems, "Misc": notes}
    )
    draft = draft_mapping(path)
    mapping = tomllib.loads(draft)
    assert mapping["sheets"]["Systems"]["source"] == "Asset register"
    assert mapping["sheets"]["Systems"]["columns"] == {
        "system_id": "Ref",
        "name": "Application",
        "owner": "Owner",
    }
    assert mapping["sheets"]["Controls"]["source"] == "Safeguards"
    assert mapping["sheets"]["Controls"]["columns"] == {
        "control_id": "Control ref",
        "name": "Title",
        "status": "Implementation status",
        "subcategories": "PF subcategories",
    }
    assert "# 'Misc' is not read: no nistpf sheet fits it" in draft
    inventory = nistpf.load_inventory(path, mapping=mapping)
    assert list(inventory.controls["status"]) == ["Implemented", "Partially implemented"]


def test_a_repeated_header_is_named_by_occurrence(tmp_path):
    rows = [
        ["System ID", "System name", "Owner", "Owner"],
        ["A", "Alpha", "Ann", "Bob"],
    ]
    path = write_workbook(tmp_path / "dup.xlsx", {"Systems": rows})
    draft = draft_mapping(path)
    assert 'owner = "Owner"' in draft
    # the extra is listed by the name the loader keeps it under, never a bare "Owner" (which
    # names column C), with how a mapping would name it
    assert '#   "Owner (2)"  # map it as { header = "Owner", occurrence = 2 }; e.g. Bob' in draft
    assert '#   "Owner"' not in draft
    inventory = nistpf.load_inventory(path, mapping=tomllib.loads(draft))
    assert list(inventory.systems["owner"]) == ["Ann"]
    assert list(inventory.systems["Owner (2)"]) == ["Bob"]


def test_the_draft_is_not_written_over_an_existing_file(tmp_path, capsys):
    path = write_workbook(tmp_path / "r.xlsx", {"Systems": [["ID", "Name"], ["A", "Alpha"]]})
    out = tmp_path / "m.toml"
    out.write_text("# the consultant's edits\n", encoding="utf-8")
    assert main(["map", str(path), "-o", str(out)]) == 2
    assert capsys.readouterr().err == f"nistpf: {out} exists; pass --overwrite to replace it\n"
    assert out.read_text(encoding="utf-8") == "# the consultant's edits\n"
    assert main(["map", str(path), "-o", str(out), "--overwrite"]) == 0
    assert _columns(out.read_text(encoding="utf-8")) == {"system_id": "ID", "name": "Name"}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m.toml", "r.xlsx"]  # no temp files


def test_the_draft_printed_and_an_unreadable_source(tmp_path, capsys):
    path = write_workbook(tmp_path / "r.xlsx", {"Systems": [["ID", "Name"], ["A", "Alpha"]]})
    assert main(["map", str(path)]) == 0
    assert _columns(capsys.readouterr().out) == {"system_id": "ID", "name": "Name"}
    assert main(["map", str(tmp_path / "missing.xlsx")]) == 2
    assert capsys.readouterr().err.startswith("nistpf: missing.xlsx: no such file or folder")


def test_write_draft_refuses_to_write_over_its_source(tmp_path):
    path = write_workbook(tmp_path / "r.xlsx", {"Systems": [["ID", "Name"], ["A", "Alpha"]]})
    with pytest.raises(nistpf.NistpfError):
        write_draft(path, path, overwrite=True)
    assert Path(path).read_bytes()[:2] == b"PK"


def test_header_words_cover_seven_languages_for_the_key_columns():
    with WORDS_PATH.open(encoding="utf-8", newline="") as stream:
        rows = list(csv.DictReader(stream))
    for column in ("system_id", "name", "owner", "vendor", "data_categories", "data_subjects"):
        languages = {
            r["language"] for r in rows if (r["sheet"], r["column"]) == ("Systems", column)
        }
        assert {"de", "fr", "es", "it", "nl", "pt"} <= languages, column


@pytest.mark.parametrize(
    ("header", "word", "low", "high"),
    [
        ("System ID", "system_id", 1.0, 1.0),  # case, spaces and punctuation forgiven
        ("Vendor / Data Processor Name", "vendor", 0.75, 0.85),  # leads the header
        ("Data Categorys", "data categories", 0.85, 0.99),  # a typo
        ("Purpose of Processing", "system", 0.0, 0.0),
    ],
)
def test_word_scores(header, word, low, high):
    assert low <= word_score(header, word) <= high


def test_a_two_row_header_is_drafted_as_the_loader_reads_it(tmp_path):
    """A group header merged over two columns ("Processor" over "Name" and "Contact details")
    is joined with the header below, so the draft names "Processor Name", not a second
    "Name" that the loader would never find."""
    import openpyxl

    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = "Systems"
    sheet.append(["", "", "Processor", ""])
    sheet.append(["System ID", "Name", "Name", "Contact details"])
    sheet.append(["S-1", "Helpdesk", "Zendesk Inc.", "privacy@zendesk.example"])
    sheet.append(["S-2", "CRM", "Salesforce", "privacy@salesforce.example"])
    sheet.merge_cells("C1:D1")
    path = tmp_path / "grouped.xlsx"
    workbook.save(path)
    draft = draft_mapping(path)
    # a processor's name is the system's vendor
    assert _columns(draft) == {"system_id": "System ID", "name": "Name", "vendor": "Processor Name"}
    assert '#   "Processor Contact details"' in draft
    inventory = nistpf.load_inventory(path, mapping=tomllib.loads(draft))
    assert list(inventory.systems["name"]) == ["Helpdesk", "CRM"]
    assert list(inventory.systems["vendor"]) == ["Zendesk Inc.", "Salesforce"]


def _client_register(path: Path) -> Path:
    """A client's register in the shapes users of spreadsheet libraries report: a merged title,
    a two-row header ("System ID" merged down over both rows, "Processor" merged over "Name"
    and "Contact details"), two "Owner" columns, a merged criticality, a hidden row; Controls
    as an Excel Table with a totals row and a note below it; DataFlows with a hidden row."""
    import openpyxl
    from openpyxl.worksheet.table import Table

    workbook = openpyxl.Workbook()
    systems = workbook.active
    systems.title = "Systems"
    systems["A1"] = "Acme GmbH - CX system register (confidential)"
    systems.merge_cells("A1:J1")
    systems["A3"] = "System ID"
    systems.merge_cells("A3:A4")
    systems["F3"] = "Processor"
    systems.merge_cells("F3:G3")
    header = [None, "Name", "Type", "Business Criticality", "Records", "Name"]
    header += ["Contact details", "Owner", "Owner", "In scope"]
    for column, cell in enumerate(header, 1):
        if cell:
            systems.cell(4, column, cell)
    rows = [
        ["CRM-01", "Sales Cloud", "CRM", "High", 120000, "Salesforce Inc", "dpo@sf.example"],
        ["CDP-01", "Segment", "CDP", None, 450000, "Twilio", "privacy@twilio.example"],
        ["CCS-01", "Genesys Cloud", "CCaaS", None, 80000, "Genesys", "dpa@genesys.example"],
        ["BOT-01", "Website chatbot", "Chatbot", "Low", 5000, "Ada", "legal@ada.example"],
        ["DWH-01", "Snowflake DWH", "DataWarehouse", "Medium", 2000000, "Snowflake", "p@sf.ex"],
        ["MKT-01", "Braze", "Marketing", "Medium", 300000, "Braze", "dpo@braze.example"],
    ]
    owners = [("Head of Sales", "J. Meyer"), ("CMO", "A. Roth"), ("Head of Service", "K. Lang")]
    owners += [("Digital", "M. Kurz"), ("CDO", "P. Weiß"), ("CMO", "S. Vogel")]
    for number, (row, pair) in enumerate(zip(rows, owners, strict=True), 5):
        for column, cell in enumerate([*row, *pair, "no" if number == 10 else "yes"], 1):
            if cell is not None:
                systems.cell(number, column, cell)
    systems.merge_cells("D5:D7")  # "High" over CRM-01, CDP-01, CCS-01
    systems.row_dimensions[9].hidden = True
    controls = workbook.create_sheet("Controls")
    controls.append(["Control ID", "Control name", "Status", "Maturity", "Subcategories"])
    controls.append(["CTL-001", "TLS everywhere", "Implemented", 3, "PR.DS-P2"])
    controls.append(["CTL-002", "Retention", "Partially implemented", 2, "CT.DM-P5; CT.DM-P3"])
    controls.append(["CTL-003", "Data inventory", "Implemented", 3, "ID.IM-P1, ID.IM-P2"])
    controls.append(["CTL-004", "Consent management", "Planned", None, "CT.PO-P1"])
    controls.append(["Total", None, None, 8, None])  # the totals row, its SUM as Excel shows it
    controls.add_table(Table(displayName="tblControls", ref="A1:E6", totalsRowCount=1))
    controls["A8"] = "Reviewed by Internal Audit, March 2026"
    flows = workbook.create_sheet("DataFlows")
    flows.append(["Flow ID", "Source", "Destination", "Data categories", "Encrypted in transit"])
    flows.append(["F-001", "CRM-01", "CDP-01", "email; name", "yes"])
    flows.append(["F-002", "CDP-01", "MKT-01", "email", "no"])
    flows.append(["F-003", "CCS-01", "external:Transcription Ltd", "voice recording", "yes"])
    flows.row_dimensions[4].hidden = True
    workbook.save(path)
    return path


def test_a_client_register_is_drafted_as_the_loader_reads_it(tmp_path, capsys):
    path = _client_register(tmp_path / "client-register.xlsx")
    draft = draft_mapping(path)
    mapping = tomllib.loads(draft)
    systems = mapping["sheets"]["Systems"]
    assert systems["header_row"] == 4  # the lower row of the two-row header
    assert systems["columns"]["system_id"] == "System ID"  # merged down from row 3
    assert systems["columns"]["name"] == "Name"
    assert systems["columns"]["vendor"] == "Processor Name"
    assert systems["columns"]["owner"] == "Owner"
    assert "no system_id column was found" not in draft
    # the second "Owner" and "Processor Contact details" are extras, by the loader's names
    assert '#   "Owner (2)"  # map it as { header = "Owner", occurrence = 2 }' in draft
    assert '#   "Processor Contact details"' in draft
    # Controls: read (not commented out), from the table's header, its totals row no sample
    controls = mapping["sheets"]["Controls"]
    assert controls["header_row"] == 1
    assert controls["columns"]["maturity"] == "Maturity"
    assert 'maturity = "Maturity"  # e.g. 3 | 2\n' in draft  # not the totals row's 8
    assert "Total" not in draft.split("[sheets.Controls.columns]")[1].split("[sheets.")[0]
    assert "[sheets.DataFlows]" in draft
    assert "# [sheets.DataFlows]" not in draft
    out = tmp_path / "draft.toml"
    out.write_text(draft, encoding="utf-8")
    assert main(["validate", str(path), "--mapping", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "6 systems, 4 controls, 3 data flows; no errors" in printed
    inventory = nistpf.load_inventory(path, mapping=out)
    ids = ["CRM-01", "CDP-01", "CCS-01", "BOT-01", "DWH-01", "MKT-01"]
    assert list(inventory.systems["system_id"]) == ids
    assert list(inventory.systems["Owner (2)"])[:2] == ["J. Meyer", "A. Roth"]
    assert list(inventory.controls["control_id"]) == ["CTL-001", "CTL-002", "CTL-003", "CTL-004"]
    endpoint = inventory.issues["problem"].str.contains("source|destination|endpoint")
    assert not endpoint.any(), inventory.issues[endpoint]["problem"].tolist()


def test_every_column_of_systems_controls_and_dataflows_has_words_in_seven_languages():
    from nistpf.inventory.schema import SHEETS_BY_NAME

    with WORDS_PATH.open(encoding="utf-8", newline="") as stream:
        rows = list(csv.DictReader(stream))
    wanted = {"en", "de", "fr", "es", "it", "nl", "pt"}
    for sheet in ("Systems", "Controls", "DataFlows"):
        for column in ["", *SHEETS_BY_NAME[sheet].column_names]:
            found = {r["language"] for r in rows if (r["sheet"], r["column"]) == (sheet, column)}
            # English: the column's own name and the schema's synonyms, besides the words file
            assert wanted <= found | {"en"}, (sheet, column or "the sheet's name")


def test_no_header_word_names_two_columns_of_one_sheet():
    """A word listed for two columns of a sheet (in any two languages, or a schema synonym)
    would make the draft's guess a coin toss."""
    from nistpf.inventory.draft import header_words
    from nistpf.inventory.schema import fold

    for sheet, table in header_words().items():
        columns_of: dict[str, set[str]] = {}
        for column, words in table.items():
            for word in words if column else ():
                columns_of.setdefault(fold(word), set()).add(column)
        assert {w: c for w, c in columns_of.items() if len(c) > 1} == {}, sheet


FRENCH = {
    "Systèmes": [
        [
            "Identifiant",
            "Nom du système",
            "Propriétaire",
            "Catégories de données",
            "Nombre d'enregistrements",
            "Périmètre",
        ],
        ["S1", "Centre de contact", "Service client", "nom; e-mail", "12 400", "oui"],
        ["S2", "CRM", "Ventes", "e-mail", "3000", "non"],
    ],
    "Mesures de sécurité": [
        [
            "Réf.",
            "Mesure",
            "Statut",
            "Maturité",
            "Sous-catégories NIST PF",
            "S'applique à",
            "Dernier test",
        ],
        ["M-01", "Chiffrement TLS", "Implemented", "3", "PR.DS-P2", "ALL", "3 mars 2026"],
        ["M-02", "Conservation", "Partially implemented", "1,5", "CT.DM-P5", "S1; S2", ""],
    ],
    "Flux de données": [
        [
            "ID du flux",
            "Source",
            "Destination",
            "Données",
            "Finalité",
            "Chiffré",
            "Base légale",
            "Conservation",
            "Propriétaire",
        ],
        ["F1", "S1", "S2", "e-mail", "Suivi", "oui", "contrat", "2 ans", "Ventes"],
        ["F2", "S2", "external:Routeur", "e-mail", "Envoi", "non", "consentement", "30 jours", "M"],
    ],
}
GERMAN = {
    "Systeme": [
        [
            "Lfd. Nr.",
            "Systemname",
            "Verantwortlich",
            "Datenkategorien",
            "Anzahl Datensätze",
            "Im Scope",
        ],
        ["S1", "Kundenverwaltung", "Vertrieb", "Name; E-Mail", "12400", "ja"],
        ["S2", "Kundenservice", "Service", "E-Mail", "3000", "nein"],
    ],
    "TOMs": [
        [
            "Maßnahmen-Nr.",
            "Maßnahme",
            "Status",
            "Reifegrad",
            "NIST-PF-Unterkategorien",
            "Gilt für",
            "Zuletzt geprüft",
        ],
        ["M-01", "TLS überall", "Implemented", "3", "PR.DS-P2", "ALL", "3. März 2026"],
        ["M-02", "Löschkonzept", "Partially implemented", "1", "CT.DM-P5", "S1; S2", "15.01.2026"],
    ],
    "Datenflüsse": [
        [
            "Fluss-ID",
            "Quelle",
            "Ziel",
            "Datenkategorien",
            "Zweck",
            "Verschlüsselt",
            "Rechtsgrundlage",
            "Speicherdauer",
            "Verantwortlich",
        ],
        ["F1", "S1", "S2", "E-Mail", "Analyse", "ja", "Vertrag", "2 Jahre", "Vertrieb"],
        [
            "F2",
            "S2",
            "external:Druckerei",
            "Anschrift",
            "Versand",
            "nein",
            "Einwilligung",
            "90",
            "S",
        ],
    ],
}


COLUMNS = {  # the nistpf column of each header, in the order of the headers above
    "Systems": ["system_id", "name", "owner", "data_categories", "records", "in_scope"],
    "Controls": [
        "control_id",
        "name",
        "status",
        "maturity",
        "subcategories",
        "applies_to",
        "last_tested",
    ],
    "DataFlows": [
        "flow_id",
        "source",
        "destination",
        "data_categories",
        "purpose",
        "encrypted_in_transit",
        "consent_basis",
        "retention_days",
        "owner",
    ],
}


@pytest.mark.parametrize(
    ("sheets", "retention"),
    [(FRENCH, [730, 30]), (GERMAN, [730, 90])],  # 2 ans, 30 jours; 2 Jahre, 90
    ids=["fr", "de"],
)
def test_a_three_sheet_workbook_in_the_clients_language(tmp_path, capsys, sheets, retention):
    """Every header found in the client's language; the French maturity '1,5' (a decimal
    comma) has the draft propose the French locale, the German workbook holds no such number."""
    path = write_workbook(tmp_path / "register.xlsx", sheets)
    draft = draft_mapping(path)
    mapping = tomllib.loads(draft)
    names = list(sheets)
    for (nistpf_sheet, expected), client_sheet in zip(COLUMNS.items(), names, strict=True):
        drafted = mapping["sheets"][nistpf_sheet]
        assert drafted["source"] == client_sheet
        assert drafted["header_row"] == 1
        headers = sheets[client_sheet][0]
        assert drafted["columns"] == dict(zip(expected, headers, strict=True))
    checks = [line for line in draft.splitlines() if line.startswith("# check:")]
    if sheets is FRENCH:
        assert len(checks) == 1
        assert checks[0].startswith(
            "# check: the headers are French and numbers look written the French way, e.g. "
            "'1,5' (Mesures de sécurité, Maturité, row 3): a decimal comma."
        )
        assert '\n# locale = "fr-FR"\n' in draft
    else:
        assert checks == []
        assert "locale" not in draft
    out = tmp_path / "draft.toml"
    out.write_text(draft, encoding="utf-8")
    assert main(["validate", str(path), "--mapping", str(out)]) == 0
    assert "2 systems, 2 controls, 2 data flows; no errors" in capsys.readouterr().out
    inventory = nistpf.load_inventory(path, mapping=out)
    assert list(inventory.systems["records"]) == [12400, 3000]
    assert list(inventory.systems["in_scope"]) == [True, False]
    assert list(inventory.flows["encrypted_in_transit"]) == [True, False]
    assert list(inventory.flows["retention_days"]) == retention


def _unmapped(inventory: nistpf.Inventory) -> list[tuple[str, str, str]]:
    issues = inventory.issues[inventory.issues["code"] == "sheet-not-mapped"]
    return list(zip(issues["severity"], issues["sheet"], issues["problem"], strict=True))


def test_a_mapped_load_names_each_client_sheet_it_leaves_unread(tmp_path):
    systems = [["Code", "Système"], ["S1", "CRM"], ["S2", "Chatbot"]]
    flows = [["Identifiant", "Source", "Destination"], ["F1", "S1", "S2"]]
    path = write_workbook(
        tmp_path / "registre.xlsx",
        {"Systèmes": systems, "Flux de données": flows, "Vide": [], "Blancs": [["", None]]},
    )
    mapping = {
        "sheets": {"Systems": {"source": "Systèmes", "columns": {"system_id": "Code"}}},
    }
    mapping["sheets"]["Systems"]["columns"]["name"] = "Système"
    inventory = nistpf.load_inventory(path, mapping=mapping)
    # one warning, for the sheet holding data; the blank sheets are nothing to miss
    assert _unmapped(inventory) == [
        (
            "warning",
            "Flux de données",
            "sheet 'Flux de données' is not named in the mapping and was not read",
        )
    ]
    hint = inventory.issues.set_index("code").loc["sheet-not-mapped", "hint"]
    assert "[sheets.Controls], [sheets.DataFlows], [sheets.Profile], …" in hint
    assert 'source = "Flux de données"' in hint
    # mapped, it is read and no longer reported
    mapping["sheets"]["DataFlows"] = {
        "source": "Flux de données",
        "columns": {"flow_id": "Identifiant", "source": "Source", "destination": "Destination"},
    }
    inventory = nistpf.load_inventory(path, mapping=mapping)
    assert _unmapped(inventory) == []
    assert list(inventory.flows["flow_id"]) == ["F1"]


def test_an_unmapped_csv_file_is_named_and_a_load_without_mapping_says_nothing(tmp_path):
    from tests.inventory_files import valid_sheets, write_csv_folder

    sheets = valid_sheets()
    folder = write_csv_folder(tmp_path / "export", {**sheets, "Notes": [["note"], ["call Ann"]]})
    columns = {c: c for c in sheets["Systems"][0]}
    inventory = nistpf.load_inventory(
        folder, mapping={"sheets": {"Systems": {"source": "Systems", "columns": columns}}}
    )
    assert [(sheet, problem.split(" is ")[0]) for _, sheet, problem in _unmapped(inventory)] == [
        ("Controls.csv", "file 'Controls.csv'"),
        ("DataFlows.csv", "file 'DataFlows.csv'"),
        ("Notes.csv", "file 'Notes.csv'"),
    ]
    assert _unmapped(nistpf.load_inventory(folder)) == []


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (b"", "empty.csv is empty"),  # 0 bytes
        (
            b"Registre des traitements\n",
            "no header row was found in the CSV file: no row among the first 30 holds two or "
            "more column headers (it starts with 'Registre des traitements')",
        ),
    ],
    ids=["empty", "title-only"],
)
def test_a_csv_with_nothing_to_map_is_one_line_about_the_file(tmp_path, capsys, content, expected):
    path = tmp_path / ("empty.csv" if not content else "title.csv")
    path.write_bytes(content)
    assert main(["map", str(path), "-o", str(tmp_path / "draft.toml")]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    lines = captured.err.splitlines()
    assert len(lines) == 1
    assert lines[0].startswith(f"nistpf: {path.name}: {expected}")
    assert "mapping" not in lines[0]  # the user gave none
    assert not (tmp_path / "draft.toml").exists()


def test_a_workbook_with_only_a_title_is_one_line(tmp_path):
    path = write_workbook(tmp_path / "t.xlsx", {"Registre": [["Registre"], [], ["Version 2"]]})
    with pytest.raises(nistpf.UnreadableInventoryError) as raised:
        draft_mapping(path)
    assert str(raised.value) == (
        "t.xlsx: no header row was found on any sheet: no row among the first 30 holds two or "
        "more column headers (it starts with 'Registre') (add the header row, one header per "
        "column, above the data; or run nistpf map on the export that holds the register)"
    )


def _uncomment(draft: str, *starts: str) -> str:
    return "\n".join(
        line[2:] if any(line.startswith(f"# {s}") for s in starts) else line
        for line in draft.splitlines()
    )


def test_ambiguous_numbers_under_german_headers_propose_the_german_locale(tmp_path, capsys):
    rows = [
        ["System-ID", "Systemname", "Anzahl Datensätze", "Kritikalität"],
        ["S1", "Kundenverwaltung", "12.400", "High"],
        ["S2", "Kundenservice", "3.000", "Low"],
    ]
    path = write_workbook(tmp_path / "vvt.xlsx", {"Systeme": rows})
    draft = draft_mapping(path)
    # '12.400' is 12400 or 12.4: the column is commented out, and the locale proposed above
    # the first table (TOML's top-level keys come first), commented, with a check: note
    assert draft.index('\n# locale = "de-DE"\n') < draft.index("[sheets.Systems]")
    assert (
        "# check: the headers are German and numbers look written the German way, e.g. "
        "'12.400' (Systeme, Anzahl Datensätze, row 2): '.' grouping thousands? If the client "
        "writes numbers so (1.234,5), uncomment the next line; with it, the columns commented "
        "out for ambiguous numbers read too: uncomment them as well." in draft
    )
    assert (
        "# check: records is not read as drafted: '12.400' is ambiguous: 12400 if '.' groups "
        "thousands, 12.4 if it is the decimal separator (row 2). Uncomment "
        'locale = "de-DE" at the top if the client writes numbers the German way, then the '
        "line below\n"
        '# records = "Anzahl Datensätze"  # e.g. 12.400 | 3.000\n'
    ) in draft
    # as written the draft validates; with the two lines uncommented, the records read
    out = tmp_path / "draft.toml"
    out.write_text(draft, encoding="utf-8")
    assert main(["validate", str(path), "--mapping", str(out)]) == 0
    capsys.readouterr()
    finished = tomllib.loads(_uncomment(draft, "locale = ", "records = "))
    assert finished["locale"] == "de-DE"
    inventory = nistpf.load_inventory(path, mapping=finished)
    assert list(inventory.systems["records"]) == [12400, 3000]


def test_a_decimal_comma_under_spanish_headers_proposes_the_spanish_locale(tmp_path):
    systems = [["Código", "Sistema"], ["S1", "CRM"]]
    controls = [
        ["Código", "Nombre del control", "Estado", "Madurez", "Subcategorías"],
        ["C1", "Cifrado TLS", "Implemented", "2,5", "PR.DS-P2"],
    ]
    path = write_workbook(tmp_path / "r.xlsx", {"Sistemas": systems, "Controles": controls})
    draft = draft_mapping(path)
    assert '\n# locale = "es-ES"\n' in draft
    assert "'2,5' (Controles, Madurez, row 2): a decimal comma." in draft
    assert _columns(draft) == {"system_id": "Código", "name": "Sistema"}
    inventory = nistpf.load_inventory(path, mapping=tomllib.loads(draft))
    assert list(inventory.controls["maturity"]) == [2.5]  # read either way, and noted


def test_the_same_numbers_under_english_headers_propose_no_locale(tmp_path):
    rows = [["System ID", "Name", "Records"], ["S1", "CRM", "12.400"], ["S2", "Bot", "3.000"]]
    path = write_workbook(tmp_path / "r.xlsx", {"Systems": rows})
    draft = draft_mapping(path)
    assert "locale = " not in draft
    assert "look written the" not in draft
    assert '# records = "Records"  # e.g. 12.400 | 3.000' in draft


def test_a_column_nistpf_cannot_read_as_written_is_drafted_commented_out_with_why(tmp_path):
    """ "Kritisch" is no criticality in any language of words.csv: the draft writes the column
    commented out, saying which value stopped it, so the draft still validates as written."""
    rows = [
        ["Nr.", "Bezeichnung", "Kritikalität"],
        ["V-1", "Kundenservice", "Kritisch"],
        ["V-2", "Newsletter", "Hoch"],
    ]
    path = write_workbook(tmp_path / "vvt.xlsx", {"Verarbeitungsverzeichnis": rows})
    draft = draft_mapping(path)
    assert '# criticality = "Kritikalität"' in draft
    assert "# check: criticality is not read as drafted: 'Kritisch'" in draft
    inventory = nistpf.load_inventory(path, mapping=tomllib.loads(draft))
    assert list(inventory.systems["criticality"]) == ["Medium", "Medium"]  # the default


def _client_folder(tmp_path: Path) -> tuple[Path, bytes]:
    folder = tmp_path / "client"
    folder.mkdir()
    content = b"ID,Name,Crit\nS1,One,High\nS2,Two,Low\n"
    (folder / "register.csv").write_bytes(content)
    return folder, content


@pytest.mark.parametrize("target", ["register.csv", "draft.toml", "."])
def test_the_draft_is_never_written_into_a_source_folder(tmp_path, capsys, target):
    folder, content = _client_folder(tmp_path)
    out = folder / target
    code = main(["map", str(folder), "-o", str(out), "--overwrite"])
    assert code == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert "source folder" in err
    assert "choose an output outside" in err
    assert (folder / "register.csv").read_bytes() == content
    assert sorted(p.name for p in folder.iterdir()) == ["register.csv"]


def test_a_link_to_a_source_folder_or_its_file_is_refused(tmp_path):
    folder, content = _client_folder(tmp_path)
    elsewhere = tmp_path / "out"
    elsewhere.mkdir()
    (elsewhere / "folder-link").symlink_to(folder, target_is_directory=True)
    (elsewhere / "file-link.csv").symlink_to(folder / "register.csv")
    os.link(folder / "register.csv", elsewhere / "hard.csv")
    for out in ("folder-link/register.csv", "folder-link/new.toml", "file-link.csv", "hard.csv"):
        with pytest.raises(OutputIsInputError):
            write_draft(folder, elsewhere / out, overwrite=True)
    assert (folder / "register.csv").read_bytes() == content
    # beside the folder is fine
    written = write_draft(folder, tmp_path / "draft.toml")
    assert "system_id" in tomllib.loads(written.read_text())["sheets"]["Systems"]["columns"]


def test_control_characters_in_headers_and_values_are_escaped_in_the_draft(tmp_path):
    path = tmp_path / "ctl.csv"
    path.write_bytes(b"ID\x01,Name\x7f,Crit\nS1,One\x01x,High\nS2,Two\x7f,Low\n")
    out = tmp_path / "draft.toml"
    write_draft(path, out)
    text = out.read_text(encoding="utf-8")
    assert "\x01" not in text
    assert "\x7f" not in text
    columns = _columns(text)
    # the escapes read back as the very headers, so the mapping names them
    assert columns["system_id"] == "ID\x01"
    assert columns["name"] == "Name\x7f"
    assert "One\\x01x" in text
    inventory = nistpf.load_inventory(path, mapping=out)
    assert list(inventory.systems["system_id"]) == ["S1", "S2"]


_ANY_TEXT = st.text(min_size=1, max_size=12)


@settings(max_examples=25, deadline=None)
@given(header=_ANY_TEXT, value=_ANY_TEXT, other=_ANY_TEXT)
def test_the_draft_parses_whatever_the_headers_and_values_hold(header, value, other):
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "Systems.csv"
        with path.open("w", encoding="utf-8", newline="") as stream:
            writer = csv.writer(stream)
            writer.writerow(["system_id", header, "name", other])
            writer.writerow(["S1", value, value, other])
            writer.writerow(["S2", other, value, value])
        try:
            draft = draft_mapping(path)
        except InventoryError:
            return
        parsed = tomllib.loads(draft)
        assert parsed["sheets"]["Systems"]["source"] == "Systems"


def test_a_locale_the_workbooks_about_sheet_declares_is_kept_in_the_draft(tmp_path):
    """The client's About sheet says its numbers are written the German way: the draft says so
    too (uncommented), so '12.400' records read as 12400 rather than being left out."""
    sheets = {
        "Systems": [["system_id", "name", "records"], ["S1", "CRM", "12.400"], ["S2", "Web", "7"]],
        "About": [["field", "value"], ["client", "Beispiel GmbH"], ["locale", "de-DE"]],
    }
    path = write_workbook(tmp_path / "about-locale.xlsx", sheets)
    draft = draft_mapping(path)
    mapping = tomllib.loads(draft)
    assert mapping["locale"] == "de-DE"
    assert mapping["sheets"]["Systems"]["columns"]["records"] == "records"
    inventory = nistpf.load_inventory(path, mapping=mapping)
    assert list(inventory.systems["records"]) == [12400, 7]
