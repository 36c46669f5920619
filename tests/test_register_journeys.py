"""The gap register's Data journeys and Privacy risk (PRAM) sheets, read back with openpyxl and
held to journeys and risks worked out by hand from the sample's DataFlows and Systems sheets and
the PRAM rules (nistpf/data/pram_rules.csv, pram_impact.csv)."""

from __future__ import annotations

import csv
from importlib import resources
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

import nistpf
from nistpf.export.excel import write_gap_register
from tests import conftest

CARD = "user.financial.credit_card"
SAMPLE = Path(__file__).resolve().parents[1] / "data" / "cx-sample"
HOP_HEADERS = [
    "Data category",
    "Path",
    "Step",
    "Flow ID",
    "From",
    "To",
    "Stage",
    "Data action (NISTIR 8062)",
    "Purpose",
    "Encrypted in transit",
    "Minimization",
    "Consent basis",
    "Retention (days)",
    "Owner",
    "Findings",
    "Path ends",
]
# The flows of data/cx-sample/DataFlows.csv that carry user.financial.credit_card:
#   F-003 external:Customers -> PAY-01  collection
#   F-005 external:Customers -> CCS-01  collection
#   F-011 ECM-01 -> PAY-01              transfer
#   F-021 BPO-01 -> AIA-01 (an AI)      use
#   F-025 PAY-01 -> DWH-01              storage
#   F-030 CCS-01 -> BPO-01              sharing
#   F-033 CCS-01 -> CCS-01              disposal
# Entry points: the two flows from Customers, and F-011 (nothing brings card data to ECM-01).
# Following each onward, a path ends at a disposal, an external party or where nothing goes on:
CARD_PATHS = {
    # flows of the path: (hops as (flow, from, to, stage, NISTIR 8062 data action), where it ends)
    ("F-003", "F-025"): (
        [
            ("F-003", "Customers (external)", "PAY-01", "collection", "collection"),
            ("F-025", "PAY-01", "DWH-01", "storage", "retention"),
        ],
        "never disposed: rests in DWH-01",
    ),
    ("F-005", "F-030", "F-021"): (
        [
            ("F-005", "Customers (external)", "CCS-01", "collection", "collection"),
            ("F-030", "CCS-01", "BPO-01", "sharing", "disclosure"),
            ("F-021", "BPO-01", "AIA-01", "use", "use"),
        ],
        "never disposed: rests in AIA-01",
    ),
    ("F-005", "F-033"): (
        [
            ("F-005", "Customers (external)", "CCS-01", "collection", "collection"),
            ("F-033", "CCS-01", "CCS-01", "disposal", "disposal"),
        ],
        "disposed at CCS-01",
    ),
    ("F-011", "F-025"): (
        [
            ("F-011", "ECM-01", "PAY-01", "transfer", "transfer"),
            ("F-025", "PAY-01", "DWH-01", "storage", "retention"),
        ],
        "never disposed: rests in DWH-01",
    ),
}
# The sample's categories that sensitive_categories.csv calls sensitive (financial, location,
# children's, biometric, health data), as the DataFlows sheet writes them.
SENSITIVE = {
    CARD,
    "user.location.precise",
    "user.childrens",
    "user.biometric.voice",
    "user.health_and_medical",
    "user.financial.bank_account",
}


@pytest.fixture(scope="module")
def assessment() -> nistpf.Assessment:
    return nistpf.assess(nistpf.load_inventory(nistpf.sample_path()))


@pytest.fixture(scope="module")
def book(assessment, tmp_path_factory):
    path = tmp_path_factory.mktemp("register") / "register.xlsx"
    write_gap_register(assessment, path)
    return openpyxl.load_workbook(path)


def sample_flows() -> dict[str, dict[str, str]]:
    with (SAMPLE / "DataFlows.csv").open(encoding="utf-8", newline="") as handle:
        return {row["flow_id"]: row for row in csv.DictReader(handle)}


def blocks(worksheet) -> dict[str, list[dict]]:
    """The sheet's tables by title (the first, headed on row 1, as ``table``): rows as dicts."""
    rows = list(worksheet.iter_rows(values_only=True))
    found: dict[str, list[dict]] = {}
    title, header, current = "table", list(rows[0]), []
    found[title] = current
    for row in rows[1:]:
        cells = [c for c in row if c is not None]
        if not cells:
            title, header = None, None
            continue
        if title is None:
            title, header, current = cells[0], None, []
            found[title] = current
            continue
        if header is None and title != "About these journeys" and title != "NIST PRAM":
            header = list(row)
            continue
        current.append(dict(zip(header, row, strict=False)) if header else {"text": cells[0]})
    return found


# -- Data journeys -----------------------------------------------------------------------------


def test_the_journeys_sheet_is_a_frozen_filtered_table_after_data_flows(book):
    sheet = book["Data journeys"]
    names = book.sheetnames
    assert names.index("Data journeys") == names.index("Data Flows") + 1
    assert names.index("Privacy risk (PRAM)") == names.index("Data journeys") + 1
    assert [c.value for c in sheet[1]][: len(HOP_HEADERS)] == HOP_HEADERS
    assert sheet.freeze_panes == "C2"
    hops = blocks(sheet)["table"]
    assert sheet.auto_filter.ref == f"A1:P{1 + len(hops)}"


def test_the_credit_card_paths_are_those_worked_out_by_hand(book):
    hops = [r for r in blocks(book["Data journeys"])["table"] if r["Data category"] == CARD]
    by_path: dict[str, list[dict]] = {}
    for row in hops:
        by_path.setdefault(row["Path"], []).append(row)
    found = {}
    for rows in by_path.values():
        rows.sort(key=lambda r: r["Step"])
        assert [r["Step"] for r in rows] == list(range(1, len(rows) + 1))
        assert len({r["Path ends"] for r in rows}) == 1  # every hop says where its path ends
        found[tuple(r["Flow ID"] for r in rows)] = (
            [
                (r["Flow ID"], r["From"], r["To"], r["Stage"], r["Data action (NISTIR 8062)"])
                for r in rows
            ],
            rows[0]["Path ends"],
        )
    assert found == CARD_PATHS


def test_each_hop_carries_its_flows_protections_basis_retention_owner_and_findings(
    book, assessment
):
    flows = sample_flows()
    findings: dict[str, list[str]] = {}
    for flow, finding in zip(
        assessment.findings["flow_id"], assessment.findings["finding_id"], strict=True
    ):
        findings.setdefault(flow, []).append(finding)
    hops = [r for r in blocks(book["Data journeys"])["table"] if r["Data category"] == CARD]
    assert len(hops) == sum(len(h) for h, _ in CARD_PATHS.values())
    for row in hops:
        flow = flows[row["Flow ID"]]
        assert row["Purpose"] == flow["purpose"]
        assert row["Encrypted in transit"] == flow["encrypted_in_transit"]
        assert row["Minimization"] == flow["minimization"]
        assert row["Consent basis"] == flow["consent_basis"]
        assert row["Retention (days)"] == (
            int(flow["retention_days"]) if flow["retention_days"] else None
        )
        assert row["Owner"] == flow["owner"]
        assert row["Findings"] == ("; ".join(findings.get(row["Flow ID"], [])) or None)
    # F-030 is the one unencrypted card flow, and has findings.
    shared = [r for r in hops if r["Flow ID"] == "F-030"]
    assert shared
    assert all(r["Encrypted in transit"] == "no" and r["Findings"] for r in shared)


def test_only_the_sensitive_categories_are_traced(book):
    shown = {r["Data category"] for r in blocks(book["Data journeys"])["table"]}
    assert shown == SENSITIVE


def test_the_credit_card_gaps_are_those_worked_out_by_hand(book):
    gaps = [r for r in blocks(book["Data journeys"])["Gaps"] if r["Data category"] == CARD]
    paths = {
        r["Path"]: tuple(
            x["Flow ID"]
            for x in sorted(
                (  # a path is named within its category
                    h
                    for h in blocks(book["Data journeys"])["table"]
                    if (h["Data category"], h["Path"]) == (CARD, r["Path"])
                ),
                key=lambda h: h["Step"],
            )
        )
        for r in gaps
        if r["Path"]
    }
    found = sorted((r["Gap"], paths.get(r["Path"], ()), r["Flow ID"], r["System"]) for r in gaps)
    # Three paths end where no disposal is recorded; F-021 takes card data into the AI system
    # AIA-01. Every card flow has an owner, none goes to an external party, and F-021 uses it.
    assert found == sorted(
        [
            ("never disposed", ("F-003", "F-025"), "F-025", "DWH-01"),
            ("never disposed", ("F-005", "F-030", "F-021"), "F-021", "AIA-01"),
            ("never disposed", ("F-011", "F-025"), "F-025", "DWH-01"),
            ("AI system", (), "F-021", "AIA-01"),
        ]
    )
    assert all(r["What is missing"] for r in gaps)


def test_a_flow_without_an_owner_and_data_leaving_the_company_are_gaps(book):
    gaps = blocks(book["Data journeys"])["Gaps"]
    # F-019 (TKT-01 -> XLS-01, health data) names no owner; F-035 takes bank account data to
    # Cinderbox Secure Destruction, an external party (a disposal there).
    assert ("user.health_and_medical", "no owner", "F-019") in {
        (r["Data category"], r["Gap"], r["Flow ID"]) for r in gaps
    }
    assert ("user.financial.bank_account", "external party", "F-035") not in {
        (r["Data category"], r["Gap"], r["Flow ID"]) for r in gaps
    }  # disposed of there: the path ends "disposed", which is no gap


def test_the_diagram_is_in_the_register_when_graphviz_is_installed(book):
    conftest.dot("to draw the data-flow diagram in the register")
    sheet = book["Data journeys"]
    assert len(sheet._images) == 1
    notes = [r["text"] for r in blocks(sheet)["About these journeys"]]
    assert any("diagram" in n and "below" in n for n in notes)
    image = sheet._images[0]
    last = sheet.max_row
    assert image.anchor._from.row >= last  # below the notes (0-based row)


def test_the_diagram_prints_on_one_landscape_page(assessment, tmp_path):
    conftest.dot("to draw the data-flow diagram in the register")
    import re
    import zipfile

    path = write_gap_register(assessment, tmp_path / "register.xlsx")
    sheet = openpyxl.load_workbook(path)["Data journeys"]
    assert sheet.page_setup.orientation == "landscape"
    margins = sheet.page_margins
    # Letter landscape is the narrower page (11 in), A4 landscape the shorter (8.27 in)
    page_width = (11 - margins.left - margins.right) * 72
    page_height = (8.27 - margins.top - margins.bottom) * 72
    with zipfile.ZipFile(path) as archive:
        drawings = [n for n in archive.namelist() if re.match(r"xl/drawings/drawing\d+", n)]
        xml = [archive.read(n).decode("utf-8") for n in drawings]
    pictures = [x for x in xml if re.search(r"<(xdr:)?pic>", x)]  # the Summary's are charts
    assert len(pictures) == 1
    found = re.search(r'<(?:xdr:)?ext cx="(\d+)" cy="(\d+)"', pictures[0])
    cx, cy = (int(v) for v in found.groups())
    width, height = cx / 12700, cy / 12700  # EMU to points
    assert width <= page_width
    assert height <= page_height
    # and within the columns that print on its page even at 100 %: their widths in Excel's
    # points (5.25 a character), those that fit the page's width as LibreOffice lays them out
    # (5.58 a character)
    used = 0.0
    for letter in "ABCDEFGHIJKLMNOP":
        chars = sheet.column_dimensions[letter].width
        if (used + chars) * 5.58 > page_width:
            break
        used += chars
    assert width <= used * 5.25
    # it starts a printed page: a row break right above its anchor row
    anchor = sheet._images[0].anchor._from.row  # 0-based: the row number above it
    assert anchor in [b.id for b in sheet.row_breaks.brk]
    # a picture of this size is not the full diagram of 2,306 pixels shrunk: it is legible
    assert width >= 400


def test_without_graphviz_the_register_says_the_diagram_is_missing(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))  # no dot on it
    a = nistpf.assess(nistpf.load_inventory(nistpf.sample_path()))
    path = write_gap_register(a, tmp_path / "register.xlsx")
    sheet = openpyxl.load_workbook(path)["Data journeys"]
    assert not sheet._images
    notes = [r["text"] for r in blocks(sheet)["About these journeys"]]
    assert sum("The data-flow diagram is not part of this edition" in n for n in notes) == 1
    # a client's register carries no install instructions (the console prints them)
    cells = [str(c.value) for row in sheet.iter_rows() for c in row if c.value is not None]
    for word in ("Graphviz", "install", "apt-get", "brew install", "winget"):
        assert not [c for c in cells if word.casefold() in c.casefold()], word


def test_inventory_text_on_the_journeys_sheet_is_never_a_formula(tmp_path):
    payload = '=HYPERLINK("http://x.example","card")'
    sheets = {
        "Systems": [["system_id", "name", "owner"], ["PAY", "Payments", "Ops"]],
        "Controls": [
            ["control_id", "name", "status", "subcategories", "applies_to"],
            ["C1", "TLS", "Implemented", "PR.DS-P2", "ALL"],
        ],
        "DataFlows": [
            ["flow_id", "source", "destination", "data_categories", "purpose", "stage", "owner"],
            ["F-1", "external:Customers", "PAY", CARD, payload, "collection", "@owner"],
        ],
    }
    frames = {k: pd.DataFrame(v[1:], columns=v[0]) for k, v in sheets.items()}
    a = nistpf.assess(nistpf.load_inventory(frames))
    path = write_gap_register(a, tmp_path / "register.xlsx")
    sheet = openpyxl.load_workbook(path)["Data journeys"]
    cells = {c.value: c for row in sheet.iter_rows() for c in row if c.value is not None}
    assert cells[payload].data_type == "s"
    assert cells["@owner"].data_type == "s"


# -- Privacy risk (PRAM) -----------------------------------------------------------------------


def _csv(name: str) -> list[dict[str, str]]:
    with (resources.files("nistpf") / "data" / name).open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def hand_pram_f030() -> dict[str, tuple[float, float]]:
    """NIST PRAM for F-030 (CCS-01 -> BPO-01, sharing, not encrypted, not minimised, consent
    basis, owner and retention recorded, third party yes; voice recordings (biometric) and card
    data; CCS-01 holds 1,900,000 records and BPO-01 650,000, both criticality High, both with
    channels), the rules applied by hand: problem -> (likelihood, impact)."""
    rules = {r["id"]: r for r in _csv("pram_rules.csv")}
    # P01 personal and unencrypted; P09 stigmatizing (biometric) and not minimised, not a
    # disposal; P18 financial and shared and not minimised. No other rule holds (the flow is
    # not to an AI, not tracking, has a basis, purpose, retention and owner, is no collection).
    likelihood: dict[str, float] = {}
    for rule in ("P01", "P09", "P18"):
        for problem in rules[rule]["problems"].split(";"):
            problem = problem.strip()
            likelihood[problem] = max(likelihood.get(problem, 0), float(rules[rule]["likelihood"]))
    impact_rows = _csv("pram_impact.csv")
    holds = {
        "personal",
        "sensitive",
        "shared",
        "records_100k",
        "records_1m",
        "critical",
        "financial",
        "customer_facing",
    }  # and not: no_consent_basis, children, no_owner, unknown_system
    result = {}
    for problem, chance in likelihood.items():
        factors = dict.fromkeys(
            ("noncompliance", "direct_business", "reputational", "internal_culture", "other"), 0
        )
        for row in impact_rows:
            named = [p.strip() for p in row["problems"].split(";") if p.strip()]
            if row["condition"] in holds and (not named or problem in named):
                factors[row["factor"]] += float(row["points"])
        factors = {k: min(max(v, 1), 10) for k, v in factors.items()}
        result[problem] = (chance, sum(factors.values()))
    return result


def test_the_hand_computation_is_the_one_worked_on_paper():
    # noncompliance 1+4+2 = 7; direct business 1+2+2+2 = 7 (+1 for Economic Loss);
    # reputational 1+2+2+2+1 = 8; internal culture 1; other 1.
    assert hand_pram_f030() == {
        "Economic Loss": (7, 25),
        "Dignity Loss": (7, 24),
        "Loss of Trust": (7, 24),
        "Discrimination": (6, 24),
    }


def test_the_pram_sheet_ranks_data_actions_by_risk_as_worked_by_hand(book):
    sheet = book["Privacy risk (PRAM)"]
    assert sheet.freeze_panes == "C2"
    tables = blocks(sheet)
    actions = tables["table"]
    assert sheet.auto_filter.ref == f"A1:K{1 + len(actions)}"
    assert len(actions) == len(sample_flows())  # one data action per flow
    risks = [r["Risk"] for r in actions]
    assert risks == sorted(risks, reverse=True)
    total = sum(risks)
    for row in actions:  # Excel's RANK(risk, all, 0); the share of the system risk
        assert row["Rank"] == 1 + sum(r > row["Risk"] for r in risks)
        assert row["Percent of system risk"] == pytest.approx(row["Risk"] / total)
    hand = hand_pram_f030()
    risk = sum(chance * impact for chance, impact in hand.values())
    assert risk == 7 * 25 + 7 * 24 + 7 * 24 + 6 * 24 == 655
    f030 = next(r for r in actions if r["Data action"] == "F-030:disclosure")
    assert f030["Risk"] == risk
    assert f030["Rank"] == 2  # only F-019:transfer is higher, at the top
    assert actions[0]["Data action"] == "F-019:transfer"
    assert actions[0]["Risk"] > risk
    assert f030["Top outlier"] == "yes"
    lines = f030["Problems for individuals (likelihood × impact = risk)"].split("\n")
    assert sorted(lines) == sorted(f"{p} {c:g} × {i:g} = {c * i:g}" for p, (c, i) in hand.items())


def test_the_top_outliers_are_the_five_highest_risks_ties_included(book):
    tables = blocks(book["Privacy risk (PRAM)"])
    outliers = tables["Top outliers"]
    hand = hand_pram_f030()
    shown = {
        (r["Problem for individuals"], r["Likelihood"], r["Impact"], r["Risk"])
        for r in outliers
        if r["Data action"] == "F-030:disclosure"
    }
    # F-030's 175, 168 and 168 are among the five highest; its Discrimination (144) is not,
    # since F-019:transfer has four problems at 156.
    assert shown == {(p, c, i, c * i) for p, (c, i) in hand.items() if p != "Discrimination"}
    risks = [r["Risk"] for r in outliers]
    assert risks == sorted(risks, reverse=True)
    assert len(risks) >= 5
    assert all(r >= risks[4] for r in risks)
    assert risks[-1] == risks[4]
    assert [r["Rank"] for r in outliers] == [1 + sum(x > r for x in risks) for r in risks]
    notes = " ".join(r["text"] for r in tables["NIST PRAM"])
    assert "nistpf pram" in notes


def test_the_summary_names_the_journeys_and_the_system_risk(book):
    fields = {r[0]: r[1] for r in book["Summary"].iter_rows(values_only=True) if r[0] and r[1]}
    hops = blocks(book["Data journeys"])["table"]
    paths = {(r["Data category"], r["Path"]): r["Path ends"] for r in hops}
    disposed = sum(e.startswith("disposed") for e in paths.values())
    kept = sum(e.startswith("never disposed") for e in paths.values())
    gaps = blocks(book["Data journeys"])["Gaps"]
    assert fields["Data journeys"] == (
        f"6 sensitive data categories, {len(paths)} paths ({disposed} disposed, {kept} never "
        f"disposed), {len(gaps)} gaps (see the Data journeys sheet)"
    )
    actions = blocks(book["Privacy risk (PRAM)"])["table"]
    total = sum(r["Risk"] for r in actions)
    share = round(100 * actions[0]["Risk"] / total)
    assert fields["Privacy risk (PRAM)"] == (
        f"NIST PRAM system risk {total:g} over {len(actions)} data actions; the riskiest, "
        f"{actions[0]['Data action']}, carries {share}% of it (see the Privacy risk (PRAM) sheet)"
    )


def test_the_flow_sheets_print_landscape_fitted_with_their_header(book):
    for name in ("Data journeys", "Privacy risk (PRAM)"):
        sheet = book[name]
        setup = sheet.page_setup
        assert setup.orientation == "landscape", name
        assert sheet.sheet_properties.pageSetUpPr.fitToPage, name
        # fitted to the width (as many pages across as keep text at 8.5 pt, like the other
        # table sheets), as many pages down as the rows take
        assert setup.fitToWidth >= 1, name
        assert setup.fitToHeight == 0, name
        assert sheet.print_title_rows == "$1:$1", name  # the header row on every page


def test_the_pram_note_gives_the_likelihood_scale_as_everywhere(book):
    notes = " ".join(r["text"] for r in blocks(book["Privacy risk (PRAM)"])["NIST PRAM"])
    # NIST PRAM worksheet 3 scores 1-10; nistpf (and NIST, for a summary issue that
    # alleviates the concern) takes 0 as well
    assert "likelihood (0–10; 0: the concern does not arise; NIST's scale is 1–10)" in notes
    assert "likelihood (1–10)" not in notes
