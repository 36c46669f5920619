"""The engagement store: every change saved as made, logged, restored on reopening, and never
lost when two processes write at once."""

from __future__ import annotations

import multiprocessing
import sqlite3

import pandas as pd
import pytest

import nistpf
from nistpf.store import StoreError, open_store


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
