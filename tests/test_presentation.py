"""Numbers presented the way a careful consultant presents them: one rule for naming a level
between two levels, "no evidence" told apart from "not performed", one ranking of the gaps in
every output, and explanations that name a capped rating. Expected values are worked out by
hand in the comments."""

from __future__ import annotations

import math
import re
import shutil

import openpyxl
import pandas as pd
import pytest

import nistpf
from nistpf.cli import main
from nistpf.export.report import build_report_html, key_messages
from nistpf.scales import scale
from nistpf.text import assessment_summary
from tests.inventory_files import THREE_SYSTEMS, healthy_flow, small_inventory

SYSTEMS = THREE_SYSTEMS.drop(columns="data_categories")

# -- the label rule ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "label"),
    [
        (0, "Not performed"),
        (3, "Repeatable"),
        (3.0, "Repeatable"),
        (2.92, "between Risk informed and Repeatable"),
        (0.99, "between Not performed and Partial"),
        (1.4479, "between Partial and Risk informed"),
        (2.996, "Repeatable"),  # shown as 3.00, so it is the whole level
        (2.994, "between Risk informed and Repeatable"),  # shown as 2.99
        (4.0, "Adaptive"),
        (5.2, "Adaptive"),  # beyond the top: the top level's name
        (-1, "Not performed"),
        (math.nan, ""),
    ],
)
def test_a_level_between_two_levels_is_named_as_the_band(value, label):
    assert scale("tiers").label(value) == label


def test_the_label_rule_holds_on_other_scales():
    assert scale("cmmi").label(4.5) == "between Quantitatively managed and Optimizing"
    assert scale("implementation").label(2) == "Partially implemented"


@pytest.fixture(scope="module")
def sample() -> nistpf.Assessment:
    return nistpf.assess(nistpf.load_inventory(nistpf.sample_path()))


def test_every_output_names_the_overall_level_by_the_same_rule(sample, tmp_path_factory):
    from nistpf.export import charts
    from nistpf.export.deck import tell

    current = sample.overall.current
    # The sample's overall current lies between 1 and 2 (see test_scoring's sample figures);
    # whatever its exact value, the name is the band, never "Partial" alone.
    assert 1 < round(current, 2) < 2
    shown = f"{current:.2f} (between Partial and Risk informed)"
    assert f"current {shown}" in assessment_summary(sample)
    assert f"overall current {shown}" in charts.radar(sample).layout.title.subtitle.text
    assert tell(sample).titles[1].startswith(f"Privacy outcomes average {shown}")
    assert tell(sample).overall_label == "between Partial and Risk informed"
    assert "between Partial and Risk informed" in build_report_html(sample)


def test_the_method_states_the_label_rule(sample, tmp_path):
    from nistpf.export.deck import method_notes
    from nistpf.export.excel import write_gap_register

    path = write_gap_register(sample, tmp_path / "register.xlsx")
    method = openpyxl.load_workbook(path, read_only=True)["Method"]
    text = " ".join(str(c) for row in method.iter_rows(values_only=True) for c in row if c)
    assert "between Risk informed and Repeatable" in text
    assert "between Risk informed and Repeatable" in build_report_html(sample)
    assert any("between Risk informed and Repeatable" in t for _, t in method_notes(sample))


# -- no evidence ---------------------------------------------------------------------------------


def evidence_inventory() -> nistpf.Inventory:
    """Three outcomes with evidence, by hand:

    - PR.DS-P2: an Implemented control on every system → level 3 everywhere, current 3;
    - PR.AC-P1: a Planned control on the chatbot → level 0 (evidence that it is not done);
    - CT.DM-P1: rated 2 for the organisation;

    and none for the other 97: GV.PO-P1's only control is Not applicable, and ID.IM-P1 is
    rated only on a system that is out of scope."""
    systems = SYSTEMS.assign(in_scope=["yes", "yes", "no"])  # BOT out of scope
    systems = pd.concat(
        [
            systems,
            pd.DataFrame(
                {
                    "system_id": ["BOT2"],
                    "name": ["Voice bot"],
                    "type": ["Chatbot"],
                    "criticality": ["Low"],
                    "in_scope": ["yes"],
                }
            ),
        ],
        ignore_index=True,
    )
    responses = pd.DataFrame(
        {
            "subcategory": ["CT.DM-P1", "ID.IM-P1"],
            "system": ["", "BOT"],
            "current": [2, 3],
        }
    )
    return small_inventory(
        [
            ["C1", "TLS", "Implemented", None, "PR.DS-P2", "ALL"],
            ["C2", "Bot accounts", "Planned", None, "PR.AC-P1", "type:Chatbot"],
            ["C3", "Policy", "Not applicable", None, "GV.PO-P1", "ALL"],
        ],
        systems=systems,
        Responses=responses,
    )


def test_outcomes_with_no_control_and_no_rating_have_their_own_source():
    a = nistpf.assess(evidence_inventory())
    subs = a.subcategories.set_index("subcategory")
    assert subs.loc["PR.DS-P2", "source"] == "derived"
    assert subs.loc["PR.AC-P1", "source"] == "derived"
    assert subs.loc["CT.DM-P1", "source"] == "assessor"
    assert subs.loc["GV.PO-P1", "source"] == "no evidence"
    assert subs.loc["ID.IM-P1", "source"] == "no evidence"
    assert (subs["source"] == "no evidence").sum() == 97
    assert tuple(a.completeness) == (3, 100, False)
    assert str(a.completeness) == "3 of 100 outcomes have evidence"
    assert a.completeness.sentence == (
        "3 of 100 outcomes have evidence; the 97 without score 0 in the roll-ups"
    )
    assert len(a.no_evidence) == 97
    assert "PR.DS-P2" not in set(a.no_evidence["subcategory"])
    assert "no evidence" in str(a.explain("GV.PO-P1"))


def test_by_default_outcomes_without_evidence_count_as_zero():
    a = nistpf.assess(evidence_inventory())
    # Systems in scope CRM (3), CDP (2), BOT2 (1); PR.DS-P2 3 everywhere; PR.AC-P1 0 (the
    # planned control on BOT2); CT.DM-P1 2. The other 97 score 0: (3 + 0 + 2) / 100.
    assert a.overall.current == pytest.approx(5 / 100)


def test_the_exclusion_setting_leaves_them_out_of_every_roll_up():
    a = nistpf.assess(evidence_inventory(), defaults={"no_evidence": "exclude"})
    assert a.overall.current == pytest.approx((3 + 0 + 2) / 3)
    assert a.overall.target == pytest.approx(3)
    functions = a.functions.set_index("function")
    # PR-P holds PR.DS-P2 (3) and PR.AC-P1 (0); CT-P holds CT.DM-P1 (2); no other Function
    # has evidence, so none has a roll-up.
    assert functions["current"].to_dict() == pytest.approx({"PR-P": 1.5, "CT-P": 2.0})
    systems = a.systems.set_index(["system", "function"])["level"]
    # CRM in PR-P: PR.DS-P2 3, PR.AC-P1 0 (the control is on chatbots only) → 1.5.
    assert systems[("CRM", "PR-P")] == pytest.approx(1.5)
    assert systems[("BOT2", "PR-P")] == pytest.approx(1.5)
    assert a.completeness.sentence == (
        "3 of 100 outcomes have evidence; the 97 without are left out of the roll-ups"
    )
    # Rows keep their own figures.
    assert a.subcategories.set_index("subcategory").loc["GV.PO-P1", "gap"] == 3


def test_an_unknown_exclusion_setting_is_refused():
    with pytest.raises(ValueError, match="no_evidence must be one of zero, exclude"):
        nistpf.assess(evidence_inventory(), defaults={"no_evidence": "skip"})


def test_the_evidence_count_appears_wherever_the_overall_score_does(sample, tmp_path):
    from nistpf.export import charts
    from nistpf.export.deck import tell
    from nistpf.export.excel import write_gap_register

    subs = sample.subcategories
    in_profile = subs[subs["in_profile"]]
    evidenced = int((in_profile["source"] != "no evidence").sum())
    sentence = f"{evidenced} of {len(in_profile)} outcomes have evidence"
    assert evidenced < len(in_profile)  # the sample has outcomes nothing speaks to
    assert f"Evidence: {sentence}" in assessment_summary(sample)
    assert sentence in charts.radar(sample).layout.title.subtitle.text
    assert tell(sample).evidence.startswith(sentence)
    html = build_report_html(sample)
    assert f"{evidenced} of {len(in_profile)}</span>" in html
    path = write_gap_register(sample, tmp_path / "register.xlsx")
    summary = openpyxl.load_workbook(path, read_only=True)["Summary"]
    cells = [str(c) for row in summary.iter_rows(values_only=True) for c in row if c]
    assert any(c.startswith(sentence) for c in cells)


def test_the_cli_offers_the_exclusion_setting(tmp_path, capsys):
    source = shutil.copy(nistpf.sample_path(), tmp_path / "client.xlsx")
    assert main(["assess", str(source), "--no-evidence", "exclude"]) == 0
    lines = capsys.readouterr().out.splitlines()
    excluded = nistpf.assess(nistpf.load_inventory(source), defaults={"no_evidence": "exclude"})
    profiled = excluded.subcategories[excluded.subcategories["in_profile"]]
    evidenced = int((profiled["source"] != "no evidence").sum())
    assert 0 < evidenced < len(profiled)
    assert (
        f"Evidence: {evidenced} of {len(profiled)} outcomes have evidence; the "
        f"{len(profiled) - evidenced} without are left out of the roll-ups"
    ) in lines
    zero = nistpf.assess(nistpf.load_inventory(source))
    assert excluded.overall.current != zero.overall.current  # the setting changes the score
    o = excluded.overall
    assert lines[0] == (
        f"Overall: current {o.current:.2f} ({excluded.scale.label(o.current)}), target "
        f"{o.target:.2f}, gap {o.gap:.2f}, coverage {o.coverage:.0%}"
    )


# -- one ranking, one tie-break ------------------------------------------------------------------


def ranking_inventory(profile: pd.DataFrame | None) -> nistpf.Inventory:
    """PR.DS-P2 meets its target (an Implemented control everywhere: 3); every other outcome
    has no control (current 0)."""
    return small_inventory(
        [["C1", "TLS", "Implemented", None, "PR.DS-P2", "ALL"]], systems=SYSTEMS, Profile=profile
    )


@pytest.fixture(scope="module")
def ranked() -> nistpf.Assessment:
    # GV.PO-P1: High, gap 3 → 9 gap points, alone at the top. ID.IM-P1: High with target 2 →
    # gap 2 × 3 = 6 points, the same points as every Moderate outcome (gap 3 × 2 = 6) but a
    # smaller gap, so it comes after all 97 of them. The 97 tie on points and gap and keep the
    # framework's order.
    profile = pd.DataFrame(
        {"pf_id": ["GV.PO-P1", "ID.IM-P1"], "target": [None, 2], "priority": ["High", "High"]}
    )
    return nistpf.assess(ranking_inventory(profile))


def expected_order(a: nistpf.Assessment) -> list[str]:
    framework = list(a.framework.subcategories["id"])
    middle = [s for s in framework if s not in {"PR.DS-P2", "GV.PO-P1", "ID.IM-P1"}]
    return ["GV.PO-P1", *middle, "ID.IM-P1"]


def test_the_ranking_breaks_ties_by_gap_then_framework_order(ranked):
    order = expected_order(ranked)
    assert order[1:6] == ["ID.IM-P2", "ID.IM-P3", "ID.IM-P4", "ID.IM-P5", "ID.IM-P6"]
    table = ranked.ranked_gaps()
    assert list(table["subcategory"]) == order
    assert list(table["rank"][:3]) == [1, 2, 2]
    assert table["rank"].iloc[-1] == 99


def test_cli_register_report_and_deck_list_the_gaps_in_that_order(ranked, tmp_path):
    from pptx import Presentation

    from nistpf.export.deck import write_deck
    from nistpf.export.excel import write_gap_register

    order = expected_order(ranked)
    # CLI: the five largest.
    summary = assessment_summary(ranked)
    listed = summary.split("top 5:")[1].split("Data-flow findings")[0]
    ids = [line.split()[0] for line in listed.splitlines() if line.strip()]
    assert [i for i in ids if re.fullmatch(r"[A-Z]{2}\.[A-Z]{2}-P\d+", i)] == order[:5]
    # Register: every row.
    path = write_gap_register(ranked, tmp_path / "register.xlsx")
    sheet = openpyxl.load_workbook(path, read_only=True)["Gap Register"]
    rows = list(sheet.iter_rows(values_only=True))
    column = rows[0].index("Subcategory")
    assert [r[column] for r in rows[1:] if r[column]] == order
    # Report: the top-ten table.
    html = build_report_html(ranked)
    table = html.split('id="gaps-table"')[1].split("</table>")[0]
    shown = [part.split('"')[0] for part in table.split('data-id="')[1:]]
    assert shown == order[:10]
    # Deck: the top-gaps table (first column holds the ID).
    deck = Presentation(str(write_deck(ranked, tmp_path / "deck.pptx")))
    tables = [
        s.table
        for slide in deck.slides
        for s in slide.shapes
        if s.name == "top-gaps-table" and s.has_table
    ]
    assert len(tables) == 1
    ids = [row.cells[0].text.split()[0] for row in list(tables[0].rows)[1:]]
    assert ids == order[:10]


def test_no_title_singles_out_one_of_several_tied_outcomes():
    from nistpf.export import charts
    from nistpf.export.deck import tell

    # No profile: all 99 outcomes below target tie at 3 levels × Moderate 2 = 6 gap points.
    a = nistpf.assess(ranking_inventory(None))
    assert set(a.ranked_gaps()["rank"]) == {1}
    title = charts.top_gaps(a).layout.title.text
    assert title == (
        "99 outcomes share the largest gap: 6.00 gap points each, 3.00 levels below target"
    )
    assert key_messages(a)[2] == (
        "99 outcomes share the largest gap: 6.00 gap points each; 99 Subcategories below "
        "target in all."
    )
    deck_title = tell(a).titles[4]
    assert deck_title.endswith("; 99 outcomes tie for the largest (6.00 gap points)")
    assert "led by" not in deck_title
    assert "The largest gap is" not in " ".join(key_messages(a))
    summary = assessment_summary(a)
    assert "(99 outcomes share the largest gap; the first 5 in the framework's order)" in summary


def test_a_single_leader_is_named(ranked):
    from nistpf.export import charts

    assert charts.top_gaps(ranked).layout.title.text.startswith("GV.PO-P1 has the largest gap")
    assert key_messages(ranked)[2].startswith("The largest gap is GV.PO-P1 (High priority)")


# -- explain names a capped rating ---------------------------------------------------------------


def test_explain_names_an_assessor_rating_that_a_finding_capped():
    # CRM is rated 3 for PR.DS-P2; flow F-14 from CRM to CDP is unencrypted, so rule R01 caps
    # PR.DS-P2 at 1 on both systems it touches.
    inventory = small_inventory(
        [["C1", "TLS", "Implemented", None, "PR.DS-P2", "ALL"]],
        [healthy_flow("F-14", "CRM", "CDP", encrypted_in_transit="no")],
        systems=SYSTEMS,
        Responses=pd.DataFrame({"subcategory": ["PR.DS-P2"], "system": ["CRM"], "current": [3]}),
    )
    a = nistpf.assess(inventory)
    levels = a.levels.set_index(["subcategory", "system"])
    assert levels.loc[("PR.DS-P2", "CRM"), "level"] == 1
    text = str(a.explain("PR.DS-P2"))
    assert "CRM: rated 3 by the assessor, capped at 1 by R01:F-14" in text
    assert "CDP: level 3 from C1, capped at 1 by R01:F-14" in text


def test_excluding_everything_without_evidence_still_writes_every_output(tmp_path):
    from nistpf.export import charts
    from nistpf.export.deck import tell
    from nistpf.export.excel import write_gap_register
    from nistpf.export.report import write_report

    # Evidence for two outcomes only (ID.IM-P1, GV.PO-P1, both met at level 3): excluded, the
    # other 98 leave PR-P, CT-P and CM-P with no roll-up at all.
    a = nistpf.assess(
        small_inventory(
            [
                ["C1", "Register", "Implemented", None, "ID.IM-P1", "ALL"],
                ["C2", "Policy", "Implemented", None, "GV.PO-P1", "ALL"],
            ],
            systems=SYSTEMS,
        ),
        defaults={"no_evidence": "exclude"},
    )
    assert list(a.functions["function"]) == ["ID-P", "GV-P"]
    assert a.ranked_gaps().empty  # outcomes without evidence are not ranked either
    for chart in (charts.radar, charts.heatmap, charts.sunburst, charts.coverage):
        assert chart(a).layout.title.text
    assert charts.sunburst(a).layout.title.text == (
        "0 of 2 scored Subcategories in the profile are below target"
    )
    assert key_messages(a)[2] == (
        "Every outcome with evidence meets its target; 98 have no evidence and are not scored."
    )
    write_report(a, tmp_path / "report.html")
    write_gap_register(a, tmp_path / "register.xlsx")
    assert tell(a).titles[1].startswith("Privacy outcomes average 3.00 (Repeatable)")
    none = nistpf.assess(small_inventory([], systems=SYSTEMS), defaults={"no_evidence": "exclude"})
    assert charts.radar(none).layout.title.text == (
        "No outcome in the Target Profile has evidence yet, so none is scored"
    )
    assert tell(none).titles[1] == "No outcome is scored yet: 0 of 100 outcomes have evidence"
    assert "Overall: not scored" in assessment_summary(none)
    write_report(none, tmp_path / "none.html")


def test_functions_tied_for_the_widest_gap_are_all_named():
    from nistpf.export import charts
    from nistpf.export.deck import tell

    # Every Function but two has controls at level 3 on all systems; CT-P and CM-P have none:
    # both are 3 levels below the default target of 3, a tie.
    others = [s for s in nistpf.framework().subcategories["id"] if not s.startswith(("CT.", "CM."))]
    a = nistpf.assess(
        small_inventory(
            [["C1", "All of it", "Implemented", None, "; ".join(others), "ALL"]], systems=SYSTEMS
        )
    )
    gaps = a.functions.set_index("function")["gap"]
    assert gaps["CT-P"] == gaps["CM-P"] == 3
    assert charts.radar(a).layout.title.text == (
        "Control-P and Communicate-P are each 3.00 levels below target"
    )
    assert key_messages(a)[0] == (
        "Control-P and Communicate-P are furthest from target, each a gap of 3.00 levels."
    )
    assert tell(a).titles[2].startswith("Control-P and Communicate-P are each 3.00 levels")
