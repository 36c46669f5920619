"""The engagement store loses no update when processes write the same rows at once: each writer
sets its own columns of the same register rows, ratings and Target Profile rows, and in the end
every column holds its writer's last value, and the log of every field is an unbroken chain."""

from __future__ import annotations

import json
import multiprocessing

import pytest

import nistpf
from nistpf.inventory.schema import PRIORITIES
from nistpf.store import open_store

FORK = multiprocessing.get_context("fork")
ROUNDS = 3
KEYS = 12


def _subcategories() -> list[str]:
    return nistpf.framework().subcategories["id"].tolist()[:KEYS]


# What each writer sets, round by round: (register field, rating field, profile field) and
# the value of each in round r for the j-th Subcategory. Each writer owns its columns.
def _value(writer: str, field: str, r: int, j: int):
    if field in ("current", "target"):
        return float((r + j + (field == "target")) % 5)
    if field == "priority":
        return PRIORITIES[(r + j) % len(PRIORITIES)]
    return f"{writer}{r}-{j}"


WRITERS = {
    "A": ("owner", "evidence", "target"),
    "B": ("status", "current", "priority"),
    "C": ("comments", "notes", "rationale"),
}


def _writer(path: str, name: str, together) -> None:
    store = open_store(path, timeout=60)
    run = store.latest()
    register, rating, profile = WRITERS[name]
    for r in range(ROUNDS):
        for j, sub in enumerate(_subcategories()):
            together.wait(30)  # the three writers change the same rows at the same moment
            store.set_register_edit(run, sub, who=name, **{register: _value(name, register, r, j)})
            store.set_rating(run, sub, who=name, **{rating: _value(name, rating, r, j)})
            store.set_profile(run, sub, who=name, **{profile: _value(name, profile, r, j)})


@pytest.fixture(scope="module")
def written(tmp_path_factory):
    """A store three processes wrote at once (each its own columns of the same rows)."""
    sample = nistpf.load_inventory(nistpf.sample_path())
    path = tmp_path_factory.mktemp("concurrent") / "shared.nistpf"
    store = open_store(path)
    run = store.new_assessment("Baseline", sample)
    together = FORK.Barrier(len(WRITERS))
    processes = [FORK.Process(target=_writer, args=(str(path), n, together)) for n in WRITERS]
    for process in processes:
        process.start()
    for process in processes:
        process.join(120)
    assert [p.exitcode for p in processes] == [0, 0, 0]
    return store, run


def test_every_column_holds_its_writers_last_value(written):
    store, run = written
    last = ROUNDS - 1
    subs = _subcategories()
    edits = store.register_edits(run).set_index("subcategory")
    ratings = store.ratings(run).set_index("subcategory")
    profile = store.profile(run).set_index("pf_id")
    assert sorted(edits.index) == sorted(subs)
    assert sorted(ratings.index) == sorted(subs)
    assert sorted(profile.index) == sorted(subs)
    for j, sub in enumerate(subs):
        for name, (register, rating, target) in WRITERS.items():
            assert edits.loc[sub, register] == _value(name, register, last, j), (sub, register)
            assert ratings.loc[sub, rating] == _value(name, rating, last, j), (sub, rating)
            assert profile.loc[sub, target] == _value(name, target, last, j), (sub, target)
        # The columns nobody set keep their blank.
        assert edits.loc[sub, ["recommended_action", "due_date"]].tolist() == ["", ""]
        assert ratings.loc[sub, "method"] == ""
        assert profile.loc[sub, "in_profile"] is None


def test_each_field_is_changed_only_by_its_writer_in_its_order(written):
    store, run = written
    log = store.log(run)
    for name, fields in WRITERS.items():
        for entity, field in zip(("register", "rating", "profile"), fields, strict=True):
            rows = log[(log["entity"] == entity) & (log["field"] == field)]
            # A row made by another writer starts with this field blank: logged, not set.
            rows = rows[~(rows["old"].isna() & rows["new"].isin(['""', None]))]
            assert set(rows["who"]) == {name}, (entity, field)
            for j, sub in enumerate(_subcategories()):
                mine = rows[rows["key"].map(lambda k, s=sub: json.loads(k)[0] == s)]
                expected = [_value(name, field, r, j) for r in range(ROUNDS)]
                # A value equal to the one before is not a change, so it is not logged.
                expected = [v for i, v in enumerate(expected) if i == 0 or v != expected[i - 1]]
                assert [json.loads(v) for v in mine["new"]] == expected, (entity, field, sub)


def test_the_log_of_every_field_is_an_unbroken_chain(written):
    store, run = written
    log = store.log(run)
    log = log[log["entity"].isin(["register", "rating", "profile"])]
    chains = 0
    for (entity, key, field), rows in log.groupby(["entity", "key", "field"], sort=False):
        olds, news = rows["old"].tolist(), rows["new"].tolist()
        assert olds[0] is None, (entity, key, field)
        assert olds[1:] == news[:-1], (entity, key, field)
        chains += 1
    # Per key: the register's 5 fields (2 only made blank); the rating's current, evidence,
    # notes, assessor, date and method (made blank); the profile's target, priority and
    # rationale (in_profile stays None, which is not a change).
    assert chains == KEYS * (5 + 6 + 3)
    # The writers really wrote at the same time: the log switches writer many times.
    switches = (log["who"] != log["who"].shift()).sum()
    assert switches > ROUNDS * KEYS, switches


# -- two notebooks on one store: a notebook saves what it changed, not what it shows ------------


@pytest.fixture
def notebooks(tmp_path):
    """Two guided sessions on one store, both open on the sample's Baseline."""
    from nistpf.ui import Session

    path = tmp_path / "engagement.nistpf"
    first = Session(path, assessor="first")
    first.load(nistpf.sample_path())
    second = Session(path, assessor="second")
    assert second.ready
    assert second.number == first.number
    return first, second


def test_a_target_set_in_one_notebook_keeps_the_priority_set_in_another(notebooks):
    first, second = notebooks
    assert first.profile_row("CT-P")["priority"] == "High"  # the sheet's
    second.set_target("CT-P", priority="Low")
    first.set_target("CT-P", 4)  # first still shows High, and gives only the target
    row = first.store.profile(first.number).set_index("pf_id").loc["CT-P"]
    assert (row["target"], row["priority"]) == (4.0, "Low")
    # The sheet's rationale and in_profile carried into the stored row, which replaces it.
    assert row["rationale"].startswith("Retention, consent and rights requests")
    assert [row["in_profile"]] == [True]  # not None: inherit
    assert first.profile_row("CT-P")["priority"] == "Low"  # re-scored with the store


def test_a_level_set_in_one_notebook_keeps_the_evidence_saved_in_another(notebooks):
    first, second = notebooks
    sub = "PR.DS-P2"  # no organisation-level rating in the sample
    first.rate(sub, evidence="TLS scan of every integration")
    second.rate(sub, 3)  # second shows no evidence, and gives only the level
    saved = first.store.ratings(first.number).set_index(["subcategory", "system"])
    assert saved.loc[(sub, ""), ["current", "evidence"]].tolist() == [
        3.0,
        "TLS scan of every integration",
    ]
    assert saved.loc[(sub, ""), "assessor"] == "second"


def test_a_value_given_is_saved_though_this_notebook_showed_it_already(notebooks):
    """The last value given for a field is the one kept, even where it equals what the
    notebook giving it showed before another notebook changed it."""
    first, second = notebooks
    assert second.rating("GV.PO-P1")["current"] == 3.0  # the Responses sheet's
    first.rate("GV.PO-P1", 1)
    second.rate("GV.PO-P1", 3)  # second still shows 3
    assert first.store.ratings(first.number).set_index("subcategory").loc[
        "GV.PO-P1", ["current", "assessor"]
    ].tolist() == [3.0, "second"]
    assert second.tier("Workforce")["tier"] == 3  # the Tiers sheet's
    first.set_tier("Workforce", 1)
    second.set_tier("Workforce", 3)
    assert first.store.tiers(first.number).set_index("attribute").loc["Workforce", "tier"] == 3
    assert second.profile_row("CT-P")["priority"] == "High"
    first.set_target("CT-P", priority="Low")
    second.set_target("CT-P", priority="High")
    assert first.store.profile(first.number).set_index("pf_id").loc["CT-P", "priority"] == "High"


def test_a_profile_step_saves_only_the_input_changed(notebooks):
    from nistpf.ui.steps_profile import ProfileStep

    first, second = notebooks
    steps = [ProfileStep(first), ProfileStep(second)]
    for step in steps:
        step.controls["subcategory"].value = "CT.DM-P8"
    steps[0].controls["sub_rationale"].value = "audit logs hold customer identifiers"
    steps[1].controls["sub_priority"].value = "High"  # shows no rationale
    row = first.store.profile(first.number).set_index("pf_id").loc["CT.DM-P8"]
    assert (row["priority"], row["rationale"]) == ("High", "audit logs hold customer identifiers")


def test_a_rating_the_sheet_gives_keeps_its_level_when_only_notes_are_saved(notebooks):
    first, _ = notebooks
    first.rate("GV.PO-P1", notes="reviewed again in March")  # rated 3 in the Responses sheet
    shown = first.rating("GV.PO-P1")
    assert (shown["current"], shown["method"], shown["notes"]) == (
        3.0,
        "examine",
        "reviewed again in March",
    )
    assert shown["evidence"] == "POL-PRIV-001 v4.1 and board minutes 2026-02-11"


def test_a_cleared_level_keeps_its_evidence_as_a_draft(notebooks):
    from nistpf.ui import Session

    first, second = notebooks
    first.rate("ID.IM-P1", 2, evidence="data-flow workshop", method="interview")
    first.rate("ID.IM-P1", None)
    assert first.rating("ID.IM-P1")["current"] is None
    second.rescore()  # second shows the store as of its last score
    for notebook in (first, second, Session(first.store_path)):  # the last: a restart
        shown = notebook.rating("ID.IM-P1")
        assert (shown["current"], shown["evidence"], shown["method"]) == (
            None,
            "data-flow workshop",
            "interview",
        )
        assert shown["assessor"] == "first"
    assert first.store.drafts(first.number)["subcategory"].tolist() == ["ID.IM-P1"]


def test_a_rate_step_saves_only_the_input_changed(notebooks):
    """Two notebooks' rate steps show one rating; each saves the input its user changed, and
    neither writes back the other's field as it showed it before."""
    from nistpf.ui.steps_rate import RateStep

    first, second = notebooks
    sub = "PR.DS-P2"
    steps = [RateStep(first), RateStep(second)]
    for step in steps:
        step.controls["subcategory"].value = sub  # both show it unrated, no evidence
    steps[0].controls["evidence"].value = "TLS scan of every integration"
    steps[1].controls["notes"].value = "certificates renewed in May"  # shows no evidence
    steps[1].controls["rating"].value = "3 Repeatable"
    steps[0].controls["method"].value = "test"  # shows no level
    saved = first.store.ratings(first.number).set_index(["subcategory", "system"]).loc[(sub, "")]
    assert (saved["current"], saved["evidence"], saved["method"], saved["notes"]) == (
        3.0,
        "TLS scan of every integration",
        "test",
        "certificates renewed in May",
    )


def test_a_tiers_step_saves_only_the_input_changed(notebooks):
    from nistpf.ui.steps_profile import TiersStep

    first, second = notebooks
    steps = [TiersStep(first), TiersStep(second)]
    steps[0].controls["evidence"]["Workforce"].value = "Training records 2026"
    steps[1].controls["tier"]["Workforce"].value = "4 Adaptive"  # shows the sheet's evidence
    saved = first.store.tiers(first.number).set_index("attribute").loc["Workforce"]
    assert (saved["tier"], saved["evidence"]) == (4, "Training records 2026")


def test_evidence_saved_alone_keeps_the_tier_the_sheet_gives(notebooks):
    from nistpf.ui.steps_profile import TiersStep

    first, _ = notebooks
    sheet = first.inventory.tiers.set_index("attribute").loc["Workforce"]
    assert sheet["tier"] == 3  # the sample's Tiers sheet
    TiersStep(first).controls["evidence"]["Workforce"].value = "Training records 2026"
    saved = first.store.tiers(first.number).set_index("attribute").loc["Workforce"]
    assert (saved["tier"], saved["evidence"]) == (3, "Training records 2026")
    assert first.tier("Workforce") == {"tier": 3, "evidence": "Training records 2026"}
