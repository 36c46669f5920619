"""The engagement store's schema: a store of an older schema is migrated in place when it is
opened, one logged transaction per version, and a file that is not a usable store — not SQLite,
empty, cut short, damaged, another program's database, a newer nistpf's store, read-only — is
refused in one line and left exactly as it was."""

from __future__ import annotations

import contextlib
import json
import multiprocessing
import os
import random
import shutil
import sqlite3
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

import nistpf
from nistpf import store_schema
from nistpf.cli import main
from nistpf.store import SCHEMA_VERSION, StoreError, StoreMissingError, open_store
from nistpf.store_schema import (
    DamagedStoreError,
    Migration,
    MigrationError,
    NewerStoreError,
    NotAStoreError,
    StoreDatabaseError,
)
from tests.hostile_paths import is_root, place

# The DDL of the first version-1 store, as nistpf wrote it then — literally, not imported, so
# that a change to today's schema cannot change what an old store looks like here.
V1_FIRST = """
CREATE TABLE IF NOT EXISTS engagement (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS assessments (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    name TEXT NOT NULL,
    date TEXT NOT NULL,
    inventory_path TEXT NOT NULL DEFAULT '',
    inventory_name TEXT NOT NULL DEFAULT '',
    inventory_sha256 TEXT NOT NULL DEFAULT '',
    scale TEXT NOT NULL,
    framework_version TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS ratings (
    assessment INTEGER NOT NULL REFERENCES assessments(id),
    subcategory TEXT NOT NULL,
    system TEXT NOT NULL DEFAULT '',
    current REAL,
    evidence TEXT NOT NULL DEFAULT '',
    method TEXT NOT NULL DEFAULT '',
    notes TEXT NOT NULL DEFAULT '',
    assessor TEXT NOT NULL DEFAULT '',
    date TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (assessment, subcategory, system)
);
CREATE TABLE IF NOT EXISTS profile (
    assessment INTEGER NOT NULL REFERENCES assessments(id),
    pf_id TEXT NOT NULL,
    target REAL,
    priority TEXT NOT NULL DEFAULT '',
    in_profile INTEGER,
    rationale TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (assessment, pf_id)
);
CREATE TABLE IF NOT EXISTS tiers (
    assessment INTEGER NOT NULL REFERENCES assessments(id),
    attribute TEXT NOT NULL,
    tier INTEGER,
    evidence TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (assessment, attribute)
);
CREATE TABLE IF NOT EXISTS register_edits (
    assessment INTEGER NOT NULL REFERENCES assessments(id),
    subcategory TEXT NOT NULL,
    recommended_action TEXT NOT NULL DEFAULT '',
    owner TEXT NOT NULL DEFAULT '',
    due_date TEXT NOT NULL DEFAULT '',
    status TEXT NOT NULL DEFAULT '',
    comments TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (assessment, subcategory)
);
CREATE TABLE IF NOT EXISTS log (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    at TEXT NOT NULL,
    who TEXT NOT NULL,
    assessment INTEGER,
    entity TEXT NOT NULL,
    key TEXT NOT NULL,
    field TEXT NOT NULL,
    old TEXT,
    new TEXT,
    note TEXT NOT NULL DEFAULT ''
);
CREATE TRIGGER IF NOT EXISTS log_is_append_only_update BEFORE UPDATE ON log
BEGIN SELECT RAISE(ABORT, 'the change log is append-only'); END;
CREATE TRIGGER IF NOT EXISTS log_is_append_only_delete BEFORE DELETE ON log
BEGIN SELECT RAISE(ABORT, 'the change log is append-only'); END;
"""

# The tables later version-1 stores gained without a new version number.
V1_LATER_TABLES = """
CREATE TABLE IF NOT EXISTS scope (
    assessment INTEGER NOT NULL REFERENCES assessments(id),
    system TEXT NOT NULL,
    in_scope INTEGER NOT NULL,
    PRIMARY KEY (assessment, system)
);
CREATE TABLE IF NOT EXISTS workbooks (
    sha256 TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    saved_at TEXT NOT NULL,
    content BLOB NOT NULL
);
"""

V1_TABLES = ["engagement", "assessments", "ratings", "profile", "tiers", "register_edits", "log"]


def build_v1(path: Path, *, later_tables: bool = False, version_row: bool = True) -> None:
    """A version-1 store as nistpf 1 left it (write-ahead log, closed), with one assessment
    holding two ratings, a profile row, a Tier, a register edit and their log rows."""
    db = sqlite3.connect(path, isolation_level=None)
    db.execute("PRAGMA journal_mode=WAL")
    db.executescript(V1_FIRST + (V1_LATER_TABLES if later_tables else ""))
    if version_row:
        db.execute("INSERT INTO engagement VALUES ('schema_version', '1')")
    db.execute("INSERT INTO engagement VALUES ('name', 'Acme 2026')")
    db.execute("INSERT INTO engagement VALUES ('client', 'Acme Ltd')")
    db.execute(
        "INSERT INTO assessments VALUES (1, 'Baseline 2026', '2026-03-01', '', "
        "'inventory.xlsx', '', 'tiers', '1.0', '2026-03-01T09:00:00.000+00:00')"
    )
    db.execute(
        "INSERT INTO ratings VALUES (1, 'PR.DS-P2', '', 2.0, 'TLS scan', 'test', '', 'lead', "
        "'2026-03-02')"
    )
    db.execute(
        "INSERT INTO ratings VALUES (1, 'PR.DS-P2', 'CRM-01', 3.0, '', '', 'see ticket', "
        "'lead', '2026-03-02')"
    )
    db.execute("INSERT INTO profile VALUES (1, 'PR.DS-P', 3.0, 'High', 1, 'client data')")
    db.execute("INSERT INTO tiers VALUES (1, 'Workforce', 2, 'training records')")
    db.execute(
        "INSERT INTO register_edits VALUES (1, 'PR.DS-P2', 'Encrypt backups', 'IT', "
        "'2026-06-30', 'Open', '')"
    )
    for field, key, new in [
        ("created", [1], {"name": "Baseline 2026"}),
        ("current", ["PR.DS-P2", ""], 2.0),
        ("current", ["PR.DS-P2", "CRM-01"], 3.0),
    ]:
        db.execute(
            "INSERT INTO log (at, who, assessment, entity, key, field, old, new) "
            "VALUES ('2026-03-02T10:00:00.000+00:00', 'lead', 1, ?, ?, ?, NULL, ?)",
            ("assessment" if field == "created" else "rating", json.dumps(key), field,
             json.dumps(new)),
        )  # fmt: skip
    db.close()


def rows(path: Path, table: str) -> list[tuple]:
    with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as db:
        return db.execute(f"SELECT * FROM {table} ORDER BY rowid").fetchall()


def tables(path: Path) -> set[str]:
    with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as db:
        found = db.execute("SELECT name FROM sqlite_master WHERE type = 'table'").fetchall()
    return {name for (name,) in found}


def version(path: Path) -> str | None:
    with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as db:
        row = db.execute("SELECT value FROM engagement WHERE key = 'schema_version'").fetchone()
    return None if row is None else row[0]


def indexed_columns(path: Path, table: str) -> list[list[str]]:
    """The columns of each index of ``table``, in index order."""
    with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as db:
        names = [r[1] for r in db.execute(f"PRAGMA index_list({table})")]
        return [[r[2] for r in db.execute(f"PRAGMA index_info({name})")] for name in names]


def siblings(path: Path) -> list[str]:
    """What SQLite may leave beside a database."""
    return sorted(p.name for p in path.parent.glob(path.name + "-*"))


# -- migration -------------------------------------------------------------------------------


@pytest.mark.parametrize("later_tables", [False, True], ids=["first-v1", "later-v1"])
def test_a_version_1_store_is_migrated_in_place_with_its_data_unchanged(tmp_path, later_tables):
    path = tmp_path / "engagement.nistpf"
    build_v1(path, later_tables=later_tables)
    before = {table: rows(path, table) for table in V1_TABLES}

    store = open_store(path, create=False)

    assert version(path) == "3" == str(SCHEMA_VERSION)
    assert ["assessment", "entity", "key"] in indexed_columns(path, "log")
    with sqlite3.connect(path) as db:
        plan = db.execute(
            "EXPLAIN QUERY PLAN SELECT * FROM log WHERE assessment = 1 AND entity = 'rating' "
            'AND key = \'["PR.DS-P2", ""]\''
        ).fetchall()
    assert "USING INDEX log_by_key" in " ".join(str(step[-1]) for step in plan)
    # Every row as it was; the log has one more row, the migration's.
    for table in V1_TABLES:
        after = rows(path, table)
        if table == "engagement":
            assert sorted(after) == sorted(
                [("schema_version", "3"), ("name", "Acme 2026"), ("client", "Acme Ltd")]
            )
        elif table == "log":
            assert after[:3] == before["log"]
            assert len(after) == 5  # one row per version: 1 to 2, 2 to 3
        else:
            assert after == before[table], table
    for index, (start, end) in enumerate([(1, 2), (2, 3)], start=3):
        seq, at, who, assessment, entity, key, field, old, new, note = rows(path, "log")[index]
        assert (seq, assessment, entity, key) == (index + 1, None, "engagement", "[]")
        assert field == "schema_version"
        assert (json.loads(old), json.loads(new)) == (start, end)
        assert who
        assert at.startswith("20")
        assert f"schema {start} to {end}" in note
    assert "pram_edits" in tables(path)
    # Read through the store as before, and the tables the first version-1 stores lacked work.
    ratings = store.ratings(1)
    assert ratings[["system", "current"]].values.tolist() == [["", 2.0], ["CRM-01", 3.0]]
    assert store.engagement_name == "Acme 2026"
    assert store.client == "Acme Ltd"
    assert {"scope", "workbooks"} <= tables(path)
    store.set_scope(1, "CRM-01", False)
    assert store.scope(1)[["system", "in_scope"]].values.tolist() == [["CRM-01", False]]
    # Opened again: nothing more to do, nothing logged again.
    open_store(path)
    assert len(rows(path, "log")) == 6  # the migrations' rows and the scope change's


def test_a_store_without_a_schema_version_row_is_read_as_version_1_and_gets_one(tmp_path):
    path = tmp_path / "engagement.nistpf"
    build_v1(path, version_row=False)
    open_store(path)
    assert version(path) == "3"
    first, last = rows(path, "log")[-2:]
    # The version the store was read as is the old value, though no row recorded it.
    assert first[4:9] == ("engagement", "[]", "schema_version", "1", "2")
    assert last[4:9] == ("engagement", "[]", "schema_version", "2", "3")


def test_a_failing_migration_is_rolled_back_and_the_store_stays_at_its_version(
    tmp_path, monkeypatch
):
    path = tmp_path / "engagement.nistpf"
    build_v1(path)
    original = path.read_bytes()
    real = store_schema.MIGRATIONS[2]

    def half_done(db):
        real.apply(db)  # the index and tables made, then the step fails
        raise RuntimeError("no space left on device")

    monkeypatch.setitem(store_schema.MIGRATIONS, 2, Migration(2, real.summary, half_done))
    with pytest.raises(MigrationError) as caught:
        open_store(path)
    message = str(caught.value)
    assert "\n" not in message
    assert message.startswith(f"{path}: updating the store from schema 1 to 2 failed")
    assert "RuntimeError: no space left on device" in message
    assert "it is still at schema 1" in message
    assert path.read_bytes() == original
    assert siblings(path) == []
    assert version(path) == "1"
    assert indexed_columns(path, "log") == []
    assert "scope" not in tables(path)
    # Once the cause is gone, it migrates.
    monkeypatch.setitem(store_schema.MIGRATIONS, 2, real)
    open_store(path)
    assert version(path) == "3"


def test_migrations_run_in_order_each_in_its_own_transaction(tmp_path, monkeypatch):
    path = tmp_path / "engagement.nistpf"
    build_v1(path)
    monkeypatch.setattr(nistpf.store, "SCHEMA_VERSION", 4)

    def to_4(db):
        # Runs after step 3 committed: its table is there, and the version row says 3.
        assert db.execute("SELECT value FROM engagement WHERE key = 'schema_version'").fetchone()
        assert db.execute("SELECT count(*) FROM pram_edits").fetchone() == (0,)
        db.execute("CREATE TABLE four (x)")
        raise ValueError("step 4 broke")

    monkeypatch.setitem(store_schema.MIGRATIONS, 4, Migration(4, "a fourth", to_4))
    with pytest.raises(MigrationError, match="from schema 3 to 4 failed"):
        open_store(path)
    assert version(path) == "3"  # steps 2 and 3 committed on their own
    assert "four" not in tables(path)
    assert [r[7:9] for r in rows(path, "log")[3:]] == [("1", "2"), ("2", "3")]

    monkeypatch.setitem(store_schema.MIGRATIONS, 4, Migration(4, "a fourth", lambda db: None))
    open_store(path)
    assert version(path) == "4"
    assert [r[7:9] for r in rows(path, "log")[3:]] == [("1", "2"), ("2", "3"), ("3", "4")]


def _open(path: str, start) -> None:
    start.wait(30)
    open_store(path)


def test_processes_opening_an_old_store_at_once_migrate_it_once(tmp_path):
    path = tmp_path / "engagement.nistpf"
    build_v1(path)
    context = multiprocessing.get_context("fork")
    start = context.Barrier(3)
    openers = [context.Process(target=_open, args=(str(path), start)) for _ in range(3)]
    for process in openers:
        process.start()
    for process in openers:
        process.join(60)
        assert process.exitcode == 0
    assert version(path) == "3"
    assert [r[6] for r in rows(path, "log")].count("schema_version") == 2  # 1 to 2, 2 to 3


def test_a_new_store_is_made_at_the_current_version(tmp_path):
    path = tmp_path / "new" / "engagement.nistpf"
    open_store(path)
    assert version(path) == str(SCHEMA_VERSION)
    assert ["assessment", "entity", "key"] in indexed_columns(path, "log")
    assert set(V1_TABLES) | {"scope", "workbooks"} <= tables(path)
    assert rows(path, "log") == []


def test_opening_a_current_store_writes_nothing(tmp_path):
    path = tmp_path / "engagement.nistpf"
    open_store(path).set_engagement_name("Acme")
    before = path.read_bytes()
    open_store(path, create=False)
    assert path.read_bytes() == before
    assert siblings(path) == []


def test_a_database_nistpf_began_but_left_without_tables_becomes_a_store(tmp_path):
    # What creating a store leaves if it stops between the write-ahead log and the tables.
    path = tmp_path / "engagement.nistpf"
    db = sqlite3.connect(path, isolation_level=None)
    db.execute("PRAGMA journal_mode=WAL")
    db.close()
    assert path.stat().st_size > 0
    assert open_store(path).assessments().empty
    assert version(path) == str(SCHEMA_VERSION)


def test_a_missing_store_is_still_missing_when_it_is_not_to_be_created(tmp_path):
    with pytest.raises(StoreMissingError, match="no such engagement store"):
        open_store(tmp_path / "typo.nistpf", create=False)
    assert list(tmp_path.iterdir()) == []


# -- refusals --------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def real_store(tmp_path_factory) -> bytes:
    """The bytes of a store of this nistpf holding one assessment and its workbook."""
    path = tmp_path_factory.mktemp("real") / "engagement.nistpf"
    store = open_store(path)
    store.new_assessment("Baseline", nistpf.load_inventory(nistpf.sample_path()))
    assert siblings(path) == []
    return path.read_bytes()


def _page(data: bytes) -> int:
    return int.from_bytes(data[16:18], "big")


def _foreign(path: Path, *, wal: bool) -> None:
    db = sqlite3.connect(path, isolation_level=None)
    if wal:
        db.execute("PRAGMA journal_mode=WAL")
    db.execute("CREATE TABLE contacts (name TEXT, email TEXT)")
    db.execute("CREATE TABLE notes (body TEXT)")
    db.execute("INSERT INTO contacts VALUES ('Ada', 'ada@example.org')")
    db.close()


def _newer(path: Path, real: bytes) -> None:
    path.write_bytes(real)
    db = sqlite3.connect(path, isolation_level=None)
    db.execute(
        "UPDATE engagement SET value = ? WHERE key = 'schema_version'", (str(SCHEMA_VERSION + 1),)
    )
    db.close()


def _no_tables(path: Path) -> None:
    db = sqlite3.connect(path, isolation_level=None)
    db.execute("PRAGMA user_version = 7")  # a database another program made, in rollback mode
    db.close()


def _engagement_of_another_app(path: Path) -> None:
    db = sqlite3.connect(path, isolation_level=None)
    db.execute("CREATE TABLE engagement (client TEXT, starts TEXT)")
    db.close()


def _without_column(path: Path, real: bytes, table: str, column: str) -> None:
    """A real store whose ``table`` lost ``column`` (by hand, or another tool)."""
    path.write_bytes(real)
    db = sqlite3.connect(path, isolation_level=None)
    db.execute(f"ALTER TABLE {table} DROP COLUMN {column}")
    db.execute("PRAGMA journal_mode=DELETE")  # no -wal left beside it
    db.close()


# kind -> (how to make it from a real store's bytes, the error, what the message says)
KINDS = {
    "ratings-without-notes": (
        lambda p, real: _without_column(p, real, "ratings", "notes"),
        DamagedStoreError,
        "is damaged (its ratings table lacks the column(s) notes)",
    ),
    "assessments-without-scale": (
        lambda p, real: _without_column(p, real, "assessments", "scale"),
        DamagedStoreError,
        "is damaged (its assessments table lacks the column(s) scale)",
    ),
    "text": (
        lambda p, real: p.write_text("not a database " * 100),
        NotAStoreError,
        "is not a nistpf engagement store (it is a text file, not an SQLite file)",
    ),
    "random-bytes": (
        lambda p, real: p.write_bytes(random.Random(7).randbytes(8192)),
        NotAStoreError,
        "(it is not an SQLite file)",
    ),
    "xlsx": (
        lambda p, real: shutil.copyfile(nistpf.sample_path(), p),
        NotAStoreError,
        "(it is a ZIP archive, such as an .xlsx workbook, not an SQLite file)",
    ),
    "empty": (lambda p, real: p.write_bytes(b""), NotAStoreError, "is an empty file"),
    "header-only": (
        lambda p, real: p.write_bytes(real[:100]),
        DamagedStoreError,
        "is damaged (cut short: 100 bytes is not a whole number of 4096-byte pages)",
    ),
    "zero-page-header": (
        lambda p, real: p.write_bytes(b"SQLite format 3\x00" + bytes(4096 - 16)),
        DamagedStoreError,
        "is damaged (its header gives no valid page size (0))",
    ),
    "cut-mid-page": (
        lambda p, real: p.write_bytes(real[: 4096 * 2 + 1000]),
        DamagedStoreError,
        "is damaged (cut short: 9192 bytes is not a whole number of 4096-byte pages)",
    ),
    "cut-at-a-page": (
        lambda p, real: p.write_bytes(real[: len(real) - _page(real)]),
        DamagedStoreError,
        "is damaged (cut short: its header counts",
    ),
    "page-1-wiped": (
        lambda p, real: p.write_bytes(real[:100] + bytes(_page(real) - 100) + real[_page(real) :]),
        DamagedStoreError,
        "is damaged (SQLite: database disk image is malformed)",
    ),
    "other-app-database": (
        lambda p, real: _foreign(p, wal=False),
        NotAStoreError,
        "is an SQLite database but not a nistpf engagement store (tables: contacts, notes)",
    ),
    "other-app-database-wal": (
        lambda p, real: _foreign(p, wal=True),
        NotAStoreError,
        "is an SQLite database but not a nistpf engagement store (tables: contacts, notes)",
    ),
    "other-app-engagement-table": (
        lambda p, real: _engagement_of_another_app(p),
        NotAStoreError,
        "not a nistpf engagement store (tables: engagement)",
    ),
    "database-without-tables": (
        lambda p, real: _no_tables(p),
        NotAStoreError,
        "not a nistpf engagement store (it has no tables)",
    ),
    "newer-store": (
        _newer,
        NewerStoreError,
        f"was made by a newer nistpf (schema {SCHEMA_VERSION + 1}; this nistpf reads up to "
        f"{SCHEMA_VERSION}): upgrade nistpf",
    ),
}


@pytest.fixture(params=sorted(KINDS))
def refused(request, tmp_path, real_store):
    make, error, words = KINDS[request.param]
    path = tmp_path / "engagement.nistpf"
    make(path, real_store)
    assert siblings(path) == []
    return path, path.read_bytes(), error, words


@pytest.mark.parametrize("create", [True, False])
def test_what_is_not_a_usable_store_is_refused_in_one_line_and_left_unchanged(refused, create):
    path, original, error, words = refused
    with pytest.raises(StoreError) as caught:
        open_store(path, create=create)
    assert type(caught.value) is error
    message = str(caught.value)
    assert "\n" not in message
    assert message.startswith(str(path))
    assert words in message
    assert path.read_bytes() == original
    assert siblings(path) == []


@pytest.mark.parametrize("command", ["report", "assess", "follow-up"])
def test_the_cli_refuses_it_in_one_line_with_exit_2(refused, command, tmp_path, capsys):
    path, original, _, words = refused
    source = shutil.copyfile(nistpf.sample_path(), tmp_path / "inventory.xlsx")
    argv = {
        "report": ["report", str(source), "--store", str(path)],
        "assess": ["assess", str(source), "--store", str(path)],
        "follow-up": ["follow-up", str(path), "Follow-up 2027"],
    }[command]
    assert main(argv) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert err.startswith(f"nistpf: {path}")
    assert err.count("\n") == 1
    assert words in err
    assert path.read_bytes() == original
    assert siblings(path) == []
    assert sorted(p.name for p in tmp_path.iterdir()) == ["engagement.nistpf", "inventory.xlsx"]


@pytest.mark.parametrize("kind", ["xlsx", "other-app-database-wal", "newer-store"])
def test_a_refused_store_is_one_line_from_the_installed_command(kind, tmp_path, real_store):
    make, _, words = KINDS[kind]
    path = tmp_path / "engagement.nistpf"
    make(path, real_store)
    original = path.read_bytes()
    source = shutil.copyfile(nistpf.sample_path(), tmp_path / "inventory.xlsx")
    done = subprocess.run(
        [sys.executable, "-m", "nistpf", "report", str(source), "--store", str(path)],
        capture_output=True,
        text=True,
        check=False,
        cwd=tmp_path,
    )
    assert done.returncode == 2
    assert done.stderr.count("\n") == 1
    assert "Traceback" not in done.stderr
    assert words in done.stderr
    assert path.read_bytes() == original
    assert siblings(path) == []


def test_a_pipe_given_as_the_store_is_refused_without_waiting_for_it(tmp_path):
    path = tmp_path / "engagement.nistpf"
    os.mkfifo(path)
    with pytest.raises(NotAStoreError, match="not a regular file"):
        open_store(path)


# -- read-only -------------------------------------------------------------------------------


@pytest.fixture
def shared_folder():
    """A folder another user can reach (pytest's own are private to this one)."""
    folder = Path(tempfile.mkdtemp(prefix="nistpf-store-"))
    folder.chmod(0o755)
    yield folder
    for path in [folder, *folder.iterdir()]:
        path.chmod(0o755)
    shutil.rmtree(folder)


def _as_another_user(argv: list[str], cwd: Path) -> subprocess.CompletedProcess:
    """``python -m nistpf argv`` as a user the file modes apply to: as root, whom they do not
    stop, as nobody."""
    prefix: list[str] = []
    if os.geteuid() == 0:
        setpriv = shutil.which("setpriv")
        if setpriv is None:
            pytest.skip("running as root without setpriv: file modes cannot refuse a write")
        prefix = [setpriv, "--reuid=65534", "--regid=65534", "--clear-groups"]
    return subprocess.run(
        [*prefix, sys.executable, "-m", "nistpf", *argv],
        capture_output=True,
        text=True,
        check=False,
        cwd=cwd,
        env={**os.environ, "HOME": str(cwd), "PYTHONDONTWRITEBYTECODE": "1"},
        timeout=120,
    )


@pytest.mark.parametrize(
    ("file_mode", "folder_mode", "words"),
    [(0o444, 0o777, "is read-only"), (0o666, 0o555, "is in a read-only folder")],
    ids=["read-only-file", "read-only-folder"],
)
def test_a_read_only_store_or_folder_is_one_line(shared_folder, file_mode, folder_mode, words):
    path = shared_folder / "engagement.nistpf"
    build_v1(path)  # it would need a migration: nothing may be written
    source = shutil.copyfile(nistpf.sample_path(), shared_folder / "inventory.xlsx")
    original = path.read_bytes()
    path.chmod(file_mode)
    source.chmod(0o644)
    shared_folder.chmod(folder_mode)
    done = _as_another_user(["report", str(source), "--store", str(path)], shared_folder)
    assert done.returncode == 2, done.stderr
    assert done.stderr == f"nistpf: {path} {words}" + done.stderr.split(words, 1)[1]
    assert done.stderr.count("\n") == 1
    assert "Traceback" not in done.stderr
    assert path.read_bytes() == original
    assert siblings(path) == []


# -- what another process or tool can leave a store as --------------------------------------


def _create(path: str, start) -> str:
    start.wait()
    try:
        open_store(path).set_engagement_name("made at once")
    except StoreError as error:
        return f"{type(error).__name__}: {error}"
    return "ok"


def test_processes_creating_one_store_at_once_all_open_it(tmp_path):
    """A new store appears whole under its name (written aside, then linked), so a process
    opening it at that moment never finds an empty file it would refuse."""
    context = multiprocessing.get_context("fork")
    for attempt in range(8):
        path = tmp_path / f"new{attempt}.nistpf"
        start = context.Manager().Barrier(4)
        with context.Pool(4) as pool:
            results = pool.starmap(_create, [(str(path), start)] * 4)
        assert results == ["ok"] * 4, results
        assert version(path) == str(SCHEMA_VERSION)
        assert len([r for r in rows(path, "log") if r[6] == "name"]) == 4
    # No store written aside is left (SQLite's -wal and -shm may stay beside a store).
    stores = {p.name.removesuffix("-wal").removesuffix("-shm") for p in tmp_path.iterdir()}
    assert sorted(stores) == [f"new{i}.nistpf" for i in range(8)]


def test_a_store_another_tool_put_in_rollback_mode_waits_for_its_writer(tmp_path, real_store):
    """Out of WAL mode, a writer's lock is seen (the busy line), not read through."""
    path = tmp_path / "engagement.nistpf"
    path.write_bytes(real_store)
    db = sqlite3.connect(path, isolation_level=None)
    db.execute("PRAGMA journal_mode=DELETE")
    db.execute("BEGIN EXCLUSIVE")
    db.execute("UPDATE engagement SET value = '999' WHERE key = 'schema_version'")
    try:
        with pytest.raises(StoreError) as caught:
            open_store(path, timeout=0.2)
        assert "newer" not in str(caught.value)
        assert "locked" in str(caught.value) or "busy" in str(caught.value)
    finally:
        db.execute("ROLLBACK")
        db.close()
    assert version(open_store(path).path) == str(SCHEMA_VERSION)


def test_a_hot_journal_left_by_a_writer_that_stopped_is_rolled_back(tmp_path, real_store):
    """A writer in rollback mode killed mid-transaction leaves its -journal: the store opens
    as it was at the last commit (SQLite's own recovery), not as damaged or newer."""
    path = tmp_path / "engagement.nistpf"
    path.write_bytes(real_store)
    db = sqlite3.connect(path, isolation_level=None)
    db.execute("PRAGMA journal_mode=DELETE")
    db.close()
    script = (
        "import os, sqlite3, sys\n"
        "db = sqlite3.connect(sys.argv[1], isolation_level=None)\n"
        "db.execute('PRAGMA cache_size=1')\n"  # pages spill into the file mid-transaction
        "db.execute('BEGIN EXCLUSIVE')\n"
        "db.execute(\"UPDATE engagement SET value = '999' WHERE key = 'schema_version'\")\n"
        "db.execute('CREATE TABLE filler (x BLOB)')\n"
        "for _ in range(200): db.execute('INSERT INTO filler VALUES (randomblob(4000))')\n"
        "os._exit(9)\n"  # no commit, no rollback: a crash
    )
    done = subprocess.run([sys.executable, "-c", script, str(path)], check=False)
    assert done.returncode == 9
    journal = path.with_name(path.name + "-journal")
    assert journal.exists()
    assert journal.stat().st_size > 0
    store = open_store(path)
    assert version(path) == str(SCHEMA_VERSION)
    assert "filler" not in tables(path)
    assert list(store.assessments()["name"]) == ["Baseline"]


def test_dropped_log_triggers_are_written_again_and_the_log_says_so(tmp_path, real_store):
    path = tmp_path / "engagement.nistpf"
    path.write_bytes(real_store)
    db = sqlite3.connect(path, isolation_level=None)
    db.execute("DROP TRIGGER log_is_append_only_update")
    db.execute("DROP TRIGGER log_is_append_only_delete")
    db.execute("UPDATE log SET who = 'someone else' WHERE seq = 1")  # now possible
    db.close()
    store = open_store(path)
    last = store.log().iloc[-1]
    assert (last["field"], last["new"]) == ("log_guard", '"restored"')
    assert json.loads(last["old"]) == ["log_is_append_only_delete", "log_is_append_only_update"]
    assert "may have been changed or deleted outside nistpf" in last["note"]
    db = sqlite3.connect(path, isolation_level=None)
    try:
        for statement in ("UPDATE log SET who = 'x'", "DELETE FROM log"):
            with pytest.raises(sqlite3.IntegrityError, match="append-only"):
                db.execute(statement)
    finally:
        db.close()
    before = path.read_bytes()
    open_store(path)  # guarded: nothing more is written
    assert path.read_bytes() == before


@pytest.mark.parametrize("size", ["64k", "150k"])
def test_a_store_made_on_a_full_disk_is_one_line_and_leaves_nothing(tmp_path, size):
    """On a device too small for it, a new store is refused in one line saying the space is
    the cause, and nothing is left in the folder. (Before, on a device of 120–180 KiB,
    SQLite's checkpoint into the store made aside failed silently when the connection closed,
    and the cut-short file was linked into place and then called damaged.)"""
    if not is_root() and not os.environ.get("CI"):
        pytest.skip("mounting a small file system needs root")
    with place("full", tmp_path) as disk:
        # place() mounts a 64 KiB tmpfs; remount it at the size under test
        subprocess.run(["mount", "-o", f"remount,size={size}", str(disk)], check=True)
        with pytest.raises(StoreDatabaseError, match="no space left on the device") as caught:
            open_store(disk / "x.nistpf")
        assert "\n" not in str(caught.value)
        assert str(disk / "x.nistpf") in str(caught.value)  # the store, not a temporary name
        assert list(disk.iterdir()) == []


def test_a_store_on_a_disk_that_filled_up_is_one_line_naming_the_space(tmp_path, capsys):
    """A store made when there was room, on a device that has since filled up: the next
    command is refused in one line that names the space as the cause (SQLite says only "disk
    I/O error", which read as another program holding the store), and the store is unchanged."""
    if not is_root() and not os.environ.get("CI"):
        pytest.skip("mounting a small file system needs root")
    with place("full", tmp_path) as disk:
        subprocess.run(["mount", "-o", "remount,size=400k", str(disk)], check=True)
        store = open_store(disk / "eng.nistpf")
        store.set_engagement_name("Acme")
        before = (disk / "eng.nistpf").read_bytes()
        with contextlib.suppress(OSError), (disk / "filler").open("wb") as filler:
            filler.write(b"\0" * (1 << 20))  # fills the device: ENOSPC part way
        for command in (
            ["follow-up", str(disk / "eng.nistpf"), "Follow-up 2027"],
            [
                "report",
                str(nistpf.sample_path()),
                "--store",
                str(disk / "eng.nistpf"),
                "--html",
                str(tmp_path / "r.html"),
            ],
        ):
            assert main(command) == 2, command
            err = capsys.readouterr().err
            assert err.count("\n") == 1, err
            assert err.startswith("nistpf: "), err
            assert "no space left on the device" in err, err
        assert (disk / "eng.nistpf").read_bytes() == before


@pytest.mark.parametrize("suffix", ["", "-wal", "-shm", "-journal"])
def test_export_log_over_its_own_store_or_side_file_is_refused(tmp_path, real_store, suffix):
    """The log's CSV written at the store's own name would replace the store (and at a side
    file's, be taken for its journal): refused in one line before anything is written."""
    from nistpf.errors import OutputIsInputError

    path = tmp_path / "engagement.nistpf"
    path.write_bytes(real_store)
    store = open_store(path, create=False)
    before = {p.name: p.read_bytes() for p in tmp_path.iterdir()}
    target = tmp_path / f"engagement.nistpf{suffix}"
    with pytest.raises(OutputIsInputError) as caught:
        store.export_log(target)
    message = str(caught.value)
    assert "\n" not in message
    assert message.startswith(str(target))
    assert "which this command reads" in message
    assert {p.name: p.read_bytes() for p in tmp_path.iterdir()} == before
    assert open_store(path, create=False).log()["field"].tolist()  # still a store, log whole
