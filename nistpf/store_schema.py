"""The engagement store's schema versions, the migrations between them, and the checks that a
file is a store before nistpf writes a byte to it.

Schema versions (``engagement.schema_version`` in the store, :data:`nistpf.store.SCHEMA_VERSION`
in the code):

1. The first store: the ``engagement`` key/value table (``schema_version``, ``name``,
   ``client``), ``assessments``, ``ratings``, ``profile``, ``tiers``, ``register_edits`` and the
   append-only ``log``. The ``scope`` and ``workbooks`` tables were added later without a new
   version, so a version-1 store may lack them.
2. An index of the log by ``(assessment, entity, key)`` (the log is read by assessment and
   key); the ``scope`` and ``workbooks`` tables where a version-1 store lacks them; and the
   ``schema_version`` row where a store has none.
3. The ``pram_edits`` table: the consultant's NIST PRAM edits per data action × problem for
   individuals (a likelihood and the five organisational impact factors of PRAM worksheet 3,
   1-10 or NULL; worksheet 4's selected controls and rationale; the reason for the override).
   A store of version 3 or later that lacks it is refused as damaged.

Opening a store (:func:`inspect`, then :func:`create` or :func:`migrate`) reads before it
writes. A file that is not a store — not an SQLite file, empty, cut short, damaged, another
program's SQLite database, a store of a newer nistpf — is refused with a one-line
:class:`~nistpf.store.StoreError` and left as it was: no byte written, no ``-wal``, ``-shm`` or
``-journal`` file beside it. An older store is migrated in place, one version at a time, each
step in its own transaction with the new version and a log row (entity ``engagement``, field
``schema_version``, old → new), so a step that fails leaves the store at the version before it.

A store is read under bounds (:data:`STORE_BOUNDS`), because a store can come from elsewhere
(a colleague's laptop, a backup, a shared folder) and a hostile one could otherwise stall
nistpf or fill its memory: the file and the ``-wal``, ``-shm`` and ``-journal`` files beside it
must be regular files (a pipe or a device is refused before it is opened) of at most
:data:`MAX_STORE_BYTES`; and no value may be longer than nistpf writes into its column
(:data:`MAX_LOG_JSON_CHARS` for the log's JSON, the inventory reader's
:data:`~nistpf.inventory.limits.MAX_FILE_BYTES` for a workbook's copy,
:data:`~nistpf.store.MAX_TEXT_CHARS` for every other field), which one SQL pass per table
checks at open, before any value reaches Python; a longer one is damage (written by something
else), refused in one line. So is, counted and checked by SQL at open before nistpf reads a row:
a table of more rows than :data:`MAX_STORE_ROWS` (the log: :data:`MAX_LOG_ROWS`); a trigger,
view or index nistpf does not make, or one of its tables defined otherwise (SQL that would run
when nistpf reads or writes the store: a trigger that joins the log with itself hangs, one that
makes a 450 MB BLOB fills memory); and
a value nistpf could not have saved — a level or target that is not a number within the
assessment's scale (text, a BLOB, 1e308, infinity, -1), a Tier other than 1-4, a yes/no other
than 0 or 1, a PRAM likelihood or impact factor other than a number from 1 to 10, text that is
a BLOB or holds a NUL character.
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import os
import shutil
import sqlite3
import stat
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from nistpf import store as _store
from nistpf.errors import shown
from nistpf.inventory.limits import MAX_FILE_BYTES
from nistpf.inventory.model import PRAM_EDIT_NUMBERS
from nistpf.io.paths import STORE_SIDE_FILES
from nistpf.store import MAX_TEXT_CHARS, StoreError

if TYPE_CHECKING:
    from nistpf.store import Store

SQLITE_MAGIC = b"SQLite format 3\x00"
HEADER_SIZE = 100  # SQLite's database header, at the start of page 1
SIBLINGS = tuple(suffix for suffix, _ in STORE_SIDE_FILES)  # what SQLite keeps beside a store

# Tables every store has had since schema version 1 (scope and workbooks came later).
FIRST_TABLES = frozenset(
    {"engagement", "assessments", "ratings", "profile", "tiers", "register_edits", "log"}
)
# Tables a store has from a schema version on (its migration makes them): version -> names.
TABLES_SINCE = {3: frozenset({"pram_edits"})}
_UNCHANGED = "nistpf has not changed it"

MAX_STORE_BYTES = 2_000_000_000
"""The largest store file (and ``-wal`` file beside it) nistpf opens, in bytes (2 GB), checked
with ``stat`` before the file is opened. A store grows with its log (a row of about 200 bytes
per field changed: 10,000 ratings saved three times each make about 10 MB) and keeps one copy of
each assessment's workbook (a consultant's inventory is 0.1-2 MB; the reader takes at most
200 MB): a yearly engagement with its follow-ups stays under 100 MB. 2 GB is twenty years of a
large engagement, or ten workbooks at the reader's own limit; a bigger file is not a store
nistpf made, or one to split by starting a new engagement."""
MAX_LOG_JSON_CHARS = 4_194_304
"""The longest ``key``, ``old`` or ``new`` of a log row, in characters (4 Mi). They are JSON
(ASCII, so a character written as ``\\uXXXX`` takes six, one outside the BMP twelve) of at
most a record of eight fields of :data:`~nistpf.store.MAX_TEXT_CHARS` each: 3.2 million at
the very most."""
UTF8_BYTES = 4  # the most bytes a character takes in UTF-8 (or in UTF-16, a store's other)
READ_LIMIT_BYTES = MAX_LOG_JSON_CHARS * UTF8_BYTES
"""The longest value SQLite may read while a store is checked at open, in bytes (16 MiB): the
longest log JSON nistpf writes, at four bytes a character. A longer one (a 100 MB text) is
refused by SQLite itself without being read into memory; a workbook's copy, a BLOB, is measured
without being read."""
MAX_STORE_ROWS = 2_000_000
"""The most rows a table of a store may hold (the log: :data:`MAX_LOG_ROWS`), counted at open
before any row is read. A large engagement holds about 10,000 ratings an assessment, and a
follow-up copies the ratings, profile and Tiers of the one before; one assessment can hold at
most a rating per row of the inventory's Responses sheet, which the reader bounds at
:data:`~nistpf.inventory.limits.MAX_ROWS` (200,000): 2,000,000 is ten assessments at that
limit, or two hundred of a large engagement. A store of 3,000,000 ratings took 225 s and
3.1 GiB to read."""
MAX_LOG_ROWS = 20_000_000
"""The most rows the log may hold: ten for each row :data:`MAX_STORE_ROWS` allows (each save
of a field is a log row; a row is at least about 100 bytes, so a store of
:data:`MAX_STORE_BYTES` holds about 20 million)."""


def _max_rows(table: str) -> int:
    return MAX_LOG_ROWS if table == "log" else MAX_STORE_ROWS


# Columns whose values may be longer than MAX_TEXT_CHARS, and how long: (table, column) ->
# characters (for the workbook's copy, a BLOB: bytes).
_LONGER = {
    ("log", "key"): MAX_LOG_JSON_CHARS,
    ("log", "old"): MAX_LOG_JSON_CHARS,
    ("log", "new"): MAX_LOG_JSON_CHARS,
    ("workbooks", "content"): MAX_FILE_BYTES,
}
STORE_BOUNDS = {
    "kind": "the store and its -wal, -shm and -journal files are regular files: a pipe, "
    "device or socket is refused before it is opened",
    "size": f"the store and its -wal file at most {MAX_STORE_BYTES:,} bytes, checked with "
    "stat before opening",
    "text": f"every field at most {MAX_TEXT_CHARS:,} characters ({UTF8_BYTES} bytes each at "
    "most), checked by SQL at open; nistpf refuses to save a longer one",
    "log": f"a log row's key, old and new (JSON) at most {MAX_LOG_JSON_CHARS:,} characters",
    "workbooks": f"a workbook's copy at most {MAX_FILE_BYTES:,} bytes (the inventory "
    "reader's own limit), and bytes, not text",
    "reading": f"while checking, SQLite reads no value over {READ_LIMIT_BYTES:,} bytes into "
    "memory: a longer one is refused unread",
    "rows": f"each table at most {MAX_STORE_ROWS:,} rows, the log {MAX_LOG_ROWS:,}, counted "
    "at open before any row is read",
    "objects": "no trigger, view or index but nistpf's own (the log's index and its "
    "append-only triggers), and nistpf's tables as nistpf defines them, compared by name and "
    "SQL: another one would run SQL when the store is read or written",
    "values": "every value of the type and within the bounds nistpf saves: a level or target "
    "a number within the assessment's scale, a Tier 1-4, a yes/no 0 or 1, a PRAM likelihood a "
    "number from 0 to 10 and an impact factor one from 1 to 10, or nothing, an assessment's "
    "number a whole number, text text without a NUL character; checked by SQL at open",
}
"""The bounds a store is read under, by name (for the README and the tests)."""


class NotAStoreError(StoreError):
    """The file is not an engagement store: not an SQLite file (a workbook, text, random
    bytes), an empty file, not a regular file, or another program's SQLite database."""

    code = "store-not-a-store"


class DamagedStoreError(StoreError):
    """The file is an SQLite file that is cut short or damaged (SQLite's ``quick_check``
    fails, or its header does not add up); restore it from a backup."""

    code = "store-damaged"


class NewerStoreError(StoreError):
    """The store was made by a newer nistpf (a schema version above
    :data:`nistpf.store.SCHEMA_VERSION`); upgrade nistpf to open it."""

    code = "store-newer"

    def __init__(self, path: Path, version: int, supported: int):
        self.path, self.version, self.supported = path, version, supported
        super().__init__(
            f"{path} was made by a newer nistpf (schema {version}; this nistpf reads up to "
            f"{supported}): upgrade nistpf to open it; {_UNCHANGED}"
        )


class StoreTooLargeError(StoreError):
    """The store, or the ``-wal`` file beside it, is over :data:`MAX_STORE_BYTES`: refused
    before it is opened."""

    code = "store-too-large"


class StoreAccessError(StoreError):
    """The operating system refuses what the store needs: reading the file, writing it (a
    read-only file, or a read-only folder, where SQLite keeps its ``-wal`` file), creating it."""

    code = "store-access"


class MigrationError(StoreError):
    """A migration step failed; its transaction was rolled back, so the store stays at the
    version before the step (``old``)."""

    code = "store-migration"

    def __init__(self, path: Path, old: int, new: int, error: BaseException):
        self.path, self.old, self.new = path, old, new
        super().__init__(
            f"{path}: updating the store from schema {old} to {new} failed "
            f"({type(error).__name__}: {_one_line(error)}); it is still at schema {old}, as it "
            "was: check that the disk has room and the file can be written, then open it again"
        )


class StoreDatabaseError(StoreError, sqlite3.OperationalError):
    """SQLite could not do what a store operation asked (the file became read-only, moved,
    locked by another program beyond the timeout, the disk is full, a damaged page): one line
    saying which and what to do. Also an :class:`sqlite3.OperationalError`, as it was."""

    code = "store-database"

    @classmethod
    def of(cls, path: Path, error: sqlite3.Error, timeout: float) -> StoreDatabaseError:
        text = _one_line(error)
        lower = text.lower()
        if "full" in lower or ("i/o error" in lower and _nearly_full(path)):
            message = (
                f"{path} cannot be written: no space left on the device (SQLite: {text}); free "
                "some space, or choose another folder"
            )
        elif "locked" in lower or "busy" in lower:
            message = (
                f"{path} is busy: another program held it for more than {timeout:g} s "
                f"(SQLite: {text}); close what else uses it (another notebook) and try again"
            )
        elif "readonly" in lower or "read-only" in lower:
            message = (
                f"{path} cannot be written (SQLite: {text}): make the file and its folder "
                "writable; nothing was saved"
            )
        elif "unable to open" in lower:
            message = (
                f"cannot open {path} (SQLite: {text}): check that it was not moved or deleted "
                "and that its folder can be written"
            )
        elif "malformed" in lower or "not a database" in lower or "corrupt" in lower:
            message = f"{path} is damaged (SQLite: {text}): restore it from a backup"
        else:
            message = f"{path}: SQLite: {text}"
        return cls(message)


@dataclasses.dataclass(frozen=True)
class Migration:
    """One step of :data:`MIGRATIONS`: ``apply(db)`` changes a store of the version before
    ``version`` into one of ``version``, inside the transaction :func:`migrate` opens (it does
    not commit); ``summary`` goes into the log row's note."""

    version: int
    summary: str
    apply: Callable[[sqlite3.Connection], None]


def _to_2(db: sqlite3.Connection) -> None:
    # The DDL as it was when version 2 was made: later versions change the schema in their
    # own steps, never by editing this one.
    db.execute(
        """CREATE TABLE IF NOT EXISTS scope (
            assessment INTEGER NOT NULL REFERENCES assessments(id),
            system TEXT NOT NULL,
            in_scope INTEGER NOT NULL,
            PRIMARY KEY (assessment, system)
        )"""
    )
    db.execute(
        """CREATE TABLE IF NOT EXISTS workbooks (
            sha256 TEXT PRIMARY KEY,
            name TEXT NOT NULL,
            saved_at TEXT NOT NULL,
            content BLOB NOT NULL
        )"""
    )
    db.execute("CREATE INDEX IF NOT EXISTS log_by_key ON log (assessment, entity, key)")


def _to_3(db: sqlite3.Connection) -> None:
    # The DDL as it was when version 3 was made (see :func:`_to_2`).
    db.execute(
        """CREATE TABLE IF NOT EXISTS pram_edits (
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
        )"""
    )


# The version a step reaches -> the step; :func:`migrate` runs them in order.
MIGRATIONS: dict[int, Migration] = {
    2: Migration(
        2,
        "an index of the log by assessment, entity and key; the scope and workbooks tables "
        "where the store lacked them",
        _to_2,
    ),
    3: Migration(
        3,
        "the pram_edits table: the consultant's NIST PRAM edits (likelihood, impact factors, "
        "selected controls, rationale and the reason) per data action and problem",
        _to_3,
    ),
}


def inspect(path: Path, *, timeout: float = 30.0) -> int | None:
    """The schema version of the store at ``path``, or None when there is no store to read yet
    (no file, or an SQLite file nistpf began and left without tables): read-only, it writes
    nothing and creates no file beside ``path``.

    Raises :class:`NotAStoreError` (a folder, not a regular file, an empty file, not an SQLite
    file, another program's SQLite database), :class:`DamagedStoreError` (cut short, a header
    that does not add up, ``quick_check`` failing, an unreadable ``schema_version``),
    :class:`NewerStoreError` (a schema above :data:`~nistpf.store.SCHEMA_VERSION`),
    :class:`DamagedStoreError` also for a store outside :data:`STORE_BOUNDS` (too many rows, a
    value too long, of the wrong type or out of bounds, a trigger, view or index nistpf does
    not make), and
    :class:`StoreAccessError` (cannot read it; a read-only file or folder, which a store
    cannot be, since every change is written the moment it is made)."""
    try:
        info = path.stat()
    except (FileNotFoundError, NotADirectoryError):
        return None
    except OSError as error:
        raise StoreAccessError(
            f"cannot read {path}: {error.strerror or error}; check the path and its permissions"
        ) from None
    if stat.S_ISDIR(info.st_mode):
        raise NotAStoreError(f"{path} is a folder; a store is one file (e.g. engagement.nistpf)")
    if not stat.S_ISREG(info.st_mode):
        raise NotAStoreError(
            f"{path} is not an engagement store (it is not a regular file but a device, pipe "
            "or socket): check the path"
        )
    _check_size(path, info.st_size)
    _check_siblings(path)
    try:
        with open(path, "rb") as file:
            head = file.read(HEADER_SIZE)
    except OSError as error:
        raise StoreAccessError(
            f"cannot read {path}: {error.strerror or error}; check its permissions"
        ) from None
    _check_header(path, head, info.st_size)
    version = _read_version(path, head, timeout)
    if not os.access(path, os.W_OK):
        raise StoreAccessError(
            f"{path} is read-only, and nistpf writes every change into the store as it is "
            "made: make the file writable, or work on a copy"
        )
    if not os.access(path.parent, os.W_OK):
        raise StoreAccessError(
            f"{path} is in a read-only folder, where SQLite cannot keep the store's -wal and "
            "-shm files: make the folder writable, or copy the store to one that is"
        )
    return version


def _check_size(path: Path, size: int, of: Path | None = None) -> None:
    """Refuse a store (or its sibling ``of``) over :data:`MAX_STORE_BYTES`."""
    if size > MAX_STORE_BYTES:
        what = f"{of.name} beside it" if of else "it"
        raise StoreTooLargeError(
            f"{path} is not opened: {what} is {size:,} bytes, over the {MAX_STORE_BYTES:,} an "
            "engagement store may have (ordinary use stays under 100 MB): check the path, or "
            f"start a new store for the engagement (nistpf new DIR); {_UNCHANGED}"
        )


def _check_siblings(path: Path) -> None:
    """Refuse the ``-wal``, ``-shm`` and ``-journal`` files SQLite would open beside the store
    when one is not a regular file (SQLite would wait on a pipe for ever) or the ``-wal`` file
    is over :data:`MAX_STORE_BYTES` (SQLite reads it whole to rebuild its index)."""
    for suffix in SIBLINGS:
        sibling = _sibling(path, suffix)
        try:
            info = sibling.stat()
        except OSError:  # none there (or unreadable: SQLite says so, when it needs it)
            continue
        if not stat.S_ISREG(info.st_mode):
            raise NotAStoreError(
                f"{path} is not opened: {sibling.name} beside it is not a regular file but a "
                "folder, device, pipe or socket, where SQLite keeps a store's journal: move it "
                f"away; {_UNCHANGED}"
            )
        if suffix == "-wal":
            _check_size(path, info.st_size, sibling)


def _check_header(path: Path, head: bytes, size: int) -> None:
    """Refuse what SQLite's header (its first 100 bytes) and the file's size show is not a
    whole SQLite database; see https://www.sqlite.org/fileformat.html#the_database_header."""
    if size == 0:
        raise NotAStoreError(
            f"{path} is an empty file, not an engagement store: check the path (an engagement "
            "folder made by `nistpf new` holds engagement.nistpf), or delete the empty file to "
            "start a store there"
        )
    if not head.startswith(SQLITE_MAGIC):
        raise NotAStoreError(
            f"{path} is not a nistpf engagement store ({_what(head)}): check the path (an "
            f"engagement folder made by `nistpf new` holds engagement.nistpf); {_UNCHANGED}"
        )
    if len(head) < HEADER_SIZE:
        raise _damaged(path, f"cut short: {size} bytes, less than SQLite's 100-byte header")
    page = int.from_bytes(head[16:18], "big")
    page = 65536 if page == 1 else page  # 1 stands for 65536, which two bytes cannot hold
    if page < 512 or page & (page - 1):
        raise _damaged(path, f"its header gives no valid page size ({page})")
    if size < page or size % page:
        raise _damaged(path, f"cut short: {size} bytes is not a whole number of {page}-byte pages")
    pages = int.from_bytes(head[28:32], "big")
    # The header's page count is valid when its change counter matches "version-valid-for";
    # it can run ahead of the file only while a -wal file holds the pages to come.
    counted = pages and head[24:28] == head[92:96]
    if counted and pages * page > size and not _sibling(path, "-wal").exists():
        raise _damaged(path, f"cut short: its header counts {pages} pages, the file holds "
                       f"{size // page}")  # fmt: skip


def _read_version(path: Path, head: bytes, timeout: float) -> int | None:
    """The store's schema version read through a read-only connection (None for an SQLite
    file without tables in WAL mode, which is what a store's creation leaves when it stops
    before the tables are written)."""
    wal = _sibling(path, "-wal").exists() and _sibling(path, "-shm").exists()
    journal = _sibling(path, "-journal")
    if head[18:20] != b"\x02\x02":
        # Not in WAL mode (another tool changed the store's journal mode): a read-only
        # connection takes SQLite's shared lock, so a writer elsewhere is waited for, and a
        # reader makes no file beside it. A "hot" -journal left by a writer that stopped is
        # rolled back by SQLite when it first reads — SQLite's own recovery of the last
        # committed state, which needs write access.
        hot = journal.exists() and journal.stat().st_size > 0
        query = "mode=rw" if hot else "mode=ro"
    else:
        # With no -wal file, the file is the whole database and "immutable" reads it without
        # a lock or a file beside it; with one (another program has the store open, or it
        # was not closed), a read-only connection reads the -wal file too.
        query = "mode=ro" if wal else "immutable=1"
    uri = f"{Path(os.path.abspath(path)).as_uri()}?{query}"
    tables: list[str] = []
    columns: dict[str, frozenset[str]] = {}
    longest: dict[tuple[str, str], tuple[int, int, int]] = {}
    row = None
    foreign: list[tuple[str, str, str]] = []
    counts: dict[str, int] = {}
    crowded: list[str] = []
    wrong: tuple[str, str, int, str, str] | None = None
    try:
        db = sqlite3.connect(uri, uri=True, timeout=timeout, isolation_level=None)
    except sqlite3.Error as error:
        raise StoreAccessError(f"cannot read {path} (SQLite: {_one_line(error)})") from None
    try:
        problems = [str(r[0]) for r in db.execute("PRAGMA quick_check").fetchall()]
        if problems != ["ok"]:
            more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
            raise _damaged(path, f"SQLite: {_one_line(problems[0])}{more}")
        tables = [
            r[0]
            for r in db.execute(
                "SELECT name FROM sqlite_master "
                "WHERE type = 'table' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\'"
            )
        ]
        columns = {
            t: frozenset(str(r[1]) for r in db.execute(f'PRAGMA table_info("{t}")'))
            for t in tables
            if t in _columns()  # our names only: never a foreign name in SQL
        }
        if "engagement" in tables:
            with contextlib.suppress(sqlite3.OperationalError):  # no such column: not ours
                row = db.execute(
                    "SELECT value FROM engagement WHERE key = 'schema_version'"
                ).fetchone()
        # SQLite refuses to read a value over this limit (SQLITE_TOOBIG) instead of reading it
        # into memory to measure it; a BLOB's length is known without reading it.
        db.setlimit(sqlite3.SQLITE_LIMIT_LENGTH, READ_LIMIT_BYTES)
        counts = {t: int(db.execute(f'SELECT count(*) FROM "{t}"').fetchone()[0]) for t in columns}
        crowded = sorted(t for t, n in counts.items() if n > _max_rows(t))
        if not crowded:
            longest = _longest(db, columns)
        foreign = _foreign_objects(db)
        whole = FIRST_TABLES.issubset(columns) and all(
            _columns()[t] <= columns[t] for t in columns
        )  # what lacks a table or a column is refused for that, below
        if whole and not crowded and not foreign and not [n for n in longest if not n[1]]:
            wrong = _wrong_values(db, columns)
    except sqlite3.OperationalError as error:  # locked, cannot open, no room for its index
        if "i/o error" in str(error).lower() and _nearly_full(path):
            # a store with a -wal file is read through a shared-memory index made beside it
            raise StoreAccessError(
                f"cannot read {path}: no space left on the device for SQLite's index beside "
                f"it (SQLite: {_one_line(error)}); free some space"
            ) from None
        raise StoreAccessError(
            f"cannot read {path} (SQLite: {_one_line(error)}): close what else uses it and try "
            "again"
        ) from None
    except sqlite3.DatabaseError as error:  # malformed, not a database
        raise _damaged(path, f"SQLite: {_one_line(error)}") from None
    finally:
        db.close()
    if not tables and head[18:20] == b"\x02\x02":
        return None
    if row is None:
        if FIRST_TABLES.issubset(tables):
            return 1  # a store made before it recorded its version
        named = f"tables: {_names(tables)}" if tables else "it has no tables"
        raise NotAStoreError(
            f"{path} is an SQLite database but not a nistpf engagement store ({named}): check "
            f"the path (an engagement folder made by `nistpf new` holds engagement.nistpf); "
            f"{_UNCHANGED}"
        )
    try:
        version = int(str(row[0]).strip())
    except ValueError:
        raise _damaged(path, f"its schema_version is {row[0]!r}, not a number") from None
    if version > _store.SCHEMA_VERSION:
        raise NewerStoreError(path, version, _store.SCHEMA_VERSION)
    if version < 1:
        raise _damaged(path, f"its schema_version is {version}, and versions start at 1")
    missing = FIRST_TABLES - set(tables)
    for since, names in TABLES_SINCE.items():
        if version >= since:
            missing |= names - set(tables)
    if missing:
        raise _damaged(path, f"it lacks the table{'s' * (len(missing) > 1)} {_names(missing)}")
    for table, needed in _columns().items():
        if table in columns and needed - columns[table]:
            lacking = _names(needed - columns[table])
            raise _damaged(path, f"its {table} table lacks the column(s) {lacking}")
    if crowded:
        table = crowded[0]
        raise _damaged(
            path,
            f"its {table} table holds {counts[table]:,} rows; a store nistpf writes holds at "
            f"most {_max_rows(table):,}",
        )
    _check_lengths(path, longest)
    if foreign:
        kind, name, table = foreign[0]
        more = f" (and {len(foreign) - 1} more)" if len(foreign) > 1 else ""
        on = "" if kind == "view" else f" on {_names([table])}"
        if kind == "table":
            raise _damaged(
                path,
                f"its {_names([name])} table is not defined as nistpf makes it{more}: SQL in its "
                "definition would run when the store is read or written",
            )
        raise _damaged(
            path,
            f"it holds the {kind} {_names([name])}{on}{more}, not made by "
            f"nistpf, which would run SQL when the store is read or written",
        )
    if wrong is not None:
        table, column, rowid, value, rule = wrong
        raise _damaged(
            path,
            f"its {table} table's {column} column holds {value} in row {rowid}, where nistpf "
            f"writes {rule}",
        )
    return version


def _longest(
    db: sqlite3.Connection, columns: dict[str, frozenset[str]]
) -> dict[tuple[str, str], tuple[int, int, int]]:
    """For every column of the current schema that the store has, by ``(table, column)``: its
    longest value in characters, in bytes, and the number of values that are not BLOBs
    (counted for the workbook's copy only; 0 elsewhere).

    One ``SELECT`` of aggregates per table measures bytes (of each value as a BLOB, so a NUL,
    where SQLite's ``length`` of text stops, hides nothing); characters are counted only in a
    column whose bytes exceed its bound in characters, since a character takes one byte at
    least (so the figure given for the others is their bytes, an upper bound). For the
    workbook's copy, a BLOB, ``length`` reads none of its bytes. Names come from nistpf's
    schema only. On a store of 10,000 ratings and 60,000 log rows (16 MB) it takes about 40 ms,
    twice SQLite's ``quick_check``."""
    found = {}
    for table in sorted(columns):
        names = sorted(columns[table] & _columns()[table])
        parts = []
        for name in names:
            if (table, name) == ("workbooks", "content"):
                parts += [f'max(length("{name}"))', f"total(typeof(\"{name}\") != 'blob')"]
            else:
                parts += [f'max(length(CAST("{name}" AS BLOB)))', "0"]
        if not parts:
            continue
        try:
            row = db.execute(f'SELECT {", ".join(parts)} FROM "{table}"').fetchone()
        except sqlite3.DataError:  # a value over READ_LIMIT_BYTES: "string or blob too big"
            found[table, ""] = (0, READ_LIMIT_BYTES + 1, 0)
            continue
        for index, name in enumerate(names):
            size, other = int(row[2 * index] or 0), int(row[2 * index + 1] or 0)
            chars = size
            if size > _LONGER.get((table, name), MAX_TEXT_CHARS) and other == 0:
                (counted,) = db.execute(f'SELECT max(length("{name}")) FROM "{table}"').fetchone()
                chars = int(counted or 0)
            found[table, name] = (chars, size, other)
    return found


def _check_lengths(path: Path, longest: dict[tuple[str, str], tuple[int, int, int]]) -> None:
    """Refuse (as damaged, one line) a store holding a value longer than nistpf writes in its
    column: characters over the column's bound (:data:`MAX_TEXT_CHARS`, or :data:`_LONGER`'s),
    bytes over :data:`UTF8_BYTES` times it, or text where nistpf writes a workbook's bytes."""
    for (table, column), (chars, size, other) in longest.items():
        if not column:
            raise _damaged(
                path,
                f"its {table} table holds a value of more than {READ_LIMIT_BYTES:,} bytes; "
                f"nistpf writes at most {READ_LIMIT_BYTES:,}",
            )
        bound = _LONGER.get((table, column), MAX_TEXT_CHARS)
        where = f"its {table} table's {column} column"
        if (table, column) == ("workbooks", "content"):
            if other:
                raise _damaged(path, f"{where} holds text, where nistpf keeps a workbook's bytes")
            if size > bound:
                raise _damaged(
                    path,
                    f"{where} holds a workbook of {size:,} bytes; nistpf keeps workbooks of at "
                    f"most {bound:,}",
                )
        elif chars > bound:
            raise _damaged(
                path,
                f"{where} holds a value of {chars:,} characters; nistpf writes at most {bound:,}",
            )
        elif size > bound * UTF8_BYTES:
            raise _damaged(
                path,
                f"{where} holds a value of {size:,} bytes; nistpf writes at most "
                f"{bound * UTF8_BYTES:,}",
            )


def _normal_sql(sql: object) -> str | None:
    """An object's SQL as :func:`_foreign_objects` compares it: whitespace runs as one space
    (a version-1 store wrote its log triggers over two lines)."""
    return None if sql is None else " ".join(str(sql).split())


@functools.cache
def _own_objects() -> frozenset[tuple[str, str, str, str | None]]:
    """The tables, indexes and triggers nistpf makes (:data:`nistpf.store._SCHEMA`, the log's
    guard included), as ``(type, name, table, SQL)`` rows of ``sqlite_master``: read from
    the schema written into an in-memory database, so SQLite's own wording of each. Every
    version of nistpf wrote its tables in these words (whitespace aside)."""
    db = sqlite3.connect(":memory:")
    try:
        db.executescript(_store._SCHEMA)
        return frozenset(
            (str(t), str(n), str(b), _normal_sql(q))
            for t, n, b, q in db.execute("SELECT type, name, tbl_name, sql FROM sqlite_master")
        )
    finally:
        db.close()


def _foreign_objects(db: sqlite3.Connection) -> list[tuple[str, str, str]]:
    """The indexes, triggers and views of the store that nistpf did not make, and its own
    tables defined otherwise, as ``(type, name, table)``, sorted: a trigger runs its SQL when
    nistpf writes to its table (a join of the log with itself five times,
    ``zeroblob(450e6)``: a hang, gigabytes of memory), a view or an index on an expression
    when it is read, a table's CHECK, DEFAULT or generated column when a row is written or
    read. nistpf makes only its tables, the log's index and its append-only triggers
    (:func:`_own_objects`); a store holding anything else, or one of those with other SQL, was
    changed by another program. Read from ``sqlite_master``, whose text nothing runs."""
    own = _own_objects()
    found = []
    for kind, name, table, sql in db.execute("SELECT type, name, tbl_name, sql FROM sqlite_master"):
        if kind == "table" and name not in _columns() and name != "sqlite_sequence":
            continue  # another program's table: nistpf never reads it
        if (str(kind), str(name), str(table), _normal_sql(sql)) not in own:
            found.append((str(kind), str(name), str(table)))
    return sorted(found)


def _level_bounds() -> tuple[str, str]:
    """SQL for the lowest and highest level of an assessment's scale (``a.scale``, by
    name, as :func:`nistpf.scales.scale` reads it), and of all built-in scales for a name that
    is none of them (which opening the assessment refuses in its own words)."""
    from nistpf.scales import BUILT_IN

    low = " ".join(f"WHEN '{k}' THEN {int(v.minimum)}" for k, v in BUILT_IN.items())
    high = " ".join(f"WHEN '{k}' THEN {int(v.maximum)}" for k, v in BUILT_IN.items())
    lowest = min(v.minimum for v in BUILT_IN.values())
    highest = max(v.maximum for v in BUILT_IN.values())
    key = "lower(trim(a.scale))"
    return (
        f"(SELECT CASE {key} {low} ELSE {int(lowest)} END FROM assessments a "
        "WHERE a.id = t.assessment)",
        f"(SELECT CASE {key} {high} ELSE {int(highest)} END FROM assessments a "
        "WHERE a.id = t.assessment)",
    )


def _value_rules() -> dict[str, list[tuple[str, str, str]]]:
    """By table: ``(column, SQL true of a value nistpf could not have saved there, what it
    saves)``. The bounds are the setters' (:mod:`nistpf.store`): a level or a target within the
    assessment's scale (:meth:`~nistpf.store.Store.set_rating`,
    :meth:`~nistpf.store.Store.set_profile`), a Tier 1-4 (:meth:`~nistpf.store.Store.set_tier`), a
    yes/no as 0 or 1, a PRAM likelihood or impact factor 1-10
    (:meth:`~nistpf.store.Store.set_pram_edit`), an assessment by its number; every other column
    (but the workbook's copy, a BLOB) text without a NUL character, or NULL where the schema allows
    it."""
    from nistpf.store_pram import PRAM_LIKELIHOODS, PRAM_SCORES  # it imports nistpf.store

    low, high = _level_bounds()
    level = (
        f"(typeof(\"{{c}}\") NOT IN ('real', 'integer', 'null') OR \"{{c}}\" < {low} "
        f'OR "{{c}}" > {high})'
    )
    yes_no = "(typeof(\"{c}\") NOT IN ('integer', 'null') OR \"{c}\" NOT IN (0, 1))"

    def score(low: float, high: float) -> tuple[str, str]:
        test = (
            f"(typeof(\"{{c}}\") NOT IN ('real', 'integer', 'null') OR \"{{c}}\" < {low:g} "
            f'OR "{{c}}" > {high:g})'
        )
        return test, f"a number from {low:g} to {high:g} (NIST PRAM worksheet 3), or nothing"

    pram = {
        ("pram_edits", name): score(*(PRAM_LIKELIHOODS if name == "likelihood" else PRAM_SCORES))
        for name in PRAM_EDIT_NUMBERS
    }
    number = "typeof(\"{c}\") NOT IN ('integer', 'null')"
    rules = {
        ("ratings", "current"): (level, "a level of the assessment's scale, or nothing"),
        ("profile", "target"): (level, "a level of the assessment's scale, or nothing"),
        ("profile", "in_profile"): (yes_no, "1 or 0 (yes or no), or nothing"),
        ("scope", "in_scope"): (yes_no, "1 or 0 (yes or no)"),
        ("tiers", "tier"): (
            "(typeof(\"{c}\") NOT IN ('integer', 'null') OR \"{c}\" NOT IN (1, 2, 3, 4))",
            "a Tier, 1, 2, 3 or 4, or nothing",
        ),
        ("log", "seq"): (number, "a whole number"),
        ("assessments", "id"): (number, "a whole number"),
        **pram,
    }
    found: dict[str, list[tuple[str, str, str]]] = {}
    for table, names in sorted(_columns().items()):
        for name in sorted(names):
            if (table, name) in rules:
                sql, words = rules[table, name]
            elif name == "assessment":
                sql, words = number, "an assessment's number"
            elif (table, name) == ("workbooks", "content"):
                continue  # bytes, checked with the lengths
            else:
                sql = "(typeof(\"{c}\") NOT IN ('text', 'null') OR instr(\"{c}\", char(0)) > 0)"
                words = "text without a NUL character"
            found.setdefault(table, []).append((name, sql.replace("{c}", name), words))
    return found


def _wrong_values(
    db: sqlite3.Connection, columns: dict[str, frozenset[str]]
) -> tuple[str, str, int, str, str] | None:
    """The first value of the store nistpf could not have saved (:func:`_value_rules`), as
    ``(table, column, rowid, the value shown, what nistpf writes there)``, or None. One
    ``SELECT`` per table, stopping at the first row found; names come from nistpf's schema
    only. Run after the lengths are checked, so no value read is longer than nistpf writes."""
    for table, rules in _value_rules().items():
        rules = [r for r in rules if r[0] in columns.get(table, ())]
        if not rules:
            continue
        tests = [sql for _, sql, _ in rules]
        row = db.execute(
            f'SELECT rowid, {", ".join(tests)} FROM "{table}" AS t '
            f"WHERE {' OR '.join(tests)} LIMIT 1"
        ).fetchone()
        if row is None:
            continue
        for index, (name, _, words) in enumerate(rules):
            if row[index + 1]:
                kind, value = db.execute(
                    f'SELECT typeof("{name}"), "{name}" FROM "{table}" WHERE rowid = ?',
                    (row[0],),
                ).fetchone()
                return table, name, int(row[0]), _shown_value(kind, value), words
    return None


def _shown_value(kind: str, value: object) -> str:
    """A stored value for a message: its SQLite type and, shortened, the value."""
    if kind == "blob":
        return f"a BLOB of {len(value):,} bytes"
    text = repr(value if kind != "text" else str(value))
    if len(text) > 40:
        text = text[:37] + "..."
    return f"{kind} {text}"


@functools.cache
def _columns() -> dict[str, frozenset[str]]:
    """The columns of every table of the current schema (:data:`nistpf.store._SCHEMA`), read
    from the schema written into an in-memory database."""
    db = sqlite3.connect(":memory:")
    try:
        db.executescript(_store._SCHEMA)
        tables = [r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type='table'")]
        return {
            t: frozenset(r[1] for r in db.execute(f"PRAGMA table_info({t})"))
            for t in tables
            if not t.startswith("sqlite_")
        }
    finally:
        db.close()


# The log's guard, as :data:`nistpf.store._LOG_GUARD` writes it.
LOG_TRIGGERS = ("log_is_append_only_update", "log_is_append_only_delete")


def guard_log(store: Store) -> None:
    """Make sure the log is append-only: when its triggers are missing (dropped by hand or by
    another tool), write them again and log that, in one transaction, so the log says from
    which row on it is guarded again (entity ``engagement``, field ``log_guard``)."""
    from nistpf.store import _log

    with store._connection() as db:
        found = {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'")}
        if found.issuperset(LOG_TRIGGERS):
            return
        db.execute("BEGIN IMMEDIATE")
        try:
            for statement in _store._LOG_GUARD:
                db.execute(statement)
            note = (
                "the log's append-only triggers were missing and are written again: rows "
                "before this one may have been changed or deleted outside nistpf"
            )
            missing = sorted(set(LOG_TRIGGERS) - found)
            _log(db, None, None, "engagement", [], "log_guard", missing, "restored", note)
        except BaseException:
            with contextlib.suppress(sqlite3.Error):
                db.execute("ROLLBACK")
            raise
        db.execute("COMMIT")


def create(store: Store) -> None:
    """Make a new store at ``store.path`` with the current schema (:data:`nistpf.store._SCHEMA`,
    version :data:`~nistpf.store.SCHEMA_VERSION`).

    The store is written whole in a temporary file beside it and then linked to its name, so
    the name never holds a half-made store — another process opening it at that moment finds
    either nothing or a whole store, never an empty file — and when two processes create it
    at once, one link wins and both open the one store. Where the file system cannot link,
    or an SQLite file nistpf began and left without tables is there, the schema is written in
    place, in one transaction (every statement ``IF NOT EXISTS``). Raises
    :class:`StoreAccessError` when the folder cannot be made or written, and
    :class:`StoreDatabaseError` when SQLite cannot write the file."""
    path = store.path
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".new")
        os.close(handle)
    except OSError as error:
        raise StoreAccessError(
            f"cannot create {path}: {error.strerror or error}; choose a folder you can write to"
        ) from None
    temporary = Path(name)
    try:
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(temporary, 0o666 & ~umask)  # a new file's mode, not mkstemp's owner-only one
        try:
            _write_schema(store, temporary)
        except StoreDatabaseError as error:  # named after the store, not its temporary file
            cause = error.__cause__
            if not isinstance(cause, sqlite3.Error):
                raise
            raise StoreDatabaseError.of(path, cause, store._timeout) from cause
        try:
            os.link(temporary, path)
        except FileExistsError:
            pass  # another process made the store first: it is whole, and it is the store
        except OSError:  # no hard links here (some network or FAT file systems)
            _write_schema(store)
    finally:
        for suffix in ("", *SIBLINGS):
            Path(f"{temporary}{suffix}").unlink(missing_ok=True)
    if path.exists() and inspect(path, timeout=store._timeout) is None:
        _write_schema(store)  # an SQLite file nistpf began and left without tables


def _write_schema(store: Store, path: Path | None = None) -> None:
    """The current schema written into the store's file (or ``path``, a store made aside), in
    one transaction; every statement ``IF NOT EXISTS``."""
    script = (
        f"BEGIN IMMEDIATE;\n{_store._SCHEMA}\n"
        "INSERT OR IGNORE INTO engagement VALUES "
        f"('schema_version', '{int(_store.SCHEMA_VERSION)}');\nCOMMIT;"
    )
    with store._connection(create=True, path=path) as db:
        try:
            db.executescript(script)
        except BaseException:
            if db.in_transaction:
                db.execute("ROLLBACK")
            raise
        if path is not None:
            # A store made aside is linked into place without its write-ahead log, so every
            # page must be in the file first. SQLite's checkpoint on close fails silently (on a
            # full disk the file would stay cut short): checkpoint now, and check it.
            busy, frames, copied = db.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
            pages = db.execute("PRAGMA page_count").fetchone()[0]
            size = db.execute("PRAGMA page_size").fetchone()[0]
            if busy or frames != copied or path.stat().st_size < pages * size:
                free = shutil.disk_usage(path.parent).free
                raise StoreAccessError(
                    f"cannot create {shown(store.path)}: it could not be written whole "
                    f"({free:,} bytes free on the device); free some space, or choose another "
                    "folder"
                )


def migrate(store: Store, version: int) -> None:
    """Bring ``store`` from schema ``version`` to :data:`~nistpf.store.SCHEMA_VERSION`, one
    :data:`MIGRATIONS` step at a time. Each step runs in its own ``BEGIN IMMEDIATE``
    transaction that also writes the new ``schema_version`` and logs it (entity
    ``engagement``, field ``schema_version``, old → new, the step's summary as the note); a
    step another process already made while this one waited for the lock is skipped. Raises
    :class:`MigrationError` when a step fails — rolled back, the store stays at the version
    before it."""
    from nistpf.store import _log

    for target in range(version + 1, _store.SCHEMA_VERSION + 1):
        step = MIGRATIONS[target]
        with store._connection() as db:
            db.execute("BEGIN IMMEDIATE")
            try:
                row = db.execute(
                    "SELECT value FROM engagement WHERE key = 'schema_version'"
                ).fetchone()
                recorded = None if row is None else int(row[0])
                if (recorded or 1) < target:
                    step.apply(db)
                    db.execute(
                        "INSERT OR REPLACE INTO engagement VALUES ('schema_version', ?)",
                        (str(target),),
                    )
                    note = f"schema {target - 1} to {target}: {step.summary}"
                    before = recorded if recorded is not None else target - 1
                    _log(db, None, None, "engagement", [], "schema_version", before, target, note)
            except BaseException as error:
                with contextlib.suppress(sqlite3.Error):
                    db.execute("ROLLBACK")
                if isinstance(error, Exception) and not isinstance(error, StoreError):
                    raise MigrationError(store.path, target - 1, target, error) from error
                raise
            db.execute("COMMIT")


def _sibling(path: Path, suffix: str) -> Path:
    return path.with_name(path.name + suffix)


def _damaged(path: Path, what: str) -> DamagedStoreError:
    return DamagedStoreError(f"{path} is damaged ({what}): restore it from a backup; {_UNCHANGED}")


def _what(head: bytes) -> str:
    """What a file that is not SQLite looks like, from its first bytes."""
    if head.startswith(b"PK\x03\x04"):
        return "it is a ZIP archive, such as an .xlsx workbook, not an SQLite file"
    if head.startswith(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"):
        return "it is an OLE2 file, such as an .xls workbook, not an SQLite file"
    if head.startswith(b"SQLite format"):
        return "its header is not SQLite 3's"
    try:
        text = head.decode("utf-8")
    except UnicodeDecodeError:
        text = None
    if text is not None and all(c.isprintable() or c in "\t\r\n" for c in text):
        return "it is a text file, not an SQLite file"
    return "it is not an SQLite file"


def _names(names) -> str:
    """Table names for a message: sorted, one line (a name that is not printable is quoted),
    at most ten."""
    shown = [n if str(n).isprintable() else repr(n) for n in sorted(names, key=str)]
    more = f", … ({len(shown)} in all)" if len(shown) > 10 else ""
    return ", ".join(shown[:10]) + more


def _nearly_full(path: Path) -> bool:
    """Has the device holding ``path`` less than 64 KiB free? SQLite reports a write that
    found no room as a "disk I/O error" as often as "database or disk is full" (a -wal or -shm
    file it cannot grow); on a device this full, the space is the cause."""
    try:
        return shutil.disk_usage(Path(path).parent).free < 64 * 1024
    except OSError:
        return False


def _one_line(text: object) -> str:
    return " ".join(str(text).split())
