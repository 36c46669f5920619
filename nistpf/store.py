"""The engagement store: one SQLite file per engagement that never loses a rating.

It holds the engagement's assessments (name, date, the inventory's file name and SHA-256, the
scale), and for each the assessor's ratings, Target Profile edits, the organisation's Tiers, the
client's register edits and the consultant's NIST PRAM edits (a likelihood, impact factors,
selected controls and the reason, per data action and problem for individuals). Every change
is saved the moment it is made, in one transaction with an append-only log row (who, when,
what, old value, new value, note), so a kernel restart or a closed laptop loses nothing, and
reopening restores the latest state.

Two notebooks, or a notebook and the command line, can write to one store at once, and no
update is lost: SQLite's write-ahead log lets readers go on while a writer writes; each change
takes the write lock before it reads anything it decides on (``BEGIN IMMEDIATE``), waiting up
to ``timeout`` seconds for a lock another process holds; and a change writes only the fields
it is given (the others are :data:`KEEP`), so one notebook saving a rating's evidence and
another its level, or an owner and a status of one register row, both keep theirs. Every
read-modify-write — a follow-up copying the previous assessment, the log's old values — is
one such transaction, so the log of each field is an unbroken chain of old → new values.

>>> store = open_store("acme.nistpf")                                 # doctest: +SKIP
>>> run = store.new_assessment("Baseline 2026", inventory)            # doctest: +SKIP
>>> store.set_rating(run, "PR.DS-P2", current=2, who="lead assessor") # doctest: +SKIP
>>> nistpf.assess(store.apply(inventory, run))                        # doctest: +SKIP
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import getpass
import json
import os
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd

from nistpf.errors import NistpfError
from nistpf.framework import framework as load_framework
from nistpf.inventory.model import (
    PRAM_EDIT_COLUMNS,
    PRAM_EDIT_NUMBERS,
    PROFILE_COLUMNS,
    RESPONSE_COLUMNS,
    TIER_COLUMNS,
    Inventory,
)
from nistpf.inventory.schema import METHODS, PRIORITIES, TIER_ATTRIBUTES, fold
from nistpf.inventory.values import Bad, read_date
from nistpf.io.csv_safe import write_csv
from nistpf.io.paths import Use, check_paths, store_uses
from nistpf.io.register_columns import EDIT_COLUMNS
from nistpf.scales import scale as load_scale

SCHEMA_VERSION = 3
"""The schema this nistpf writes: a new store is made at it, an older store is migrated to it
when opened (:mod:`nistpf.store_schema` lists the versions and what each migration does), and a
store of a newer one is refused."""
MAX_TEXT_CHARS = 32_767
"""The longest text a store keeps in a field (a rating's evidence, a note, a name, who made a
change), in characters: Excel's limit on a cell, where the gap register shows it, and the
inventory reader's (:data:`nistpf.inventory.limits.MAX_CELL_CHARS`). Saving a longer one is a
:class:`StoreError`; a store holding one is refused as damaged when opened
(:mod:`nistpf.store_schema`)."""
ORPHAN_COLUMNS = ["entity", "key", "value", "reason"]
LOG_COLUMNS = ["seq", "at", "who", "assessment", "entity", "key", "field", "old", "new", "note"]

_SCHEMA = """
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
CREATE TABLE IF NOT EXISTS scope (
    assessment INTEGER NOT NULL REFERENCES assessments(id),
    system TEXT NOT NULL,
    in_scope INTEGER NOT NULL,
    PRIMARY KEY (assessment, system)
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
CREATE TABLE IF NOT EXISTS pram_edits (
    assessment INTEGER NOT NULL REFERENCES assessments(id),
    data_action TEXT NOT NULL,
    problem TEXT NOT NULL,
    likelihood REAL,
    noncompliance REAL,
    direct_business REAL,
    reputational REAL,
    internal_culture REAL,
    other REAL,
    selected_controls TEXT NOT NULL DEFAULT '',
    rationale TEXT NOT NULL DEFAULT '',
    reason TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (assessment, data_action, problem)
);
-- The workbook each assessment read, by SHA-256: an assessment followed up keeps scoring the
-- workbook it was made with, whatever the client sends for the next one.
CREATE TABLE IF NOT EXISTS workbooks (
    sha256 TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    saved_at TEXT NOT NULL,
    content BLOB NOT NULL
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
-- The log is read by assessment and key (schema 2).
CREATE INDEX IF NOT EXISTS log_by_key ON log (assessment, entity, key);
"""
# The log's guard: SQLite refuses to change or delete a row of the log (one statement each).
_LOG_GUARD = tuple(
    f"CREATE TRIGGER IF NOT EXISTS log_is_append_only_{action.lower()} BEFORE {action} ON log "
    "BEGIN SELECT RAISE(ABORT, 'the change log is append-only'); END"
    for action in ("UPDATE", "DELETE")
)
_SCHEMA += "".join(f"{statement};\n" for statement in _LOG_GUARD)


# entity -> (table, key columns, editable fields)
_ENTITIES = {
    "rating": (
        "ratings",
        ("subcategory", "system"),
        ("current", "evidence", "method", "notes", "assessor", "date"),
    ),
    "profile": ("profile", ("pf_id",), ("target", "priority", "in_profile", "rationale")),
    "tier": ("tiers", ("attribute",), ("tier", "evidence")),
    "scope": ("scope", ("system",), ("in_scope",)),
    "register": ("register_edits", ("subcategory",), tuple(EDIT_COLUMNS[1:])),
    "pram": ("pram_edits", ("data_action", "problem"), tuple(PRAM_EDIT_COLUMNS[2:])),
}


# Fields that record when a change was made: they change with a change, never alone.
_STAMPS = ("date",)

# Fields that hold a number (or a yes/no): blank is NULL; every other field's blank is "".
_NUMBERS = frozenset({"current", "target", "in_profile", "tier", "in_scope", *PRAM_EDIT_NUMBERS})


class _Keep:
    """Marks an argument left out: the stored value stays as it is."""

    def __repr__(self) -> str:
        return "KEEP"


KEEP: Any = _Keep()
"""The default of a setter's field: "not given", so the stored value stays as it is (a
concurrent change to it by another process included). ``None`` or ``""`` clears a field."""


class StoreError(NistpfError, ValueError):
    """The store cannot do what was asked: a file that is not a store, an unknown assessment,
    a value that does not fit (the message says which and how to fix it)."""

    code = "store-error"


class StoreMissingError(StoreError, FileNotFoundError):
    """A store that was asked for by path does not exist (and was not to be created); a folder
    is a :class:`StoreError` saying that a store is one file."""

    code = "store-missing"

    def __init__(self, path: Path):
        self.path = path
        super().__init__(
            f"{path}: no such engagement store; check the path (an engagement folder made by "
            "`nistpf new` holds engagement.nistpf), or start one with `nistpf new DIR`"
        )


class EmptyStoreError(StoreError, LookupError):
    """The store holds no assessment yet."""

    code = "store-empty"

    def __init__(self, path: Path):
        self.path = path
        super().__init__(
            f"{path.name} holds no assessment yet: the guided notebook "
            "(02_guided_assessment.ipynb in the engagement folder) starts one when it loads "
            "inventory.xlsx, and keeps every rating made there"
        )


def open_store(path: str | Path, *, timeout: float = 30.0, create: bool = True) -> Store:
    """Open the engagement store at ``path``. A missing file is created (an empty store at
    :data:`SCHEMA_VERSION`) when ``create`` is true, the default, and is a
    :class:`StoreMissingError` otherwise — what the CLI's ``--store`` uses, so that a mistyped
    path creates nothing. A store of an older schema is migrated in place (one transaction and
    one log row per version; :mod:`nistpf.store_schema`).

    What is not a usable store is refused before anything is written to it — no byte changed,
    no ``-wal``, ``-shm`` or ``-journal`` file made beside it — with a one-line
    :class:`StoreError`: :class:`~nistpf.store_schema.NotAStoreError` (a folder, an empty file,
    a file that is not SQLite, another program's SQLite database),
    :class:`~nistpf.store_schema.DamagedStoreError` (cut short, damaged),
    :class:`~nistpf.store_schema.NewerStoreError` (made by a newer nistpf),
    :class:`~nistpf.store_schema.StoreAccessError` (unreadable, a read-only file or folder, a
    folder that cannot be created), :class:`~nistpf.store_schema.MigrationError` (a migration
    step failed; the store stays at the version before it)."""
    path = Path(path)
    if not create:
        try:
            missing = not path.exists()
        except OSError:  # e.g. a folder on the way that cannot be searched: the Store says so
            missing = False
        if missing:
            raise StoreMissingError(path)
    return Store(path, timeout=timeout)


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="milliseconds")


def _who(who: str | None) -> str:
    if who:
        return who
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "unknown"


class Store:
    """See the module documentation. Methods that change something take ``who`` (default: the
    operating-system user) and an optional ``note``, which go into the log."""

    def __init__(self, path: Path, *, timeout: float = 30.0):
        """Open the store at ``path``, creating it when there is none and migrating an older
        one; the errors of :func:`open_store`, whose checks run before anything is written."""
        from nistpf import store_schema

        self.path = Path(path)
        self._timeout = timeout
        version = store_schema.inspect(self.path, timeout=timeout)
        if version is None:
            store_schema.create(self)
        elif version < SCHEMA_VERSION:
            store_schema.migrate(self, version)
        store_schema.guard_log(self)

    def __repr__(self) -> str:
        return f"<Store {self.path}: {len(self.assessments())} assessments>"

    @contextlib.contextmanager
    def _connection(
        self, *, create: bool = False, path: Path | None = None
    ) -> Iterator[sqlite3.Connection]:
        """A connection to the store (write-ahead log, full sync, foreign keys), closed after;
        to ``path`` instead when given (a store being made aside, :mod:`nistpf.store_schema`).
        It never creates the file unless ``create`` (a store moved or deleted since it was
        opened is an error, not a new empty store). SQLite's operational errors — locked
        beyond the timeout, read-only, disk full, cannot open — come out as one-line
        :class:`~nistpf.store_schema.StoreDatabaseError` (still an
        :class:`sqlite3.OperationalError`)."""
        from nistpf.store_schema import StoreDatabaseError

        path = self.path if path is None else path
        mode = "rwc" if create else "rw"
        uri = f"{Path(os.path.abspath(path)).as_uri()}?mode={mode}"
        try:
            db = sqlite3.connect(uri, uri=True, timeout=self._timeout, isolation_level=None)
        except sqlite3.Error as error:
            raise StoreDatabaseError.of(path, error, self._timeout) from error
        try:
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA synchronous=FULL")
            db.execute("PRAGMA foreign_keys=ON")
            # A system ID matches as the loader matches one (case and spacing forgiven).
            db.create_function("nistpf_fold", 1, _fold_sql, deterministic=True)
            yield db
        except sqlite3.DatabaseError as error:
            # Operational errors and damage (not a constraint or a trigger's refusal).
            if isinstance(error, StoreError) or type(error) not in (
                sqlite3.OperationalError,
                sqlite3.DatabaseError,
            ):
                raise
            raise StoreDatabaseError.of(path, error, self._timeout) from error
        finally:
            db.close()

    @contextlib.contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        """One write transaction; the write lock is taken before anything is read."""
        with self._connection() as db:
            db.execute("BEGIN IMMEDIATE")
            try:
                yield db
            except BaseException:
                db.execute("ROLLBACK")
                raise
            db.execute("COMMIT")

    def _read(self, sql: str, params: tuple = ()) -> pd.DataFrame:
        with self._connection() as db:
            cursor = db.execute(sql, params)
            columns = [c[0] for c in cursor.description]
            # Objects as SQLite gives them: None stays None, text stays text.
            return pd.DataFrame(cursor.fetchall(), columns=columns, dtype=object)

    # -- the engagement ----------------------------------------------------------------------
    def set_engagement_name(self, name: str, *, who: str | None = None) -> None:
        """Name the engagement (shown in notebooks and reports)."""
        with self._transaction() as db:
            old = db.execute("SELECT value FROM engagement WHERE key = 'name'").fetchone()
            db.execute("INSERT OR REPLACE INTO engagement VALUES ('name', ?)", (name,))
            _log(db, who, None, "engagement", [], "name", old[0] if old else None, name)

    @property
    def engagement_name(self) -> str:
        table = self._read("SELECT value FROM engagement WHERE key = 'name'")
        return str(table["value"].iloc[0]) if len(table) else self.path.stem

    # -- assessments -------------------------------------------------------------------------
    def new_assessment(
        self,
        name: str,
        inventory: Inventory | None = None,
        *,
        date: dt.date | str | None = None,
        scale: str | None = None,
        who: str | None = None,
        note: str = "",
    ) -> int:
        """Record a new assessment (returns its number). ``inventory`` gives the file name, its
        SHA-256, the framework version and the scale; the store keeps a copy of the workbook,
        so the assessment can be scored as it was once it is followed up. A name already used
        in the engagement is refused (StoreError), so a follow-up is never started twice —
        checked inside the write transaction, so two processes cannot both take one name."""
        record = _assessment_record(name, inventory, date, scale)
        content = _workbook_bytes(inventory) if inventory is not None else None
        with self._transaction() as db:
            return self._add_assessment(db, record, content, who, note)

    def _add_assessment(
        self,
        db: sqlite3.Connection,
        record: dict[str, Any],
        content: bytes | None,
        who: str | None,
        note: str,
    ) -> int:
        """Insert the assessment ``record`` (:func:`_assessment_record`) and its workbook's
        ``content`` inside the caller's transaction ``db``; returns its number. A name the
        engagement already has (case and spacing forgiven) is a StoreError."""
        for number, taken in db.execute("SELECT id, name FROM assessments ORDER BY id"):
            if fold(taken) == fold(record["name"]):
                raise StoreError(
                    f"{self.path.name} already has an assessment named {taken!r} "
                    f"(assessment {int(number)}), which {record['name']!r} would be mistaken "
                    "for; choose another name"
                )
        cursor = db.execute(_insert("assessments", tuple(record)), tuple(record.values()))
        number = int(cursor.lastrowid)
        if content is not None:
            db.execute(
                "INSERT OR IGNORE INTO workbooks VALUES (?, ?, ?, ?)",
                (record["inventory_sha256"], record["inventory_name"], _now(), content),
            )
        _log(db, who, number, "assessment", [number], "created", None, record, note)
        return number

    def assessments(self) -> pd.DataFrame:
        """Every assessment: ``id, name, date, inventory_path, inventory_name, inventory_sha256,
        scale, framework_version, created_at``, oldest first."""
        return self._read("SELECT * FROM assessments ORDER BY id")

    def assessment(self, number: int) -> dict[str, Any]:
        """The record of assessment ``number`` (the columns of :meth:`assessments`); a
        StoreError naming the assessments there are when it has none of that number."""
        with self._connection() as db:
            return self._assessment_in(db, number)

    def _assessment_in(self, db: sqlite3.Connection, number: int) -> dict[str, Any]:
        """:meth:`assessment`, read through ``db`` (inside the caller's transaction)."""
        cursor = db.execute("SELECT * FROM assessments WHERE id = ?", (int(number),))
        row = cursor.fetchone()
        if row is None:
            ids = db.execute("SELECT id FROM assessments ORDER BY id").fetchall()
            known = ", ".join(str(i) for (i,) in ids) or "none yet"
            raise StoreError(f"{self.path.name} has no assessment {number}; assessments: {known}")
        return dict(zip([c[0] for c in cursor.description], row, strict=True))

    def latest(self) -> int:
        """The most recent assessment's number; :class:`EmptyStoreError` when there is none."""
        table = self.assessments()
        if table.empty:
            raise EmptyStoreError(self.path)
        return int(table["id"].iloc[-1])

    # -- the client, follow-ups, dates --------------------------------------------------------
    @property
    def client(self) -> str:
        """The client this engagement is for ("" until an inventory naming one is assessed with
        the store: :meth:`claim`)."""
        table = self._read("SELECT value FROM engagement WHERE key = 'client'")
        return str(table["value"].iloc[0]) if len(table) else ""

    def claim(self, inventory: Inventory, *, who: str | None = None) -> str | None:
        """Record the inventory's client (its About sheet) as the engagement's client the first
        time; afterwards, return a warning sentence when the inventory names another client
        (None when it is the same, or either is unnamed). Ratings are never applied to another
        client's workbook without this sentence being shown."""
        named = inventory.about_value("client").strip()
        if not named:
            return None
        with self._transaction() as db:
            row = db.execute("SELECT value FROM engagement WHERE key = 'client'").fetchone()
            if row is None:
                db.execute("INSERT INTO engagement VALUES ('client', ?)", (named,))
                note = f"from {inventory.source}"
                _log(db, who, None, "engagement", [], "client", None, named, note)
                return None
        if fold(row[0]) == fold(named):
            return None
        return (
            f"{self.path.name} is the engagement store of {row[0]!r}, but {inventory.source} "
            f"names {named!r} as the client: the ratings, Target Profile and scope saved for "
            f"{row[0]!r} are being applied to another client's workbook; check the store, "
            "start an engagement for this client with `nistpf new DIR`, or, if the client's "
            "name was corrected, record it with store.set_client(name)"
        )

    def set_client(self, name: str, *, who: str | None = None, note: str = "") -> None:
        """Correct the engagement's client (e.g. a typo in the first workbook's About sheet)."""
        if name is None or not str(name).strip():
            raise StoreError("a client needs a name")
        name = str(name)
        with self._transaction() as db:
            row = db.execute("SELECT value FROM engagement WHERE key = 'client'").fetchone()
            db.execute("INSERT OR REPLACE INTO engagement VALUES ('client', ?)", (name.strip(),))
            old = row[0] if row else None
            _log(db, who, None, "engagement", [], "client", old, name.strip(), note)

    def set_assessment_date(
        self, number: int, date: dt.date | str | None, *, who: str | None = None, note: str = ""
    ) -> None:
        """Set the date of an assessment (YYYY-MM-DD); None goes back to the inventory's own
        date (its About sheet), which is what an assessment uses until the consultant sets
        one."""
        when = _iso_date(date)
        with self._transaction() as db:
            old = self._assessment_in(db, number)["date"]  # read under the write lock
            if old == when:
                return
            n = int(number)
            db.execute("UPDATE assessments SET date = ? WHERE id = ?", (when, n))
            _log(db, who, n, "assessment", [n], "date", old, when, note)

    def record_inventory(
        self, number: int, inventory: Inventory, *, who: str | None = None
    ) -> None:
        """Note that assessment ``number`` now reads ``inventory`` (its path, name and SHA-256),
        e.g. the workbook the client corrected; the assessment and all it holds stay."""
        record = {
            "inventory_path": str(inventory.path) if inventory.path else "",
            "inventory_name": inventory.source,
            "inventory_sha256": inventory.sha256 or "",
        }
        if all(self.assessment(number)[k] == v for k, v in record.items()):
            return  # the usual case, without reading the workbook's bytes
        content = _workbook_bytes(inventory)
        with self._transaction() as db:
            run = self._assessment_in(db, number)  # the old values, under the write lock
            if all(run[k] == v for k, v in record.items()):
                return
            db.execute(
                "UPDATE assessments SET inventory_path = ?, inventory_name = ?, "
                "inventory_sha256 = ? WHERE id = ?",
                (*record.values(), int(number)),
            )
            if content is not None:
                db.execute(
                    "INSERT OR IGNORE INTO workbooks VALUES (?, ?, ?, ?)",
                    (record["inventory_sha256"], record["inventory_name"], _now(), content),
                )
            before = {k: run[k] for k in record}
            n = int(number)
            _log(db, who, n, "assessment", [n], "inventory", before, record)

    def recorded_inventory(self, number: int, mapping: Any = None) -> Inventory | None:
        """The workbook assessment ``number`` was recorded with, as the store saved it (loaded
        again, through ``mapping`` for a client's own layout; None when the store has no copy,
        e.g. a CSV folder or a DataFrame inventory)."""
        import tempfile

        from nistpf.inventory.loader import load_inventory

        run = self.assessment(number)
        table = self._read(
            "SELECT name, content FROM workbooks WHERE sha256 = ?", (run["inventory_sha256"],)
        )
        if table.empty:
            return None
        with tempfile.TemporaryDirectory(prefix="nistpf-") as folder:
            path = Path(folder) / Path(str(table["name"].iloc[0])).name
            path.write_bytes(bytes(table["content"].iloc[0]))
            inventory = load_inventory(path, mapping=mapping)
        # Where it was read from (so no output may replace that file), not the copy's folder.
        recorded = Path(run["inventory_path"]) if run["inventory_path"] else None
        return dataclasses.replace(inventory, path=recorded)

    def inventory_for(
        self, number: int, inventory: Inventory, mapping: Any = None
    ) -> tuple[Inventory, str | None]:
        """The inventory to score assessment ``number`` with, and a note when it is not
        ``inventory``: the latest assessment reads the workbook given (a corrected one
        included), while an earlier one — followed up since — keeps the workbook it was
        recorded with, as the store saved it, so comparisons over time compare what each
        assessment saw. ``mapping`` reads that copy as ``inventory`` was read."""
        if int(number) == self.latest():
            return inventory, None
        run = self.assessment(number)
        if not run["inventory_sha256"] or run["inventory_sha256"] == inventory.sha256:
            return inventory, None
        recorded = self.recorded_inventory(number, mapping)
        if recorded is None:
            return inventory, (
                f"assessment {number} ({run['name']}) was made with another version of "
                f"{run['inventory_name'] or 'the workbook'}, of which the store has no copy; "
                f"it is scored with {inventory.source} as it is now"
            )
        return recorded, (
            f"assessment {number} ({run['name']}) is scored with the workbook it was made with "
            f"({run['inventory_name']}, as saved in {self.path.name}), not with "
            f"{inventory.source} as it is now"
        )

    def follow_up(
        self,
        name: str,
        *,
        previous: int | None = None,
        inventory: Inventory | None = None,
        date: dt.date | str | None = None,
        who: str | None = None,
    ) -> int:
        """Start a follow-up assessment (e.g. next year's) from ``previous`` (default: the
        latest): a new assessment with the previous one's Target Profile, scope decisions, Tiers and
        NIST PRAM edits (:meth:`set_pram_edit`), and no ratings yet; the previous one stays as it
        is, for comparison (:func:`nistpf.compare`). Returns the new assessment's number. It is one
        transaction: a crash or another process's change never leaves half a follow-up, and what is
        carried over is the previous assessment as it is when the follow-up starts.
        :class:`EmptyStoreError` when the store holds no assessment; StoreError for an unknown
        ``previous``, a name already taken or a date that is not YYYY-MM-DD."""
        content = _workbook_bytes(inventory) if inventory is not None else None
        with self._transaction() as db:
            if previous is None:
                (latest,) = db.execute("SELECT max(id) FROM assessments").fetchone()
                if latest is None:
                    raise EmptyStoreError(self.path)
                before = int(latest)
            else:
                before = int(previous)
            run = self._assessment_in(db, before)
            record = _assessment_record(name, inventory, date, run["scale"])
            if inventory is None:  # the workbook the previous assessment read, until another
                for field in ("inventory_path", "inventory_name", "inventory_sha256"):
                    record[field] = run[field]
            created = f"follow-up of assessment {before} ({run['name']})"
            number = self._add_assessment(db, record, content, who, created)
            note = f"carried from assessment {before}"
            for entity in ("profile", "scope", "tier", "pram"):
                table, keys, fields = _ENTITIES[entity]
                columns = ", ".join((*keys, *fields))
                rows = db.execute(
                    f"SELECT {columns} FROM {table} WHERE assessment = ? "
                    f"ORDER BY {', '.join(keys)}",
                    (before,),
                ).fetchall()
                for row in rows:
                    key, values = row[: len(keys)], dict(zip(fields, row[len(keys) :], strict=True))
                    self._change(entity, number, tuple(key), values, who, note, db=db)
        return number

    def orphans(self, inventory: Inventory, number: int | None = None) -> pd.DataFrame:
        """What the store keeps for assessment ``number`` (default: the latest) that applies to
        nothing in ``inventory``: ratings and scope decisions for a system that is no longer in
        its Systems sheet, and entries for IDs that are not in its framework version. One row
        each — ``entity, key, value, reason`` — in the store's order. They stay in the store
        (a system renamed back brings them back) and are never applied."""
        number = self.latest() if number is None else int(number)
        return _orphans(inventory, self.ratings(number), self.scope(number), self.profile(number))

    # -- changes -----------------------------------------------------------------------------
    def _change(
        self,
        entity: str,
        number: int,
        key: tuple,
        values: dict[str, Any],
        who: str | None,
        note: str,
        *,
        defaults: dict[str, Any] | None = None,
        db: sqlite3.Connection | None = None,
    ) -> None:
        """Save the fields ``values`` gives of one row, and log each field that changed (old →
        new), in one transaction — ``db``'s, the caller's, when given.

        Only the columns given are written, and the old values are read under the write lock
        (``BEGIN IMMEDIATE``): a field another process changed meanwhile keeps its value, and
        each log row's old value is the new value of the change before it. A row the store
        does not hold yet is inserted with ``values`` over ``defaults`` over blanks (NULL for
        a number, "" for text), and every field it is given that is not NULL is logged
        (None → value). Saving values that are already stored, or differ only in the stamps
        (the date), writes nothing."""
        table, key_columns, fields = _ENTITIES[entity]
        unknown = (set(values) | set(defaults or ())) - set(fields)
        if unknown:  # a mistake in this module, never the user's
            raise StoreError(f"{entity} has no field {sorted(unknown)[0]!r}; it has {fields}")
        where = " AND ".join(f"{c} = ?" for c in ("assessment", *key_columns))
        params = (int(number), *key)
        at, author = _now(), _who(who)
        with self._within(db) as db:
            if "system" in key_columns and key[key_columns.index("system")]:
                # One row per system however its ID is cased or spaced ("crm-01" saved,
                # "CRM-01" now): the stored spelling is kept, so the last save wins.
                key = self._spelled(
                    db, table, int(number), dict(zip(key_columns, key, strict=True))
                )
                params = (int(number), *key)
            old_row = db.execute(f"SELECT {', '.join(fields)} FROM {table} WHERE {where}", params)
            old_row = old_row.fetchone()
            if old_row is None:
                self._assessment_in(db, number)  # an unknown assessment: StoreError says so
                row = {f: None if f in _NUMBERS else "" for f in fields}
                row.update(defaults or {})
                row.update(values)
                columns = ("assessment", *key_columns, *fields)
                db.execute(_insert(table, columns), (*params, *row.values()))
                old = dict.fromkeys(fields)
                changed = {f: v for f, v in row.items() if v is not None}
            else:
                old = dict(zip(fields, old_row, strict=True))
                changed = {f: v for f, v in values.items() if old[f] != v}
                if not set(changed) - set(_STAMPS):
                    return  # nothing but the date would change: saving the same value again
                assignments = ", ".join(f"{f} = ?" for f in changed)
                db.execute(
                    f"UPDATE {table} SET {assignments} WHERE {where}", (*changed.values(), *params)
                )
            for field, new in changed.items():
                _log(db, author, int(number), entity, list(key), field, old[field], new, note, at)

    @staticmethod
    def _spelled(db: sqlite3.Connection, table: str, number: int, key: dict[str, str]) -> tuple:
        """``key`` (column → value, one of them ``system``) with the system ID as a row of
        ``table`` already spells it, when one matches it case and spacing forgiven."""
        others = {c: v for c, v in key.items() if c != "system"}
        where = " AND ".join(["assessment = ?", *(f"{c} = ?" for c in others)])
        found = db.execute(
            f"SELECT system FROM {table} WHERE {where} AND nistpf_fold(system) = ?",
            (number, *others.values(), fold(key["system"])),
        ).fetchone()
        return tuple(found[0] if c == "system" and found else v for c, v in key.items())

    @contextlib.contextmanager
    def _within(self, db: sqlite3.Connection | None) -> Iterator[sqlite3.Connection]:
        """``db`` (the caller's transaction) when given, else a transaction of its own."""
        if db is not None:
            yield db
            return
        with self._transaction() as own:
            yield own

    def set_rating(
        self,
        number: int,
        subcategory: str,
        *,
        system: str | None = None,
        current: float | None = KEEP,
        evidence: str = KEEP,
        method: str = KEEP,
        notes: str = KEEP,
        assessor: str | None = None,
        defaults: dict[str, Any] | None = None,
        who: str | None = None,
        note: str = "",
    ) -> None:
        """Save the assessor's rating of ``subcategory`` (for ``system``, or the organisation
        when None): its level ``current``, ``evidence``, ``method`` (examine, interview, test)
        and ``notes``. Only the fields given change (:data:`KEEP`, the default, keeps the
        stored value, a concurrent change included): ``current=None`` clears the level (the
        derived level applies again) and keeps the evidence; ``evidence=""`` clears the
        evidence and keeps the level. Each save stamps ``assessor`` (default: ``who``) and
        ``date`` (today).

        ``defaults`` (``current, evidence, method, notes``, e.g. the Responses sheet's row)
        fill the fields not given when the store holds no row for this rating yet: a stored
        row replaces the sheet's row in :meth:`apply`, so evidence saved alone for a rating
        the sheet gives would otherwise drop the sheet's level. A row with no level is a
        draft (:meth:`drafts`). Raises StoreError for a level outside the assessment's scale,
        an ID that is not a Subcategory, an unknown method, or no field given."""
        run = self.assessment(number)  # its framework version and scale never change
        fw = load_framework(run["framework_version"])
        sub = fw.normalize_id(subcategory)
        if fw.get(sub).level != "subcategory":
            raise StoreError(f"{sub} is a {fw.get(sub).level}; rate a Subcategory")
        given = _given(current=current, evidence=evidence, method=method, notes=notes)
        if not given:
            raise StoreError(f"nothing to save for {sub}: give current, evidence, method or notes")
        values = {f: _field_value(f, v) for f, v in given.items()}
        level = values.get("current")
        scale = load_scale(run["scale"])
        if level is not None and not scale.contains(level):
            raise StoreError(
                f"{current} is outside the {scale.name} scale ({scale.minimum}-{scale.maximum}): "
                f"{scale.describe()}"
            )
        if values.get("method") and values["method"] not in METHODS:
            raise StoreError(f"method {values['method']!r} is not one of {', '.join(METHODS)}")
        values["assessor"] = assessor if assessor is not None else _who(who)
        values["date"] = dt.date.today().isoformat()
        fill = _defaults("rating", defaults, ("current", "evidence", "method", "notes"))
        key = (sub, system or "")
        self._change("rating", number, key, values, who, note, defaults=fill)

    def set_profile(
        self,
        number: int,
        pf_id: str,
        *,
        target: float | None = KEEP,
        priority: str = KEEP,
        in_profile: bool | None = KEEP,
        rationale: str = KEEP,
        defaults: dict[str, Any] | None = None,
        who: str | None = None,
        note: str = "",
    ) -> None:
        """Set the Target Profile row of a Function, Category or Subcategory: ``target`` (a
        level of the scale), ``priority`` (High, Moderate, Low), ``in_profile`` and
        ``rationale``; a blank one (None, "") inherits from the wider rows, as in the Profile
        sheet. Only the attributes given change (:data:`KEEP`, the default, keeps the stored
        value, a concurrent change included).

        ``defaults`` (the same four, e.g. the workbook's own Profile row) fill the attributes
        not given when the store holds no row for ``pf_id`` yet: a stored row replaces the
        sheet's row in :meth:`apply`, so without them a target set alone drops the sheet's
        priority and rationale. Raises StoreError for a target outside the scale, an unknown
        priority, or no attribute given."""
        run = self.assessment(number)  # its framework version and scale never change
        element = load_framework(run["framework_version"]).normalize_id(pf_id)
        given = _given(target=target, priority=priority, in_profile=in_profile)
        given |= _given(rationale=rationale)
        if not given:
            raise StoreError(
                f"nothing to save for {element}: give target, priority, in_profile or rationale"
            )
        values = {f: _field_value(f, v) for f, v in given.items()}
        scale = load_scale(run["scale"])
        if values.get("target") is not None and not scale.contains(values["target"]):
            raise StoreError(
                f"target {target} is outside the {scale.name} scale: {scale.describe()}"
            )
        if values.get("priority") and values["priority"] not in PRIORITIES:
            raise StoreError(
                f"priority {values['priority']!r} is not one of {', '.join(PRIORITIES)}"
            )
        fill = _defaults("profile", defaults, _ENTITIES["profile"][2])
        self._change("profile", number, (element,), values, who, note, defaults=fill)

    def set_tier(
        self,
        number: int,
        attribute: str,
        tier: int | None = KEEP,
        *,
        evidence: str = KEEP,
        defaults: dict[str, Any] | None = None,
        who: str | None = None,
        note: str = "",
    ) -> None:
        """Rate the organisation's Implementation Tier (1-4; None clears it) for one of the
        four attributes, with its ``evidence``. Only what is given changes (:data:`KEEP`, the
        default, keeps the stored value); a row the store does not hold yet takes what is not
        given from ``defaults`` (``tier, evidence``, e.g. the workbook's own Tiers row, which
        the stored row replaces). Raises StoreError for an unknown attribute, a Tier that is
        not 1-4, or nothing given."""
        attribute = tier_attribute(attribute)
        given = _given(tier=tier, evidence=evidence)
        if not given:
            raise StoreError(f"nothing to save for the {attribute} Tier: give tier or evidence")
        values = {f: _field_value(f, v) for f, v in given.items()}
        if values.get("tier") is not None and values["tier"] not in (1, 2, 3, 4):
            raise StoreError(f"tier {tier} is not 1, 2, 3 or 4")
        fill = _defaults("tier", defaults, _ENTITIES["tier"][2])
        self._change("tier", number, (attribute,), values, who, note, defaults=fill)

    def set_scope(
        self, number: int, system: str, in_scope: bool, *, who: str | None = None, note: str = ""
    ) -> None:
        """Put a system of the inventory in or out of the assessment's scope."""
        self._change("scope", number, (str(system),), {"in_scope": int(bool(in_scope))}, who, note)

    def scope(self, number: int) -> pd.DataFrame:
        """The scope decisions made in the store: ``system, in_scope``."""
        table = self._read(
            "SELECT system, in_scope FROM scope WHERE assessment = ? ORDER BY system",
            (int(number),),
        )
        table["in_scope"] = table["in_scope"].astype(bool)
        return table

    def set_register_edit(
        self,
        number: int,
        subcategory: str,
        *,
        who: str | None = None,
        note: str = "",
        **fields: Any,
    ) -> None:
        """Keep what the client wrote in the gap register (``recommended_action, owner,
        due_date, status, comments``, as text; None is "") for the next register. Only the
        fields given change, column by column under the write lock, so the owner one process
        saves and the status another saves at the same time are both kept. Raises StoreError
        for an unknown field or none given."""
        unknown = set(fields) - set(EDIT_COLUMNS[1:])
        if unknown or not fields:
            what = f"unknown register field {sorted(unknown)[0]!r}" if unknown else "no field given"
            raise StoreError(f"{what}; use {', '.join(EDIT_COLUMNS[1:])}")
        version = self.assessment(number)["framework_version"]  # never changes
        sub = load_framework(version).normalize_id(subcategory)
        values = {k: "" if v is None else str(v) for k, v in fields.items()}
        self._change("register", number, (sub,), values, who, note)

    def set_pram_edit(
        self,
        number: int,
        data_action: str,
        problem: str,
        *,
        likelihood: float | None = KEEP,
        noncompliance: float | None = KEEP,
        direct_business: float | None = KEEP,
        reputational: float | None = KEEP,
        internal_culture: float | None = KEEP,
        other: float | None = KEEP,
        selected_controls: str = KEEP,
        rationale: str = KEEP,
        reason: str = KEEP,
        who: str | None = None,
        note: str = "",
    ) -> None:
        """Save the consultant's NIST PRAM edit of ``problem`` (a problem for individuals) for
        ``data_action`` (its id, e.g. ``"F-001:collection"``): the ``likelihood`` and the five
        organisational impact factors ``noncompliance, direct_business, reputational,
        internal_culture, other`` that override the rules' (NIST PRAM worksheet 3, Likelihood
        and Impact tabs: each 1-10, whole or decimal; None clears the override), the
        ``selected_controls`` and their ``rationale`` (worksheet 4) and the ``reason`` for the
        override (text; None is ""). Only the fields given change (:data:`KEEP`, the default,
        keeps the stored value, a concurrent change included), in one transaction with a log
        row per field changed (entity ``pram``, key ``[data_action, problem]``).

        ``problem`` is one of :data:`~nistpf.store_pram.PRAM_PROBLEMS`, case and spacing
        forgiven, and is stored as NIST spells it. Raises StoreError for a blank data action,
        another problem, a number that is not one from 1 to 10, no field given, an unknown
        assessment, and for an override without a reason: a likelihood or impact factor is
        saved only with a reason, given now or already stored for the row (checked under the
        write lock), and a stored reason is not cleared while an override stands. The rules are
        :mod:`nistpf.store_pram`'s."""
        # Imported here: nistpf.store_pram imports this module (as nistpf.store_schema does).
        from nistpf.store_pram import save_pram_edit

        given = _given(
            likelihood=likelihood,
            noncompliance=noncompliance,
            direct_business=direct_business,
            reputational=reputational,
            internal_culture=internal_culture,
            other=other,
            selected_controls=selected_controls,
            rationale=rationale,
            reason=reason,
        )
        save_pram_edit(self, number, data_action, problem, given, who=who, note=note)

    def set_pram_edits(
        self, number: int, rows: list[dict[str, Any]], *, who: str | None = None, note: str = ""
    ) -> None:
        """Save several PRAM edits at once — each a dict of ``data_action``, ``problem`` and
        the fields to change, as :meth:`set_pram_edit` takes them — in one transaction: every
        one, or, when one is refused (its StoreError raised), none (a reviewed PRAM workbook
        read back is saved whole or not at all)."""
        from nistpf.store_pram import save_pram_edits

        save_pram_edits(self, number, rows, who=who, note=note)

    # -- reading -----------------------------------------------------------------------------

    def ratings(self, number: int) -> pd.DataFrame:
        """The saved ratings, shaped like the Responses sheet (a blank system: organisation)."""
        table = self._read(
            "SELECT subcategory, system, current, evidence, method, notes, assessor, date "
            "FROM ratings WHERE assessment = ? AND current IS NOT NULL "
            "ORDER BY subcategory, system",
            (int(number),),
        )
        return table.astype({"current": float})

    def drafts(self, number: int) -> pd.DataFrame:
        """Evidence saved with no level: the rating rows of assessment ``number`` whose level
        is blank (never given, or cleared) but whose evidence, method or notes are not —
        ``subcategory, system, evidence, method, notes, assessor, date`` (text; a blank
        system is the organisation; ``date`` YYYY-MM-DD of the last save), by Subcategory
        and system. :meth:`ratings` leaves them out, as :meth:`apply` does."""
        return self._read(
            "SELECT subcategory, system, evidence, method, notes, assessor, date "
            "FROM ratings WHERE assessment = ? AND current IS NULL "
            "AND (evidence != '' OR method != '' OR notes != '') "
            "ORDER BY subcategory, system",
            (int(number),),
        )

    def profile(self, number: int) -> pd.DataFrame:
        """The Target Profile rows set in the store: ``pf_id, target`` (a level, or None to
        inherit), ``priority`` ("" inherits), ``in_profile`` (True, False or None),
        ``rationale``, by ID."""
        table = self._read(
            "SELECT pf_id, target, priority, in_profile, rationale FROM profile "
            "WHERE assessment = ? ORDER BY pf_id",
            (int(number),),
        )
        table["in_profile"] = table["in_profile"].map(lambda v: None if pd.isna(v) else bool(v))
        return table

    def tiers(self, number: int) -> pd.DataFrame:
        """The Tiers rated in the store: ``attribute, tier`` (1-4), ``evidence``; a cleared
        Tier is left out."""
        return self._read(
            "SELECT attribute, tier, evidence FROM tiers WHERE assessment = ? AND tier IS NOT NULL",
            (int(number),),
        )

    def register_edits(self, number: int) -> pd.DataFrame:
        """What the client wrote in the gap register, as saved: ``subcategory,
        recommended_action, owner, due_date, status, comments`` (text), by Subcategory."""
        return self._read(
            f"SELECT {', '.join(EDIT_COLUMNS)} FROM register_edits WHERE assessment = ? "
            "ORDER BY subcategory",
            (int(number),),
        )

    def pram_edits(self, number: int) -> pd.DataFrame:
        """The consultant's NIST PRAM edits of assessment ``number`` (:meth:`set_pram_edit`),
        by data action and problem: columns :data:`~nistpf.inventory.model.PRAM_EDIT_COLUMNS`,
        ``likelihood`` and the five impact factors float 1-10 (NaN: not overridden), the text
        "" when none. A row whose every field was cleared is left out."""
        from nistpf.store_pram import stored_pram_edits

        return stored_pram_edits(self, number)

    def log(self, number: int | None = None) -> pd.DataFrame:
        """The append-only change log (``seq, at, who, assessment, entity, key, field, old, new,
        note``), oldest first; for one assessment or all."""
        if number is None:
            return self._read("SELECT * FROM log ORDER BY seq")
        return self._read("SELECT * FROM log WHERE assessment = ? ORDER BY seq", (int(number),))

    def export_log(self, path: str | Path, number: int | None = None) -> Path:
        """Write the log (:meth:`log`, of assessment ``number`` or all) as CSV at ``path``,
        atomically, through :func:`nistpf.io.csv_safe.csv_text`: a text cell a spreadsheet
        would run as a formula gets a ``'`` in front (the ``old`` and ``new`` columns hold JSON
        text, so a logged ``-1`` is written ``'-1``); ``seq`` and ``assessment`` stay numbers.
        The file is UTF-8 with a byte-order mark, so that Excel and LibreOffice read it as
        UTF-8 (:func:`nistpf.io.csv_safe.write_csv`). Returns ``path``. Raises
        :class:`~nistpf.errors.OutputIsInputError` (nothing written) when ``path`` is the store
        itself or one of the files SQLite keeps beside it (``-wal``, ``-shm``, ``-journal``),
        which the CSV would replace."""
        check_paths(store_uses(self.path), [Use(Path(path), "the log export")])
        return write_csv(Path(path), self.log(number))

    # -- applying ----------------------------------------------------------------------------
    def apply(self, inventory: Inventory, number: int | None = None) -> Inventory:
        """``inventory`` with the store's scope decisions, ratings, profile edits and Tiers for
        assessment ``number`` (default: the latest) laid over its own sheets: a stored row
        replaces the sheet's row for the same key, a cleared rating removes it. Ratings are
        keyed by Subcategory and system ID, so they carry over to a corrected workbook; what
        applies to nothing in it (:meth:`orphans`) is left out and listed as warning rows of
        ``issues`` (sheet "Store"). ``pram_edits`` are the store's NIST PRAM edits
        (:meth:`pram_edits`). The About date stays the inventory's unless the consultant
        set the assessment's date (:meth:`set_assessment_date`, a follow-up's ``date``)."""
        number = self.latest() if number is None else int(number)
        run = self.assessment(number)
        # System IDs as the workbook writes them now: the loader forgives case and spacing in
        # references, and so does the store ("crm-01" saved, "CRM-01" in Systems).
        canonical = {fold(y): y for y in inventory.systems["system_id"]}

        def as_listed(system: str) -> str:
            return canonical.get(fold(system), system) if system else system

        ratings = self.ratings(number)
        ratings["system"] = ratings["system"].map(as_listed)
        cleared = self._read(
            "SELECT subcategory, system FROM ratings WHERE assessment = ? AND current IS NULL",
            (number,),
        )
        cleared["system"] = cleared["system"].map(as_listed)
        keys = {(r.subcategory, r.system) for r in ratings.itertuples()} | {
            (r.subcategory, r.system) for r in cleared.itertuples()
        }
        responses = inventory.responses
        keep = [
            (s, y) not in keys
            for s, y in zip(responses["subcategory"], responses["system"], strict=True)
        ]
        responses = pd.concat([responses[keep], ratings.assign(excel_row=pd.NA)], ignore_index=True)
        profile = self.profile(number)
        fw = load_framework(run["framework_version"])
        profile["level"] = [fw.get(i).level for i in profile["pf_id"]]
        kept_profile = inventory.profile[~inventory.profile["pf_id"].isin(profile["pf_id"])]
        tiers = self.tiers(number)
        decided_tiers = self._read("SELECT attribute FROM tiers WHERE assessment = ?", (number,))
        kept_tiers = inventory.tiers[~inventory.tiers["attribute"].isin(decided_tiers["attribute"])]
        about = inventory.about
        if run["date"]:
            about = about[about["field"] != "date"]
            about = pd.concat(
                [about, pd.DataFrame({"field": ["date"], "value": [run["date"]]})],
                ignore_index=True,
            )
        issues = inventory.issues
        decided = self.scope(number)  # read once: for the orphans and for the scope below
        orphans = _orphans(inventory, ratings, decided, profile)
        if len(orphans):
            rows = pd.DataFrame(
                {
                    "severity": "warning",
                    "sheet": "Store",
                    "excel_row": pd.NA,
                    "column": orphans["entity"],
                    "value": orphans["key"],
                    "problem": [
                        f"the {e} saved for {k} ({v}) applies to nothing: {r}".replace(" ()", "")
                        for e, k, v, r in orphans.itertuples(index=False)
                    ],
                    "hint": f"it stays in {self.path.name}; put the system back in the "
                    "workbook, or rate again what replaced it",
                    "code": "store-orphan",
                }
            )
            issues = pd.concat([issues, rows.astype(object)], ignore_index=True)
        named_scale = inventory.about_value("scale")
        if named_scale and load_scale(named_scale).name != run["scale"]:
            row = {
                "severity": "warning",
                "sheet": "Store",
                "excel_row": pd.NA,
                "column": "scale",
                "value": named_scale,
                "problem": (
                    f"the workbook's About sheet names the {load_scale(named_scale).name} scale, "
                    f"but assessment {number} ({run['name']}) was made on the {run['scale']} "
                    f"scale: it is scored on the {run['scale']} scale, as its ratings are"
                ),
                "hint": "start a follow-up for the new scale, or write the assessment's scale "
                "in the About sheet",
                "code": "store-scale",
            }
            issues = pd.concat([issues, pd.DataFrame([row]).astype(object)], ignore_index=True)
        systems = inventory.systems.copy()
        decided = decided.assign(system=decided["system"].map(as_listed))
        decided = decided.drop_duplicates("system", keep="last").set_index("system")["in_scope"]
        chosen = systems["system_id"].map(decided)
        systems["in_scope"] = chosen.where(chosen.notna(), systems["in_scope"]).astype("boolean")
        return dataclasses.replace(
            inventory,
            systems=systems,
            about=about.astype(object),
            issues=issues,
            responses=_typed(responses, RESPONSE_COLUMNS, {"current": "Float64"}),
            profile=_typed(
                pd.concat([kept_profile, profile.assign(excel_row=pd.NA)], ignore_index=True),
                PROFILE_COLUMNS,
                {"target": "Float64", "in_profile": "boolean"},
            ),
            tiers=_typed(
                _in_nist_order(
                    pd.concat([kept_tiers, tiers.assign(excel_row=pd.NA)], ignore_index=True)
                ),
                TIER_COLUMNS,
                {"tier": "Int64"},
            ),
            scale=run["scale"],
            pram_edits=self.pram_edits(number),
        )


def _assessment_record(
    name: str,
    inventory: Inventory | None,
    date: dt.date | str | None,
    scale: str | None,
) -> dict[str, Any]:
    """The row of ``assessments`` for a new assessment (without its number); a blank name or
    a date that is not YYYY-MM-DD is a StoreError."""
    if not str(name).strip():
        raise StoreError("an assessment needs a name, e.g. 'Baseline 2026'")
    chosen = load_scale(scale or (inventory.scale if inventory else None)).name
    version = inventory.framework_version if inventory else load_framework().version
    # No date given: the assessment takes the inventory's own (its About sheet) whenever it
    # is applied, so a corrected workbook's date is never overridden by a stale copy.
    return {
        "name": str(name).strip(),
        "date": _iso_date(date),
        "inventory_path": str(inventory.path) if inventory and inventory.path else "",
        "inventory_name": inventory.source if inventory else "",
        "inventory_sha256": (inventory.sha256 or "") if inventory else "",
        "scale": chosen,
        "framework_version": version,
        "created_at": _now(),
    }


def _workbook_bytes(inventory: Inventory) -> bytes | None:
    """The bytes of the workbook file ``inventory`` was read from, when it is one file that
    still holds those bytes (same SHA-256); else None."""
    import hashlib

    path = inventory.path
    if path is None or not Path(path).is_file() or not inventory.sha256:
        return None
    content = Path(path).read_bytes()
    return content if hashlib.sha256(content).hexdigest() == inventory.sha256 else None


def _iso_date(date: dt.date | str | None) -> str:
    """A date as YYYY-MM-DD text ("" for None), read by the one date reader the inventory
    and the gap register use (:func:`nistpf.inventory.values.read_date`: ``2027-3-31``,
    ``31.03.2027``, ``3 March 2027``); an ambiguous or impossible date is a StoreError."""
    if date is None or date == "":
        return ""
    read = read_date(date)
    if isinstance(read, Bad):
        raise StoreError(f"date {read.problem}; {read.hint}")
    return read.isoformat()


_TIER_NAMES = {fold(a): a for a in TIER_ATTRIBUTES}


def tier_attribute(name: object) -> str:
    """One of the four Tier attributes (NIST PF 1.0 section 3.2) as :data:`TIER_ATTRIBUTES`
    spells it, case and spacing forgiven as in a sheet (``"  workforce "`` → ``Workforce``);
    anything else, aliases included (``People``: a reading the consultant confirms in the
    Tiers sheet, not in a call), is a StoreError naming the four."""
    found = _TIER_NAMES.get(fold(str(name)))
    if found is None:
        raise StoreError(
            f"{name!r} is not a Tier attribute; use one of {', '.join(TIER_ATTRIBUTES)}"
        )
    return found


def _in_nist_order(tiers: pd.DataFrame) -> pd.DataFrame:
    """Tier rows in the order of NIST PF 1.0 section 3.2 (:data:`TIER_ATTRIBUTES`), whether
    the workbook or the store gave them; an attribute outside it keeps its place at the end."""
    rank = {a: i for i, a in enumerate(TIER_ATTRIBUTES)}
    order = tiers["attribute"].map(lambda a: rank.get(a, len(rank)))
    return tiers.iloc[order.argsort(kind="stable")].reset_index(drop=True)


def _fold_sql(value: Any) -> str | None:
    """:func:`~nistpf.inventory.schema.fold` for SQL (``nistpf_fold``); NULL stays NULL."""
    return None if value is None else fold(str(value))


def _given(**fields: Any) -> dict[str, Any]:
    """The fields a caller gave: those that are not :data:`KEEP`."""
    return {f: v for f, v in fields.items() if v is not KEEP}


def _field_value(field: str, value: Any) -> Any:
    """``value`` as the store keeps it in ``field``: a number's blank (None, NaN, NA) is None,
    a number is a float (a yes/no, a Tier: an int); text's blank is "", text is str."""
    if value is None or (pd.api.types.is_scalar(value) and pd.isna(value)):
        return None if field in _NUMBERS else ""
    if field in ("in_profile", "in_scope"):
        return int(bool(value))
    if field not in _NUMBERS:
        return str(value)
    try:
        return int(value) if field == "tier" else float(value)
    except (TypeError, ValueError):
        raise StoreError(f"{field} {value!r} is not a number; give one, e.g. 2") from None


def _defaults(
    entity: str, defaults: dict[str, Any] | None, allowed: tuple[str, ...]
) -> dict[str, Any] | None:
    """A setter's ``defaults`` as the store keeps them; a field not ``allowed`` is a
    StoreError."""
    if not defaults:
        return None
    unknown = set(defaults) - set(allowed)
    if unknown:
        raise StoreError(
            f"the defaults of a {entity} are {', '.join(allowed)}, not {sorted(unknown)[0]!r}"
        )
    return {f: _field_value(f, v) for f, v in defaults.items()}


def _log(
    db: sqlite3.Connection,
    who: str | None,
    assessment: int | None,
    entity: str,
    key: list,
    field: str,
    old: Any,
    new: Any,
    note: str = "",
    at: str | None = None,
) -> None:
    """One row of the append-only log, inside the caller's transaction (old and new as JSON;
    ``who`` defaults to the operating-system user). Every change is logged with what it wrote,
    so this is where text over :data:`MAX_TEXT_CHARS` — in the key, the new value, ``who`` or
    the note — is refused: the StoreError rolls the caller's transaction back."""
    for what, value in (("who", who), ("the note", note), (field, new), ("the key", key)):
        _check_length(what, value)
    db.execute(
        "INSERT INTO log (at, who, assessment, entity, key, field, old, new, note) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (at or _now(), _who(who), assessment, entity, json.dumps(key), field, _logged(old),
         _logged(new), note),
    )  # fmt: skip


def _check_length(what: str, value: Any) -> None:
    """Refuse text over :data:`MAX_TEXT_CHARS` in ``value`` (text, or a list or dict of it)."""
    if isinstance(value, str):
        if len(value) > MAX_TEXT_CHARS:
            raise StoreError(
                f"{what} is {len(value):,} characters long; a store keeps at most "
                f"{MAX_TEXT_CHARS:,} (Excel's limit on a cell, where the gap register shows it): "
                "shorten it, or keep the long text in a file and name the file"
            )
    elif isinstance(value, dict):  # a record: its fields by name
        for name, item in value.items():
            _check_length(str(name), item)
    elif isinstance(value, list | tuple):
        for item in value:
            _check_length(what, item)


def _orphans(
    inventory: Inventory, ratings: pd.DataFrame, scope: pd.DataFrame, profile: pd.DataFrame
) -> pd.DataFrame:
    """:meth:`Store.orphans` of tables already read (``ratings``, ``scope``, ``profile`` as
    the store returns them)."""
    systems = {fold(y) for y in inventory.systems["system_id"]}
    ids = set(load_framework(inventory.framework_version).core["id"])
    gone = f"is no longer in {inventory.source}'s Systems"
    rows = []
    for r in ratings.itertuples(index=False):
        if r.subcategory not in ids:
            reason = f"{r.subcategory} is not in PF {inventory.framework_version}"
        elif r.system and fold(r.system) not in systems:
            reason = f"system {r.system} {gone}"
        else:
            continue
        where = f"{r.subcategory} on {r.system}" if r.system else r.subcategory
        rows.append(("rating", where, f"{r.current:g}", reason))
    for r in scope.itertuples(index=False):
        if fold(r.system) not in systems:
            rows.append(
                ("scope", r.system, "in" if r.in_scope else "out", f"system {r.system} {gone}")
            )
    for r in profile.itertuples(index=False):
        if r.pf_id not in ids:
            reason = f"{r.pf_id} is not in PF {inventory.framework_version}"
            rows.append(("profile", r.pf_id, "", reason))
    return pd.DataFrame(rows, columns=ORPHAN_COLUMNS, dtype=object)


def _insert(table: str, columns: tuple[str, ...]) -> str:
    """``INSERT INTO table (a, b) VALUES (?, ?)`` — names from this module, never from input."""
    return f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})"


def _logged(value: Any) -> str | None:
    return None if value is None else json.dumps(value)


def _typed(table: pd.DataFrame, columns: list[str], types: dict[str, str]) -> pd.DataFrame:
    table = table.reindex(columns=columns)
    for column in columns:
        if column in types:
            table[column] = table[column].astype(types[column])
        elif column == "excel_row":
            table[column] = table[column].astype("Int64")
        else:
            table[column] = table[column].astype(object)
    return table
