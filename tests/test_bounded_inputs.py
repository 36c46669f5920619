"""Mapping files and engagement stores are read under bounds: what breaks one — too big, not a
regular file, binary, not UTF-8, nested too deeply, a text longer than nistpf writes — is
refused before it is parsed or loaded, in one line naming the file and the fix, with exit 2
from the command, and the file is left as it was.

Every case is made by code and named by its defect; each expected line is written out here."""

from __future__ import annotations

import contextlib
import hashlib
import io
import os
import shutil
import sqlite3
import stat
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest

import nistpf
from nistpf.cli import main
from nistpf.inventory.mapping import (
    MAPPING_BOUNDS,
    MAX_MAPPING_BYTES,
    MAX_MAPPING_DEPTH,
    MappingError,
    load_mapping,
)
from nistpf.store import MAX_TEXT_CHARS, StoreError, open_store
from nistpf.store_schema import (
    MAX_LOG_JSON_CHARS,
    MAX_STORE_BYTES,
    READ_LIMIT_BYTES,
    STORE_BOUNDS,
    DamagedStoreError,
    NotAStoreError,
    StoreTooLargeError,
)
from tests.inventory_files import valid_sheets, write_workbook

HEAD = '[sheets.Systems]\nsource = "Systems"\n'
DRAFT = "draft a mapping with `nistpf map WORKBOOK -o mapping.toml`"
TOO_DEEP = (
    "mapping file client.toml nests arrays or tables too deeply to read; a mapping holds "
    "strings, numbers and small tables (see nistpf map for a draft)"
)
NOT_A_FILE = (
    "mapping file {path} is not a regular file but a pipe, device or socket, which nistpf does "
    "not read; give the path of a .toml mapping file"
)


def run_cli(argv: list[str], seconds: float = 60) -> tuple[int, str, str]:
    """``nistpf.cli.main(argv)``: exit code, standard output, standard error; a failure when it
    has not returned within ``seconds`` (a pipe read would never return)."""
    out, err, result = io.StringIO(), io.StringIO(), []

    def target() -> None:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            result.append(main(argv))

    thread = threading.Thread(target=target, daemon=True)
    thread.start()
    thread.join(seconds)
    assert result, f"nistpf {' '.join(argv)} did not return within {seconds} s"
    return result[0], out.getvalue(), err.getvalue()


def digest(path: Path) -> str | None:
    return hashlib.sha256(path.read_bytes()).hexdigest() if path.is_file() else None


# -- mapping files ---------------------------------------------------------------------------


def _file(body: bytes | str) -> Callable[[Path], Path]:
    def make(folder: Path) -> Path:
        path = folder / "client.toml"
        path.write_bytes(body.encode("utf-8") if isinstance(body, str) else body)
        return path

    return make


def _fifo(folder: Path) -> Path:
    path = folder / "client.toml"
    os.mkfifo(path)
    return path


def _folder(folder: Path) -> Path:
    path = folder / "client.toml"
    path.mkdir()
    return path


def _workbook(folder: Path) -> Path:
    return Path(shutil.copyfile(nistpf.sample_path(), folder / "client.toml"))


def _mapped_fifo(folder: Path) -> Path:
    pipe = folder / "controls.csv"
    os.mkfifo(pipe)
    body = HEAD + f'[sheets.Controls]\nsource = "Controls"\nfile = "{pipe}"\n'
    return _file(body)(folder)


OVER = HEAD + "#" * (MAX_MAPPING_BYTES - len(HEAD)) + "\n"  # one byte over the bound
# defect -> (how to make the --mapping file in a folder, the one line; {path}: the file)
MAPPING_CASES = {
    "over-1-MB": (
        _file(OVER),
        "mapping file client.toml is 1,000,001 bytes, over the 1,000,000 a mapping may have (a "
        "mapping is a few KB): check that --mapping names the .toml mapping, not the workbook "
        "or an export",
    ),
    "a-pipe": (_fifo, NOT_A_FILE),
    "a-device": (lambda folder: Path("/dev/zero"), NOT_A_FILE),
    "a-folder": (
        _folder,
        "mapping file {path} is a folder; give the path of the .toml mapping file",
    ),
    "binary-with-nul-bytes": (
        _file(HEAD.encode() + b"\x00\x01\x02\xff"),
        "mapping file client.toml is a binary file (a NUL byte on line 3), not TOML text: give "
        f"the .toml mapping as --mapping, or {DRAFT}",
    ),
    "an-xlsx-workbook": (
        _workbook,
        "mapping file client.toml is a ZIP archive, such as an .xlsx or .ods workbook, not a "
        "TOML mapping: give the .toml file as --mapping (and the workbook as SOURCE), or "
        f"{DRAFT}",
    ),
    "utf-16": (
        _file(HEAD.encode("utf-16")),
        "mapping file client.toml is saved as UTF-16; save it as UTF-8 (in Notepad: Save as, "
        "Encoding UTF-8)",
    ),
    "latin-1": (
        _file(HEAD.replace('Systems"', 'Verarbeitungstätigkeiten"').encode("latin-1")),
        "mapping file client.toml is not UTF-8 text (byte 0xe4 on line 2): save it as UTF-8 "
        "(in a text editor: Save as, Encoding UTF-8)",
    ),
    # root, sheets, Systems, columns: 4; then 13 arrays, the innermost 17 deep
    "arrays-17-deep": (
        _file(HEAD + "[sheets.Systems.columns]\nsystem_id = " + "[" * 13 + "]" * 13 + "\n"),
        TOO_DEEP,
    ),
    "arrays-2000-deep": (
        _file(HEAD + "[sheets.Systems.columns]\nsystem_id = " + "[" * 2000 + "]" * 2000),
        TOO_DEEP,
    ),
    # a dotted key of 499,000 parts: tomllib would take hours (its time grows with the square)
    "dotted-key-of-499000-parts": (_file(".".join(["a"] * 499_000) + " = 1\n"), TOO_DEEP),
    "dotted-key-of-17-parts": (_file(".".join(["a"] * 17) + " = 1\n"), TOO_DEEP),
    "table-header-of-17-parts": (_file("[" + ".".join(["a"] * 17) + "]\n"), TOO_DEEP),
    "sheet-key-of-15-parts": (_file(HEAD + ".".join(["a"] * 15) + " = 1\n"), TOO_DEEP),
    "mapped-file-a-pipe": (
        _mapped_fifo,
        'client.toml: [sheets.Controls].file = "{folder}/controls.csv" is not a regular file '
        "but a pipe, device or socket, which nistpf does not read; name a workbook, a CSV file "
        "or a folder of CSV files",
    ),
}


@pytest.fixture
def source(tmp_path) -> Path:
    return write_workbook(tmp_path / "inventory.xlsx", valid_sheets())


@pytest.mark.parametrize("defect", sorted(MAPPING_CASES))
def test_a_mapping_breaking_a_bound_is_one_line_with_exit_2(defect, tmp_path, source):
    make, line = MAPPING_CASES[defect]
    folder = tmp_path / "mapping"
    folder.mkdir()
    mapping = make(folder)
    before, source_before = digest(mapping), digest(source)
    started = time.perf_counter()
    code, out, err = run_cli(["validate", str(source), "--mapping", str(mapping)])
    seconds = time.perf_counter() - started
    assert (code, out) == (2, "")
    assert err == "nistpf: " + line.format(path=mapping, folder=folder) + "\n"
    assert digest(mapping) == before
    assert digest(source) == source_before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["inventory.xlsx", "mapping"]
    # measured: 20 ms at most, 1.6-2.5 s where the schema check is first loaded (a guard)
    assert seconds < 30, seconds


def test_a_mapping_at_the_bounds_is_read(tmp_path, source):
    """Exactly MAX_MAPPING_BYTES, nested exactly MAX_MAPPING_DEPTH deep, a dotted key of
    fifteen parts and dots in strings and comments: read, and its one mistake named (an array
    is not a column), not refused by a bound."""
    deep = "[" * 12 + "]" * 12  # root, sheets, Systems, columns, then 12 arrays: 16 deep
    body = (
        HEAD
        + "# a comment with dots .................................\n"
        + 'header_row = 1\nname = "..................................."\n'
        + "[sheets.Systems.columns]\n"
        + f"system_id = {deep}\n"
    )
    body += "#" * (MAX_MAPPING_BYTES - len(body.encode()) - 1) + "\n"
    path = tmp_path / "client.toml"
    path.write_text(body, encoding="utf-8")
    assert path.stat().st_size == MAX_MAPPING_BYTES
    with pytest.raises(MappingError) as caught:
        load_mapping(path)
    assert "has an unknown key 'name'" in str(caught.value)  # the schema's word, not a bound
    assert "too deeply" not in str(caught.value)
    dotted = ".".join(["a"] * 16)  # the file and 15 tables: 16 deep
    with pytest.raises(MappingError) as caught:
        load_mapping(_file(f"{dotted} = 1\n")(tmp_path))
    assert str(caught.value).startswith("client.toml: no [sheets.<Sheet>] tables ('a' is not")


def test_a_dict_nested_too_deeply_is_the_same_line():
    nested: dict = {"source": "Systems"}
    for _ in range(MAX_MAPPING_DEPTH):
        nested = {"x": nested}
    with pytest.raises(MappingError, match=r"^the mapping nests arrays or tables too deeply"):
        load_mapping({"sheets": nested})


def test_the_mapping_bounds_are_listed():
    assert set(MAPPING_BOUNDS) == {"kind", "size", "encoding", "nesting", "mapped files"}
    assert "1,000,000 bytes" in MAPPING_BOUNDS["size"]
    assert f"at most {MAX_MAPPING_DEPTH} deep" in MAPPING_BOUNDS["nesting"]


# -- engagement stores -----------------------------------------------------------------------

UNCHANGED = "nistpf has not changed it"
DAMAGED = "{path} is damaged ({what}): restore it from a backup; " + UNCHANGED
TOO_LARGE = (
    "{path} is not opened: {what} is 2,000,000,001 bytes, over the 2,000,000,000 an engagement "
    "store may have (ordinary use stays under 100 MB): check the path, or start a new store for "
    "the engagement (nistpf new DIR); " + UNCHANGED
)
SIBLINGS = ("-wal", "-shm", "-journal")


@pytest.fixture(scope="module")
def store_bytes(tmp_path_factory) -> bytes:
    """The bytes of a store of this nistpf: one assessment with its workbook, one rating."""
    path = tmp_path_factory.mktemp("store") / "engagement.nistpf"
    store = open_store(path)
    run = store.new_assessment("Baseline", nistpf.load_inventory(nistpf.sample_path()))
    store.set_rating(run, "ID.IM-P1", current=2, evidence="Asset register", notes="seen")
    assert not [p for p in path.parent.iterdir() if p != path]
    return path.read_bytes()


def _sql(statement: str, *values) -> Callable[[Path, bytes], Path]:
    """A real store changed by one SQL statement (another program writing to it)."""

    def make(path: Path, real: bytes) -> Path:
        path.write_bytes(real)
        db = sqlite3.connect(path, isolation_level=None)
        db.execute(statement, values)
        db.execute("PRAGMA journal_mode=DELETE")  # no -wal left beside it
        db.close()
        return path

    return make


def _sparse(suffix: str) -> Callable[[Path, bytes], Path]:
    """A real store with the file ``path + suffix`` of MAX_STORE_BYTES + 1 bytes (sparse: it
    takes no room on disk)."""

    def make(path: Path, real: bytes) -> Path:
        path.write_bytes(real)
        with open(f"{path}{suffix}", "ab") as grown:
            grown.truncate(MAX_STORE_BYTES + 1)
        return path

    return make


def _pipe_beside(path: Path, real: bytes) -> Path:
    path.write_bytes(real)
    os.mkfifo(f"{path}-wal")
    return path


def _pipe(path: Path, real: bytes) -> Path:
    os.mkfifo(path)
    return path


LOG_ROW = (
    "INSERT INTO log (at, who, assessment, entity, key, field, old, new, note) "
    "VALUES ('2026-03-31T10:00:00.000+00:00', 'x', 1, 'rating', '[]', 'notes', NULL, ?, ?)"
)
# defect -> (how to make it from a real store's bytes, its error, the one line: {path})
STORE_CASES = {
    "store-over-2-GB": (_sparse(""), StoreTooLargeError, TOO_LARGE.replace("{what}", "it")),
    "wal-over-2-GB": (
        _sparse("-wal"),
        StoreTooLargeError,
        TOO_LARGE.replace("{what}", "engagement.nistpf-wal beside it"),
    ),
    "wal-is-a-pipe": (
        _pipe_beside,
        NotAStoreError,
        "{path} is not opened: engagement.nistpf-wal beside it is not a regular file but a "
        "folder, device, pipe or socket, where SQLite keeps a store's journal: move it away; "
        + UNCHANGED,
    ),
    "store-is-a-pipe": (
        _pipe,
        NotAStoreError,
        "{path} is not an engagement store (it is not a regular file but a device, pipe or "
        "socket): check the path",
    ),
    "evidence-of-32768-characters": (
        _sql("UPDATE ratings SET evidence = ?", "x" * 32_768),
        DamagedStoreError,
        DAMAGED.replace(
            "{what}",
            "its ratings table's evidence column holds a value of 32,768 characters; nistpf "
            "writes at most 32,767",
        ),
    ),
    "evidence-of-131069-bytes-behind-a-nul": (
        _sql("UPDATE ratings SET evidence = ?", "\x00" + "x" * 131_068),
        DamagedStoreError,
        DAMAGED.replace(
            "{what}",
            "its ratings table's evidence column holds a value of 131,069 bytes; nistpf writes "
            "at most 131,068",
        ),
    ),
    "level-of-40000-characters": (
        _sql("UPDATE ratings SET current = ?", "x" * 40_000),  # text: no number
        DamagedStoreError,
        DAMAGED.replace(
            "{what}",
            "its ratings table's current column holds a value of 40,000 characters; nistpf "
            "writes at most 32,767",
        ),
    ),
    "log-note-of-32768-characters": (
        _sql(LOG_ROW, "1", "x" * 32_768),
        DamagedStoreError,
        DAMAGED.replace(
            "{what}",
            "its log table's note column holds a value of 32,768 characters; nistpf writes at "
            "most 32,767",
        ),
    ),
    "log-value-of-4194305-characters": (
        _sql(LOG_ROW, "x" * 4_194_305, ""),
        DamagedStoreError,
        DAMAGED.replace(
            "{what}",
            "its log table's new column holds a value of 4,194,305 characters; nistpf writes at "
            "most 4,194,304",
        ),
    ),
    "log-value-of-100-MB": (
        _sql(LOG_ROW, "x" * 100_000_000, ""),
        DamagedStoreError,
        DAMAGED.replace(
            "{what}",
            "its log table holds a value of more than 16,777,216 bytes; nistpf writes at most "
            "16,777,216",
        ),
    ),
    "workbook-copy-as-text": (
        _sql("UPDATE workbooks SET content = CAST(content AS TEXT)"),
        DamagedStoreError,
        DAMAGED.replace(
            "{what}",
            "its workbooks table's content column holds text, where nistpf keeps a "
            "workbook's bytes",
        ),
    ),
    "workbook-copy-of-200000001-bytes": (
        _sql("INSERT INTO workbooks VALUES ('x', 'big.xlsx', '2026', zeroblob(200000001))"),
        DamagedStoreError,
        DAMAGED.replace(
            "{what}",
            "its workbooks table's content column holds a workbook of 200,000,001 bytes; "
            "nistpf keeps workbooks of at most 200,000,000",
        ),
    ),
}
# What another program may leave in a store that nistpf would run or read as a number: a
# trigger, view or index nistpf does not make, a value of the wrong type or out of the bounds
# the setters keep (a level within the assessment's scale, tiers: 0-4; a Tier 1-4), a NUL.
FOREIGN = (
    "it holds the {what}, not made by nistpf, which would run SQL when the store is read or written"
)
VALUE = "its {where} column holds {value} in row {row}, where nistpf writes {rule}"
LEVEL = "a level of the assessment's scale, or nothing"
TEXT = "text without a NUL character"
PROFILE_ROW = (
    "INSERT INTO profile (rowid, assessment, pf_id, target, priority, in_profile, rationale) "
    "VALUES (7, 1, 'ID-P', 3, 'High', 1, 'client data')"
)


def _sql_all(*statements: str) -> Callable[[Path, bytes], Path]:
    """A real store changed by several SQL statements, in order."""

    def make(path: Path, real: bytes) -> Path:
        for statement in statements:
            _sql(statement)(path, real)
            real = path.read_bytes()
        return path

    return make


def _ratings_with_a_check(path: Path, real: bytes) -> Path:
    """A real store whose ratings table another program made again with a CHECK that runs SQL
    each time a row is written (here a small BLOB; a hostile one makes 450 MB)."""
    path.write_bytes(real)
    db = sqlite3.connect(path, isolation_level=None)
    (sql,) = db.execute("SELECT sql FROM sqlite_master WHERE name = 'ratings'").fetchone()
    check = "current REAL CHECK (length(hex(zeroblob(1000))) > 0),"
    assert "current REAL," in sql
    db.executescript(
        "BEGIN;"
        + sql.replace("ratings", "ratings_new", 1).replace("current REAL,", check)
        + ";INSERT INTO ratings_new SELECT * FROM ratings; DROP TABLE ratings;"
        "ALTER TABLE ratings_new RENAME TO ratings; COMMIT;"
    )
    db.execute("PRAGMA journal_mode=DELETE")
    db.close()
    return path


def _damage(what: str) -> str:
    return DAMAGED.replace("{what}", what)


STORE_CASES |= {
    "trigger-on-engagement-not-made-by-nistpf": (
        _sql(
            "CREATE TRIGGER zz AFTER INSERT ON engagement BEGIN "
            "SELECT hex(zeroblob(450000000)); END"
        ),
        DamagedStoreError,
        _damage(FOREIGN.format(what="trigger zz on engagement")),
    ),
    "log-guard-with-other-sql": (
        _sql_all(
            "DROP TRIGGER log_is_append_only_update",
            "CREATE TRIGGER log_is_append_only_update BEFORE UPDATE ON log BEGIN "
            "SELECT count(*) FROM log a, log b, log c, log d, log e; END",
        ),
        DamagedStoreError,
        _damage(FOREIGN.format(what="trigger log_is_append_only_update on log")),
    ),
    "ratings-table-with-a-check-not-made-by-nistpf": (
        _ratings_with_a_check,
        DamagedStoreError,
        _damage(
            "its ratings table is not defined as nistpf makes it: SQL in its definition would "
            "run when the store is read or written"
        ),
    ),
    "view-not-made-by-nistpf": (
        _sql("CREATE VIEW every_log AS SELECT * FROM log a, log b, log c"),
        DamagedStoreError,
        _damage(FOREIGN.format(what="view every_log")),
    ),
    "index-on-an-expression-not-made-by-nistpf": (
        _sql("CREATE INDEX zz ON ratings (hex(zeroblob(1000)))"),
        DamagedStoreError,
        _damage(FOREIGN.format(what="index zz on ratings")),
    ),
    "level-as-text": (
        _sql("UPDATE ratings SET current = 'abc'"),
        DamagedStoreError,
        _damage(
            VALUE.format(where="ratings table's current", value="text 'abc'", row=1, rule=LEVEL)
        ),
    ),
    "level-as-blob": (
        _sql("UPDATE ratings SET current = x'0102'"),
        DamagedStoreError,
        _damage(
            VALUE.format(
                where="ratings table's current", value="a BLOB of 2 bytes", row=1, rule=LEVEL
            )
        ),
    ),
    "level-of-1e308": (
        _sql("UPDATE ratings SET current = 1e308"),
        DamagedStoreError,
        _damage(
            VALUE.format(where="ratings table's current", value="real 1e+308", row=1, rule=LEVEL)
        ),
    ),
    "level-infinite": (
        _sql("UPDATE ratings SET current = 9e999"),
        DamagedStoreError,
        _damage(VALUE.format(where="ratings table's current", value="real inf", row=1, rule=LEVEL)),
    ),
    "level-of-minus-1": (
        _sql("UPDATE ratings SET current = -1"),
        DamagedStoreError,
        _damage(
            VALUE.format(where="ratings table's current", value="real -1.0", row=1, rule=LEVEL)
        ),
    ),
    "level-of-5-on-the-tiers-scale": (  # the sample's scale is tiers, 0-4; cmmi's 5
        _sql("UPDATE ratings SET current = 5"),
        DamagedStoreError,
        _damage(VALUE.format(where="ratings table's current", value="real 5.0", row=1, rule=LEVEL)),
    ),
    "target-as-text": (
        _sql_all(PROFILE_ROW, "UPDATE profile SET target = 'high'"),
        DamagedStoreError,
        _damage(
            VALUE.format(where="profile table's target", value="text 'high'", row=7, rule=LEVEL)
        ),
    ),
    "tier-as-text": (
        _sql(
            "INSERT INTO tiers (rowid, assessment, attribute, tier) "
            "VALUES (7, 1, 'Governance', 'x')"
        ),
        DamagedStoreError,
        _damage(
            VALUE.format(
                where="tiers table's tier",
                value="text 'x'",
                row=7,
                rule="a Tier, 1, 2, 3 or 4, or nothing",
            )
        ),
    ),
    "tier-of-5": (
        _sql(
            "INSERT INTO tiers (rowid, assessment, attribute, tier) VALUES (7, 1, 'Governance', 5)"
        ),
        DamagedStoreError,
        _damage(
            VALUE.format(
                where="tiers table's tier",
                value="integer 5",
                row=7,
                rule="a Tier, 1, 2, 3 or 4, or nothing",
            )
        ),
    ),
    "scope-of-2000001-rows": (
        _sql(
            "INSERT INTO scope WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n "
            "WHERE i < 2000001) SELECT 1, i, 1 FROM n"
        ),
        DamagedStoreError,
        _damage(
            "its scope table holds 2,000,001 rows; a store nistpf writes holds at most 2,000,000"
        ),
    ),
    "nul-in-workbook-name": (
        _sql("UPDATE workbooks SET name = 'x' || char(0) || 'y.xlsx'"),
        DamagedStoreError,
        _damage(
            VALUE.format(
                where="workbooks table's name", value="text 'x\\x00y.xlsx'", row=1, rule=TEXT
            )
        ),
    ),
    "blob-as-engagement-name": (
        _sql("INSERT INTO engagement (rowid, key, value) VALUES (99, 'zz', x'41')"),
        DamagedStoreError,
        _damage(
            VALUE.format(
                where="engagement table's value", value="a BLOB of 1 bytes", row=99, rule=TEXT
            )
        ),
    ),
}


def fingerprint(path: Path) -> tuple:
    """What shows that nothing wrote to ``path``: its bytes' SHA-256 (for a sparse file of
    2 GB, its size, modification time and first MiB: a write changes the time)."""
    info = path.stat()
    if not stat.S_ISREG(info.st_mode):
        return (info.st_mode,)
    if info.st_size > 300_000_000:
        with path.open("rb") as stream:
            head = hashlib.sha256(stream.read(1 << 20)).hexdigest()
        return info.st_size, info.st_mtime_ns, head
    return (digest(path),)


@pytest.fixture(params=sorted(STORE_CASES))
def hostile_store(request, tmp_path, store_bytes):
    make, error, line = STORE_CASES[request.param]
    folder = tmp_path / "engagement"
    folder.mkdir()
    path = make(folder / "engagement.nistpf", store_bytes)
    files = {p.name: fingerprint(p) for p in folder.iterdir()}
    return path, error, line.format(path=path), files


def test_a_store_breaking_a_bound_is_refused_in_one_line_and_left_unchanged(hostile_store):
    path, error, line, files = hostile_store
    started = time.perf_counter()
    with pytest.raises(StoreError) as caught:
        open_store(path, create=False)
    seconds = time.perf_counter() - started
    assert type(caught.value) is error
    assert str(caught.value) == line
    assert {p.name: fingerprint(p) for p in path.parent.iterdir()} == files
    assert seconds < 2, seconds  # measured: 55 ms at most, a 200 MB store (a guard)


def test_the_cli_refuses_it_with_exit_2(hostile_store, tmp_path):
    path, _, line, files = hostile_store
    source = shutil.copyfile(nistpf.sample_path(), tmp_path / "inventory.xlsx")
    code, out, err = run_cli(["report", str(source), "--store", str(path)])
    assert (code, out, err) == (2, "", f"nistpf: {line}\n")
    assert {p.name: fingerprint(p) for p in path.parent.iterdir()} == files
    assert sorted(p.name for p in tmp_path.iterdir()) == ["engagement", "inventory.xlsx"]


def test_a_device_given_as_the_store_is_refused_with_exit_2(tmp_path):
    source = shutil.copyfile(nistpf.sample_path(), tmp_path / "inventory.xlsx")
    code, out, err = run_cli(["report", str(source), "--store", "/dev/zero"])
    assert (code, out) == (2, "")
    assert err == (
        "nistpf: /dev/zero is not an engagement store (it is not a regular file but a device, "
        "pipe or socket): check the path\n"
    )


def test_a_store_at_its_bounds_opens_and_reads_back(tmp_path, store_bytes):
    """Evidence of 32,767 characters of four bytes each (131,068 bytes), a log value of
    4,194,304 characters: what nistpf writes at most, so it opens, and reads back whole."""
    path = tmp_path / "engagement.nistpf"
    widest = "\U0001f600" * MAX_TEXT_CHARS
    _sql("UPDATE ratings SET evidence = ?", widest)(path, store_bytes)
    _sql(LOG_ROW, "x" * MAX_LOG_JSON_CHARS, "")(path, path.read_bytes())
    store = open_store(path, create=False)
    assert store.ratings(1)["evidence"].tolist() == [widest]
    assert len(store.log()["new"].iloc[-1]) == MAX_LOG_JSON_CHARS


@pytest.mark.parametrize(
    ("change", "what"),
    [
        (lambda s, long: s.set_rating(1, "ID.IM-P1", evidence=long), "evidence"),
        (lambda s, long: s.set_rating(1, "ID.IM-P2", current=1, notes=long), "notes"),
        (lambda s, long: s.set_rating(1, "ID.IM-P1", system=long, current=1), "the key"),
        (lambda s, long: s.set_tier(1, "Workforce", 2, who=long), "who"),
        (lambda s, long: s.set_profile(1, "ID-P", target=2, note=long), "the note"),
        (lambda s, long: s.set_register_edit(1, "ID.IM-P1", comments=long), "comments"),
        (lambda s, long: s.new_assessment(long), "name"),
        (lambda s, long: s.set_engagement_name(long), "name"),
    ],
)
def test_nistpf_saves_no_text_longer_than_it_reads_back(tmp_path, store_bytes, change, what):
    path = tmp_path / "engagement.nistpf"
    path.write_bytes(store_bytes)
    store = open_store(path)
    before = (store.log().values.tolist(), store.ratings(1).values.tolist())
    with pytest.raises(StoreError) as caught:
        change(store, "x" * (MAX_TEXT_CHARS + 1))
    assert str(caught.value) == (
        f"{what} is 32,768 characters long; a store keeps at most 32,767 (Excel's limit on a "
        "cell, where the gap register shows it): shorten it, or keep the long text in a file "
        "and name the file"
    )
    assert (store.log().values.tolist(), store.ratings(1).values.tolist()) == before
    change(store, "x" * MAX_TEXT_CHARS)  # at the bound: saved, and the store still opens
    open_store(path, create=False)


def test_the_store_bounds_are_listed():
    assert set(STORE_BOUNDS) == {
        "kind",
        "size",
        "text",
        "log",
        "workbooks",
        "reading",
        "rows",
        "objects",
        "values",
    }
    assert "2,000,000 rows, the log 20,000,000" in STORE_BOUNDS["rows"]
    assert "2,000,000,000 bytes" in STORE_BOUNDS["size"]
    assert "32,767 characters" in STORE_BOUNDS["text"]
    assert f"{READ_LIMIT_BYTES:,} bytes" in STORE_BOUNDS["reading"]
