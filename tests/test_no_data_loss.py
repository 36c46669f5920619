"""No data loss: a process killed (SIGKILL) in the middle of writing a register, a report, a deck
or a store transaction leaves the previous file or state intact; two processes writing to one
store at once lose nothing; the input workbook is never changed by any command.

The writers run in forked child processes (nistpf already imported, so a kill costs no start-up
time) and are killed at random moments from a seeded RNG. Every child records the SHA-256 of
each complete version just before it is renamed into place, so after a kill the target must be
byte-for-byte one of those versions and must open (openpyxl, an HTML parser, python-pptx).

A kill between the temporary file's creation and its rename leaves that temporary file behind
(``.<name>.<random>.tmp`` beside the target): a hidden file with a unique name that nistpf
never reads and the next write never confuses with the target. It is harmless and may be
deleted; these tests assert that nothing else — never a half-written target — is left.
"""

from __future__ import annotations

import dataclasses
import hashlib
import html.parser
import json
import multiprocessing
import os
import random
import re
import shutil
import signal
import sqlite3
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from pptx import Presentation

import nistpf
from nistpf import cli
from nistpf.export import images
from nistpf.export.deck import write_deck
from nistpf.export.excel import write_gap_register
from nistpf.export.report import write_report
from nistpf.store import open_store

KILLS = 20  # per writer: register, report, deck, store
WRITERS = ("register", "report", "deck", "store")
KILLS_TOTAL = KILLS * len(WRITERS)
CONCURRENT_WRITERS = 2
CONCURRENT_CHANGES = 500  # per writer, to 20 shared keys
SEED = 20260308
DELAY = (0.02, 0.5)  # seconds a store writer runs before it is killed
WRITE_PHASE = 0.08  # seconds: a kill this long after the temporary file is made, at most
TEMPORARY = re.compile(r"^\.(?P<name>.+)\.[^.]+\.tmp$")
FORK = multiprocessing.get_context("fork")


# -- helpers ---------------------------------------------------------------------------------


def _digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _lines(path: Path) -> list[str]:
    """The complete lines of a file a killed process appended to (a last partial line, cut by
    the kill, is left out)."""
    if not path.exists():
        return []
    text = path.read_text()
    return text.split("\n")[:-1]


def _record_versions(log: Path) -> None:
    """In a child: note the SHA-256 of every file just before ``os.replace`` renames it into
    place (a kill after the note leaves the previous version, which was noted too)."""
    real_replace = os.replace
    handle = os.open(log, os.O_WRONLY | os.O_APPEND | os.O_CREAT)

    def replace(source, target, *args, **kwargs):
        os.write(handle, (_digest(Path(source).read_bytes()) + "\n").encode())
        return real_replace(source, target, *args, **kwargs)

    os.replace = replace


def _arm(delay: float) -> None:
    """In a child: SIGKILL itself ``delay`` seconds after its first temporary file is made, so
    the kill lands while a file is being written, synced or renamed."""
    real_mkstemp = tempfile.mkstemp

    def mkstemp(*args, **kwargs):
        tempfile.mkstemp = real_mkstemp
        threading.Timer(delay, os.kill, (os.getpid(), signal.SIGKILL)).start()
        return real_mkstemp(*args, **kwargs)

    tempfile.mkstemp = mkstemp


def _file_writer(write: Callable[[int], object], log: Path, armed: float | None) -> None:
    _record_versions(log)
    if armed is not None:
        _arm(armed)
    i = 0
    while True:
        write(i)
        i += 1


def _opens(kind: str, path: Path) -> None:
    if kind == "register":
        book = openpyxl.load_workbook(path, read_only=True)
        assert "Gap Register" in book.sheetnames
        book.close()
    elif kind == "report":
        text = path.read_text(encoding="utf-8")
        assert text.rstrip().endswith("</html>")
        html.parser.HTMLParser().feed(text)
    else:
        assert len(Presentation(str(path)).slides) > 5


def _kill_after(process, delay: float) -> None:
    process.start()
    process.join(delay)
    process.kill()
    process.join(30)
    assert process.exitcode == -9, process.exitcode


@pytest.fixture(scope="module")
def sample() -> nistpf.Inventory:
    return nistpf.load_inventory(nistpf.sample_path())


@pytest.fixture(scope="module")
def versions(sample) -> list[nistpf.Assessment]:
    """Three assessments that differ in the engagement's name, so their outputs differ."""
    about = sample.about[sample.about["field"] != "engagement"]
    return [
        nistpf.assess(
            dataclasses.replace(
                sample,
                about=pd.concat(
                    [about, pd.DataFrame({"field": ["engagement"], "value": [f"Version {k}"]})],
                    ignore_index=True,
                ).astype(object),
            )
        )
        for k in range(3)
    ]


@pytest.fixture(scope="module")
def cached_pictures():
    """The deck's charts rendered once: a killed writer would orphan the Chromium it started,
    and rendering writes no file, so the deck writers reuse the pictures."""
    real = images.render_png
    cache: dict[str, dict[str, bytes]] = {}

    def render_png(figures, **kwargs):
        key = ",".join(figures)
        if key not in cache:
            cache[key] = real(figures, **kwargs)
        return cache[key]

    images.render_png = render_png
    yield
    images.render_png = real


# -- killed while writing a file -------------------------------------------------------------

WRITE = {
    "register": lambda a, path: write_gap_register(a, path),
    "report": lambda a, path: write_report(a, path),
    "deck": lambda a, path: write_deck(a, path),
}
NAMES = {"register": "gap-register.xlsx", "report": "report.html", "deck": "deck.pptx"}
SURVIVED: dict[str, int] = {}


@pytest.mark.parametrize("kind", ["register", "report", "deck"])
def test_a_killed_writer_leaves_the_previous_file_intact(kind, versions, cached_pictures, tmp_path):
    rng = random.Random(f"{SEED}-{kind}")
    folder = tmp_path / "out"
    folder.mkdir()
    target = folder / NAMES[kind]
    log = tmp_path / "versions.txt"
    started = time.perf_counter()
    WRITE[kind](versions[0], target)  # the first, complete version
    took = time.perf_counter() - started
    # Kills at a random moment of the writer's run, over three writes' time as this machine
    # takes them now (a loaded machine writes slower, and the writers still get as far).
    span = (0.1 * took, 3 * took)
    log.write_text(_digest(target.read_bytes()) + "\n")
    temporaries: set[str] = set()
    mid_write = 0  # kills that came after the temporary file was made, before its rename
    for kill in range(KILLS):
        before = target.read_bytes()

        def write(i, start=kill):
            WRITE[kind](versions[(start + i) % len(versions)], target)

        # Odd kills come within the write phase: at a random moment after the temporary
        # file is made; even kills at a random moment of the writer's run.
        armed = rng.uniform(0, WRITE_PHASE) if kill % 2 else None
        process = FORK.Process(target=_file_writer, args=(write, log, armed))
        _kill_after(process, rng.uniform(*span) if armed is None else 30)
        complete = set(_lines(log))
        assert target.exists(), f"kill {kill}: {target.name} is gone"
        now = target.read_bytes()
        assert _digest(now) in complete, f"kill {kill}: {target.name} is not a complete version"
        _opens(kind, target)
        left = set(os.listdir(folder)) - {target.name}
        for name in left:
            match = TEMPORARY.match(name)
            assert match, f"kill {kill}: unexpected file {name}"
            assert match["name"] == target.name
        mid_write += bool(left - temporaries)
        temporaries |= left
        if now != before:
            SURVIVED[kind] = SURVIVED.get(kind, 0) + 1
    # A later write in a folder holding stale temporaries replaces the target as usual.
    WRITE[kind](versions[1], target)
    _opens(kind, target)
    print(f"{kind}: {len(_lines(log))} versions, {mid_write} kills mid-write")
    assert len(_lines(log)) > 2  # the writers got far enough to replace the file


# -- killed in a store transaction -----------------------------------------------------------


def _store_writer(path: str, progress: str, start: int) -> None:
    store = open_store(path)
    run = store.latest()
    subcategories = nistpf.framework().subcategories["id"].tolist()[:40]
    handle = os.open(progress, os.O_WRONLY | os.O_APPEND | os.O_CREAT)
    i = start
    while True:
        sub = subcategories[i % len(subcategories)]
        if i % 7 == 3:
            store.set_register_edit(run, sub, owner=f"owner {i}", note=f"change {i}", who="w")
        else:
            store.set_rating(
                run,
                sub,
                system=("", "CRM-01")[i % 2],
                current=i % 5,
                evidence=f"evidence {i}",
                who="w",
                note=f"change {i}",
            )
        os.write(handle, f"{i}\n".encode())
        i += 1


def _check_store(path: Path) -> set[int]:
    """The store opens, passes SQLite's integrity check, and its tables agree with its log:
    replaying the log gives exactly the rows of ``ratings`` and ``register_edits``. Returns
    the changes (by number) the log holds, each complete."""
    with sqlite3.connect(path) as db:
        assert db.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        log = db.execute(
            "SELECT entity, key, field, new, note FROM log WHERE entity IN ('rating', 'register')"
            " ORDER BY seq"
        ).fetchall()
        ratings = db.execute(
            "SELECT subcategory, system, current, evidence, method, notes, assessor, date "
            "FROM ratings"
        ).fetchall()
        edits = db.execute(
            "SELECT subcategory, recommended_action, owner, due_date, status, comments "
            "FROM register_edits"
        ).fetchall()
    replayed: dict[tuple, dict] = {}
    fields_of: dict[str, set[str]] = {}
    for entity, key, field, new, note in log:
        replayed.setdefault((entity, *json.loads(key)), {})[field] = (
            None if new is None else json.loads(new)
        )
        fields_of.setdefault(note, set()).add(field)
    rating_fields = ("current", "evidence", "method", "notes", "assessor", "date")
    table = {
        ("rating", s, y): dict(zip(rating_fields, rest, strict=True)) for s, y, *rest in ratings
    }
    edit_fields = ("recommended_action", "owner", "due_date", "status", "comments")
    table |= {("register", s): dict(zip(edit_fields, rest, strict=True)) for s, *rest in edits}
    assert set(replayed) == set(table), "a row without its log, or a log without its row"
    for key, row in table.items():
        assert {f: replayed[key].get(f) for f in row} == row, key
    for note, fields in fields_of.items():  # every change logged whole
        i = int(note.split()[-1])
        assert ("owner" if i % 7 == 3 else "evidence") in fields, note
    assert open_store(path).latest() == 1
    return {int(note.split()[-1]) for note in fields_of}


def test_a_killed_store_transaction_leaves_the_old_or_the_new_state(sample, tmp_path):
    rng = random.Random(f"{SEED}-store")
    path = tmp_path / "engagement.nistpf"
    progress = tmp_path / "progress.txt"
    open_store(path).new_assessment("Baseline", sample)
    start = 0
    for kill in range(KILLS):
        process = FORK.Process(target=_store_writer, args=(str(path), str(progress), start))
        _kill_after(process, rng.uniform(*DELAY))
        committed = {int(i) for i in _lines(progress)}
        logged = _check_store(path)
        # Every change whose call returned is kept; at most the one being made when the kill
        # came is there without its caller knowing.
        assert committed <= logged, f"kill {kill}: lost {sorted(committed - logged)[:5]}"
        assert len(logged - committed) <= kill + 1, kill
        start = max(logged | committed, default=-1) + 1
    SURVIVED["store"] = KILLS
    assert len(logged) > KILLS  # the writers made changes between kills


# -- concurrent writers ----------------------------------------------------------------------


def _concurrent_writer(path: str, prefix: str, count: int) -> None:
    store = open_store(path, timeout=120)
    run = store.latest()
    subcategories = nistpf.framework().subcategories["id"].tolist()[:20]
    for i in range(count):
        store.set_rating(
            run,
            subcategories[(i * 7) % len(subcategories)],
            current=(i + len(prefix)) % 5,
            evidence=f"{prefix}-{i}",
            who=prefix,
            note=f"{prefix}-{i}",
        )


def test_concurrent_writers_lose_no_change(sample, tmp_path):
    path = tmp_path / "shared.nistpf"
    store = open_store(path)
    run = store.new_assessment("Baseline", sample)
    names = [f"W{k}" for k in range(CONCURRENT_WRITERS)]
    writers = [
        FORK.Process(target=_concurrent_writer, args=(str(path), name, CONCURRENT_CHANGES))
        for name in names
    ]
    for process in writers:
        process.start()
    for process in writers:
        process.join(240)
        assert process.exitcode == 0
    log = store.log(run)
    log = log[log["entity"] == "rating"]
    evidence = log[log["field"] == "evidence"]
    # Every change logged, exactly once, in each writer's own order.
    assert len(evidence) == CONCURRENT_WRITERS * CONCURRENT_CHANGES
    for name in names:
        mine = evidence[evidence["who"] == name]
        assert [json.loads(v) for v in mine["new"]] == [
            f"{name}-{i}" for i in range(CONCURRENT_CHANGES)
        ]
    # No lost update: each change's old value is the new value of the change before it.
    for _, changes in evidence.groupby("key", sort=False):
        news = changes["new"].tolist()
        assert changes["old"].tolist()[1:] == news[:-1]
    # The final state is the last change per key, by log order.
    last = evidence.groupby("key")["new"].last().map(json.loads)
    ratings = store.ratings(run).set_index("subcategory")["evidence"]
    assert {json.loads(k)[0]: v for k, v in last.items()} == ratings.to_dict()
    interleaved = (evidence["who"] != evidence["who"].shift()).sum()
    assert interleaved > 2  # the writers really did write at the same time


# -- the input is never changed --------------------------------------------------------------


def _fingerprint(path: Path) -> tuple[bytes, int]:
    return path.read_bytes(), path.stat().st_mtime_ns


def test_no_command_changes_the_input_workbook(tmp_path, monkeypatch, capsys):
    bundled = nistpf.sample_path()
    original = _fingerprint(bundled)
    source = tmp_path / "client.xlsx"
    shutil.copy2(bundled, source)
    before = _fingerprint(source)
    store = tmp_path / "engagement.nistpf"
    open_store(store).new_assessment("Baseline", nistpf.load_inventory(source))
    monkeypatch.setattr(cli, "sample_path", lambda: source)
    commands = [
        ["validate", str(source)],
        ["validate", str(source), "--format", "json"],
        ["assess", str(source)],
        ["assess", str(source), "-o", str(tmp_path / "register.xlsx"), "--store", str(store)],
        ["assess", str(source), "--carry-over", str(tmp_path / "register.xlsx")],
        ["report", str(source)],
        ["report", str(source), "--html", str(tmp_path / "r.html"), "--store", str(store)],
        ["demo", "-o", str(tmp_path / "demo")],
    ]
    for command in commands:
        assert cli.main(command) == 0, (command, capsys.readouterr())
        assert _fingerprint(source) == before, command
    # Writing over the input is refused, and leaves it as it was.
    assert cli.main(["assess", str(source), "-o", str(source)]) == 2
    assert cli.main(["report", str(source), "--html", str(source)]) == 2
    assert "never writes over its input" in capsys.readouterr().err
    with pytest.raises(nistpf.errors.OutputIsInputError):
        write_report(nistpf.assess(nistpf.load_inventory(source)), source)
    assert _fingerprint(source) == before
    assert _fingerprint(bundled) == original
    assert (tmp_path / "demo" / "deck.pptx").exists()
