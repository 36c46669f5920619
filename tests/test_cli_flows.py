"""``nistpf trace`` and ``nistpf pram`` as a consultant runs them on the sample."""

from __future__ import annotations

import csv
import io
import json

import pytest

import nistpf
from nistpf.cli import main


@pytest.fixture(scope="module")
def sample() -> str:
    return str(nistpf.sample_path())


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_trace_prints_each_path_hop_by_hop_and_the_gaps(capsys, sample):
    code, out, err = run(capsys, "trace", sample, "--category", "user.financial.credit_card")
    assert code == 0, err
    lines = out.splitlines()
    assert lines[0].startswith("user.financial.credit_card (Credit Card Information, sensitive)")
    p2 = (
        "  P2: external:Customers → CCS-01 (F-005 collection) → BPO-01 (F-030 disclosure) → "
        "AIA-01 (F-021 use) — never disposed"
    )
    p3 = "  P3: external:Customers → CCS-01 (F-005 collection) → CCS-01 (F-033 disposal) — disposed"
    assert p2 in lines
    assert p3 in lines
    assert sum(line.startswith("  gap, never disposed:") for line in lines) == 3
    assert sum(line.startswith("  gap, AI system:") for line in lines) == 1


def test_trace_csv_is_one_row_per_hop_with_where_the_path_ends(capsys, sample):
    code, out, _ = run(
        capsys, "trace", sample, "--category", "user.financial.credit_card", "--format", "csv"
    )
    assert code == 0
    rows = list(csv.DictReader(io.StringIO(out)))
    # Paths of 2, 3, 2 and 2 hops (tests/test_trace.py CARD_PATHS).
    assert [r["flow_id"] for r in rows] == [
        "F-003", "F-025", "F-005", "F-030", "F-021", "F-005", "F-033", "F-011", "F-025",
    ]  # fmt: skip
    assert {r["ending"] for r in rows if r["path"] == "P3"} == {"disposed"}
    assert rows[3]["findings"].split("; ")[:1] == ["R01:F-030"]


def test_trace_json_holds_every_table(capsys, sample):
    code, out, _ = run(capsys, "trace", sample, "--system", "AIA-01", "--format", "json")
    assert code == 0
    tables = json.loads(out)
    assert set(tables) == {"categories", "paths", "hops", "gaps"}
    for path in tables["paths"]:
        hops = [h for h in tables["hops"] if h["path"] == path["path"]]
        assert any("AIA-01" in (h["source"], h["destination"]) for h in hops)


def test_trace_of_an_unknown_category_is_one_line(capsys, sample):
    code, out, err = run(capsys, "trace", sample, "--category", "user.contact.emial")
    assert code == 2
    assert out == ""
    assert err.count("\n") == 1
    assert "close matches: user.contact.email" in err


def test_pram_prints_the_riskiest_data_actions(capsys, sample):
    code, out, err = run(capsys, "pram", sample)
    assert code == 0, err
    p = nistpf.pram(nistpf.load_inventory(sample))
    first = p.data_actions.sort_values("risk", ascending=False).iloc[0]
    assert out.splitlines()[0] == (
        f"NIST PRAM: 35 data actions, {len(p.problems)} problems for individuals; "
        f"system risk {int(p.total)}"
    )
    top = out.splitlines()[3]
    assert top.split()[:2] == ["1", str(int(first["risk"]))]
    assert first["data_action"] in top


def test_pram_explain_and_its_mistakes(capsys, sample):
    code, out, _ = run(capsys, "pram", sample, "--explain", "F-030:disclosure")
    assert code == 0
    assert out.startswith("F-030:disclosure: Disclosure from CCS-01")
    assert "Risk of the data action = " in out
    code, _, err = run(capsys, "pram", sample, "--explain", "F-030:disclosur")
    assert code == 2
    assert "did you mean F-030:disclosure?" in err
    code, _, err = run(capsys, "pram", sample, "--read-edits", "x.xlsx")
    assert code == 2
    assert "give --store" in err


def test_pram_workbook_reviewed_and_read_back_into_the_store(capsys, tmp_path):
    import shutil

    import openpyxl

    source = tmp_path / "inventory.xlsx"
    shutil.copy(nistpf.sample_path(), source)
    store_path = tmp_path / "engagement.nistpf"
    nistpf.open_store(store_path).set_engagement_name("Acme")  # a store with no assessment yet
    workbook = tmp_path / "pram.xlsx"
    code, out, err = run(
        capsys, "pram", str(source), "--store", str(store_path), "-o", str(workbook)
    )
    assert code == 0, err
    assert out.rstrip().endswith(f"wrote {workbook}")
    code, _, err = run(capsys, "pram", str(source), "-o", str(workbook))
    assert code == 2
    assert "--force" in err
    # The consultant lowers one likelihood, with a reason, and sends the file back.
    book = openpyxl.load_workbook(workbook)
    sheet = book["Likelihood"]
    header = [c.value for c in sheet[6]]
    row = next(r for r in range(7, sheet.max_row + 1) if sheet.cell(r, 6).value)
    action = sheet.cell(row, header.index("Data action ID") + 1).value
    problem = sheet.cell(row, 4).value
    before = sheet.cell(row, 5).value
    sheet.cell(row, 5).value = 1
    unexplained = tmp_path / "pram-no-reason.xlsx"
    book.save(unexplained)
    code, out, err = run(
        capsys, "pram", str(source), "--store", str(store_path), "--read-edits", str(unexplained)
    )
    assert code == 1  # the input has problems
    assert out.splitlines()[0] == "started assessment 1 (Baseline) in engagement.nistpf"
    assert err.count("\n") == 1
    assert "reason" in err
    sheet.cell(row, header.index("Reason for the change") + 1).value = "seen in interviews"
    reviewed = tmp_path / "pram-reviewed.xlsx"
    book.save(reviewed)
    code, out, err = run(
        capsys, "pram", str(source), "--store", str(store_path), "--read-edits", str(reviewed),
        "--who", "lead assessor",
    )  # fmt: skip
    assert code == 0, err
    assert f"read 1 PRAM edit from {reviewed}; 1 changed what engagement.nistpf holds" in out
    code, out, _ = run(
        capsys, "pram", str(source), "--store", str(store_path), "--read-edits", str(reviewed)
    )
    assert f"read 1 PRAM edit from {reviewed}; 0 changed what engagement.nistpf holds" in out
    saved = nistpf.open_store(store_path).pram_edits(1)
    assert saved[["data_action", "problem", "likelihood", "reason"]].values.tolist() == [
        [action, problem, 1.0, "seen in interviews"]
    ]
    log = nistpf.open_store(store_path).log(1)
    assert set(log.loc[log["entity"] == "pram", "who"]) == {"lead assessor"}
    # The risk printed now is the engine's with that likelihood: it fell by (before - 1) × impact.
    plain = nistpf.pram(nistpf.load_inventory(source))
    impact = plain.problems.set_index(["data_action", "problem"]).loc[(action, problem), "impact"]
    code, out, _ = run(capsys, "pram", str(source), "--store", str(store_path))
    expected = plain.total - (before - 1) * impact
    assert f"system risk {int(expected)}" in out


def test_trace_of_a_broken_inventory_keeps_its_report_out_of_the_csv(capsys, tmp_path):
    broken = tmp_path / "broken.csv"
    broken.write_text("nothing,here\n1,2\n", encoding="utf-8")
    code, out, err = run(capsys, "trace", str(broken), "--format", "csv")
    assert code in (1, 2)
    assert out == ""
    assert err


def test_pram_workbook_must_be_named_xlsx(capsys, sample, tmp_path):
    code, _, err = run(capsys, "pram", sample, "-o", str(tmp_path / "pram.csv"))
    assert code == 2
    assert "name it .xlsx" in err
    assert not (tmp_path / "pram.csv").exists()


def test_controls_cleared_in_the_workbook_are_cleared_in_the_store(capsys, tmp_path):
    import shutil

    import openpyxl

    source = tmp_path / "inventory.xlsx"
    shutil.copy(nistpf.sample_path(), source)
    store_path = tmp_path / "engagement.nistpf"
    store = nistpf.open_store(store_path)
    run_number = store.new_assessment("Baseline", nistpf.load_inventory(source))
    first = nistpf.pram(nistpf.load_inventory(source)).problems.iloc[0]
    key = (first["data_action"], first["problem"])
    store.set_pram_edit(run_number, *key, selected_controls="CTL-OLD", rationale="old")
    workbook = tmp_path / "pram.xlsx"
    assert run(capsys, "pram", str(source), "--store", str(store_path), "-o", str(workbook))[0] == 0
    book = openpyxl.load_workbook(workbook)
    controls = book["Selected Controls"]
    row = next(
        r for r in range(1, controls.max_row + 1)
        if (controls.cell(r, 5).value, controls.cell(r, 2).value) == key
    )  # fmt: skip
    controls.cell(row, 3).value = None  # the consultant clears the controls, keeps the rationale
    book.save(workbook)
    code, _, err = run(
        capsys, "pram", str(source), "--store", str(store_path), "--read-edits", str(workbook)
    )
    assert code == 0, err
    saved = nistpf.open_store(store_path).pram_edits(run_number).iloc[0]
    assert (saved["selected_controls"], saved["rationale"]) == ("", "old")


def test_trace_of_every_category_keeps_each_categorys_paths_apart(capsys, sample):
    # Paths are named per category: P1 of user.name is not P1 of user.contact.email.
    code, out, err = run(capsys, "trace", sample, "--format", "csv")
    assert code == 0, err
    rows = list(csv.DictReader(io.StringIO(out)))
    t = nistpf.trace(nistpf.load_inventory(sample))
    assert len(rows) == len(t.hops)
    ending = {(p.category, p.path): p.ending for p in t.paths.itertuples()}
    assert all(r["ending"] == ending[(r["category"], r["path"])] for r in rows)
    code, out, _ = run(capsys, "trace", sample)
    first = t.paths.iloc[0]
    flows = [
        h.flow_id for h in t.hops.itertuples() if (h.category, h.path) == (first.category, "P1")
    ]
    line = next(x for x in out.splitlines() if x.startswith("  P1: "))
    assert [part.split()[1].lstrip("(") for part in line.split(" — ")[0].split(" → ")[1:]] == flows
