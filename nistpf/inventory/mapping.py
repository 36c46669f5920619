"""Column mappings: loading a client's own layout (a RoPA, an asset register, a data map, another
tool's export) as it is.

A mapping file says, per nistpf sheet, where the data is and what the client calls each column::

    locale = "de-DE"                 # optional: how the client writes numbers
    [sheets.Systems]
    source = "VVT Art. 30 DSGVO"     # sheet name in the workbook, or CSV file name in the folder
    file = "register.xlsx"           # optional: another workbook or CSV file to take it from
    header_row = 5                   # optional; found automatically when omitted
    [sheets.Systems.columns]         # nistpf column = where it is in the client's sheet
    system_id = "Nr."                                        # by header
    owner = { header = "Contact details", occurrence = 2 }   # the 2nd column so headed
    records = { letter = "D" }                               # by letter
    criticality = { constant = "High" }                      # the same on every row
    [sheets.Systems.values.encrypted_in_transit]   # optional value rewrites, per column
    "Y (AES-256)" = "yes"
    [sheets.Systems.skip]            # optional: rows whose client column holds these are not data
    Status = ["", "retired"]         # "" = blank

The file's structure is validated against a declared JSON Schema (``nistpf/data/
mapping.schema.json``); sheet and column names against nistpf's own schema. Every mistake is one
line naming the file, the key and the fix. Only ``Systems`` is mandatory in a mapped load; sheets
the mapping does not name are empty.

A mapping file is read under bounds (:data:`MAPPING_BOUNDS`), each broken one a one-line
:class:`MappingError` naming the file and the fix, before any of it is parsed: it must be a
regular file (a folder, a pipe, a device or a socket is refused before it is opened — a pipe
given as ``--mapping`` would otherwise keep nistpf waiting for ever), of at most
:data:`MAX_MAPPING_BYTES` (checked with ``stat`` before a byte is read, and again while
reading), UTF-8 text without NUL bytes (a workbook, a UTF-16 file or bytes that are not UTF-8
are named as such), and nested at most :data:`MAX_MAPPING_DEPTH` tables and arrays deep. A
``file =`` naming a pipe, device or socket by an absolute path is refused with the mapping's
other mistakes; a relative one is resolved against the source when the inventory is read.
"""

from __future__ import annotations

import json
import os
import re
import stat
import tomllib
from collections.abc import Mapping as MappingABC
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from nistpf.errors import NistpfError
from nistpf.inventory.locale import ACCEPTED, UnknownLocaleError, convention
from nistpf.inventory.schema import SHEETS, SHEETS_BY_NAME, fold
from nistpf.inventory.values import closest_first, is_blank, text

if TYPE_CHECKING:
    import jsonschema

SCHEMA_PATH = Path(__file__).resolve().parents[1] / "data" / "mapping.schema.json"
_MAX_LINES = 20  # mistakes listed at most; a file with more is mostly wrong

MAX_MAPPING_BYTES = 1_000_000
"""The largest mapping file nistpf reads, in bytes (1 MB). A real mapping is a few KB (the
bundled ones are 1-3 KB; one naming every column of every sheet with value rewrites stays
under 20 KB): a bigger file is something else given as ``--mapping``."""
MAX_MAPPING_DEPTH = 16
"""Tables and arrays nested in a mapping, at most. A real mapping nests five deep
(``[sheets.Systems.values.<column>]`` and its "client value" lines, or a ``skip`` list);
tomllib and the schema check recurse once per level, so a deeper file is refused before they
do, with the same line whatever the caller's stack."""
MAPPING_BOUNDS = {
    "kind": "a regular file: a folder, pipe, device or socket is refused before it is opened",
    "size": f"at most {MAX_MAPPING_BYTES:,} bytes, checked with stat before reading",
    "encoding": "UTF-8 text (a byte-order mark allowed), no NUL byte; a ZIP or OLE2 file "
    "(a workbook) and UTF-16 are named as such",
    "nesting": f"tables, arrays and dotted keys at most {MAX_MAPPING_DEPTH} deep; a longer "
    "dotted key is refused before tomllib reads it (its time grows with the square of the "
    "key's parts)",
    "mapped files": "a `file =` naming a pipe, device or socket by an absolute path is refused",
}
"""The bounds a mapping file is read under, by name (for the README and the tests)."""


class MappingError(NistpfError, ValueError):
    """The mapping file itself is wrong (bad TOML, an unknown key, sheet or column, a value of
    the wrong type). Its message has one line per mistake: file, key path, what is wrong, the
    fix; ``problems`` holds those lines."""

    code = "mapping-invalid"

    def __init__(self, message: str, problems: list[str] | None = None):
        super().__init__(message)
        self.problems = problems or [message]


@dataclass(frozen=True)
class ColumnRef:
    """Where a nistpf column's values come from in the client's sheet: the ``occurrence``-th
    column headed ``header`` (1 = the first), or the column at ``letter`` ("C"), or the same
    ``constant`` on every row (``has_constant``)."""

    header: str | None = None
    occurrence: int = 1
    letter: str | None = None
    constant: object = None
    has_constant: bool = False

    def __str__(self) -> str:
        """As messages name it: ``'Contact details'``, ``'Contact details' (2nd)``, ``column C``."""
        if self.letter:
            return f"column {self.letter}"
        if self.has_constant:
            return f"the constant {self.constant!r}"
        if self.occurrence > 1:
            return f"{self.header!r} (occurrence {self.occurrence})"
        return repr(self.header)


@dataclass(frozen=True)
class SheetMapping:
    sheet: str  # nistpf sheet name
    source: str  # the client's sheet or CSV file name
    header_row: int | None = None
    columns: dict[str, ColumnRef] = field(default_factory=dict)  # nistpf column -> where
    values: dict[str, dict[str, str]] = field(default_factory=dict)  # column -> {raw: new}
    # client header -> values (folded; "" = blank) whose rows are not data
    skip: dict[str, tuple[str, ...]] = field(default_factory=dict)
    file: str | None = None  # another file to take the sheet from (relative to the source)


@dataclass(frozen=True)
class ColumnMapping:
    """A parsed, checked mapping: one :class:`SheetMapping` per nistpf sheet it names, and the
    locale the client's numbers are written in (``"de-DE"``), when the mapping declares one."""

    sheets: dict[str, SheetMapping]
    name: str = "mapping"
    locale: str | None = None


def skip_key(value: Any) -> str:
    """The form in which a skip rule's values and the cells they are compared with meet: ``""``
    for a blank cell, else folded like headers (``"Not assessed"``, ``"not_assessed"`` →
    ``notassessed``); a value of punctuation only (``"-"``) is kept as written, not read as
    blank."""
    if is_blank(value):
        return ""
    written = text(value)
    return fold(written) or written


def bundled_mappings() -> dict[str, Path]:
    """The mappings nistpf ships (``data/mappings/`` in a checkout), by name: the file name
    without ``.toml`` (``ciso-assistant-audit``)."""
    from nistpf.sample import data_dir  # the sample module knows where data/ is installed

    folder = data_dir() / "mappings"
    return {path.stem: path for path in sorted(folder.glob("*.toml"))} if folder.is_dir() else {}


def load_mapping(mapping: Any) -> ColumnMapping:
    """A mapping from a TOML file path, the name of a bundled mapping (``"ciso-assistant-audit"``,
    see :func:`bundled_mappings`), a dict shaped like the file, or a ColumnMapping. Raises
    :class:`MappingError` (one line per mistake) when the file is missing, breaks one of
    :data:`MAPPING_BOUNDS` (not a regular file, over :data:`MAX_MAPPING_BYTES`, binary, not
    UTF-8, nested over :data:`MAX_MAPPING_DEPTH` deep), is not TOML, or breaks the mapping
    schema."""
    if isinstance(mapping, ColumnMapping):
        return mapping
    if isinstance(mapping, MappingABC):
        _check_depth(mapping, "the mapping")
        try:
            return _parse(mapping, "mapping")
        except RecursionError:
            raise MappingError(_TOO_DEEP.format(name="the mapping")) from None
    if not isinstance(mapping, str | os.PathLike):
        raise MappingError(
            f"the mapping given is of type {type(mapping).__name__}; pass the path of a .toml "
            "file (str or pathlib.Path), the name of a bundled mapping, a dict shaped like the "
            "file, or a ColumnMapping"
        )
    path = Path(mapping)
    if not path.exists() and path.suffix == "" and len(path.parts) == 1:
        bundled = bundled_mappings()
        if str(path) in bundled:
            path = bundled[str(path)]
        else:
            raise MappingError(
                f"mapping file not found: {path}; give the path of a .toml file, or the name of "
                f"a bundled mapping: {', '.join(closest_first(str(path), bundled)) or 'none'}"
            )
    text = _mapping_text(path)
    _check_dotted_keys(text, f"mapping file {path.name}")
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise MappingError(f"mapping file {path.name} is not valid TOML: {error}") from error
    except RecursionError:  # tomllib recurses once per nested [ or {
        raise MappingError(_TOO_DEEP.format(name=f"mapping file {path.name}")) from None
    _check_depth(data, f"mapping file {path.name}")
    try:
        return _parse(data, path.name)
    except RecursionError:
        raise MappingError(_TOO_DEEP.format(name=f"mapping file {path.name}")) from None


def _mapping_text(path: Path) -> str:
    """The text of the mapping file at ``path``, read under :data:`MAPPING_BOUNDS`: the kind
    and the size from ``stat`` before it is opened, again from the open file (opened without
    waiting, so a pipe swapped in meanwhile cannot block), then the bytes — at most one more
    than :data:`MAX_MAPPING_BYTES` — decoded as UTF-8. Raises :class:`MappingError` (one line)
    for each bound broken, a missing file, and a file the system will not let nistpf read."""
    try:
        _check_kind(path, path.stat())
        flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0)
        with os.fdopen(os.open(path, flags), "rb") as stream:
            _check_kind(path, os.fstat(stream.fileno()))
            content = stream.read(MAX_MAPPING_BYTES + 1)
    except FileNotFoundError:
        raise MappingError(f"mapping file not found: {path}") from None
    except OSError as error:
        raise MappingError(
            f"mapping file {path} cannot be read: {error.strerror or error}; check the path "
            "and its permissions"
        ) from None
    if len(content) > MAX_MAPPING_BYTES:  # it grew after stat
        raise _too_big(path, len(content))
    return _decoded(path, content)


def _check_kind(path: Path, info: os.stat_result) -> None:
    """Refuse what is not a regular file of at most :data:`MAX_MAPPING_BYTES`."""
    if stat.S_ISDIR(info.st_mode):
        raise MappingError(
            f"mapping file {path} is a folder; give the path of the .toml mapping file"
        )
    if not stat.S_ISREG(info.st_mode):
        raise MappingError(
            f"mapping file {path} is not a regular file but a pipe, device or socket, which "
            "nistpf does not read; give the path of a .toml mapping file"
        )
    if info.st_size > MAX_MAPPING_BYTES:
        raise _too_big(path, info.st_size)


def _too_big(path: Path, size: int) -> MappingError:
    return MappingError(
        f"mapping file {path.name} is {size:,} bytes, over the {MAX_MAPPING_BYTES:,} a mapping "
        "may have (a mapping is a few KB): check that --mapping names the .toml mapping, not "
        "the workbook or an export"
    )


_OTHER_FILES = {
    b"PK\x03\x04": "a ZIP archive, such as an .xlsx or .ods workbook",
    b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1": "an OLE2 file, such as an .xls workbook",
}


def _decoded(path: Path, content: bytes) -> str:
    """``content`` as text: UTF-8, a byte-order mark dropped. A workbook, UTF-16 text, a NUL
    byte (a binary file) and bytes that are not UTF-8 are each one :class:`MappingError`."""
    name = f"mapping file {path.name}"
    draft = "draft a mapping with `nistpf map WORKBOOK -o mapping.toml`"
    for magic, what in _OTHER_FILES.items():
        if content.startswith(magic):
            raise MappingError(
                f"{name} is {what}, not a TOML mapping: give the .toml file as --mapping "
                f"(and the workbook as SOURCE), or {draft}"
            )
    if content.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise MappingError(
            f"{name} is saved as UTF-16; save it as UTF-8 (in Notepad: Save as, Encoding UTF-8)"
        )
    nul = content.find(b"\0")
    if nul >= 0:
        line = content.count(b"\n", 0, nul) + 1
        raise MappingError(
            f"{name} is a binary file (a NUL byte on line {line}), not TOML text: give the "
            f".toml mapping as --mapping, or {draft}"
        )
    try:
        return content.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = content.count(b"\n", 0, error.start) + 1
        raise MappingError(
            f"{name} is not UTF-8 text (byte 0x{content[error.start]:02x} on line {line}): "
            "save it as UTF-8 (in a text editor: Save as, Encoding UTF-8)"
        ) from None


# TOML's strings (multi-line first) and comments, which may hold any dots.
_STRINGS = re.compile(
    r'"""(?:[^\\]|\\.)*?"""|\'\'\'.*?\'\'\'|"(?:[^"\\\n]|\\.)*"|\'[^\'\n]*\'|(#[^\n]*)',
    re.DOTALL,
)
# What ends a dotted key: anything but the characters of its parts, dots and blanks.
_NOT_KEY = re.compile(r"[^\w\-. \t\x00]")


def _check_dotted_keys(text: str, name: str) -> None:
    """Refuse a key or table header of more than :data:`MAX_MAPPING_DEPTH` dotted parts
    (``a.a.a…``) before tomllib reads it: tomllib's time grows with the square of a key's
    parts (20,000 parts take five seconds), so a 1 MB file of one key would take hours. The
    strings and comments are blanked first (their dots are text); what is left is split at
    every character a dotted key cannot hold, and each piece's dots counted."""
    bare = _STRINGS.sub(lambda found: "" if found.group(1) else "\x00", text)
    if bare.count(".") < MAX_MAPPING_DEPTH:
        return
    if any(piece.count(".") >= MAX_MAPPING_DEPTH for piece in _NOT_KEY.split(bare)):
        raise MappingError(_TOO_DEEP.format(name=name))


def _check_depth(data: Any, name: str) -> None:
    """Refuse ``data`` (parsed TOML, or a dict given) nesting tables and lists more than
    :data:`MAX_MAPPING_DEPTH` deep (the file itself is 1); walked without recursion, stopping
    at the first too deep."""
    stack = [(data, 1)]
    while stack:
        value, depth = stack.pop()
        if isinstance(value, MappingABC):
            children = value.values()
        elif isinstance(value, list | tuple):
            children = value
        else:
            continue
        if depth > MAX_MAPPING_DEPTH:
            raise MappingError(_TOO_DEEP.format(name=name))
        stack.extend((child, depth + 1) for child in children)


_TOO_DEEP = (
    "{name} nests arrays or tables too deeply to read; a mapping holds strings, numbers and "
    "small tables (see nistpf map for a draft)"
)


# -- the declared schema ---------------------------------------------------------------------


@cache
def mapping_schema() -> dict[str, Any]:
    """The JSON Schema every mapping file is validated against (``mapping.schema.json``)."""
    return json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))


@cache
def _validator() -> jsonschema.Draft202012Validator:
    # Imported when a mapping is first checked: it takes about a second to import, which a
    # load without a mapping (and every command's start) need not pay.
    import jsonschema

    schema = mapping_schema()
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)


_BARE_KEY = re.compile(r"^[A-Za-z0-9_-]+$")


def key_path(path: Any) -> str:
    """A key path as the TOML file spells it: ``("sheets", "Systems", "columns", "owner")`` →
    ``[sheets.Systems].columns.owner``; keys that are not bare are quoted, list items indexed."""

    def key(part: Any) -> str:
        if isinstance(part, int):
            return f"[{part}]"
        return part if _BARE_KEY.match(part) else json.dumps(part, ensure_ascii=False)

    parts = list(path)
    if not parts:
        return "the file"
    if parts[0] == "sheets" and len(parts) >= 2:
        head, rest = f"[sheets.{key(parts[1])}]", parts[2:]
    else:
        head, rest = key(parts[0]), parts[1:]
    for part in rest:
        head += key(part) if isinstance(part, int) else "." + key(part)
    return head


def _shown(value: Any) -> str:
    """A TOML value as a consultant wrote it, for a message."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, MappingABC):
        return "a table"
    if isinstance(value, list):
        return "a list"
    return str(value)


_KINDS = {
    "string": "text",
    "object": "a table",
    "array": "a list",
    "integer": "a whole number",
    "number": "a number",
    "boolean": "true or false",
}
# When one value breaks several rules, the one to name: a wrong type before what follows from it.
_RANK = {"type": 0, "additionalProperties": 1, "required": 2}


def _describe(error: jsonschema.ValidationError) -> str:
    """One schema violation as ``<what is wrong>; <the fix>``."""
    schema, value, keyword = error.schema, error.instance, error.validator
    fix = schema.get("x-fix", "") if isinstance(schema, MappingABC) else ""
    if keyword == "additionalProperties":
        known = list(schema.get("properties", {}))
        extra = sorted(set(value) - set(known))
        if not known:
            return f"has an unknown key {extra[0]!r}; {fix}"
        closest = closest_first(extra[0], known)[0]
        return (
            f"has an unknown key {extra[0]!r}; did you mean {closest}? "
            f"(the keys allowed here: {', '.join(known)})"
        )
    if keyword == "type":
        wanted = error.validator_value
        wanted = [wanted] if isinstance(wanted, str) else wanted
        kinds = [_KINDS[w] for w in wanted]
        listed = ", ".join(kinds[:-1]) + " or " + kinds[-1] if len(kinds) > 1 else kinds[0]
        problem = f"is {_shown(value)}, not {listed}"
    elif keyword == "required":
        missing = [k for k in error.validator_value if k not in value]
        problem = f"has no {missing[0]}"
    elif keyword in ("pattern", "minLength") and isinstance(value, str) and not value.strip():
        problem = "is blank"
    elif keyword in ("pattern", "minimum", "minLength"):
        problem = f"= {_shown(value)} " + schema.get("x-problem", "is not allowed here")
    elif keyword in ("minItems", "minProperties"):
        problem = "is empty"
    elif isinstance(value, MappingABC) and len(set(value) - {"occurrence"}) > 1:
        ways = sorted(set(value) - {"occurrence"})
        problem = f"gives {' and '.join(ways)} together; give one of them"
    else:  # a table with only an occurrence, or something else no rule names
        problem = f"= {_shown(value)} does not say where the column is"
    return f"{problem}; {fix}" if fix else problem


def _schema_problems(data: MappingABC, name: str) -> dict[tuple, str]:
    """Every schema violation of ``data``, one line each in the file's order, by key path."""
    by_path: dict[tuple, jsonschema.ValidationError] = {}
    for error in _validator().iter_errors(data):
        path = tuple(error.absolute_path)
        best = by_path.get(path)
        if best is None or _RANK.get(error.validator, 9) < _RANK.get(best.validator, 9):
            by_path[path] = error
    # A wrong value inside a wrong value is not a second mistake: name the outermost.
    # (each path's own prefixes looked up, not every other path: linear in the mistakes)
    paths = [p for p in by_path if not any(p[:i] in by_path for i in range(len(p)))]
    order = {path: position for position, path in enumerate(_document_order(data))}
    paths.sort(key=lambda p: order.get(p, len(order)))
    return {p: f"{name}: {key_path(p)} {_describe(by_path[p])}" for p in paths}


def _document_order(data: Any, prefix: tuple = ()) -> list[tuple]:
    """Every key path of ``data`` in the order the file writes it."""
    found = [prefix]
    if isinstance(data, MappingABC):
        for key, value in data.items():
            found += _document_order(value, (*prefix, key))
    elif isinstance(data, list):
        for index, value in enumerate(data):
            found += _document_order(value, (*prefix, index))
    return found


def _raise(problems: list[str]) -> None:
    if problems:
        shown = problems[:_MAX_LINES]
        if len(problems) > _MAX_LINES:
            shown.append(f"… and {len(problems) - _MAX_LINES} more mistakes")
        raise MappingError("\n".join(shown), problems)


# -- parsing ---------------------------------------------------------------------------------


def _parse(data: MappingABC, name: str) -> ColumnMapping:
    """A checked mapping from the parsed TOML. Every mistake in the file is found before
    anything is raised: the schema's, then the sheet and column names of every sheet the schema
    found no mistake in, then the locale. Raises one :class:`MappingError` listing them all."""
    if not isinstance(data.get("sheets"), MappingABC) or not data["sheets"]:
        others = [k for k in data if k not in ("sheets", "locale")]
        extra = (
            f" ({others[0]!r} is not a mapping key; did you mean "
            f"{closest_first(others[0], ['sheets', 'locale'])[0]}?)"
            if others
            else ""
        )
        raise MappingError(
            f"{name}: no [sheets.<Sheet>] tables{extra}; start with [sheets.Systems] and "
            'source = "<sheet or CSV file name>"'
        )
    schema = _schema_problems(data, name)
    problems: list[str] = list(schema.values())
    broken = {path[1] for path in schema if len(path) > 1 and path[0] == "sheets"}
    sheets, keys = {}, {}  # keys: the spelling of each sheet's table, [sheets.systems]
    names = {fold(s.name): s.name for s in SHEETS}
    for key, spec in data["sheets"].items():
        sheet_name = names.get(fold(key))
        if sheet_name is None:
            problems.append(
                f"{name}: [sheets.{key}] is not an inventory sheet; use one of "
                + ", ".join(closest_first(key, [s.name for s in SHEETS]))
            )
            continue
        if sheet_name in keys:
            problems.append(
                f"{name}: [sheets.{keys[sheet_name]}] and [sheets.{key}] both map {sheet_name}; "
                "keep one of them"
            )
            continue
        keys[sheet_name] = key
        if key in broken or ("sheets",) in schema:
            continue
        sheets[sheet_name] = _sheet(name, sheet_name, key, spec, problems)
    if not problems and "Systems" not in sheets:
        problems.append(f"{name}: a mapping must name the Systems sheet ([sheets.Systems])")
    locale = data.get("locale")
    if isinstance(locale, str) and ("locale",) not in schema:
        try:
            convention(locale)
        except UnknownLocaleError:
            problems.append(
                f"{name}: locale = {locale!r} is not a locale nistpf knows; use {ACCEPTED}"
            )
    positions = {key: position for position, key in enumerate(data.get("sheets", {}), 1)}
    problems.sort(key=lambda line: _line_order(line, positions))
    _raise(problems)
    return ColumnMapping(sheets, name, _canonical_locale(locale) if locale else None)


def _line_order(line: str, positions: dict[str, int]) -> int:
    """Where a mistake stands in the file: the locale first (it is written first), then sheet by
    sheet in the file's order (``positions``: each sheet table's key → its place, 1 for the
    first; looked up, not searched for, so thousands of tables sort in linear time)."""
    for found in _SHEET_TABLE.finditer(line):
        if found.group(1) in positions:
            return positions[found.group(1)]
    return 0


_SHEET_TABLE = re.compile(r"\[sheets\.([^\]]*)\]")


def _canonical_locale(tag: str) -> str:
    """A BCP 47 tag in its usual case: ``de-de`` → ``de-DE``, ``sr-latn-rs`` → ``sr-Latn-RS``."""
    parts = tag.split("-")
    out = [parts[0].lower()]
    for part in parts[1:]:
        if len(part) == 4 and part.isalpha():
            out.append(part.title())
        elif len(part) == 2 or (len(part) == 3 and part.isdigit()):
            out.append(part.upper())
        else:
            out.append(part.lower())
    return "-".join(out)


def _sheet(name: str, sheet_name: str, key: str, spec: MappingABC, problems: list[str]):
    schema = SHEETS_BY_NAME[sheet_name]
    known = {fold(c): c for c in schema.column_names}

    def column_name(column: str, table: str) -> str | None:
        found = known.get(fold(column))
        if found is None:
            problems.append(
                f"{name}: {key_path(('sheets', key, table))}: {column!r} is not a {sheet_name} "
                "column; use one of " + ", ".join(closest_first(column, schema.column_names))
            )
        return found

    # Keys are matched case-blind ("System_ID" is system_id), so two keys may name one column:
    # a mistake, not "the last wins". A rewrite for a column the sheet's columns table does not
    # map would never apply (a mapped sheet reads only its mapped columns): a mistake too.
    columns, given = {}, {}
    for column, where in spec.get("columns", {}).items():
        found = column_name(column, "columns")
        if found is None:
            continue
        if found in columns:
            problems.append(
                f"{name}: {key_path(('sheets', key, 'columns'))}: {given[found]!r} and "
                f"{column!r} both map {found}; keep one of them"
            )
            continue
        columns[found], given[found] = _ref(where), column
    values, rewritten = {}, {}
    for column, rewrites in spec.get("values", {}).items():
        found = column_name(column, "values")
        if found is None:
            continue
        if found in values:
            problems.append(
                f"{name}: {key_path(('sheets', key, 'values'))}: {rewritten[found]!r} and "
                f"{column!r} both rewrite {found}; merge them into one table"
            )
            continue
        if spec.get("columns") and found not in columns:
            problems.append(
                f"{name}: {key_path(('sheets', key, 'values', column))}: {found} is not mapped "
                f"in [sheets.{key}.columns], so its rewrites would never apply; map it "
                f'({found} = "<client header>") or delete the rewrites'
            )
            continue
        values[found] = {str(k): text(v) for k, v in rewrites.items()}
        rewritten[found] = column
    skip = {
        str(header).strip(): tuple(dict.fromkeys(skip_key(v) for v in listed))
        for header, listed in spec.get("skip", {}).items()
    }
    file = spec.get("file")
    if file and _not_a_file(file.strip()):
        problems.append(
            f"{name}: {key_path(('sheets', key, 'file'))} = {_shown(file)} is not a regular "
            "file but a pipe, device or socket, which nistpf does not read; name a workbook, "
            "a CSV file or a folder of CSV files"
        )
    return SheetMapping(
        sheet_name,
        spec["source"].strip(),
        spec.get("header_row"),
        columns,
        values,
        skip,
        file.strip() if file else None,
    )


def _not_a_file(file: str) -> bool:
    """True when ``file`` (a mapping's ``file =``) is an absolute path to something that is
    neither a regular file nor a folder (a pipe, a device, a socket), which reading would block
    on or never finish; a relative path is the loader's to resolve, against the source."""
    path = Path(file).expanduser()
    if not path.is_absolute():
        return False
    try:
        mode = path.stat().st_mode
    except (OSError, ValueError):  # missing or unreadable: the loader says so, in the report
        return False
    return not (stat.S_ISREG(mode) or stat.S_ISDIR(mode))


def _ref(where: Any) -> ColumnRef:
    if isinstance(where, str):
        return ColumnRef(header=where)
    if "letter" in where:
        return ColumnRef(letter=where["letter"].upper())
    if "constant" in where:
        return ColumnRef(constant=where["constant"], has_constant=True)
    return ColumnRef(header=where["header"], occurrence=where.get("occurrence", 1))
