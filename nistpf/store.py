"""The engagement store: one SQLite file per engagement that never loses a rating.

It holds the engagement's assessments (name, date, the inventory's file name and SHA-256, the
scale), and for each the assessor's ratings, Target Profile edits, the organisation's Tiers and
the client's register edits. Every change is saved the moment it is made, in one transaction
with an append-only log row (who, when, what, old value, new value, note), so a kernel restart
or a closed laptop loses nothing, and reopening restores the latest state.

Two notebooks, or a notebook and the command line, can write to one store at once: SQLite's
write-ahead log lets readers go on while a writer writes, each change takes the write lock
before it reads the old value (``BEGIN IMMEDIATE``), and waits up to ``timeout`` seconds for a
lock another process holds — so no update is lost.

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
import re
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd

from nistpf.errors import NistpfError
from nistpf.framework import framework as load_framework
from nistpf.inventory.model import (
    PROFILE_COLUMNS,
    RESPONSE_COLUMNS,
    TIER_COLUMNS,
    Inventory,
)
from nistpf.inventory.schema import METHODS, PRIORITIES, TIER_ATTRIBUTES, fold
from nistpf.io.atomic import write_text
from nistpf.io.register_columns import EDIT_COLUMNS
from nistpf.scales import scale as load_scale

SCHEMA_VERSION = 2
"""The schema this nistpf writes: a new store is made at it, an older store is migrated to it
when opened (:mod:`nistpf.store_schema` lists the versions and what each migration does), and a
store of a newer one is refused."""
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
CREATE TRIGGER IF NOT EXISTS log_is_append_only_update BEFORE UPDATE ON log
BEGIN SELECT RAISE(ABORT, 'the change log is append-only'); END;
CREATE TRIGGER IF NOT EXISTS log_is_append_only_delete BEFORE DELETE ON log
BEGIN SELECT RAISE(ABORT, 'the change log is append-only'); END;
"""

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
}


# Fields that record when a change was made: they change with a change, never alone.
_STAMPS = ("date",)


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

    def __repr__(self) -> str:
        return f"<Store {self.path}: {len(self.assessments())} assessments>"

    @contextlib.contextmanager
    def _connection(self, *, create: bool = False) -> Iterator[sqlite3.Connection]:
        """A connection to the store (write-ahead log, full sync, foreign keys), closed after.
        It never creates the file unless ``create`` (a store moved or deleted since it was
        opened is an error, not a new empty store). SQLite's operational errors — locked
        beyond the timeout, read-only, disk full, cannot open — come out as one-line
        :class:`~nistpf.store_schema.StoreDatabaseError` (still an
        :class:`sqlite3.OperationalError`)."""
        from nistpf.store_schema import StoreDatabaseError

        mode = "rwc" if create else "rw"
        uri = f"{Path(os.path.abspath(self.path)).as_uri()}?mode={mode}"
        try:
            db = sqlite3.connect(uri, uri=True, timeout=self._timeout, isolation_level=None)
        except sqlite3.Error as error:
            raise StoreDatabaseError.of(self.path, error, self._timeout) from error
        try:
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA synchronous=FULL")
            db.execute("PRAGMA foreign_keys=ON")
            yield db
        except sqlite3.DatabaseError as error:
            # Operational errors and damage (not a constraint or a trigger's refusal).
            if isinstance(error, StoreError) or type(error) not in (
                sqlite3.OperationalError,
                sqlite3.DatabaseError,
            ):
                raise
            raise StoreDatabaseError.of(self.path, error, self._timeout) from error
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
        in the engagement is refused (StoreError), so a follow-up is never started twice."""
        if not str(name).strip():
            raise StoreError("an assessment needs a name, e.g. 'Baseline 2026'")
        taken = self.assessments()
        same = taken[taken["name"].map(fold) == fold(name)]
        if len(same):
            raise StoreError(
                f"{self.path.name} already has an assessment named {str(name).strip()!r} "
                f"(assessment {int(same['id'].iloc[0])}); choose another name"
            )
        chosen = load_scale(scale or (inventory.scale if inventory else None)).name
        version = inventory.framework_version if inventory else load_framework().version
        # No date given: the assessment takes the inventory's own (its About sheet) whenever
        # it is applied, so a corrected workbook's date is never overridden by a stale copy.
        when = _iso_date(date)
        record = {
            "name": str(name).strip(),
            "date": when,
            "inventory_path": str(inventory.path) if inventory and inventory.path else "",
            "inventory_name": inventory.source if inventory else "",
            "inventory_sha256": (inventory.sha256 or "") if inventory else "",
            "scale": chosen,
            "framework_version": version,
            "created_at": _now(),
        }
        content = _workbook_bytes(inventory) if inventory is not None else None
        with self._transaction() as db:
            cursor = db.execute(
                _insert("assessments", tuple(record)),
                tuple(record.values()),
            )
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
        table = self._read("SELECT * FROM assessments WHERE id = ?", (int(number),))
        if table.empty:
            known = ", ".join(str(i) for i in self.assessments()["id"]) or "none yet"
            raise StoreError(f"{self.path.name} has no assessment {number}; assessments: {known}")
        return table.iloc[0].to_dict()

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
        run = self.assessment(number)
        when = _iso_date(date)
        with self._transaction() as db:
            db.execute("UPDATE assessments SET date = ? WHERE id = ?", (when, int(number)))
            n = int(number)
            _log(db, who, n, "assessment", [n], "date", run["date"], when, note)

    def record_inventory(
        self, number: int, inventory: Inventory, *, who: str | None = None
    ) -> None:
        """Note that assessment ``number`` now reads ``inventory`` (its path, name and SHA-256),
        e.g. the workbook the client corrected; the assessment and all it holds stay."""
        run = self.assessment(number)
        record = {
            "inventory_path": str(inventory.path) if inventory.path else "",
            "inventory_name": inventory.source,
            "inventory_sha256": inventory.sha256 or "",
        }
        if all(run[k] == v for k, v in record.items()):
            return
        content = _workbook_bytes(inventory)
        with self._transaction() as db:
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
        latest): a new assessment with the previous one's Target Profile, scope decisions and
        Tiers, and no ratings yet; the previous one stays as it is, for comparison
        (:func:`nistpf.compare`). Returns the new assessment's number."""
        before = self.latest() if previous is None else int(previous)
        run = self.assessment(before)
        number = self.new_assessment(
            name,
            inventory,
            date=date,
            scale=run["scale"],
            who=who,
            note=f"follow-up of assessment {before} ({run['name']})",
        )
        if inventory is None:  # the workbook the previous assessment read, until another
            with self._transaction() as db:
                db.execute(
                    "UPDATE assessments SET inventory_path = ?, inventory_name = ?, "
                    "inventory_sha256 = ? WHERE id = ?",
                    (run["inventory_path"], run["inventory_name"], run["inventory_sha256"],
                     number),
                )  # fmt: skip
        copied = {"profile": self.profile(before), "scope": self.scope(before)}
        copied["tier"] = self._read(
            "SELECT attribute, tier, evidence FROM tiers WHERE assessment = ?", (before,)
        )
        note = f"carried from assessment {before}"
        for entity, table in copied.items():
            _, keys, fields = _ENTITIES[entity]
            for row in table.to_dict("records"):
                values = {f: _stored(row[f]) for f in fields if f in row}
                self._change(entity, number, tuple(row[k] for k in keys), values, who, note)
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
    ) -> None:
        """Upsert one row and log every field that changed, in one transaction."""
        table, key_columns, _ = _ENTITIES[entity]
        self.assessment(number)
        where = " AND ".join(f"{c} = ?" for c in ("assessment", *key_columns))
        params = (int(number), *key)
        at, author = _now(), _who(who)
        with self._transaction() as db:
            cursor = db.execute(f"SELECT {', '.join(values)} FROM {table} WHERE {where}", params)
            old_row = cursor.fetchone()
            old = dict(zip(values, old_row, strict=True)) if old_row else dict.fromkeys(values)
            changed = {f: v for f, v in values.items() if old[f] != v}
            if old_row is not None and not set(changed) - set(_STAMPS):
                return  # nothing but the date would change: saving the same value again

            if old_row is None:
                columns = ("assessment", *key_columns, *values)
                db.execute(
                    _insert(table, columns),
                    (*params, *values.values()),
                )
            elif changed:
                assignments = ", ".join(f"{f} = ?" for f in changed)
                db.execute(
                    f"UPDATE {table} SET {assignments} WHERE {where}", (*changed.values(), *params)
                )
            for field, new in changed.items():
                _log(db, author, int(number), entity, list(key), field, old[field], new, note, at)

    def set_rating(
        self,
        number: int,
        subcategory: str,
        *,
        system: str | None = None,
        current: float | None,
        evidence: str = "",
        method: str = "",
        notes: str = "",
        assessor: str | None = None,
        who: str | None = None,
        note: str = "",
    ) -> None:
        """Save the assessor's rating of ``subcategory`` (for ``system``, or the organisation
        when None); ``current=None`` clears it (the derived level applies again)."""
        run = self.assessment(number)
        fw = load_framework(run["framework_version"])
        sub = fw.normalize_id(subcategory)
        if fw.get(sub).level != "subcategory":
            raise StoreError(f"{sub} is a {fw.get(sub).level}; rate a Subcategory")
        level = None if current is None else float(current)
        scale = load_scale(run["scale"])
        if level is not None and not scale.contains(level):
            raise StoreError(
                f"{current} is outside the {scale.name} scale ({scale.minimum}-{scale.maximum}): "
                f"{scale.describe()}"
            )
        if method and method not in METHODS:
            raise StoreError(f"method {method!r} is not one of {', '.join(METHODS)}")
        values = {
            "current": level,
            "evidence": evidence,
            "method": method,
            "notes": notes,
            "assessor": assessor if assessor is not None else _who(who),
            "date": dt.date.today().isoformat(),
        }
        self._change("rating", number, (sub, system or ""), values, who, note)

    def set_profile(
        self,
        number: int,
        pf_id: str,
        *,
        target: float | None = None,
        priority: str = "",
        in_profile: bool | None = None,
        rationale: str = "",
        who: str | None = None,
        note: str = "",
    ) -> None:
        """Set the Target Profile row of a Function, Category or Subcategory (blank attributes
        inherit from the wider rows, as in the Profile sheet)."""
        run = self.assessment(number)
        element = load_framework(run["framework_version"]).normalize_id(pf_id)
        scale = load_scale(run["scale"])
        if target is not None and not scale.contains(float(target)):
            raise StoreError(
                f"target {target} is outside the {scale.name} scale: {scale.describe()}"
            )
        if priority and priority not in PRIORITIES:
            raise StoreError(f"priority {priority!r} is not one of {', '.join(PRIORITIES)}")
        values = {
            "target": None if target is None else float(target),
            "priority": priority,
            "in_profile": None if in_profile is None else int(bool(in_profile)),
            "rationale": rationale,
        }
        self._change("profile", number, (element,), values, who, note)

    def set_tier(
        self,
        number: int,
        attribute: str,
        tier: int | None,
        *,
        evidence: str = "",
        who: str | None = None,
        note: str = "",
    ) -> None:
        """Rate the organisation's Implementation Tier (1-4) for one of the four attributes."""
        if attribute not in TIER_ATTRIBUTES:
            raise StoreError(
                f"{attribute!r} is not a Tier attribute; use one of {', '.join(TIER_ATTRIBUTES)}"
            )
        if tier is not None and int(tier) not in (1, 2, 3, 4):
            raise StoreError(f"tier {tier} is not 1, 2, 3 or 4")
        values = {"tier": None if tier is None else int(tier), "evidence": evidence}
        self._change("tier", number, (attribute,), values, who, note)

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
        """Keep what the client wrote in the gap register (recommended_action, owner, due_date,
        status, comments) for the next register."""
        unknown = set(fields) - set(EDIT_COLUMNS[1:])
        if unknown:
            raise StoreError(
                f"unknown register field {sorted(unknown)[0]!r}; use {', '.join(EDIT_COLUMNS[1:])}"
            )
        current = self.register_edits(number).set_index("subcategory")
        sub = load_framework(self.assessment(number)["framework_version"]).normalize_id(subcategory)
        base = (
            current.loc[sub].to_dict()
            if sub in current.index
            else dict.fromkeys(EDIT_COLUMNS[1:], "")
        )
        base.update({k: "" if v is None else str(v) for k, v in fields.items()})
        self._change(
            "register", number, (sub,), {k: base[k] or "" for k in EDIT_COLUMNS[1:]}, who, note
        )

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

    def profile(self, number: int) -> pd.DataFrame:
        table = self._read(
            "SELECT pf_id, target, priority, in_profile, rationale FROM profile "
            "WHERE assessment = ? ORDER BY pf_id",
            (int(number),),
        )
        table["in_profile"] = table["in_profile"].map(lambda v: None if pd.isna(v) else bool(v))
        return table

    def tiers(self, number: int) -> pd.DataFrame:
        return self._read(
            "SELECT attribute, tier, evidence FROM tiers WHERE assessment = ? AND tier IS NOT NULL",
            (int(number),),
        )

    def register_edits(self, number: int) -> pd.DataFrame:
        return self._read(
            f"SELECT {', '.join(EDIT_COLUMNS)} FROM register_edits WHERE assessment = ? "
            "ORDER BY subcategory",
            (int(number),),
        )

    def log(self, number: int | None = None) -> pd.DataFrame:
        """The append-only change log (``seq, at, who, assessment, entity, key, field, old, new,
        note``), oldest first; for one assessment or all."""
        if number is None:
            return self._read("SELECT * FROM log ORDER BY seq")
        return self._read("SELECT * FROM log WHERE assessment = ? ORDER BY seq", (int(number),))

    def export_log(self, path: str | Path, number: int | None = None) -> Path:
        """Write the log as CSV (atomically)."""
        write_text(Path(path), self.log(number).to_csv(index=False, lineterminator="\n"))
        return Path(path)

    # -- applying ----------------------------------------------------------------------------
    def apply(self, inventory: Inventory, number: int | None = None) -> Inventory:
        """``inventory`` with the store's scope decisions, ratings, profile edits and Tiers for
        assessment ``number`` (default: the latest) laid over its own sheets: a stored row
        replaces the sheet's row for the same key, a cleared rating removes it. Ratings are
        keyed by Subcategory and system ID, so they carry over to a corrected workbook; what
        applies to nothing in it (:meth:`orphans`) is left out and listed as warning rows of
        ``issues`` (sheet "Store"). The About date stays the inventory's unless the consultant
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
                pd.concat([kept_tiers, tiers.assign(excel_row=pd.NA)], ignore_index=True),
                TIER_COLUMNS,
                {"tier": "Int64"},
            ),
            scale=run["scale"],
        )


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
    """A date as YYYY-MM-DD text ("" for None); text that is not such a date is refused."""
    if date is None or date == "":
        return ""
    if isinstance(date, dt.date):
        return date.isoformat()
    text = str(date).strip()
    try:
        if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
            raise ValueError(text)
        return dt.date.fromisoformat(text).isoformat()
    except ValueError:
        raise StoreError(f"date {date!r} is not a date; write it as YYYY-MM-DD") from None


def _stored(value: Any) -> Any:
    """A value read from the store, as the store writes it (no NaN, no numpy scalars)."""
    if value is None or (isinstance(value, float) and value != value):
        return None
    if hasattr(value, "item"):
        return value.item()
    return value


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
    ``who`` defaults to the operating-system user)."""
    db.execute(
        "INSERT INTO log (at, who, assessment, entity, key, field, old, new, note) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (at or _now(), _who(who), assessment, entity, json.dumps(key), field, _logged(old),
         _logged(new), note),
    )  # fmt: skip


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
