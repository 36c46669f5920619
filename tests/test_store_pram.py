"""The consultant's NIST PRAM edits in the engagement store: per data action × problem for
individuals, a likelihood and the five organisational impact factors of PRAM worksheet 3 (1-10
each, NIST PRAM February 2019, worksheet 3 Likelihood and Impact tabs), worksheet 4's selected
controls and rationale, and the reason for the override — saved as made, logged, kept when two
processes save different fields of one row, carried by apply() and follow-ups, and checked
when a store is opened (schema 3)."""

from __future__ import annotations

import json
import math
import multiprocessing
import sqlite3
from pathlib import Path

import pandas as pd
import pytest

import nistpf
from nistpf.inventory.model import PRAM_EDIT_COLUMNS, Inventory, empty_pram_edits
from nistpf.store import MAX_TEXT_CHARS, StoreError, open_store
from nistpf.store_schema import DamagedStoreError
from tests.test_store_schema import V1_TABLES, build_v1, rows, tables, version

FORK = multiprocessing.get_context("fork")
ACTION = "F-001:collection"
KEY = json.dumps([ACTION, "Loss of Trust"])  # how the log keys a row: [data action, problem]
NAN = float("nan")
UNCHANGED = "restore it from a backup; nistpf has not changed it"


@pytest.fixture(scope="module")
def sample():
    return nistpf.load_inventory(nistpf.sample_path())


@pytest.fixture
def store(tmp_path):
    return open_store(tmp_path / "engagement.nistpf")


def listed(table: pd.DataFrame) -> list[list]:
    """Rows with NaN written as None, so that lists compare."""
    return [[None if isinstance(v, float) and math.isnan(v) else v for v in r] for r in
            table.values.tolist()]  # fmt: skip


def logged(store, run) -> list[tuple]:
    log = store.log(run)
    log = log[log["entity"] == "pram"]
    return [tuple(r) for r in log[["who", "key", "field", "old", "new", "note"]].values.tolist()]


# -- saving and reading back -------------------------------------------------------------------


def test_the_columns_are_the_contract_and_an_inventory_holds_none_as_loaded(sample):
    assert PRAM_EDIT_COLUMNS == [
        "data_action",
        "problem",
        "likelihood",
        "noncompliance",
        "direct_business",
        "reputational",
        "internal_culture",
        "other",
        "selected_controls",
        "rationale",
        "reason",
    ]
    for table in (sample.pram_edits, empty_pram_edits()):
        assert list(table.columns) == PRAM_EDIT_COLUMNS
        assert table.empty
        assert [str(t) for t in table.dtypes] == ["object"] * 2 + ["float64"] * 6 + ["object"] * 3
    # The new field is the last one, with a default: keyword construction is unchanged.
    names = [f.name for f in Inventory.__dataclass_fields__.values()]
    assert names[-2:] == ["path", "pram_edits"]


def test_an_edit_is_saved_and_read_back_after_reopening(store, sample, tmp_path):
    run = store.new_assessment("Baseline", sample)
    store.set_pram_edit(
        run,
        f"  {ACTION} ",
        "loss of  TRUST",  # case and spacing forgiven; stored as NIST spells it
        likelihood=7,
        noncompliance=6.5,
        direct_business="4",
        selected_controls="Consent banner; purpose limitation",
        rationale="Lowers the chance of an unexpected use",
        reason="Client interview, 3 March",
    )
    store.set_pram_edit(run, "F-002:disclosure", "Economic Loss", selected_controls="DPA signed")
    edits = open_store(tmp_path / "engagement.nistpf", create=False).pram_edits(run)
    assert list(edits.columns) == PRAM_EDIT_COLUMNS
    assert listed(edits) == [
        [ACTION, "Loss of Trust", 7.0, 6.5, 4.0, None, None, None,
         "Consent banner; purpose limitation", "Lowers the chance of an unexpected use",
         "Client interview, 3 March"],
        ["F-002:disclosure", "Economic Loss", None, None, None, None, None, None, "DPA signed",
         "", ""],
    ]  # fmt: skip
    assert edits["likelihood"].dtype == "float64"


def test_only_the_fields_given_change_and_a_cleared_row_is_left_out(store, sample):
    run = store.new_assessment("Baseline", sample)
    store.set_pram_edit(run, ACTION, "Dignity Loss", likelihood=3, reason="seen in the logs")
    store.set_pram_edit(run, ACTION, "Dignity Loss", reputational=9)
    store.set_pram_edit(run, ACTION, "Dignity Loss", rationale="masking", selected_controls="C-7")
    assert listed(store.pram_edits(run)) == [
        [ACTION, "Dignity Loss", 3.0, None, None, 9.0, None, None, "C-7", "masking",
         "seen in the logs"],
    ]  # fmt: skip
    store.set_pram_edit(run, ACTION, "Dignity Loss", likelihood=None, reputational=None)
    assert store.pram_edits(run)["likelihood"].isna().all()  # cleared, the text stays
    store.set_pram_edit(
        run, ACTION, "Dignity Loss", rationale=None, selected_controls="", reason=None
    )
    assert store.pram_edits(run).empty  # nothing left of the edit


def _pram_writer(path: str, who: str, count: int) -> None:
    store = open_store(path, timeout=60)
    run = store.latest()
    for i in range(count):
        if who == "A":
            store.set_pram_edit(
                run, ACTION, "Loss of Trust", likelihood=1 + i % 10, reason=f"A-{i}", who=who
            )
        else:
            store.set_pram_edit(run, ACTION, "Loss of Trust", selected_controls=f"B-{i}", who=who)


def test_two_processes_saving_different_fields_of_one_row_keep_both(tmp_path, sample):
    path = tmp_path / "shared.nistpf"
    store = open_store(path)
    run = store.new_assessment("Baseline", sample)
    count = 40
    writers = [FORK.Process(target=_pram_writer, args=(str(path), w, count)) for w in "AB"]
    for process in writers:
        process.start()
    for process in writers:
        process.join(120)
        assert process.exitcode == 0
    (row,) = listed(store.pram_edits(run))
    last = count - 1
    assert row == [ACTION, "Loss of Trust", float(1 + last % 10), None, None, None, None, None,
                   f"B-{last}", "", f"A-{last}"]  # fmt: skip
    log = store.log(run)
    log = log[log["entity"] == "pram"]
    # Each field's log is an unbroken chain of old -> new, every save of it there once.
    for field, values in [
        ("likelihood", [1.0 + i % 10 for i in range(count)]),
        ("reason", [f"A-{i}" for i in range(count)]),
        ("selected_controls", [f"B-{i}" for i in range(count)]),
    ]:
        mine = log[log["field"] == field]
        news = [json.loads(v) for v in mine["new"]]
        olds = [None if v is None else json.loads(v) for v in mine["old"]]
        assert olds[1:] == news[:-1], field
        changed = [v for k, v in enumerate(values) if k == 0 or v != values[k - 1]]
        assert [v for v in news if v != ""] == changed, field


# -- the log -------------------------------------------------------------------------------------


def test_each_changed_field_is_logged_with_who_old_new_and_note(store, sample):
    run = store.new_assessment("Baseline", sample)
    store.set_pram_edit(
        run, ACTION, "Loss of Trust", likelihood=7, reason="interview", who="lead", note="w1"
    )
    store.set_pram_edit(run, ACTION, "Loss of Trust", likelihood=7, who="second")  # no change
    store.set_pram_edit(run, ACTION, "Loss of Trust", likelihood=4.5, other=2, who="second")
    assert logged(store, run) == [
        # A new row logs each field it is given that is not blank (text blanks are "").
        ("lead", KEY, "likelihood", None, "7.0", "w1"),
        ("lead", KEY, "selected_controls", None, '""', "w1"),
        ("lead", KEY, "rationale", None, '""', "w1"),
        ("lead", KEY, "reason", None, '"interview"', "w1"),
        ("second", KEY, "likelihood", "7.0", "4.5", ""),
        ("second", KEY, "other", None, "2.0", ""),
    ]


# -- refusals --------------------------------------------------------------------------------


def test_an_override_needs_a_reason_unless_the_row_has_one(store, sample):
    run = store.new_assessment("Baseline", sample)
    needs = "need a reason: give reason="
    with pytest.raises(StoreError, match=f"the likelihood of Loss of Trust in {ACTION} .*{needs}"):
        store.set_pram_edit(run, ACTION, "Loss of Trust", likelihood=8)
    with pytest.raises(StoreError, match=needs):
        store.set_pram_edit(run, ACTION, "Loss of Trust", noncompliance=8, reason="  ")
    assert store.pram_edits(run).empty
    assert logged(store, run) == []  # nothing written, nothing logged
    # Not an override: controls and their rationale need no reason, nor does clearing.
    store.set_pram_edit(run, ACTION, "Loss of Trust", selected_controls="C-1", likelihood=None)
    store.set_pram_edit(run, ACTION, "Loss of Trust", likelihood=8, reason="breach last year")
    store.set_pram_edit(run, ACTION, "Loss of Trust", noncompliance=5)  # the stored reason
    assert store.pram_edits(run)[["likelihood", "noncompliance"]].values.tolist() == [[8.0, 5.0]]
    # The reason stays while an override stands.
    with pytest.raises(StoreError, match=f"the likelihood, noncompliance of .*{needs}"):
        store.set_pram_edit(run, ACTION, "Loss of Trust", reason="")
    assert store.pram_edits(run)["reason"].tolist() == ["breach last year"]


WHY = (
    "(NIST PRAM worksheet 3 scores each organisational impact factor from 1 to 10, a likelihood "
    "from 0, for a concern that does not arise, to 10)"
)
SCALE = f"is outside 1-10 {WHY}: give a number from 1 to 10, or None to clear the override"
LIKELIHOODS = f"is outside 0-10 {WHY}: give a number from 0 to 10, or None to clear the override"


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"likelihood": -1}, f"likelihood -1 {LIKELIHOODS}"),
        ({"likelihood": 11}, f"likelihood 11 {LIKELIHOODS}"),
        ({"other": 0}, f"other 0 {SCALE}"),
        ({"internal_culture": 10.01}, f"internal_culture 10.01 {SCALE}"),
        ({"other": -3}, f"other -3 {SCALE}"),
        ({"reputational": float("inf")}, f"reputational inf {SCALE}"),
        ({"direct_business": "99"}, f"direct_business '99' {SCALE}"),
        ({"likelihood": "high"}, "likelihood 'high' is not a number; give one, e.g. 2"),
        ({"likelihood": True}, "likelihood True is not a number; give one from 0 to 10"),
        (
            {"reason": "x" * (MAX_TEXT_CHARS + 1), "likelihood": 2},
            "reason is 32,768 characters long; a store keeps at most 32,767",
        ),
        ({}, f"nothing to save for Loss of Trust in {ACTION}: give likelihood, noncompliance"),
    ],
)
def test_values_that_do_not_fit_are_refused_with_a_clear_message(store, sample, fields, message):
    run = store.new_assessment("Baseline", sample)
    given = {"reason": "checked"} | fields
    if not fields:
        given = {}
    with pytest.raises(StoreError) as caught:
        store.set_pram_edit(run, ACTION, "Loss of Trust", **given)
    assert message in str(caught.value)
    assert "\n" not in str(caught.value)
    assert store.pram_edits(run).empty
    assert logged(store, run) == []


def test_the_bounds_themselves_are_taken(store, sample):
    run = store.new_assessment("Baseline", sample)
    store.set_pram_edit(
        run, ACTION, "Physical Harm", likelihood=0, other=10, reputational=1, reason="r"
    )
    assert store.pram_edits(run)[["likelihood", "reputational", "other"]].values.tolist() == [
        [0.0, 1.0, 10.0]
    ]


@pytest.mark.parametrize(
    ("data_action", "problem", "message"),
    [
        (
            ACTION,
            "Identity Theft",
            "'Identity Theft' is not one of NIST's problems for "
            "individuals (NIST PRAM catalog); use one of Dignity Loss, Discrimination, Economic "
            "Loss, Loss of Autonomy, Loss of Liberty, Physical Harm, Loss of Trust",
        ),
        (ACTION, "Loss of Self Determination", "is not one of NIST's problems"),
        ("   ", "Dignity Loss", "a PRAM edit needs its data action, e.g. 'F-001:collection'"),
        (None, "Dignity Loss", "a PRAM edit needs its data action"),
    ],
)
def test_a_data_action_and_one_of_nists_seven_problems_are_needed(
    store, sample, data_action, problem, message
):
    run = store.new_assessment("Baseline", sample)
    with pytest.raises(StoreError) as caught:
        store.set_pram_edit(run, data_action, problem, selected_controls="C-1")
    assert message in str(caught.value)
    assert store.pram_edits(run).empty


def test_an_unknown_assessment_is_refused(store, sample):
    store.new_assessment("Baseline", sample)
    with pytest.raises(StoreError, match="has no assessment 7; assessments: 1"):
        store.set_pram_edit(7, ACTION, "Dignity Loss", likelihood=2, reason="r")


# -- apply and follow-up ---------------------------------------------------------------------


def test_apply_carries_the_edits_of_its_assessment(store, sample):
    first = store.new_assessment("Baseline", sample)
    store.set_pram_edit(first, ACTION, "Dignity Loss", likelihood=6, reason="r", rationale="x")
    applied = store.apply(sample, first)
    assert listed(applied.pram_edits) == [
        [ACTION, "Dignity Loss", 6.0, None, None, None, None, None, "", "x", "r"]
    ]
    assert sample.pram_edits.empty  # the inventory itself is untouched
    second = store.new_assessment("Other", sample)
    assert store.apply(sample, second).pram_edits.empty


def test_a_follow_up_copies_the_edits_and_they_part_ways_after(store, sample):
    first = store.new_assessment("Baseline", sample)
    store.set_pram_edit(first, ACTION, "Loss of Trust", likelihood=8, reason="breach")
    store.set_pram_edit(first, "F-003:use", "Discrimination", other=3, reason="profiling")
    follow = store.follow_up("Follow-up 2027")
    assert listed(store.pram_edits(follow)) == [
        [ACTION, "Loss of Trust", 8.0, None, None, None, None, None, "", "", "breach"],
        ["F-003:use", "Discrimination", None, None, None, None, None, 3.0, "", "", "profiling"],
    ]
    carried = [r for r in logged(store, follow) if r[2] == "likelihood"]
    assert carried == [(carried[0][0], KEY, "likelihood", None, "8.0", "carried from assessment 1")]
    store.set_pram_edit(follow, ACTION, "Loss of Trust", likelihood=2)
    assert store.pram_edits(first)["likelihood"].tolist()[0] == 8.0


# -- the schema ------------------------------------------------------------------------------


def build_v2(path: Path) -> None:
    """A schema-2 store as nistpf 2 left it: version 1's tables, the scope and workbooks
    tables and the log's index (the SQL of schema 2), its version row saying 2."""
    build_v1(path, later_tables=True)
    db = sqlite3.connect(path, isolation_level=None)
    db.execute("CREATE INDEX IF NOT EXISTS log_by_key ON log (assessment, entity, key)")
    db.execute("UPDATE engagement SET value = '2' WHERE key = 'schema_version'")
    db.execute("INSERT INTO scope VALUES (1, 'CRM-01', 0)")
    db.close()


def table_sql(path: Path, name: str) -> str:
    with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as db:
        (sql,) = db.execute("SELECT sql FROM sqlite_master WHERE name = ?", (name,)).fetchone()
    return " ".join(sql.split())


def test_a_schema_2_store_is_migrated_keeping_its_data_and_gaining_the_table(tmp_path):
    path = tmp_path / "engagement.nistpf"
    build_v2(path)
    before = {table: rows(path, table) for table in [*V1_TABLES, "scope"]}
    assert "pram_edits" not in tables(path)
    store = open_store(path, create=False)
    assert version(path) == "3"
    for table, kept in before.items():
        if table == "engagement":
            assert sorted(rows(path, table)) == sorted(
                [("schema_version", "3"), ("name", "Acme 2026"), ("client", "Acme Ltd")]
            )
        elif table == "log":
            assert rows(path, table)[:-1] == kept
        else:
            assert rows(path, table) == kept, table
    last = rows(path, "log")[-1]
    assert last[4:9] == ("engagement", "[]", "schema_version", "2", "3")
    assert "schema 2 to 3" in last[9]
    # The table as a new store makes it (an open compares the SQL), and it works.
    assert table_sql(path, "pram_edits") == table_sql(
        open_store(tmp_path / "new.nistpf").path, "pram_edits"
    )
    store.set_pram_edit(1, ACTION, "Loss of Liberty", likelihood=5, reason="r")
    reopened = open_store(path, create=False)
    assert reopened.pram_edits(1)["likelihood"].tolist() == [5.0]
    assert reopened.ratings(1)["current"].tolist() == [2.0, 3.0]
    assert len([r for r in rows(path, "log") if r[6] == "schema_version"]) == 1


def damage(path: Path, *statements: str) -> None:
    """A real store changed by SQL (another program writing to it), left without a -wal."""
    db = sqlite3.connect(path, isolation_level=None)
    for statement in statements:
        db.execute(statement)
    db.execute("PRAGMA journal_mode=DELETE")
    db.close()


@pytest.mark.parametrize(
    ("statement", "shown"),
    [
        ("UPDATE pram_edits SET likelihood = 99", "real 99.0"),  # REAL affinity: 99.0
        ("UPDATE pram_edits SET likelihood = -0.5", "real -0.5"),
        ("UPDATE pram_edits SET likelihood = 'high'", "text 'high'"),
        ("UPDATE pram_edits SET likelihood = 9e999", "real inf"),
    ],
)
def test_a_store_holding_a_likelihood_nistpf_cannot_save_is_refused_on_open(
    tmp_path, sample, statement, shown
):
    path = tmp_path / "engagement.nistpf"
    open_store(path).new_assessment("Baseline", sample)
    open_store(path).set_pram_edit(1, ACTION, "Dignity Loss", likelihood=4, reason="r")
    damage(path, statement)
    original = path.read_bytes()
    with pytest.raises(DamagedStoreError) as caught:
        open_store(path, create=False)
    assert str(caught.value) == (
        f"{path} is damaged (its pram_edits table's likelihood column holds {shown} in row 1, "
        f"where nistpf writes a number from 0 to 10 (NIST PRAM worksheet 3), or nothing): "
        f"{UNCHANGED}"
    )
    assert path.read_bytes() == original


def test_a_store_holding_an_overlong_reason_or_lacking_the_table_is_refused(tmp_path, sample):
    path = tmp_path / "engagement.nistpf"
    open_store(path).new_assessment("Baseline", sample)
    open_store(path).set_pram_edit(1, ACTION, "Dignity Loss", likelihood=4, reason="r")
    good = path.read_bytes()
    damage(path, f"UPDATE pram_edits SET reason = '{'x' * (MAX_TEXT_CHARS + 1)}'")
    with pytest.raises(DamagedStoreError) as caught:
        open_store(path, create=False)
    assert str(caught.value) == (
        f"{path} is damaged (its pram_edits table's reason column holds a value of 32,768 "
        f"characters; nistpf writes at most 32,767): {UNCHANGED}"
    )
    path.write_bytes(good)
    damage(path, "DROP TABLE pram_edits")  # a schema-3 store without its table
    with pytest.raises(DamagedStoreError) as caught:
        open_store(path, create=False)
    assert str(caught.value) == f"{path} is damaged (it lacks the table pram_edits): {UNCHANGED}"


def test_several_edits_are_saved_together_or_not_at_all(store, sample):
    run = store.new_assessment("Baseline", sample)
    good = {"data_action": ACTION, "problem": "Loss of Trust", "likelihood": 3, "reason": "r"}
    other = {"data_action": "F-002:collection", "problem": "Dignity Loss", "likelihood": 4,
             "reason": "s"}  # fmt: skip
    refused = {"data_action": "F-003:collection", "problem": "Boredom", "likelihood": 5}
    with pytest.raises(StoreError, match="Boredom"):
        store.set_pram_edits(run, [good, other, refused], who="lead")
    assert store.pram_edits(run).empty  # the first two were not kept either
    assert logged(store, run) == []
    store.set_pram_edits(run, [good, other], who="lead")
    saved = store.pram_edits(run)
    assert saved[["data_action", "likelihood"]].values.tolist() == [
        [ACTION, 3.0],
        ["F-002:collection", 4.0],
    ]
