"""Drafting a mapping (``nistpf map``): look at a client's own workbook or CSV files and write
the TOML mapping a consultant would start from.

For each client sheet the draft names the header row it found, which nistpf sheet the client
sheet probably is (by its name, in English, German, French, Spanish, Italian, Dutch or
Portuguese, and by which columns match best), every header with the nistpf column it probably is,
or a comment saying it is kept as an extra column, and sample values as comments. The words
are data: nistpf's own column names and synonyms (``nistpf.inventory.schema``) and
``nistpf/data/header-words.csv``; headers that match none exactly are compared with
:mod:`difflib`.

A draft is checked before it is written: it is loaded with nistpf's own loader, and a column whose
values nistpf cannot read as they are (a type it does not know, a count that is not a number)
is written commented out with what was wrong, so the draft validates as written and the
consultant sees what to finish. Lines a consultant must check say ``check:``.

The header row and data rows are found as the loader finds them under the draft's
``header_row`` (:func:`nistpf.inventory.tables.header_layout`): a header merged down or under a
group header, an Excel Table's range and never its totals row; extra columns are listed by the
names the loader keeps them under (``Owner (2)``). When the loads meet numbers written the
continental way (``12.400`` refused as ambiguous, ``2,5`` read with a decimal comma) and the
headers are German, French, Spanish, Italian, Dutch or Portuguese, the draft proposes that
language's locale (``locale = "de-DE"``) as a commented line: only the consultant knows how the
client writes numbers, so nistpf does not decide it.
"""

from __future__ import annotations

import csv
import difflib
import re
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import pandas as pd

from nistpf.errors import (
    InventoryError,
    OutputExistsError,
    OutputNotWritableError,
    UnreadableInventoryError,
)
from nistpf.inventory.locale import UnknownLocaleError, convention
from nistpf.inventory.read import RawSheet, Unreadable, read_source
from nistpf.inventory.report import Report
from nistpf.inventory.schema import SHEETS, SHEETS_BY_NAME, Sheet, about_field, fold
from nistpf.inventory.tables import HeaderLayout, header_cells, header_layout, read_fields
from nistpf.inventory.values import is_blank, text
from nistpf.io.atomic import check_destination, write_text
from nistpf.io.paths import Use, check_paths, source_uses

WORDS_PATH = Path(__file__).resolve().parents[1] / "data" / "header-words.csv"
HEADER_SEARCH_ROWS = 30
MATCH = 0.75  # a header scoring at least this is proposed for a column
SAMPLES = 3
_TABLE_SHEETS = [s for s in SHEETS if s.layout == "table"]
# A client sheet with no better home is read as Systems; the others need evidence.
_SHEET_MINIMUM = 1.5
# The columns a required column may borrow from when the client has no column of its own
# (a register whose name is its ID, as data/mappings/system-data-map.toml does).
_STAND_INS = {
    ("Systems", "system_id"): "name",
    ("Systems", "name"): "system_id",
    ("Controls", "control_id"): "name",
    ("Controls", "name"): "control_id",
}


class DraftExistsError(OutputExistsError):
    """The draft's output file exists already; it is replaced only with ``--overwrite``."""

    def __init__(self, path: object):
        super().__init__(path, keyword="overwrite=True", option="--overwrite")


# -- the words -------------------------------------------------------------------------------


@cache
def header_words() -> dict[str, dict[str, tuple[str, ...]]]:
    """nistpf sheet → column (``""`` for the sheet itself) → the words it answers to, in every
    language, the column's own name first: schema names and synonyms, then header-words.csv."""
    words: dict[str, dict[str, list[str]]] = {}
    for spec in _TABLE_SHEETS:
        table = words.setdefault(spec.name, {})
        table[""] = [spec.name, *spec.synonyms]
        for column in spec.columns:
            table[column.name] = [column.name, *column.synonyms]
    with WORDS_PATH.open(encoding="utf-8", newline="") as stream:
        for row in csv.DictReader(stream):
            if row["sheet"] in words:
                words[row["sheet"]].setdefault(row["column"], []).append(row["word"])
    return {s: {c: tuple(dict.fromkeys(w)) for c, w in t.items()} for s, t in words.items()}


def _tokens(header: str) -> list[str]:
    """Words of a header: camelCase split, case folded, punctuation dropped."""
    spaced = re.sub(r"(?<=[a-z])(?=[A-Z])", " ", header)
    return re.findall(r"[^\W_]+", spaced.casefold())


def word_score(header: str, word: str) -> float:
    """How much ``header`` looks like ``word``: 1 when equal (case, spaces and punctuation
    forgiven); 0.6-0.95 when every word of ``word`` is in the header (more when it is most of
    the header, and leads it: "Vendor / Data Processor Name" is a vendor); else the
    :mod:`difflib` ratio when it is at least 0.85 (a typo, an inflection); else 0."""
    folded_header, folded_word = fold(header), fold(word)
    if not folded_header or not folded_word:
        return 0.0
    if folded_header == folded_word:
        return 1.0
    ratio = difflib.SequenceMatcher(None, folded_header, folded_word).ratio()
    best = ratio if ratio >= 0.85 else 0.0
    header_tokens, word_tokens = _tokens(header), _tokens(word)
    if word_tokens and len(folded_word) >= 3 and all(t in header_tokens for t in word_tokens):
        cover = len(word_tokens) / len(header_tokens)
        leads = header_tokens[: len(word_tokens)] == word_tokens
        best = max(best, 0.6 + 0.2 * cover + 0.15 * leads)
    return best


def column_score(header: str, sheet: str, column: str) -> tuple[float, str]:
    """The best :func:`word_score` of ``header`` against a column's words (a synonym's a shade
    below the column's own name, so the name wins a tie), and the word."""
    best, found = 0.0, ""
    for rank, word in enumerate(header_words()[sheet][column]):
        score = word_score(header, word) * (1.0 if rank == 0 else 0.999)
        if score > best:
            best, found = score, word
    return best, found


# -- one client sheet ------------------------------------------------------------------------


@dataclass
class _Guess:
    column: str
    position: int
    score: float
    word: str
    note: str = ""  # a "check:" comment
    disabled: str = ""  # why the line is written commented out
    code: str = ""  # the report's code for why (``ambiguous-number``)
    problem: str = ""  # the report's problem alone, with its row


@dataclass
class _ClientSheet:
    key: str  # the name a mapping's source gives (sheet name, or CSV file stem)
    raw: RawSheet
    layout: HeaderLayout | None  # None: no header row found
    samples: list[list[str]]
    guesses: dict[str, dict[str, _Guess]] = field(default_factory=dict)  # nistpf sheet → …
    scores: dict[str, float] = field(default_factory=dict)

    @property
    def headers(self) -> list[str]:
        return self.layout.headers if self.layout else []

    @property
    def header_index(self) -> int | None:
        return None if self.layout is None else self.layout.index

    @property
    def header_row(self) -> int | None:
        return None if self.layout is None else self.raw.numbers[self.layout.index]


def _known_words() -> set[str]:
    return {fold(w) for table in header_words().values() for ws in table.values() for w in ws}


def _row_score(cells: list[str], known: set[str]) -> int:
    """The most distinct filled text cells, each a known header word counting double."""
    distinct = dict.fromkeys(fold(c) for c in cells if fold(c))
    return len(distinct) + sum(1 for c in distinct if c in known) if len(distinct) >= 2 else 0


def find_header_row(raw: RawSheet) -> int | None:
    """Index in ``raw.rows`` of the row that most looks like a header among the first rows: the
    most distinct filled text cells, each cell that is a known header word counting double;
    numbers, dates and repeated cells count for nothing. A row is scored by its headers as the
    loader reads them (:func:`nistpf.inventory.tables.header_cells`: a header merged down from
    the row above, group headers joined), so a two-row header is found at its lower row. The
    header row of an Excel Table is preferred to any other: the loader reads the table's range.
    The earliest of equals wins."""
    known = _known_words()
    tables = sorted(t.first_row - 1 for t in raw.structure.tables if t.header_rows)
    candidates = [i for i in tables if i < len(raw.rows)] or range(
        min(len(raw.rows), HEADER_SEARCH_ROWS)
    )
    best, best_score = None, 0
    for index in candidates:
        row = raw.rows[index]
        if any(not is_blank(c) and not isinstance(c, str) for c in row):
            continue  # a row holding numbers or dates is data
        cells = header_cells(raw, index) if raw.merged else [text(c) for c in row]
        score = _row_score([c for c in cells if c and not is_blank(c)], known)
        if score > best_score:
            best, best_score = index, score
    return best


def _client_sheet(key: str, raw: RawSheet) -> _ClientSheet:
    index = find_header_row(raw)
    if index is None:
        return _ClientSheet(key, raw, None, [])
    # the header and data rows as the loader reads them under this header_row: merged and
    # group headers read through, an Excel Table's range and never its totals row
    layout = header_layout(raw, index)
    headers = layout.headers
    samples: list[list[str]] = [[] for _ in headers]
    for row_index in layout.data:
        row = raw.rows[row_index][layout.left : layout.left + len(headers)]
        for position, cell in enumerate(row):
            shown = text(cell) if not is_blank(cell) else ""
            if shown and len(samples[position]) < SAMPLES and shown not in samples[position]:
                samples[position].append(shown)
    sheet = _ClientSheet(key, raw, layout, samples)
    for spec in _TABLE_SHEETS:
        sheet.guesses[spec.name] = _assign(headers, spec)
        sheet.scores[spec.name] = _sheet_score(key, sheet.guesses[spec.name], spec)
    return sheet


def _assign(headers: list[str], spec: Sheet) -> dict[str, _Guess]:
    """nistpf column → the client header it probably is: best scores first, each header and
    each column used once."""
    candidates = []
    for position, header in enumerate(headers):
        if not header:
            continue
        for column in spec.column_names:
            score, word = column_score(header, spec.name, column)
            if score >= MATCH:
                candidates.append((-score, position, column, word))
    guesses: dict[str, _Guess] = {}
    taken: set[int] = set()
    for negative, position, column, word in sorted(candidates):
        if column not in guesses and position not in taken:
            guesses[column] = _Guess(column, position, -negative, word)
            taken.add(position)
    return guesses


def _sheet_score(key: str, guesses: dict[str, _Guess], spec: Sheet) -> float:
    name = max((word_score(key, w) for w in header_words()[spec.name][""]), default=0.0)
    found = sum(g.score for g in guesses.values())
    required = all(c in guesses for c in spec.required_columns)
    return found + 2 * name + (1 if required else 0)


# -- the whole source ------------------------------------------------------------------------


def _choose(sheets: list[_ClientSheet]) -> dict[str, _ClientSheet]:
    """nistpf sheet → the client sheet read as it: the best pairs first, each used once; the
    mapping must name Systems, so without a better candidate the most Systems-like sheet is
    it."""
    pairs = sorted(
        (
            (-sheet.scores[spec.name], order, spec_order, spec.name)
            for order, sheet in enumerate(sheets)
            for spec_order, spec in enumerate(_TABLE_SHEETS)
            if sheet.header_index is not None and sheet.scores[spec.name] >= _SHEET_MINIMUM
        ),
    )
    chosen: dict[str, _ClientSheet] = {}
    used: set[int] = set()
    for _, order, _, name in pairs:
        if name not in chosen and order not in used:
            chosen[name] = sheets[order]
            used.add(order)
    if "Systems" not in chosen:
        readable = [s for s in sheets if s.header_index is not None]
        if readable:
            free = [s for s in readable if id(s) not in {id(c) for c in chosen.values()}]
            best = max(free or readable, key=lambda s: s.scores["Systems"])
            chosen = {k: v for k, v in chosen.items() if v is not best}
            chosen["Systems"] = best
    return dict(sorted(chosen.items(), key=lambda item: list(SHEETS_BY_NAME).index(item[0])))


def _stand_ins(name: str, sheet: _ClientSheet) -> None:
    """A required column with no client column borrows a mapped one (the name as the ID), or,
    for Systems with neither, the first header; each says ``check:``."""
    guesses = sheet.guesses[name]
    spec = SHEETS_BY_NAME[name]
    for column in spec.required_columns:
        if column in guesses:
            continue
        other = _STAND_INS.get((name, column))
        if other and other in guesses:
            source = guesses[other]
            guesses[column] = _Guess(
                column,
                source.position,
                0.0,
                "",
                note=f"check: no {column} column was found; {sheet.headers[source.position]!r} "
                f"serves as {other} and {column} (its values must be unique)",
            )
    if name == "Systems" and not {"system_id", "name"} & set(guesses):
        first = next(i for i, h in enumerate(sheet.headers) if h)
        note = (
            f"check: no system ID or name column was found; the first column, "
            f"{sheet.headers[first]!r}, serves as both (its values must be unique)"
        )
        guesses["system_id"] = _Guess("system_id", first, 0.0, "", note=note)
        guesses["name"] = _Guess("name", first, 0.0, "", note="(the same column)")


def draft_mapping(source: Any) -> str:
    """The text of a draft TOML mapping for ``source`` (a workbook, a CSV file or a folder of
    CSV files). Raises :class:`nistpf.UnreadableInventoryError` when the source cannot be read
    at all. The draft loads without errors under :func:`nistpf.load_inventory` unless a line
    it marks ``check:`` says otherwise."""
    report = Report()
    try:
        book = read_source(source, report)
    except Unreadable as reason:
        report.error(reason.code, reason.problem, hint=reason.hint)
        raise UnreadableInventoryError(Path(source).name, report.frame()) from None
    sheets = [_client_sheet(key, raw) for key, raw in book.sheets.items()]
    if all(sheet.layout is None for sheet in sheets):
        problem, hint = _nothing_to_map(book.kind, sheets)
        report.error("no-header", problem, hint=hint)
        raise UnreadableInventoryError(Path(source).name, report.frame())
    chosen = _choose(sheets)
    for name, sheet in chosen.items():
        _stand_ins(name, sheet)
    commented: dict[str, str] = {}  # nistpf sheet written commented out → why
    for name, sheet in chosen.items():
        missing = [c for c in SHEETS_BY_NAME[name].required_columns if c not in sheet.guesses[name]]
        if missing and name != "Systems":
            commented[name] = (
                f"check: no column looks like the required {', '.join(missing)}; map "
                f"{'it' if len(missing) == 1 else 'them'} and uncomment this sheet"
            )
    numbers: list[tuple[str, str, str, str, Any]] = []
    declared = declared_locale(book.sheets.values())
    remaining = _settle(source, chosen, commented, numbers, declared)
    locale = None if declared else _propose_locale(source, chosen, commented, numbers)
    return _render(source, book.name, sheets, chosen, commented, remaining, locale, declared)


def declared_locale(raws: Any) -> str | None:
    """The locale the workbook declares in its own About sheet (a ``locale`` row, as the
    template has), when it is one nistpf knows: a draft keeps it, since the client stated how
    their numbers are written. None when there is none."""
    about = SHEETS_BY_NAME["About"]
    names = {fold(about.name), *(fold(n) for n in about.synonyms)}
    for raw in raws:
        if fold(raw.name) not in names and fold(Path(raw.name).stem) not in names:
            continue
        for _, label, value in read_fields(raw, about):
            field_spec = about_field(label)
            if field_spec is None or field_spec.name != "locale" or is_blank(value):
                continue
            try:
                convention(text(value))
            except UnknownLocaleError:
                return None
            return text(value)
    return None


# -- the locale ------------------------------------------------------------------------------

# Codes of the report rows that show numbers written the continental way.
_CONTINENTAL = ("ambiguous-number", "decimal-comma")
# The locale proposed for headers in each language (every one writes a decimal comma).
LOCALES = {
    "de": ("de-DE", "German"),
    "fr": ("fr-FR", "French"),
    "es": ("es-ES", "Spanish"),
    "it": ("it-IT", "Italian"),
    "nl": ("nl-NL", "Dutch"),
    "pt": ("pt-PT", "Portuguese"),
}


@dataclass
class _Locale:
    tag: str  # "de-DE"
    language: str  # "German"
    evidence: str  # "'12.400' (Systems, Anzahl Datensätze, row 2): a '.' that may group…"
    reads: bool  # the draft loads with the locale and the columns it settles uncommented


@cache
def _word_languages() -> dict[str, dict[str, frozenset[str]]]:
    """nistpf sheet → folded header word → the languages it is a word of (the schema's names
    and synonyms are English)."""
    found: dict[str, dict[str, set[str]]] = {}
    for spec in _TABLE_SHEETS:
        table = found.setdefault(spec.name, {})
        for column in spec.columns:
            for word in (column.name, *column.synonyms):
                table.setdefault(fold(word), set()).add("en")
    with WORDS_PATH.open(encoding="utf-8", newline="") as stream:
        for row in csv.DictReader(stream):
            if row["sheet"] in found and row["column"]:
                found[row["sheet"]].setdefault(fold(row["word"]), set()).add(row["language"])
    return {s: {w: frozenset(ls) for w, ls in t.items()} for s, t in found.items()}


def header_language(chosen: dict[str, Any]) -> str | None:
    """The language the drafted headers are written in: each header matched by a word counts
    for the word's languages (shared among them), and the language with most wins; None when
    no header was matched by a word or two languages tie."""
    weights: dict[str, float] = {}
    for name, sheet in chosen.items():
        words = _word_languages()[name]
        for guess in sheet.guesses[name].values():
            languages = words.get(fold(guess.word), frozenset())
            for language in languages:
                weights[language] = weights.get(language, 0.0) + 1 / len(languages)
    ranked = sorted(weights.items(), key=lambda item: -item[1])
    if not ranked or (len(ranked) > 1 and ranked[0][1] == ranked[1][1]):
        return None
    return ranked[0][0]


def _propose_locale(
    source: Any,
    chosen: dict[str, _ClientSheet],
    commented: dict[str, str],
    numbers: list[tuple[str, str, str, str, Any]],
) -> _Locale | None:
    """A locale to propose when the loads met numbers written the continental way (``12.400``
    refused as ambiguous, ``2,5`` read with a decimal comma) and the headers are in one of
    the continental languages: the consultant, who knows the client, confirms it. Checked by
    loading the draft with it and with the columns refused for ambiguous numbers uncommented."""
    from nistpf.inventory.loader import load_inventory  # the loader imports this package

    language = header_language(chosen)
    if not numbers or language not in LOCALES:
        return None
    tag, name = LOCALES[language]
    code, sheet, column, value, row = numbers[0]
    where = ", ".join(str(p) for p in (sheet, column) if p)
    where += "" if pd.isna(row) else f", row {row}"
    ambiguous = [
        g
        for s_name, s in chosen.items()
        for g in s.guesses[s_name].values()
        if g.code == "ambiguous-number"
    ]
    whys = [guess.disabled for guess in ambiguous]
    for guess in ambiguous:
        guess.disabled = ""
    mapping = _mapping_dict(chosen, commented)  # the draft with those columns read
    for guess, why in zip(ambiguous, whys, strict=True):
        guess.disabled = why
    try:
        load_inventory(source, mapping={**mapping, "locale": tag})
        reads = True
    except InventoryError:
        reads = False
    mark = "." if "." in value else ","
    what = "a decimal comma." if code == "decimal-comma" else f"{mark!r} grouping thousands?"
    return _Locale(tag, name, f"{value!r} ({where}): {what}", reads)


def _nothing_to_map(kind: str, sheets: list[_ClientSheet]) -> tuple[str, str]:
    """Why a source with no header row anywhere cannot be drafted, and what to do: the draft
    would name no sheet, and a mapping must name Systems."""
    filled = [s for s in sheets if any(not is_blank(cell) for row in s.raw.rows for cell in row)]
    where = {"csv": "in the CSV file" if len(sheets) == 1 else "in any CSV file"}.get(
        kind, "on any sheet"
    )
    if not filled:
        what = {"csv": "the file" if len(sheets) == 1 else "every CSV file"}.get(
            kind, "every sheet"
        )
        return f"{what} is empty: there is nothing to map", (
            "export the client's register again, with its header row and its rows"
        )
    first = next(text(c) for row in filled[0].raw.rows for c in row if not is_blank(c))
    return (
        f"no header row was found {where}: no row among the first {HEADER_SEARCH_ROWS} holds two "
        f"or more column headers (it starts with {first[:60]!r})",
        "add the header row, one header per column, above the data; or run nistpf map on the "
        "export that holds the register",
    )


def _mapping_dict(
    chosen: dict[str, _ClientSheet], commented: dict[str, str], locale: str | None = None
) -> dict:
    sheets = {}
    for name, sheet in chosen.items():
        if name in commented:
            continue
        sheets[name] = {
            "source": sheet.key,
            "header_row": sheet.header_row,
            "columns": {
                g.column: _ref(sheet, g.position)
                for g in sheet.guesses[name].values()
                if not g.disabled
            },
        }
    return {"sheets": sheets, **({"locale": locale} if locale else {})}


def _ref(sheet: _ClientSheet, position: int) -> Any:
    header = sheet.headers[position]
    occurrence = [fold(h) for h in sheet.headers[: position + 1]].count(fold(header))
    return header if occurrence == 1 else {"header": header, "occurrence": occurrence}


def _names(sheet: _ClientSheet, position: int) -> set[str]:
    """The folded names the loader's report may give the column at ``position``: its header,
    and ``Owner (2)`` for a repeated one."""
    ref = _ref(sheet, position)
    if isinstance(ref, str):
        return {fold(ref)}
    return {fold(ref["header"]), fold(f"{ref['header']} ({ref['occurrence']})")}


def _settle(
    source: Any,
    chosen: dict[str, _ClientSheet],
    commented: dict[str, str],
    numbers: list[tuple[str, str, str, str, Any]],
    declared: str | None = None,
) -> list[str]:
    """Load the draft (with the locale the workbook ``declared``, if any); write commented
    out each column (or, outside Systems, sheet) nistpf cannot read as it is, saying why; repeat
    until it loads. Returns the problems left (the draft is written with them, each as a
    check: line). Appends to ``numbers`` each number written the continental way that a load
    met, as ``(code, sheet, column, value, row)``: an ``ambiguous-number`` refused, a
    ``decimal-comma`` read."""
    from nistpf.inventory.loader import load_inventory  # the loader imports this package

    by_raw = {sheet.raw.name: name for name, sheet in chosen.items()}
    for _ in range(12):
        mapping = _mapping_dict(chosen, commented, declared)
        try:
            issues = load_inventory(source, mapping=mapping).issues
        except InventoryError as error:
            issues = error.issues
        for row in issues[issues["code"].isin(_CONTINENTAL)].itertuples(index=False):
            numbers.append((row.code, row.sheet, row.column, text(row.value), row.excel_row))
        issues = issues[issues["severity"] == "error"]
        if issues.empty:
            return []
        changed = False
        left = []
        for row in issues.itertuples(index=False):
            name = by_raw.get(row.sheet)
            if name is None or name in commented:
                left.append(row.problem)
                continue
            sheet = chosen[name]
            problem = row.problem + ("" if pd.isna(row.excel_row) else f" (row {row.excel_row})")
            why = problem + (f"; {row.hint}" if row.hint else "")
            guess = next(
                (
                    g
                    for g in sheet.guesses[name].values()
                    if not g.disabled and fold(row.column) in _names(sheet, g.position)
                ),
                None,
            )
            required = guess is not None and guess.column in SHEETS_BY_NAME[name].required_columns
            if guess is not None and not required:
                guess.disabled, guess.code, guess.problem = why, row.code, problem
                changed = True
            elif name != "Systems":
                commented[name] = f"check: nistpf cannot read it as drafted: {why}"
                changed = True
            else:
                left.append(why)
        if not changed:
            return list(dict.fromkeys(left))
    return ["the draft did not settle; check every column"]


# -- writing the draft -----------------------------------------------------------------------


# TOML forbids raw control characters (other than tab) in strings and comments, and DEL too;
# a client's header or sample value may hold any of them. Strings escape them as \uXXXX (which
# reads back as the very character, so the mapping still names the header); comments show them
# as \xNN. A lone surrogate cannot be written as UTF-8 nor escaped in TOML: it becomes U+FFFD.
_CONTROL = re.compile(r"[\x00-\x1f\x7f\ud800-\udfff]")
_SHORT = {"\b": "\\b", "\t": "\\t", "\n": "\\n", "\f": "\\f", "\r": "\\r"}


def _toml_escape(match: re.Match) -> str:
    char = match.group()
    if "\ud800" <= char <= "\udfff":
        return "\ufffd"
    return _SHORT.get(char, f"\\u{ord(char):04x}")


def _toml(value: str) -> str:
    """``value`` as a TOML basic string: quotes, backslashes and control characters escaped."""
    body = value.replace("\\", "\\\\").replace('"', '\\"')
    return '"' + _CONTROL.sub(_toml_escape, body) + '"'


def _comment_safe(line: str) -> str:
    """``line`` with the characters a TOML comment cannot hold (control characters but tab,
    line ends, DEL, lone surrogates) shown as ``\\xNN``: a rendered line is one line, and every
    TOML string in it is already escaped by :func:`_toml`, so what is left is comment text."""
    return _CONTROL.sub(
        lambda m: "\ufffd" if "\ud800" <= m.group() <= "\udfff" else f"\\x{ord(m.group()):02x}",
        line,
    )


def _inline(ref: Any) -> str:
    if isinstance(ref, str):
        return _toml(ref)
    return f"{{ header = {_toml(ref['header'])}, occurrence = {ref['occurrence']} }}"


def _examples(values: list[str]) -> str:
    shown = [v if len(v) <= 40 else v[:39] + "…" for v in values]
    shown = [" ".join(v.split()) for v in shown]
    return "e.g. " + " | ".join(shown) if shown else "blank in every row"


def _render(
    source: Any,
    book_name: str,
    sheets: list[_ClientSheet],
    chosen: dict[str, _ClientSheet],
    commented: dict[str, str],
    remaining: list[str],
    locale: _Locale | None = None,
    declared: str | None = None,
) -> str:
    shown_source = Path(source).name
    lines = [
        f"# Draft mapping for {shown_source}, written by `nistpf map`. Finish it, then run:",
        f"#   nistpf validate {shown_source} --mapping <this file>",
        "# Lines marked 'check:' need a look. A header the mapping does not name is kept as an",
        "# extra column, unread. Sample values are shown as comments.",
    ]
    lines += [f"# check: {problem}" for problem in remaining]
    if declared is not None:  # top-level keys come before the first table in TOML
        lines += [
            "",
            "# The workbook's About sheet declares how its numbers are written:",
            f"locale = {_toml(declared)}",
        ]
    if locale is not None:
        # top-level keys come before the first table in TOML
        then = (
            "; with it, the columns commented out for ambiguous numbers read too: uncomment "
            "them as well"
            if locale.reads and any(g.code == "ambiguous-number" for g in _all_guesses(chosen))
            else ""
        )
        lines += [
            "",
            f"# check: the headers are {locale.language} and numbers look written the "
            f"{locale.language} way, e.g. {locale.evidence} If the client writes numbers so "
            f"(1.234,5), uncomment the next line{then}.",
            f"# locale = {_toml(locale.tag)}",
        ]
    for name, sheet in chosen.items():
        lines.append("")
        spec = SHEETS_BY_NAME[name]
        prefix = "# " if name in commented else ""
        if name in commented:
            lines.append(f"# {commented[name]}")
        guesses = sheet.guesses[name]
        by_name = max(word_score(sheet.key, w) for w in header_words()[name][""]) >= MATCH
        by_columns = any(g.score >= MATCH for g in guesses.values())
        why = {
            (True, True): "its name and columns",
            (True, False): "its name",
            (False, True): "its columns",
        }.get((by_name, by_columns), "no better candidate")
        lines.append(
            f"# {sheet.raw.name!r} read as {name} ({spec.description.rstrip('.')}), by {why}."
        )
        lines.append(f"{prefix}[sheets.{name}]")
        lines.append(f"{prefix}source = {_toml(sheet.key)}")
        lines.append(f"{prefix}header_row = {sheet.header_row}  # the header row found")
        lines.append("")
        lines.append(f"{prefix}[sheets.{name}.columns]")
        for column in spec.column_names:
            guess = guesses.get(column)
            if guess is None:
                continue
            line = f"{column} = {_inline(_ref(sheet, guess.position))}"
            example = _examples(sheet.samples[guess.position])
            if guess.disabled and guess.code == "ambiguous-number" and locale is not None:
                lines.append(
                    f"# check: {column} is not read as drafted: {guess.problem}. Uncomment "
                    f"locale = {_toml(locale.tag)} at the top if the client writes numbers the "
                    f"{locale.language} way, then the line below"
                )
                lines.append(f"# {line}  # {example}")
                continue
            if guess.disabled:
                lines.append(
                    f"# check: {column} is not read as drafted: {guess.disabled}; add rewrites "
                    f'under [sheets.{name}.values.{column}] ("client value" = "value") and '
                    "uncomment the line below"
                )
                lines.append(f"# {line}  # {example}")
                continue
            if guess.note:
                lines.append(f"{prefix}# {guess.note}")
            elif guess.score < 0.99:
                example = f"check: {guess.word!r} matched; {example}"
            lines.append(f"{prefix}{line}  # {example}")
        used = {g.position for g in guesses.values() if not g.disabled}
        # listed by the names the loader keeps them under ("Owner (2)" for a second "Owner"),
        # with how a mapping names a repeated header
        extras = sheet.layout.extra_names(used) if sheet.layout else {}
        if extras:
            lines.append("# Kept as extra columns, unread (map one above to read it):")
            for position, extra in extras.items():
                ref = _ref(sheet, position)
                how = "" if isinstance(ref, str) else f"map it as {_inline(ref)}; "
                example = _examples(sheet.samples[position])
                lines.append(f"#   {_toml(extra)}  # {how}{example}")
    for sheet in sheets:
        if any(sheet is c for c in chosen.values()):
            continue
        lines.append("")
        if sheet.header_index is None:
            lines.append(f"# {sheet.raw.name!r} is not read: no header row was found in it.")
            continue
        listed = ", ".join(repr(h) for h in sheet.headers if h)
        lines.append(
            f"# {sheet.raw.name!r} is not read: no nistpf sheet fits it (header row "
            f"{sheet.header_row}: {listed}). Add a [sheets.<Sheet>] table to read it."
        )
    return "\n".join(_comment_safe(line) for line in lines) + "\n"


def _all_guesses(chosen: dict[str, _ClientSheet]) -> list[_Guess]:
    return [g for name, sheet in chosen.items() for g in sheet.guesses[name].values()]


def write_draft(source: Any, path: Path, *, overwrite: bool = False) -> Path:
    """Write :func:`draft_mapping` of ``source`` to ``path`` atomically. Refuses an existing
    file unless ``overwrite`` (:class:`DraftExistsError`); the source itself, any path in a
    source folder (the folder is the input as a whole: nistpf writes nothing into it, not even
    a new file beside the client's) or a link to one of its files
    (:class:`OutputIsInputError`, :func:`nistpf.io.paths.check_paths`); and any destination
    :func:`nistpf.io.atomic.check_destination` refuses (a read-only folder, a name too long). A
    write the operating system refuses is an :class:`OutputNotWritableError` naming the
    cause."""
    path = Path(path)
    check_paths(source_uses(source), [Use(path, "the drafted mapping")])
    check_destination(path)
    if path.exists() and not overwrite:
        raise DraftExistsError(path)
    text = draft_mapping(source)
    try:
        write_text(path, text)
    except OSError as error:
        raise OutputNotWritableError.from_os_error(path, error) from error
    return path
