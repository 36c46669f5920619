"""The engagement store: every change saved as made, logged, restored on reopening, and never
lost when two processes write at once."""

from __future__ import annotations

import datetime as dt
import json
import multiprocessing
import sqlite3

import pandas as pd
import pytest

import nistpf
from nistpf.store import Store, StoreError, open_store


@pytest.fixture(scope="module")
def sample():
    return nistpf.load_inventory(nistpf.sample_path())


@pytest.fixture
def store(tmp_path):
    return open_store(tmp_path / "engagement.nistpf")


def test_a_rating_is_saved_as_made_and_restored_on_reopening(store, sample, tmp_path):
    run = store.new_assessment("Baseline 2026", sample, date="2026-03-01", who="lead")
    store.set_rating(
        run,
        "pr.ds-p2",
        current=2,
        evidence="TLS scan",
        method="test",
        who="lead",
        note="scan 3 March",
    )
    store.set_rating(run, "PR.DS-P2", system="CRM-01", current=3, who="lead")
    reopened = open_store(tmp_path / "engagement.nistpf")
    ratings = reopened.ratings(run)
    assert ratings[
        ["subcategory", "system", "current", "evidence", "method", "assessor"]
    ].values.tolist() == [
        ["PR.DS-P2", "", 2.0, "TLS scan", "test", "lead"],
        ["PR.DS-P2", "CRM-01", 3.0, "", "", "lead"],
    ]
    record = reopened.assessment(run)
    assert (record["name"], record["date"], record["inventory_name"]) == (
        "Baseline 2026",
        "2026-03-01",
        "cx-sample.xlsx",
    )
    assert record["inventory_sha256"] == sample.sha256
    assert record["scale"] == "tiers"


def test_every_change_is_logged_with_old_and_new_values(store, sample):
    run = store.new_assessment("Baseline", sample, who="lead")
    store.set_rating(run, "PR.DS-P2", current=1, who="lead", note="first look")
    store.set_rating(run, "PR.DS-P2", current=2, who="second", note="after the interview")
    store.set_rating(run, "PR.DS-P2", current=2, who="second")  # the same again: nothing to log
    store.set_rating(run, "PR.DS-P2", current=None, who="lead", note="withdrawn")
    log = store.log(run)
    rows = log[log["field"] == "current"][["who", "key", "old", "new", "note"]].values.tolist()
    assert rows == [
        ["lead", '["PR.DS-P2", ""]', None, "1.0", "first look"],
        ["second", '["PR.DS-P2", ""]', "1.0", "2.0", "after the interview"],
        ["lead", '["PR.DS-P2", ""]', "2.0", None, "withdrawn"],
    ]
    assert log.iloc[0]["entity"] == "assessment"
    assert store.ratings(run).empty


def test_the_log_is_append_only_and_exportable(store, sample, tmp_path):
    run = store.new_assessment("Baseline", sample)
    store.set_tier(run, "Workforce", 3, evidence="Training records")
    with (
        sqlite3.connect(store.path) as db,
        pytest.raises(sqlite3.DatabaseError, match="append-only"),
    ):
        db.execute("UPDATE log SET who = 'someone else'")
    with (
        sqlite3.connect(store.path) as db,
        pytest.raises(sqlite3.DatabaseError, match="append-only"),
    ):
        db.execute("DELETE FROM log")
    exported = pd.read_csv(store.export_log(tmp_path / "log.csv"))
    assert list(exported.columns) == [
        "seq",
        "at",
        "who",
        "assessment",
        "entity",
        "key",
        "field",
        "old",
        "new",
        "note",
    ]
    assert exported["field"].tolist() == ["created", "tier", "evidence"]


def test_apply_lays_the_store_over_the_inventory_and_assess_uses_it(store, sample):
    run = store.new_assessment("Baseline", sample)
    before = nistpf.assess(store.apply(sample, run))
    store.set_rating(run, "ID.IM-P1", current=4)
    store.set_profile(run, "CT.DM-P1", target=4, priority="High")
    store.set_tier(run, "Workforce", 4, evidence="Privacy champions in every team")
    after = nistpf.assess(store.apply(sample, run))
    row = after.subcategories.set_index("subcategory").loc["ID.IM-P1"]
    assert (row["current"], row["source"]) == (4.0, "assessor")
    row = after.subcategories.set_index("subcategory").loc["CT.DM-P1"]
    assert (row["target"], row["priority"]) == (4.0, "High")
    assert after.tiers.set_index("attribute").loc["Workforce", "tier"] == 4
    delta = nistpf.compare(before, after).set_index(["level", "id"])
    assert delta.loc[("subcategory", "ID.IM-P1"), "current"] == 4.0
    assert len(sample.responses) == 9  # the inventory itself is untouched


def test_a_cleared_rating_removes_the_sheets_rating_too(store, sample):
    run = store.new_assessment("Baseline", sample)
    rated = sample.responses.iloc[0]
    store.set_rating(run, rated["subcategory"], system=rated["system"] or None, current=None)
    applied = store.apply(sample, run).responses
    assert not (
        (applied["subcategory"] == rated["subcategory"]) & (applied["system"] == rated["system"])
    ).any()


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda s, r: s.set_rating(r, "PR.DS-P2", current=5), "5 is outside the tiers scale (0-4)"),
        (
            lambda s, r: s.set_rating(r, "PR.DS-P", current=2),
            "PR.DS-P is a category; rate a Subcategory",
        ),
        (
            lambda s, r: s.set_rating(r, "PR.DS-P2", current=2, method="guess"),
            "method 'guess' is not one of examine, interview, test",
        ),
        (lambda s, r: s.set_rating(99, "PR.DS-P2", current=2), "has no assessment 99"),
        (lambda s, r: s.set_tier(r, "People", 2), "'People' is not a Tier attribute"),
        (
            lambda s, r: s.set_rating(r, "PR.DS-P2", current="high"),
            "current 'high' is not a number; give one, e.g. 2",
        ),
        (lambda s, r: s.set_tier(r, "Workforce", "two"), "tier 'two' is not a number"),
        (
            lambda s, r: s.set_profile(r, "PR-P", priority="Urgent"),
            "priority 'Urgent' is not one of High, Moderate, Low",
        ),
    ],
)
def test_values_that_do_not_fit_are_refused_with_the_reason(store, sample, call, message):
    run = store.new_assessment("Baseline", sample)
    with pytest.raises(StoreError, match=None) as caught:
        call(store, run)
    assert message in str(caught.value)
    assert store.log(run)["entity"].tolist() == ["assessment"]


def test_a_file_that_is_not_a_store(tmp_path):
    path = tmp_path / "notes.nistpf"
    path.write_text("not a database " * 100)
    with pytest.raises(StoreError, match="is not a nistpf engagement store"):
        open_store(path)


def _writer(path: str, prefix: str, count: int) -> None:
    store = open_store(path)
    run = store.latest()
    subcategories = nistpf.framework().subcategories["id"].tolist()
    for i in range(count):
        store.set_rating(
            run, subcategories[i % 100], system=f"{prefix}-{i // 100}", current=i % 5, who=prefix
        )


def test_two_processes_writing_at_once_lose_no_update(tmp_path, sample):
    path = tmp_path / "shared.nistpf"
    store = open_store(path)
    run = store.new_assessment("Baseline", sample)
    context = multiprocessing.get_context("spawn")
    writers = [context.Process(target=_writer, args=(str(path), name, 150)) for name in ("A", "B")]
    for process in writers:
        process.start()
    for process in writers:
        process.join(120)
        assert process.exitcode == 0
    ratings = store.ratings(run)
    assert len(ratings) == 300
    assert ratings.groupby(ratings["system"].str[0]).size().to_dict() == {"A": 150, "B": 150}
    log = store.log(run)
    assert (log["field"] == "current").sum() == 300
    assert log["seq"].is_monotonic_increasing


def test_scope_decisions_are_kept_and_applied(store, sample):
    run = store.new_assessment("Baseline", sample)
    store.set_scope(run, "LEG-01", True, note="legacy CRM still answers queries")
    store.set_scope(run, "SRV-01", False)
    applied = store.apply(sample, run).systems.set_index("system_id")["in_scope"]
    assert applied["LEG-01"]
    assert not applied["SRV-01"]
    assert applied["CRM-01"]
    assessment = nistpf.assess(store.apply(sample, run))
    assert "LEG-01" in set(assessment.levels["system"])
    assert "SRV-01" not in set(assessment.levels["system"])


def test_engagement_name_and_the_assessment_date_reach_the_inventory(store, sample):
    store.set_engagement_name("Tallowby & Finch 2026")
    assert store.engagement_name == "Tallowby & Finch 2026"
    run = store.new_assessment("Follow-up", sample, date="2026-09-30")
    assert store.apply(sample, run).about_value("date") == "2026-09-30"
    assert store.log()["entity"].tolist()[:2] == ["engagement", "assessment"]


def test_a_cleared_tier_removes_the_sheets_tier(store, sample):
    run = store.new_assessment("Baseline", sample)
    rated = sample.tiers.iloc[0]["attribute"]
    store.set_tier(run, rated, None)
    assert rated not in set(store.apply(sample, run).tiers["attribute"])
    assert len(store.apply(sample, run).tiers) == len(sample.tiers) - 1


# -- a change writes only what it is given ------------------------------------------------------


def _logged(store, run, entity: str) -> list[tuple]:
    log = store.log(run)
    log = log[log["entity"] == entity]
    return [
        (json.loads(k)[0], f, None if o is None else json.loads(o), json.loads(n))
        for k, f, o, n in zip(log["key"], log["field"], log["old"], log["new"], strict=True)
        if f not in ("assessor", "date")
    ]


def test_a_rating_changes_only_the_fields_given(store, sample):
    run = store.new_assessment("Baseline", sample)
    store.set_rating(run, "PR.DS-P2", evidence="TLS scan", method="test", who="lead")
    store.set_rating(run, "PR.DS-P2", current=2, who="lead")  # the level alone
    store.set_rating(run, "PR.DS-P2", notes="all endpoints", who="lead")
    row = store.ratings(run).set_index("subcategory").loc["PR.DS-P2"]
    assert (row["current"], row["evidence"], row["method"], row["notes"]) == (
        2.0,
        "TLS scan",
        "test",
        "all endpoints",
    )
    store.set_rating(run, "PR.DS-P2", evidence="", who="lead")  # cleared: the level stays
    row = store.ratings(run).set_index("subcategory").loc["PR.DS-P2"]
    assert (row["current"], row["evidence"], row["method"]) == (2.0, "", "test")
    # One log row per field that changed, old → new; the blank notes made with the row.
    assert _logged(store, run, "rating") == [
        ("PR.DS-P2", "evidence", None, "TLS scan"),
        ("PR.DS-P2", "method", None, "test"),
        ("PR.DS-P2", "notes", None, ""),
        ("PR.DS-P2", "current", None, 2.0),
        ("PR.DS-P2", "notes", "", "all endpoints"),
        ("PR.DS-P2", "evidence", "TLS scan", ""),
    ]
    with pytest.raises(StoreError, match=r"nothing to save for PR\.DS-P2: give current"):
        store.set_rating(run, "PR.DS-P2", who="lead")


def test_defaults_fill_a_new_row_only(store, sample):
    run = store.new_assessment("Baseline", sample)
    sheet = {"current": 3.0, "evidence": "POL-PRIV-001", "method": "examine", "notes": ""}
    store.set_rating(run, "GV.PO-P1", notes="reviewed", defaults=sheet)
    row = store.ratings(run).set_index("subcategory").loc["GV.PO-P1"]
    assert (row["current"], row["evidence"], row["method"], row["notes"]) == (
        3.0,
        "POL-PRIV-001",
        "examine",
        "reviewed",
    )
    store.set_rating(run, "GV.PO-P1", evidence="v5", defaults={**sheet, "current": 1.0})
    row = store.ratings(run).set_index("subcategory").loc["GV.PO-P1"]
    assert (row["current"], row["evidence"]) == (3.0, "v5")  # the stored row, not the defaults
    with pytest.raises(StoreError, match="defaults of a rating are current, evidence"):
        store.set_rating(run, "GV.PO-P1", current=2, defaults={"level": 2})


def test_a_profile_row_changes_only_the_attributes_given(store, sample):
    run = store.new_assessment("Baseline", sample)
    store.set_profile(run, "CT.DM-P1", target=4, priority="High", rationale="retention")
    store.set_profile(run, "CT.DM-P1", target=2)
    store.set_profile(run, "CT.DM-P1", in_profile=False)
    store.set_profile(run, "CT.DM-P1", priority=None)  # blank: inherits again
    row = store.profile(run).set_index("pf_id").loc["CT.DM-P1"]
    assert row.to_dict() == {
        "target": 2.0,
        "priority": "",
        "in_profile": False,
        "rationale": "retention",
    }
    store.set_profile(run, "CT-P", target=4, defaults={"priority": "High", "rationale": "why"})
    row = store.profile(run).set_index("pf_id").loc["CT-P"]
    assert (row["target"], row["priority"], row["rationale"]) == (4.0, "High", "why")
    with pytest.raises(StoreError, match="give target, priority, in_profile or rationale"):
        store.set_profile(run, "CT-P")


def test_a_tier_keeps_its_evidence_when_only_the_tier_is_given(store, sample):
    run = store.new_assessment("Baseline", sample)
    store.set_tier(run, "Workforce", 2, evidence="training records")
    store.set_tier(run, "Workforce", 3)
    store.set_tier(run, "Workforce", evidence="champions in every team")
    assert store.tiers(run).values.tolist() == [["Workforce", 3, "champions in every team"]]
    with pytest.raises(StoreError, match="give tier or evidence"):
        store.set_tier(run, "Workforce")


def test_a_register_edit_changes_only_the_fields_given(store, sample):
    run = store.new_assessment("Baseline", sample)
    store.set_register_edit(run, "pr.ds-p3", owner="CISO", status="Open")
    store.set_register_edit(run, "PR.DS-P3", status="Closed")
    store.set_register_edit(run, "PR.DS-P3", comments=None, due_date="2026-12-31")
    assert store.register_edits(run).values.tolist() == [
        ["PR.DS-P3", "", "CISO", "2026-12-31", "Closed", ""]
    ]
    assert _logged(store, run, "register") == [
        ("PR.DS-P3", "recommended_action", None, ""),
        ("PR.DS-P3", "owner", None, "CISO"),
        ("PR.DS-P3", "due_date", None, ""),
        ("PR.DS-P3", "status", None, "Open"),
        ("PR.DS-P3", "comments", None, ""),
        ("PR.DS-P3", "status", "Open", "Closed"),
        ("PR.DS-P3", "due_date", "", "2026-12-31"),
    ]
    with pytest.raises(StoreError, match="no field given; use recommended_action"):
        store.set_register_edit(run, "PR.DS-P3")
    with pytest.raises(StoreError, match="unknown register field 'colour'"):
        store.set_register_edit(run, "PR.DS-P3", colour="red")


# -- evidence saved without a level ------------------------------------------------------------


def test_drafts_are_the_evidence_saved_without_a_level(store, sample):
    run = store.new_assessment("Baseline", sample)
    store.set_rating(run, "ID.IM-P1", evidence="interview notes to follow", who="lead")
    store.set_rating(run, "PR.DS-P2", system="CRM-01", current=2, method="test", who="lead")
    store.set_rating(run, "PR.DS-P2", system="CRM-01", current=None, who="lead")  # cleared
    store.set_rating(run, "CT.DM-P1", current=3, evidence="deletion log", who="lead")  # rated
    store.set_rating(run, "CT.DM-P2", current=None, who="lead")  # cleared, nothing else saved
    drafts = store.drafts(run)
    assert list(drafts.columns) == [
        "subcategory",
        "system",
        "evidence",
        "method",
        "notes",
        "assessor",
        "date",
    ]
    today = dt.date.today().isoformat()
    assert drafts.values.tolist() == [
        ["ID.IM-P1", "", "interview notes to follow", "", "", "lead", today],
        ["PR.DS-P2", "CRM-01", "", "test", "", "lead", today],
    ]
    assert store.ratings(run)["subcategory"].tolist() == ["CT.DM-P1"]
    store.set_rating(run, "ID.IM-P1", current=1, who="lead")  # rated now: no longer a draft
    assert store.drafts(run)["subcategory"].tolist() == ["PR.DS-P2"]


# -- one transaction for each read-modify-write --------------------------------------------------


def test_a_follow_up_that_fails_half_way_leaves_nothing(store, sample, monkeypatch):
    run = store.new_assessment("Baseline", sample)
    store.set_profile(run, "CT-P", target=4)
    store.set_tier(run, "Workforce", 3)
    store.set_scope(run, "LEG-01", True)
    before = store.log()
    copied = []

    def fail_on_the_second(self, entity, *args, **kwargs):
        copied.append(entity)
        if len(copied) == 2:
            raise OSError("disk full")
        return original(self, entity, *args, **kwargs)

    original = Store._change
    monkeypatch.setattr(Store, "_change", fail_on_the_second)
    with pytest.raises(OSError, match="disk full"):
        store.follow_up("2027")
    monkeypatch.undo()
    assert store.assessments()["name"].tolist() == ["Baseline"]
    assert store.log()["seq"].tolist() == before["seq"].tolist()
    number = store.follow_up("2027", date="2027-03-01")
    assert store.profile(number)["target"].tolist() == [4.0]
    assert store.tiers(number).values.tolist() == [["Workforce", 3, ""]]
    assert store.scope(number)["system"].tolist() == ["LEG-01"]
    assert store.assessment(number)["inventory_sha256"] == sample.sha256
    assert store.log(number)["note"].iloc[0] == "follow-up of assessment 1 (Baseline)"


def test_the_assessment_date_logs_the_old_date(store, sample):
    run = store.new_assessment("Baseline", sample, date="2026-03-01")
    store.set_assessment_date(run, "2026-04-01")
    store.set_assessment_date(run, "2026-04-01")  # the same again: nothing to log
    store.set_assessment_date(run, None)
    log = store.log(run)
    dates = log[log["field"] == "date"]
    assert list(zip(dates["old"], dates["new"], strict=True)) == [
        ('"2026-03-01"', '"2026-04-01"'),
        ('"2026-04-01"', '""'),
    ]
    with pytest.raises(StoreError, match="has no assessment 7; assessments: 1"):
        store.set_assessment_date(7, "2026-04-01")


def test_a_system_id_cased_or_spaced_otherwise_is_one_rating_and_the_last_save_wins(store, sample):
    run = store.new_assessment("Baseline", sample)
    store.set_rating(run, "ID.IM-P2", system="crm-01", current=1, who="first")
    store.set_rating(run, "ID.IM-P2", system=" CRM-01 ", current=4, who="second")
    store.set_scope(run, "bot-01", False)
    store.set_scope(run, "BOT-01", True)
    ratings = store.ratings(run)
    assert ratings[["subcategory", "system", "current"]].values.tolist() == [
        ["ID.IM-P2", "crm-01", 4.0]  # the spelling first saved, the level last saved
    ]
    assert store.scope(run).values.tolist() == [["bot-01", True]]
    applied = store.apply(sample, run).responses
    rows = applied[(applied["subcategory"] == "ID.IM-P2") & (applied["system"] == "CRM-01")]
    assert rows["current"].tolist() == [4.0]
    chain = store.log(run)
    chain = chain[(chain["entity"] == "rating") & (chain["field"] == "current")]
    assert chain[["old", "new"]].values.tolist() == [[None, "1.0"], ["1.0", "4.0"]]


def test_a_draft_saved_under_another_spelling_of_a_system_is_shown(tmp_path):
    from nistpf.ui import Session

    path = tmp_path / "engagement.nistpf"
    session = Session(path)
    session.load(nistpf.sample_path())
    session.store.set_rating(session.number, "ID.IM-P2", system="crm-01", evidence="workshop")
    session.rescore()
    assert session.rating("ID.IM-P2", "CRM-01")["evidence"] == "workshop"


def test_a_tier_attribute_is_named_as_in_a_sheet_and_tiers_keep_nist_order(store, sample):
    run = store.new_assessment("Baseline", sample)
    store.set_tier(run, "  workforce ", 4, evidence="training records")
    store.set_tier(run, "integrated privacy risk management program", 2)
    assert sorted(store.tiers(run)["attribute"]) == [
        "Integrated Privacy Risk Management Program",
        "Workforce",
    ]
    applied = store.apply(sample, run).tiers
    # NIST PF 1.0 section 3.2 lists the attributes in this order, whoever set them.
    assert list(applied["attribute"]) == [
        "Privacy Risk Management Process",
        "Integrated Privacy Risk Management Program",
        "Data Processing Ecosystem Relationships",
        "Workforce",
    ]
    assert applied.set_index("attribute").loc["Workforce", "tier"] == 4
