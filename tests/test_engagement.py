"""A real engagement, end to end, on a client that is not the sample: the folder `nistpf new`
makes, its notebooks, its store, and what the command line does with them."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import nbformat
import openpyxl
import pandas as pd
import pytest
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

import nistpf
from nistpf.cli import main
from nistpf.engagement import (
    CLIENT_LINE,
    SAMPLE_LINE,
    engagement_notebook,
    new_engagement,
    notebooks_dir,
    open_engagement,
)
from nistpf.ui import Session
from nistpf.ui.steps import Wizard
from tests.inventory_files import THREE_SYSTEMS, small_inventory

CLIENT = "Harrow Lane Outfitters"
SAMPLE_CLIENT = "Tallowby"  # the bundled sample's client, which must never show
NOTEBOOKS = sorted(notebooks_dir().glob("*.ipynb"))


def client_sheets(
    *, drop_system: str | None = None, date: str = "2026-05-04", bot_accounts: str = "Planned"
) -> dict:
    """The client's answers, as the template's sheets: four systems, five controls, three
    flows, an About sheet naming the client."""
    systems = pd.DataFrame(
        {
            "system_id": ["HL-CRM", "HL-CDP", "HL-BOT", "HL-DWH"],
            "name": ["Harrow CRM", "Customer data platform", "Help bot", "Warehouse"],
            "type": ["CRM", "CDP", "Chatbot", "DataWarehouse"],
            "owner": ["CX Ops", "Marketing", "CX Ops", "Data"],
            "criticality": ["High", "Medium", "Low", "Medium"],
            "data_categories": ["user.contact.email", "user.contact", "user.name", "user"],
        }
    )
    if drop_system:
        systems = systems[systems["system_id"] != drop_system]
    controls = pd.DataFrame(
        {
            "control_id": ["HL-1", "HL-2", "HL-3", "HL-4", "HL-5"],
            "name": ["TLS", "Retention jobs", "DSAR desk", "Bot accounts", "Privacy policy"],
            "status": [
                "Implemented",
                "Partially implemented",
                "Implemented",
                bot_accounts,
                "Implemented",
            ],
            "subcategories": ["PR.DS-P2", "CT.DM-P5", "CT.DM-P1", "PR.AC-P1", "GV.PO-P1"],
            "applies_to": ["ALL", "HL-CRM; HL-DWH", "HL-CRM", "type:Chatbot", "ALL"],
        }
    )
    flows = pd.DataFrame(
        {
            "flow_id": ["HF-1", "HF-2", "HF-3"],
            "source": ["HL-BOT", "HL-CRM", "HL-CDP"],
            "destination": ["HL-CRM", "HL-CDP", "HL-DWH"],
            "data_categories": ["user.name", "user.contact.email", "user.contact"],
            "purpose": ["Support", "Profile", "Reporting"],
            "stage": ["collection", "transfer", "storage"],
            "encrypted_in_transit": ["yes", "yes", "yes"],
            "consent_basis": ["contract", "contract", "legitimate interest"],
            "retention_days": [365, 365, 730],
            "owner": ["CX Ops", "Marketing", "Data"],
        }
    )
    about = pd.DataFrame(
        {
            "field": ["client", "engagement", "assessor", "date"],
            "value": [CLIENT, "Privacy Framework assessment 2026", "A. Consultant", date],
        }
    )
    return {"Systems": systems, "Controls": controls, "DataFlows": flows, "About": about}


@pytest.fixture
def engagement(tmp_path: Path) -> Path:
    folder = tmp_path / "harrow-lane"
    new_engagement(folder)
    nistpf.write_template(folder / "inventory.xlsx", force=True, data=client_sheets())
    return folder


def run_notebook(path: Path) -> nbformat.NotebookNode:
    notebook = nbformat.read(path, as_version=4)
    NotebookClient(
        notebook,
        timeout=300,
        kernel_name="python3",
        resources={"metadata": {"path": str(path.parent)}},
    ).execute()
    return notebook


def outputs_text(notebook: nbformat.NotebookNode) -> str:
    return json.dumps([cell.get("outputs", []) for cell in notebook.cells], ensure_ascii=False)


# -- the folder and its notebooks ----------------------------------------------------------------


def test_every_notebook_of_an_engagement_shows_the_client_and_never_the_sample(engagement):
    for path in sorted(engagement.glob("*.ipynb")):
        notebook = run_notebook(path)
        text = outputs_text(notebook)
        assert CLIENT in text, f"{path.name} does not name the client"
        assert SAMPLE_CLIENT not in text, f"{path.name} shows the sample"
        first = notebook.cells[0]
        assert first.outputs[0]["data"]["text/markdown"].startswith("# Harrow Lane Outfitters — ")
    written = [p for p in engagement.iterdir() if p.suffix in {".xlsx", ".pptx", ".html"}]
    names = {p.name for p in written}
    assert "harrow-lane-outfitters-gap-register.xlsx" in names
    assert "harrow-lane-outfitters-deck.pptx" in names
    register = openpyxl.load_workbook(engagement / "harrow-lane-outfitters-gap-register.xlsx")
    cells = [str(c) for ws in register for row in ws.iter_rows(values_only=True) for c in row]
    assert CLIENT in cells
    assert not any(SAMPLE_CLIENT in c for c in cells)
    store = nistpf.open_store(engagement / "engagement.nistpf")
    assert store.client == CLIENT
    runs = store.assessments()
    assert set(runs["inventory_name"]) == {"inventory.xlsx"}


def test_while_the_workbook_is_the_blank_template_every_notebook_stops_in_one_sentence(tmp_path):
    folder = tmp_path / "fresh"
    new_engagement(folder)
    for path in sorted(folder.glob("*.ipynb")):
        notebook = nbformat.read(path, as_version=4)
        client = NotebookClient(
            notebook,
            timeout=120,
            kernel_name="python3",
            resources={"metadata": {"path": str(folder)}},
        )
        with pytest.raises(CellExecutionError):
            client.execute()
        (error,) = notebook.cells[0].outputs
        assert error["ename"] == "BlankInventoryError"
        assert error["traceback"] == [
            "BlankInventoryError: inventory.xlsx is still the blank template: send it to the "
            "client to fill in (Systems, Controls, DataFlows), then run this again."
        ], path.name
        later = [c for c in notebook.cells[1:] if c.cell_type == "code"]
        assert all(c.execution_count is None for c in later), path.name
    assert sorted(p.name for p in folder.iterdir() if not p.name.endswith(".ipynb")) == [
        "engagement.nistpf",
        "inventory.xlsx",
        "voila.json",
    ]


def test_the_repository_notebooks_use_the_sample_and_copies_open_their_folder():
    for path in NOTEBOOKS:
        text = path.read_text(encoding="utf-8")
        notebook = json.loads(text)
        tagged = [c for c in notebook["cells"] if "parameters" in c["metadata"].get("tags", [])]
        assert len(tagged) == 1, path.name
        assert tagged[0] is notebook["cells"][0]
        assert SAMPLE_LINE in "".join(tagged[0]["source"])
        copy = json.loads(engagement_notebook(text))
        assert SAMPLE_LINE not in json.dumps(copy)
        assert CLIENT_LINE in "".join(copy["cells"][0]["source"])
        assert copy["cells"][1:] == notebook["cells"][1:]  # nothing else changes


def test_new_prints_the_next_three_steps(tmp_path, capsys):
    assert main(["new", str(tmp_path / "acme")]) == 0
    out = capsys.readouterr().out
    steps = out.split("Next steps")[1].splitlines()[1:]
    assert [line[:3] for line in steps[:3]] == ["1. ", "2. ", "3. "]
    assert "nistpf validate inventory.xlsx" in steps[0]
    assert "02_guided_assessment.ipynb" in steps[1]
    assert "--store engagement.nistpf" in steps[2]


def test_new_sample_makes_a_practice_engagement(tmp_path, capsys):
    folder = tmp_path / "practice"
    assert main(["new", str(folder), "--sample"]) == 0
    assert "Practise" in capsys.readouterr().out
    assert (folder / "inventory.xlsx").read_bytes() == nistpf.sample_path().read_bytes()
    practice = open_engagement(folder)
    assert practice.client.startswith(SAMPLE_CLIENT)
    assert not practice.sample  # the folder's own copy, like any engagement


def test_a_folder_without_an_engagement_is_one_sentence(tmp_path):
    with pytest.raises(nistpf.NistpfError, match=r"is not an engagement folder.*nistpf new DIR"):
        open_engagement(tmp_path)


# -- the store: another client, a mistyped path, an empty store, the About date -------------------


def sample_copy(tmp_path: Path) -> Path:
    return Path(shutil.copy(nistpf.sample_path(), tmp_path / "tallowby.xlsx"))


def test_assess_with_another_clients_store_says_so(engagement, tmp_path, capsys):
    store = engagement / "engagement.nistpf"
    session = Session(store)
    session.load(engagement / "inventory.xlsx")  # the engagement's first assessment
    assert session.store.client == CLIENT
    source = sample_copy(tmp_path)
    assert main(["assess", str(source), "--store", str(store), "-o", str(tmp_path / "r.xlsx")]) == 0
    err = capsys.readouterr().err
    assert f"engagement store of {CLIENT!r}" in err
    assert "'Tallowby & Finch Ltd' as the client" in err
    assert err.count("\n") == 1


def test_a_mistyped_store_is_one_line_and_creates_nothing(tmp_path, capsys):
    source = sample_copy(tmp_path)
    missing = tmp_path / "engagment.nistpf"
    for command in ("assess", "report"):
        assert main([command, str(source), "--store", str(missing)]) == 2
        err = capsys.readouterr().err
        assert err.count("\n") == 1
        assert f"{missing}: no such engagement store" in err
        assert "new_assessment" not in err
    assert not missing.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["tallowby.xlsx"]


def test_an_empty_store_says_how_to_start(engagement, capsys):
    code = main(
        [
            "assess",
            str(engagement / "inventory.xlsx"),
            "--store",
            str(engagement / "engagement.nistpf"),
        ]
    )
    assert code == 0
    err = capsys.readouterr().err
    assert "holds no assessment yet" in err
    assert "02_guided_assessment.ipynb" in err  # the notebook's terms
    assert "without --store" in err or "leave out --store" in err  # the command line's
    assert "new_assessment" not in err


def test_the_about_date_is_kept_unless_the_consultant_sets_one(engagement, tmp_path):
    store = nistpf.open_store(engagement / "engagement.nistpf")
    inventory = nistpf.load_inventory(engagement / "inventory.xlsx")
    number = store.new_assessment("Baseline", inventory)
    assert store.apply(inventory).about_value("date") == "2026-05-04"
    # The client corrects the date in the workbook: the corrected date is used.
    nistpf.write_template(
        engagement / "inventory.xlsx", force=True, data=client_sheets(date="2026-06-01")
    )
    corrected = nistpf.load_inventory(engagement / "inventory.xlsx")
    assert store.apply(corrected).about_value("date") == "2026-06-01"
    store.set_assessment_date(number, "2026-06-15")
    assert store.apply(corrected).about_value("date") == "2026-06-15"
    register = tmp_path / "r.xlsx"
    assert (
        main(
            [
                "assess",
                str(engagement / "inventory.xlsx"),
                "--store",
                str(store.path),
                "-o",
                str(register),
            ]
        )
        == 0
    )
    summary = openpyxl.load_workbook(register, read_only=True)["Summary"]
    fields = {r[0]: r[1] for r in summary.iter_rows(values_only=True) if len(r) > 1 and r[0]}
    assert str(fields["Date"]).startswith("2026-06-15")


# -- nothing typed is lost --------------------------------------------------------------------


def test_ratings_survive_a_corrected_workbook_and_what_vanished_is_listed(engagement, capsys):
    session = Session(engagement / "engagement.nistpf", assessor="A. Consultant")
    session.load(engagement / "inventory.xlsx")
    first = session.number
    session.rate("PR.DS-P2", 2, evidence="TLS scan", method="test")
    session.rate("CT.DM-P5", 3, system="HL-DWH", evidence="Retention job logs")
    session.rate("CT.DM-P5", 1, system="HL-BOT")
    session.set_scope("HL-BOT", False)
    session.set_target("PR-P", 4, priority="High")

    # The client corrects the workbook and drops the help bot.
    nistpf.write_template(
        engagement / "inventory.xlsx", force=True, data=client_sheets(drop_system="HL-BOT")
    )
    again = Session(engagement / "engagement.nistpf", assessor="A. Consultant")
    again.load(engagement / "inventory.xlsx")
    assert again.number == first
    assert not again.created
    assert len(again.store.assessments()) == 1
    subs = again.assessment.subcategories.set_index("subcategory")
    assert subs.loc["PR.DS-P2", "current"] == 2
    assert subs.loc["PR.DS-P2", "target"] == 4
    assert subs.loc["PR.DS-P2", "priority"] == "High"
    levels = again.assessment.levels.set_index(["subcategory", "system"])
    assert levels.loc[("CT.DM-P5", "HL-DWH"), "level"] == 3
    orphans = again.orphans
    assert orphans[["entity", "key", "value"]].values.tolist() == [
        ["rating", "CT.DM-P5 on HL-BOT", "1"],
        ["scope", "HL-BOT", "out"],
    ]
    assert set(orphans["reason"]) == {"system HL-BOT is no longer in inventory.xlsx's Systems"}
    shown = again.report[again.report["code"] == "store-orphan"]
    assert len(shown) == 2
    # The wizard names the assessment open, offers the others, and lists what vanished.
    load = Wizard(again).steps["load"]
    assert load.controls["assessment"].value == first
    assert "CT.DM-P5 on HL-BOT" in load.controls["orphans"].value
    # So does the command line.
    assert (
        main(["assess", str(engagement / "inventory.xlsx"), "--store", str(again.store_path)]) == 0
    )
    err = capsys.readouterr().err
    assert "CT.DM-P5 on HL-BOT" in err
    assert "no longer in inventory.xlsx's Systems" in err


def test_a_follow_up_starts_from_the_previous_profile_and_scope_and_keeps_it(engagement, capsys):
    session = Session(engagement / "engagement.nistpf")
    session.load(engagement / "inventory.xlsx")
    session.rate("PR.DS-P2", 2)
    session.set_scope("HL-BOT", False)
    session.set_target("CT-P", 4)
    baseline = session.number
    assert (
        main(["follow-up", str(session.store_path), "Follow-up 2027", "--date", "2027-05-01"]) == 0
    )
    assert "from assessment 1" in capsys.readouterr().out
    store = session.store
    follow = store.latest()
    assert follow != baseline
    assert store.ratings(follow).empty
    assert store.ratings(baseline)["subcategory"].tolist() == ["PR.DS-P2"]
    assert store.scope(follow).values.tolist() == [["HL-BOT", False]]
    assert store.profile(follow)[["pf_id", "target"]].values.tolist() == [["CT-P", 4.0]]
    assert store.assessment(follow)["date"] == "2027-05-01"
    reopened = Session(engagement / "engagement.nistpf")
    assert reopened.number == follow
    reopened.open_assessment(baseline)
    assert (
        reopened.assessment.subcategories.set_index("subcategory").loc["PR.DS-P2", "current"] == 2
    )


def test_rewriting_a_register_keeps_what_the_client_typed(tmp_path, capsys):
    source = sample_copy(tmp_path)
    register = tmp_path / "register.xlsx"
    assert main(["assess", str(source), "-o", str(register)]) == 0
    capsys.readouterr()
    book = openpyxl.load_workbook(register)
    sheet = book["Gap Register"]
    headers = [c.value for c in sheet[1]]
    row = 2
    subcategory = sheet.cell(row, headers.index("Subcategory") + 1).value
    sheet.cell(row, headers.index("Owner") + 1, "Head of CX")
    sheet.cell(row, headers.index("Status") + 1, "In progress")
    sheet.cell(row, headers.index("Comments") + 1, "Budget approved")
    sheet.cell(row + 1, headers.index("Recommended action") + 1, "Buy a shredding service")
    book.save(register)

    assert main(["assess", str(source), "-o", str(register)]) == 0
    out = capsys.readouterr().out
    assert (
        "Carried over from register.xlsx: 2 rows with the client's edits; closed since then: 0"
        in out
    )
    edits = nistpf.read_register_edits(register).set_index("subcategory")
    assert edits.loc[subcategory, ["owner", "status", "comments"]].tolist() == [
        "Head of CX",
        "In progress",
        "Budget approved",
    ]
    assert main(["assess", str(source), "-o", str(register), "--overwrite"]) == 0
    edits = nistpf.read_register_edits(register).set_index("subcategory")
    assert edits.loc[subcategory, "owner"] is None


def test_a_file_at_the_register_path_that_is_no_register_is_not_replaced(tmp_path, capsys):
    source = sample_copy(tmp_path)
    notes = tmp_path / "notes.xlsx"
    notes.write_bytes(b"my own notes, not a workbook")
    assert main(["assess", str(source), "-o", str(notes)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert "--overwrite" in err
    assert notes.read_bytes() == b"my own notes, not a workbook"


def test_deliverables_are_named_after_the_engagement(engagement, capsys):
    source = engagement / "inventory.xlsx"
    assert main(["assess", str(source)]) == 0
    assert main(["report", str(source)]) == 0
    names = {p.name for p in engagement.iterdir()}
    assert "harrow-lane-outfitters-gap-register.xlsx" in names
    assert "harrow-lane-outfitters-report.html" in names
    assert not any(n.startswith("inventory-") for n in names)


def test_an_assessment_followed_up_keeps_the_workbook_it_was_made_with(engagement, capsys):
    store_path = engagement / "engagement.nistpf"
    session = Session(store_path)
    session.load(engagement / "inventory.xlsx")
    assert main(["follow-up", str(store_path), "Follow-up 2027"]) == 0
    # A year on, the client has implemented the bot accounts control and dates the workbook.
    nistpf.write_template(
        engagement / "inventory.xlsx",
        force=True,
        data=client_sheets(date="2027-05-01", bot_accounts="Implemented"),
    )
    current = open_engagement(engagement)
    baseline, follow_up = current.assess(1), current.assess(2)
    # PR.AC-P1: the control applies to the chatbot only (Low, weight 1 of 3 + 2 + 1 + 2 = 8).
    # Planned (level 0) in the baseline's workbook; Implemented (3) now: 3 / 8 = 0.375.
    sub = "PR.AC-P1"
    assert baseline.subcategories.set_index("subcategory").loc[sub, "current"] == 0
    assert follow_up.subcategories.set_index("subcategory").loc[sub, "current"] == 0.375
    assert baseline.inventory.about_value("date") == "2026-05-04"
    assert follow_up.inventory.about_value("date") == "2027-05-01"
    deltas = nistpf.compare(baseline, follow_up).set_index("id")
    assert deltas.loc[sub, "delta"] == 0.375
    # The wizard, opening the baseline, says which workbook it scores.
    reopened = Session(store_path)
    reopened.open_assessment(1)
    levels = reopened.assessment.subcategories.set_index("subcategory")
    assert levels.loc[sub, "current"] == 0
    notes = reopened.report[reopened.report["code"] == "store-recorded-workbook"]
    assert "scored with the workbook it was made with" in notes["problem"].iloc[0]
    # So does the command line.
    capsys.readouterr()
    source = engagement / "inventory.xlsx"
    assert main(["assess", str(source), "--store", str(store_path), "--assessment", "1"]) == 0
    captured = capsys.readouterr()
    assert "Assessment 1 (Baseline) of engagement.nistpf" in captured.out
    assert "assessment 1 (Baseline) is scored with the workbook it was made with" in captured.err


def test_a_follow_up_is_never_started_twice_under_one_name(engagement, capsys):
    store_path = engagement / "engagement.nistpf"
    Session(store_path).load(engagement / "inventory.xlsx")
    assert main(["follow-up", str(store_path), "Follow-up 2027"]) == 0
    assert main(["follow-up", str(store_path), "follow-up 2027 "]) == 2
    err = capsys.readouterr().err
    assert "already has an assessment named 'Follow-up 2027' (assessment 2)" in err
    assert len(nistpf.open_store(store_path).assessments()) == 2


def test_a_folder_given_as_the_store_is_one_line(engagement, capsys):
    assert main(["assess", str(engagement / "inventory.xlsx"), "--store", str(engagement)]) == 2
    err = capsys.readouterr().err
    assert (
        err == f"nistpf: {engagement} is a folder; a store is one file (e.g. engagement.nistpf)\n"
    )


def edit_register(path: Path, edits: dict[int, dict[str, object]], *, rename=None, add=None):
    """Type into a register as a client would: ``edits`` maps a data row (1 = the first) to
    header → value; ``rename`` renames headers; ``add`` appends a column (header, value)."""
    book = openpyxl.load_workbook(path)
    sheet = book["Gap Register"]
    headers = [c.value for c in sheet[1]]
    for row, values in edits.items():
        for header, value in values.items():
            sheet.cell(row + 1, headers.index(header) + 1, value)
    for old, new in (rename or {}).items():
        sheet.cell(1, headers.index(old) + 1, new)
    if add:
        sheet.cell(1, len(headers) + 1, add[0])
        sheet.cell(2, len(headers) + 1, add[1])
    book.save(path)
    return [sheet.cell(row + 1, 1).value for row in edits]


def test_a_new_register_suggests_anew_where_the_client_kept_nistpfs_suggestion(engagement):
    source = engagement / "inventory.xlsx"
    register = engagement / "register.xlsx"
    assert main(["assess", str(source), "-o", str(register)]) == 0
    before = nistpf.read_register_edits(register).set_index("subcategory")
    # Nothing typed: every action read back is nistpf's own, so none is an edit.
    assert before["recommended_action"].isna().all()
    # PR.AC-P1's only control is Planned: "Implement HL-4 (Planned)." Once it is
    # implemented, the next register must not keep that stale advice.
    nistpf.write_template(source, force=True, data=client_sheets(bot_accounts="Implemented"))
    assert main(["assess", str(source), "-o", str(register)]) == 0
    book = openpyxl.load_workbook(register, read_only=True)
    rows = list(book["Gap Register"].iter_rows(values_only=True))
    action = dict(zip([r[0] for r in rows], [r[8] for r in rows], strict=True))
    assert "Implement HL-4" not in (action.get("PR.AC-P1") or "")


def test_carry_over_from_last_year_is_not_lost_to_this_years_defaults(tmp_path, capsys):
    source = sample_copy(tmp_path)
    last, this = tmp_path / "last.xlsx", tmp_path / "this.xlsx"
    assert main(["assess", str(source), "-o", str(last)]) == 0
    assert main(["assess", str(source), "-o", str(this)]) == 0
    (first,) = edit_register(
        last,
        {1: {"Recommended action": "Buy a shredding service", "Status": "In progress",
             "Owner": "Alice", "Due date": "Q3 2027"}},
    )  # fmt: skip
    capsys.readouterr()
    assert main(["assess", str(source), "--carry-over", str(last), "-o", str(this)]) == 0
    edits = nistpf.read_register_edits(this).set_index("subcategory")
    assert edits.loc[first, ["recommended_action", "status", "owner", "due_date"]].tolist() == [
        "Buy a shredding service",
        "In progress",
        "Alice",
        "Q3 2027",  # not a date, kept as typed
    ]


def test_what_cannot_be_carried_over_is_said(tmp_path, capsys):
    source = sample_copy(tmp_path)
    register = tmp_path / "register.xlsx"
    assert main(["assess", str(source), "-o", str(register)]) == 0
    edit_register(
        register,
        {1: {"Owner": "Head of CX"}},
        rename={"Owner": "Responsible"},
        add=("Jira ticket", "PRIV-12"),
    )
    capsys.readouterr()
    assert main(["assess", str(source), "-o", str(register)]) == 0
    err = capsys.readouterr().err
    assert "register.xlsx has no column 'Owner': what it held is not carried over" in err
    assert "register.xlsx has columns nistpf did not write ('Responsible', 'Jira ticket')" in err
    # The file replaced is kept, so what could not be carried over can still be copied across.
    (kept,) = [p for p in tmp_path.iterdir() if p.name.startswith("register (replaced ")]
    assert f"the register replaced is kept as {kept.name}" in err
    headers = [c.value for c in openpyxl.load_workbook(kept)["Gap Register"][1]]
    assert "Jira ticket" in headers


def test_the_library_keeps_a_register_it_cannot_carry_whole(tmp_path):
    from nistpf.export.excel import write_gap_register

    a = nistpf.assess(nistpf.load_inventory(nistpf.sample_path()))
    register = write_gap_register(a, tmp_path / "register.xlsx")
    edit_register(register, {1: {"Owner": "Head of CX"}}, add=("Jira ticket", "PRIV-12"))
    with pytest.warns(UserWarning, match=r"the register replaced is kept as register \(replaced"):
        write_gap_register(a, register)
    assert len(list(tmp_path.glob("register (replaced *).xlsx"))) == 1
    edits = nistpf.read_register_edits(register)
    assert "Head of CX" in set(edits["owner"])


def test_system_ids_in_the_store_follow_the_workbooks_spelling(engagement):
    session = Session(engagement / "engagement.nistpf")
    session.load(engagement / "inventory.xlsx")
    session.rate("CT.DM-P5", 3, system="hl-dwh")  # typed loosely: saved as listed
    assert session.store.ratings(session.number)["system"].tolist() == ["HL-DWH"]
    with pytest.raises(nistpf.NistpfError, match=r"'HL-NOPE' is not a system of inventory\.xlsx"):
        session.rate("CT.DM-P5", 3, system="HL-NOPE")
    # The client rewrites the ID in lower case: the rating still applies, nothing is orphaned.
    sheets = client_sheets()
    sheets["Systems"]["system_id"] = sheets["Systems"]["system_id"].replace("HL-DWH", "hl-dwh")
    sheets["Controls"]["applies_to"] = sheets["Controls"]["applies_to"].str.replace(
        "HL-DWH", "hl-dwh"
    )
    nistpf.write_template(engagement / "inventory.xlsx", force=True, data=sheets)
    again = Session(engagement / "engagement.nistpf")
    again.load(engagement / "inventory.xlsx")
    assert again.orphans.empty
    levels = again.assessment.levels.set_index(["subcategory", "system"])
    assert levels.loc[("CT.DM-P5", "hl-dwh"), "level"] == 3


def test_a_failed_or_empty_run_records_no_client_and_a_typo_can_be_corrected(engagement, capsys):
    store_path = engagement / "engagement.nistpf"
    source = engagement / "inventory.xlsx"
    assert main(["assess", str(source), "--store", str(store_path)]) == 0  # empty store
    assert main(["assess", str(source), "--store", str(store_path), "--assessment", "9"]) == 2
    store = nistpf.open_store(store_path)
    assert store.client == ""
    Session(store_path).load(source)
    assert store.client == CLIENT
    store.set_client("Harrow Lane Outfitters Ltd")
    capsys.readouterr()
    assert main(["assess", str(source), "--store", str(store_path)]) == 0
    assert "set_client" in capsys.readouterr().err  # names how to correct it


def test_a_workbook_on_another_scale_than_its_assessment_is_said(engagement, capsys):
    store_path = engagement / "engagement.nistpf"
    Session(store_path).load(engagement / "inventory.xlsx")
    sheets = client_sheets()
    sheets["About"] = pd.concat(
        [sheets["About"], pd.DataFrame({"field": ["scale"], "value": ["implementation"]})]
    )
    nistpf.write_template(engagement / "inventory.xlsx", force=True, data=sheets)
    capsys.readouterr()
    assert main(["assess", str(engagement / "inventory.xlsx"), "--store", str(store_path)]) == 0
    err = capsys.readouterr().err
    assert (
        "names the implementation scale, but assessment 1 (Baseline) was made on the tiers" in err
    )


def test_client_names_make_safe_titles_and_file_names(engagement):
    sheets = client_sheets()
    long = "Acme Retail Holdings International Group plc trading as Acme Stores and Acme Online"
    sheets["About"].loc[sheets["About"]["field"] == "client", "value"] = f"$x$ *{long}*\n2"
    nistpf.write_template(engagement / "inventory.xlsx", force=True, data=sheets)
    opened = open_engagement(engagement)
    title = opened.title("the gaps").data
    assert title.startswith("# \\$x\\$ \\*Acme Retail")
    assert "\n" not in title
    names = {opened.output(k).name for k in ("gap-register.xlsx", "deck.pptx", "log.csv")}
    assert all(n.endswith(("-gap-register.xlsx", "-deck.pptx", "-log.csv")) for n in names)
    assert len(names) == 3


@pytest.mark.parametrize(
    ("date", "problem"),
    [
        ("20260301", "is not a date"),
        ("2026-W10-1", "is not a date"),
        ("03/04/2026", "could be day/month or month/day"),  # the README's ambiguous date
        ("2026-13-01", "is not a real date"),
    ],
)
def test_a_follow_up_date_that_is_not_one_date_is_refused(engagement, capsys, date, problem):
    store_path = engagement / "engagement.nistpf"
    Session(store_path).load(engagement / "inventory.xlsx")
    before = store_path.read_bytes()
    assert main(["follow-up", str(store_path), "Next", "--date", date]) == 2
    assert capsys.readouterr().err == (
        f"nistpf: date {date!r} {problem}; write dates as YYYY-MM-DD\n"
    )
    assert len(nistpf.open_store(store_path).assessments()) == 1
    assert store_path.read_bytes() == before


@pytest.mark.parametrize("date", ["2027-03-31", "2027-3-31", "31.03.2027", "31/03/2027"])
def test_a_follow_up_date_is_read_as_the_inventory_reads_dates(engagement, date):
    store_path = engagement / "engagement.nistpf"
    Session(store_path).load(engagement / "inventory.xlsx")
    assert main(["follow-up", str(store_path), "Next", "--date", date]) == 0
    assert nistpf.open_store(store_path).assessments()["date"].iloc[-1] == "2027-03-31"


def test_two_registers_merge_row_by_row_never_mixing_years(tmp_path, capsys):
    source = sample_copy(tmp_path)
    last, this = tmp_path / "last.xlsx", tmp_path / "this.xlsx"
    assert main(["assess", str(source), "-o", str(last)]) == 0
    assert main(["assess", str(source), "-o", str(this)]) == 0
    (first, second) = edit_register(
        last,
        {1: {"Owner": "Alice", "Status": "Done"}, 2: {"Owner": "Bob", "Status": "In progress"}},
    )
    # This year the client reopened the first row with a comment and left the second alone.
    edit_register(this, {1: {"Status": "Open", "Comments": "reopened: control failed audit"}})
    assert main(["assess", str(source), "--carry-over", str(last), "-o", str(this)]) == 0
    edits = nistpf.read_register_edits(this).set_index("subcategory")
    columns = ["owner", "status", "comments"]
    assert edits.loc[first, columns].tolist() == [None, "Open", "reopened: control failed audit"]
    assert edits.loc[second, columns].tolist() == ["Bob", "In progress", None]


def test_an_earlier_assessment_read_through_a_mapping_reopens(tmp_path, capsys):
    from tests.inventory_files import write_workbook

    mapping = tmp_path / "apps.toml"
    mapping.write_text(
        '[sheets.Systems]\nsource = "Apps"\n[sheets.Systems.columns]\n'
        'system_id = "App ID"\nname = "App"\ncriticality = "Tier"\n',
        encoding="utf-8",
    )
    source = tmp_path / "apps.xlsx"

    def apps(tier: str) -> None:
        rows = [["App ID", "App", "Tier"], ["A1", "Web shop", "High"], ["A2", "Help desk", tier]]
        write_workbook(source, {"Apps": rows})

    apps("Low")
    store_path = tmp_path / "e.nistpf"
    session = Session(store_path)
    session.load(source, mapping)
    session.rate("PR.DS-P2", 2, system="A2")
    assert main(["follow-up", str(store_path), "Next"]) == 0
    apps("High")  # the workbook changes after the follow-up
    capsys.readouterr()
    code = main(
        ["assess", str(source), "--mapping", str(mapping), "--store", str(store_path),
         "--assessment", "1", "-o", str(tmp_path / "r.xlsx")]
    )  # fmt: skip
    captured = capsys.readouterr()
    assert code == 0, captured.err
    assert "scored with the workbook it was made with" in captured.err
    again = Session(store_path)
    again.load(source, mapping)
    again.open_assessment(1)
    systems = again.assessment.inventory.systems.set_index("system_id")
    assert systems.loc["A2", "criticality"] == "Low"  # as it was when assessment 1 was made


def test_the_ranking_ties_what_reads_the_same(tmp_path):
    # Ratings 1.998 and 1.9995 for two Moderate outcomes with a target of 3: gaps 1.002 and
    # 1.0005, gap points 2.004 and 2.001 — both shown as 1.00 and 2.00, so a tie, in the
    # framework's order (ID.IM-P1 before ID.IM-P2), and no title names one of them.
    from nistpf.export import charts

    ids = list(nistpf.framework().subcategories["id"])
    others = [s for s in ids if s not in ("ID.IM-P1", "ID.IM-P2")]
    responses = pd.DataFrame(
        {
            "subcategory": ["ID.IM-P2", "ID.IM-P1", *others],
            "system": [""] * len(ids),
            "current": [1.998, 1.9995, *[3] * len(others)],
        }
    )
    a = nistpf.assess(
        small_inventory([], systems=THREE_SYSTEMS.drop(columns="data_categories"),
                        Responses=responses)
    )  # fmt: skip
    ranked = a.ranked_gaps()
    assert list(ranked["subcategory"]) == ["ID.IM-P1", "ID.IM-P2"]
    assert list(ranked["rank"]) == [1, 1]
    assert charts.top_gaps(a).layout.title.text.startswith(
        "ID.IM-P1 and ID.IM-P2 share the largest gap: 2.00 gap points each"
    )


def test_a_rating_is_read_back_as_it_was_typed_to_rate(engagement):
    session = Session(engagement / "engagement.nistpf")
    session.load(engagement / "inventory.xlsx")
    session.rate("pr.ds-p2", 2, system="hl-crm")
    assert session.rating("PR.DS-P2", "HL-CRM")["current"] == 2
    assert session.rating("pr.ds-p2", "hl-crm")["current"] == 2
    with pytest.raises(nistpf.NistpfError, match="a rating is a level of the scale, not True"):
        session.rate("PR.DS-P2", True)
