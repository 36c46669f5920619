"""``load_inventory``: read a client's inventory, check every cell, and return tidy DataFrames —
or raise :class:`nistpf.InventoryError` carrying the whole validation report.

>>> import nistpf
>>> inventory = nistpf.load_inventory(nistpf.sample_path())
>>> inventory.systems[["system_id", "type", "criticality"]].head(3)  # doctest: +SKIP
"""

from __future__ import annotations

import dataclasses
import difflib
import hashlib
import os
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from nistpf.errors import (
    BlankInventoryError,
    InventoryError,
    UnknownIdError,
    UnknownVersionError,
    UnreadableInventoryError,
)
from nistpf.framework import Framework, framework, versions
from nistpf.inventory import limits, model
from nistpf.inventory.locale import ACCEPTED as ACCEPTED_LOCALES
from nistpf.inventory.locale import Convention, UnknownLocaleError, convention
from nistpf.inventory.mapping import ColumnMapping, load_mapping, skip_key
from nistpf.inventory.model import Inventory
from nistpf.inventory.read import RawBook, RawSheet, Unreadable, read_source
from nistpf.inventory.report import Report
from nistpf.inventory.schema import (
    ABOUT,
    ALL_SYSTEMS,
    EXTERNAL_PREFIX,
    SHEETS,
    STATUSES,
    TYPE_SELECTOR,
    Column,
    Sheet,
    about_field,
    fold,
    sheet,
)
from nistpf.inventory.tables import Table, header_key, read_fields, read_table, row_ranges
from nistpf.inventory.values import (
    Bad,
    Noted,
    ReadAs,
    choice_reader,
    count_reader,
    days_reader,
    is_blank,
    level_reader,
    read_date,
    read_tier,
    read_yesno,
    selector_reader,
    split_list,
    text,
)
from nistpf.scales import BUILT_IN, DEFAULT_SCALE, Scale, UnknownScaleError, scale

_PLAIN = {"key", "text", "system", "endpoint", "subcategory", "pf_id"}
_LISTS = {"list", "subcategories", "systems"}
_TEXTUAL = _PLAIN | _LISTS


def load_inventory(source: Any, *, mapping: Any = None) -> Inventory:
    """Load and validate an inventory.

    ``source``: an ``.xlsx``/``.xlsm``/``.ods`` path, a CSV folder (one per sheet, named after
    the sheet), or a dict of sheet name → DataFrame. ``mapping``: a TOML mapping file (or dict)
    for a client's own layout. Raises :class:`UnreadableInventoryError` when the source cannot
    be read at all, :class:`InventoryError` when the report has errors; warnings stay on
    ``inventory.issues``. The source is only ever read.

    Raises :class:`BlankInventoryError` (an InventoryError) for a workbook whose Systems,
    Controls and DataFlows are all empty: the template before the client filled it in.
    """
    report = Report()
    if not isinstance(source, str | os.PathLike | Mapping):
        report.error(
            "not-a-source",
            f"the source given is of type {type(source).__name__}, not a path or DataFrames",
            hint="pass a str or pathlib.Path naming an .xlsx or .ods workbook, a CSV file or a "
            "folder of CSV files, or a dict of sheet name → pandas DataFrame",
        )
        raise UnreadableInventoryError(type(source).__name__, report.frame())
    name = source if isinstance(source, str | Path) else "DataFrames"
    column_mapping = load_mapping(mapping) if mapping is not None else None
    try:
        book = read_source(source, report)
    except Unreadable as reason:
        report.error(reason.code, reason.problem, hint=reason.hint)
        raise UnreadableInventoryError(str(Path(name).name), report.frame()) from None
    loader = _Loader(book, report, column_mapping)
    loader.path = Path(source).resolve() if isinstance(source, str | Path) else None
    inventory = loader.load()
    if not report.has_errors and _blank(inventory):
        raise BlankInventoryError(book.name)
    if not report.has_errors and inventory.systems.empty:
        report.error(
            "no-systems",
            "Systems lists no system, so there is nothing to assess",
            sheet="Systems",
            hint="add one row per CX system that holds or processes customer data",
        )
    if report.has_errors:
        raise InventoryError(book.name, report.frame())
    return inventory


def _blank(inventory: Inventory) -> bool:
    """Nothing filled in where the client describes their stack: the template as sent."""
    return inventory.systems.empty and inventory.controls.empty and inventory.flows.empty


class _Loader:
    def __init__(self, book: RawBook, report: Report, mapping: ColumnMapping | None):
        self.book = book
        self.report = report
        self.mapping = mapping
        self.fw: Framework = framework()
        self.scale: Scale = scale(DEFAULT_SCALE)
        self.version = self.fw.version
        # The number convention the consultant declared (mapping, then About); None: undeclared.
        self.locale: Convention | None = None
        # (sheet, column) → the cells as the client wrote them, where a mapping rewrote them
        self._written: dict[tuple[str, str], list[Any]] = {}
        if mapping is not None and getattr(mapping, "locale", None):
            by = "the mapping" + ("" if mapping.name == "mapping" else f" {mapping.name}")
            where = {"sheet": mapping.name, "column": "locale", "value": mapping.locale}
            self._declare_locale(mapping.locale, by, where)

    # -- sheets ------------------------------------------------------------------------------
    def _locate(self) -> dict[str, RawSheet]:
        """nistpf sheet name → the raw sheet holding it."""
        if self.mapping:
            return self._locate_mapped()
        found: dict[str, RawSheet] = {}
        by_name = {name: spec for spec in SHEETS for name in spec.names}
        # Visible sheets first: a hidden sheet is read only when no visible one has its name.
        ordered = sorted(self.book.sheets.items(), key=lambda item: bool(item[1].hidden))
        for raw_name, raw in ordered:
            spec = by_name.get(fold(raw_name))
            if spec is None:
                close = difflib.get_close_matches(fold(raw_name), list(by_name), n=1, cutoff=0.8)
                if close and by_name[close[0]].name not in found:
                    self.report.warning(
                        "unknown-sheet",
                        f"sheet {raw.name!r} is not an inventory sheet and was not read",
                        sheet=raw.name,
                        hint=f"did you mean {by_name[close[0]].name}? rename the sheet",
                    )
                continue
            if spec.name in found:
                self.report.warning(
                    "duplicate-sheet",
                    f"a second {spec.name} sheet was not read",
                    sheet=raw.name,
                    hint=f"merge it into {found[spec.name].name!r}",
                )
                continue
            found[spec.name] = raw
            if raw.hidden:
                self.report.warning(
                    "hidden-sheet",
                    f"sheet {raw.name!r} is {raw.hidden} in the workbook; it was read as the "
                    f"{spec.name} sheet",
                    sheet=raw.name,
                    hint="unhide it so the client sees what was assessed, or delete it if it is "
                    "an old copy",
                )
        single = self.book.kind == "csv" and self.book.name.lower().endswith(".csv")
        if single and not found:
            (raw,) = self.book.sheets.values()
            self.report.error(
                "single-csv",
                f"{raw.name} is one CSV file, read as a sheet named {Path(raw.name).stem!r}, "
                "which is not an inventory sheet",
                sheet=raw.name,
                hint=f"read a client's own file with a mapping (draft one: nistpf map {raw.name} "
                "-o mapping.toml), or put Systems.csv, Controls.csv and DataFlows.csv in a "
                "folder and validate the folder",
            )
            return found
        for spec in SHEETS:
            if spec.name in found:
                continue
            if spec.required and self.book.kind == "csv":
                self.report.error(
                    "missing-sheet",
                    f"there is no {spec.name}.csv",
                    sheet=spec.name,
                    hint=f"add {spec.name}.csv beside the other files (found: "
                    + ", ".join(raw.name for raw in self.book.sheets.values())
                    + "), or load a client's own layout with a mapping (--mapping)",
                )
            elif spec.required:
                self.report.error(
                    "missing-sheet",
                    f"the workbook has no {spec.name} sheet",
                    sheet=spec.name,
                    hint=f"add a sheet named {spec.name} (see nistpf template); sheets found: "
                    + ", ".join(self.book.sheets),
                )
            elif spec.name == "DataFlows":
                self.report.warning(
                    "missing-sheet",
                    "the workbook has no DataFlows sheet: no data-flow findings can be made",
                    sheet=spec.name,
                    hint="add a DataFlows sheet listing the customer-data flows between systems",
                )
        return found

    def _locate_mapped(self) -> dict[str, RawSheet]:
        found = {}
        by_fold = {fold(name): raw for name, raw in self.book.sheets.items()}
        by_fold.update({fold(raw.name): raw for raw in self.book.sheets.values()})
        # A single CSV file is the one sheet of a one-sheet mapping, whatever its file name.
        single = (
            self.book.kind == "csv" and len(self.book.sheets) == 1 and len(self.mapping.sheets) == 1
        )
        for sheet_name, sheet_mapping in self.mapping.sheets.items():
            if sheet_mapping.file:
                raw = self._other_file(sheet_name, sheet_mapping)
                if raw is not None:
                    found[sheet_name] = raw
                continue
            raw = by_fold.get(fold(sheet_mapping.source))
            if raw is None:
                raw = by_fold.get(fold(Path(sheet_mapping.source).stem))
            if raw is None and single:
                raw = next(iter(self.book.sheets.values()))
            if raw is None:
                self.report.error(
                    "mapped-sheet-missing",
                    f"the mapping's source {sheet_mapping.source!r} for {sheet_name} "
                    "is not in the source",
                    sheet=sheet_mapping.source,
                    hint=("files found: " if self.book.kind == "csv" else "sheets found: ")
                    + ", ".join(raw.name for raw in self.book.sheets.values())
                    + (
                        f"; rename the file to {Path(sheet_mapping.source).stem}.csv"
                        if self.book.kind == "csv"
                        else f"; rename the sheet to {sheet_mapping.source!r}"
                    )
                    + ", or change source in a copy of the mapping",
                )
                continue
            found[sheet_name] = raw
        # A client sheet holding data that the mapping names for no nistpf sheet is left unread:
        # said once per sheet, so that a forgotten Controls or DataFlows sheet is not silently
        # missing from the assessment. A sheet with no filled cell is nothing to miss.
        read = {id(raw) for raw in found.values()}
        kind = "file" if self.book.kind == "csv" else "sheet"
        free = [f"[sheets.{s.name}]" for s in SHEETS if s.name not in self.mapping.sheets]
        tables = ", ".join(free[:3]) + (", …" if len(free) > 3 else "")
        for key, raw in self.book.sheets.items():
            if id(raw) in read or not any(not is_blank(c) for row in raw.rows for c in row):
                continue
            quoted = key.replace("\\", "\\\\").replace('"', '\\"')  # a TOML string
            self.report.warning(
                "sheet-not-mapped",
                f"{kind} {raw.name!r} is not named in the mapping and was not read",
                sheet=raw.name,
                hint=f'to read it, add a table for it to the mapping ({tables}) with source = "'
                f'{quoted}" and its columns (nistpf map drafts them); otherwise nothing to fix',
            )
        return found

    def _other_file(self, sheet_name: str, sheet_mapping: Any) -> RawSheet | None:
        """The sheet a mapping takes from another file (``file = "controls.xlsx"``): relative to
        the source's folder (the source itself when it is a folder) or absolute, read under the
        same bounds as the source; its sheet is ``source``, or a CSV file's one sheet (whatever
        ``source`` says: the mapping's schema requires it all the same). A workbook's
        sheet is named ``file: sheet`` in the report, so two workbooks' sheets are told apart."""
        file = sheet_mapping.file
        path = Path(file).expanduser()
        here = getattr(self, "path", None)
        if not path.is_absolute():
            if here is None:
                self.report.error(
                    "mapped-file-missing",
                    f"the mapping takes {sheet_name} from {file!r}, but the source is not a "
                    "file or folder that it could be relative to",
                    sheet=file,
                    hint="write the file's absolute path in the mapping",
                )
                return None
            path = (here if here.is_dir() else here.parent) / path
        books = self.__dict__.setdefault("_other_books", {})
        try:
            key = path.resolve()
        except (OSError, RuntimeError):  # a symlink loop: read_source says it cannot be read
            key = path
        book = books.get(key)
        if book is None:
            try:
                book = books[key] = read_source(path, self.report)
            except Unreadable as reason:
                self.report.error(
                    reason.code,
                    f"{file} (the mapping's file for {sheet_name}): {reason.problem}",
                    sheet=file,
                    hint=reason.hint,
                )
                return None
        if book.kind == "csv" and len(book.sheets) == 1:
            return next(iter(book.sheets.values()))
        wanted = {fold(sheet_mapping.source), fold(Path(sheet_mapping.source).stem)}
        for name, raw in book.sheets.items():
            if wanted & {fold(name), fold(raw.name)}:
                if book.kind == "csv":
                    return raw
                return dataclasses.replace(raw, name=f"{path.name}: {raw.name}")
        self.report.error(
            "mapped-sheet-missing",
            f"the mapping's source {sheet_mapping.source!r} for {sheet_name} is not in {file}",
            sheet=file,
            hint="sheets found: " + ", ".join(raw.name for raw in book.sheets.values()),
        )
        return None

    def _table(self, spec: Sheet, raw: RawSheet) -> Table | None:
        sheet_mapping = self.mapping.sheets.get(spec.name) if self.mapping else None
        table = read_table(raw, spec, self.report, sheet_mapping)
        if table is None:
            return None
        if sheet_mapping:
            for header, skipped in sheet_mapping.skip.items():
                self._skip(table, spec.name, header, skipped)
            for column, ref in sheet_mapping.columns.items():
                if ref.has_constant:
                    self._constant(table, spec.column(column), ref.constant)
            for column, rewrites in sheet_mapping.values.items():
                if column in table.columns:
                    levels = (
                        {fold(s): v for s, v in self.scale.status_defaults.items()}
                        if spec.column(column).kind == "level"
                        else {}
                    )
                    written = table.columns[column]
                    table.columns[column], used = _rewrite(written, rewrites, levels)
                    self._report_status_levels(table, column, used)
                    # what the client's cells held, for messages about a rewritten value
                    self._written[(table.sheet, column)] = written
        for column in spec.required_columns:
            if column not in table.columns:
                self.report.error(
                    "missing-column",
                    f"required column {column} is missing",
                    sheet=table.sheet,
                    excel_row=table.header_row,
                    column=column,
                    hint=f"add a {column} column to the header row"
                    + (" or map it in the mapping file" if self.mapping else ""),
                )
        return table

    def _skip(self, table: Table, sheet_name: str, header: str, skipped: tuple[str, ...]) -> None:
        """Drop the rows whose client column ``header`` holds one of ``skipped`` (compared as
        :func:`skip_key` does; ``""`` is a blank cell), with one warning for the rule saying how
        many rows, which, and holding what. A header the sheet does not have is an error."""
        key = header_key(header)
        values = next(
            (table.columns[c] for c, shown in table.headers.items() if header_key(shown) == key),
            None,
        )
        if values is None:
            values = next((v for h, v in table.extras.items() if header_key(h) == key), None)
        if values is None:
            self.report.error(
                "skip-column-missing",
                f"the mapping skips {sheet_name} rows by {header!r}, but the header row has no "
                "such column",
                sheet=table.sheet,
                excel_row=table.header_row,
                column=header,
                hint="headers found: "
                + ", ".join(dict.fromkeys([*table.headers.values(), *table.extras])),
            )
            return
        wanted = set(skipped)
        keys = [skip_key(v) for v in values]
        drop = [i for i, k in enumerate(keys) if k in wanted]
        if not drop:
            return
        counts: dict[str, list] = {}  # skip key -> [the value as first written, rows]
        for i in drop:
            entry = counts.setdefault(keys[i], [text(values[i]) if keys[i] else "", 0])
            entry[1] += 1
        held = " or ".join(
            (f"{shown!r}" if shown else "blank") + f" ({rows})" for shown, rows in counts.values()
        )
        numbers = [table.numbers[i] for i in drop]
        self.report.warning(
            "rows-skipped",
            f"{len(drop)} row{'s' * (len(drop) != 1)} not read as {sheet_name} (the mapping's "
            "skip rule): "
            f"{header} is {held}; rows {row_ranges(numbers, limit=40)}",
            sheet=table.sheet,
            excel_row=numbers[0],
            column=header,
            value=", ".join(shown or "(blank)" for shown, _ in counts.values()),
            hint="nothing to do if these rows are not data, as the mapping says; to load them, "
            f"take the value out of the mapping's skip rule for {header}",
        )
        kept = sorted(set(range(len(table))) - set(drop))
        table.numbers = [table.numbers[i] for i in kept]
        table.columns = {k: [v[i] for i in kept] for k, v in table.columns.items()}
        table.extras = {k: [v[i] for i in kept] for k, v in table.extras.items()}

    def _constant(self, table: Table, column: Column, value: Any) -> None:
        """Give every row of ``table`` the mapping's constant for ``column``. It is read as a
        cell of that column would be; a constant that cannot be read is one error (and the
        column stays unmapped), not one per row."""
        if column.kind in _TEXTUAL:
            result = _checked_text([value]).get(0, value)
        else:
            result = self._reader(column)(value)
        where = f"{column.name} (the mapping's constant)"
        if result.__class__ is Bad:
            self.report.error(
                result.code,
                f"the mapping's constant {value!r} for {column.name} cannot be read: "
                + result.problem,
                sheet=table.sheet,
                column=where,
                value=value,
                hint=f"{result.hint}; correct the constant in the mapping",
            )
            return
        table.columns[column.name] = [value] * len(table)
        table.headers[column.name] = where

    def _report_status_levels(self, table: Table, column: str, used: dict) -> None:
        """One warning per control status a mapping's rewrite named for a level column: the
        level it stands for on this assessment's scale, and which client values, on how many
        rows, were read so."""
        for status, (first, raws, rows) in used.items():
            level = self.scale.status_defaults[status]
            written = ", ".join(repr(r) for r in raws)
            self.report.warning(
                "status-level",
                f"{written} read as {level} ({self.scale.label(level)}) for {column}: the "
                f"mapping rewrites it to {status!r}, which stands for level {level} on the "
                f"{self.scale.name} scale (as for a control that is {status})"
                + (f", on {rows} rows" if rows > 1 else ""),
                sheet=table.sheet,
                excel_row=table.numbers[first],
                column=table.header(column),
                value=raws[0],
                hint="rewrite it to a level of the scale instead if the client's result means "
                "another level",
            )

    # -- cells -------------------------------------------------------------------------------
    def _reader(self, column: Column) -> Callable[[Any], Any]:
        kind = column.kind
        if kind == "choice":
            return choice_reader(column)
        return {
            "yesno": read_yesno,
            "count": count_reader(self.locale),
            "days": days_reader(self.locale),
            "level": level_reader(self.scale),
            "tier": read_tier,
            "date": read_date,
        }[kind]

    def _cells(self, table: Table, spec: Sheet, name: str) -> list[Any]:
        """Column ``name`` of ``table`` read as its kind; problems reported; blank cells get the
        column's default (a required blank is an error); bad cells become None.

        Each distinct raw value is read once (pandas factorizes the column in C): a 20,000-row
        sheet has a few hundred distinct stages, owners or category lists, and only rows with a
        problem cost more than an array lookup."""
        column = spec.column(name)
        raw_values = table.columns.get(name)
        empty = _empty(column)
        if raw_values is None:
            return [empty] * len(table)
        if column.kind in _PLAIN:
            read = text
        elif column.kind in _LISTS:
            read = split_list
        else:
            read = self._reader(column)
        if bool in set(map(type, raw_values)):
            # TRUE/FALSE cells as Excel shows them: a bool would hash equal to 1 and 0.
            raw_values = [
                ("TRUE" if v else "FALSE") if v.__class__ is bool else v for v in raw_values
            ]
        codes, uniques = pd.factorize(pd.Series(raw_values, dtype=object), use_na_sentinel=True)
        results = np.empty(len(uniques) + 1, dtype=object)  # the last slot is for code -1 (NA)
        special = np.zeros(len(uniques) + 1, dtype=bool)
        checked = _checked_text(uniques)
        if read is text and set(map(type, uniques)) <= {str}:
            # Plain text (IDs, names, descriptions: mostly distinct values): trimmed in bulk.
            stripped = np.array([value.strip() for value in uniques] + [""], dtype=object)
            special = stripped == ""
            results[:] = np.where(special, _BLANK, stripped)
        else:
            for position, raw in enumerate(uniques):
                result = _BLANK if is_blank(raw) else read(raw)
                results[position] = result
                special[position] = result.__class__ in (_Blank, Bad, Noted, ReadAs)
        for position, bad in checked.items():
            results[position], special[position] = bad, True
        results[-1], special[-1] = _BLANK, True
        out = results[codes]
        flagged = [(int(index), out[index]) for index in np.flatnonzero(special[codes])]
        for index, result in flagged:
            if result is _BLANK or (result.__class__ is Bad and column.kind in _TEXTUAL):
                out[index] = empty  # a bad text or list cell (#REF!, too long) reads as blank
            else:
                out[index] = None if result.__class__ is Bad else result.value
        out = out.tolist()
        unsaved = {number for number, col in table.unsaved if col == name}
        errors = {number: error for (number, col), error in table.errors.items() if col == name}
        header = table.header(name)
        readings: dict[int, _Reading] = {}  # unique position → the reading of that raw value
        for index, result in flagged:
            raw, number = raw_values[index], table.numbers[index]
            where = {"sheet": table.sheet, "excel_row": number, "column": header}
            if number in errors:
                self.report.error("excel-error", **_excel_error(errors[number]), **where)
                continue
            if number in unsaved:
                self.report.error(
                    "formula-no-value",
                    "the cell holds a formula whose result was never saved",
                    hint="open the file in Excel or LibreOffice and save it, so results are stored",
                    **where,
                )
                continue
            if result is _BLANK:
                if column.required:
                    merged = table.merged_blanks.get((number, name))  # blank because of a merge
                    self.report.error(
                        "blank-required",
                        f"{name} is required but the cell is blank"
                        + (f": {merged}" if merged else ""),
                        hint=(
                            f"unmerge the cells and fill in {name} on each row"
                            if merged
                            else f"fill in {name}: {column.description}"
                        ),
                        **where,
                    )
            elif result.__class__ is Bad:
                written = self._written.get((table.sheet, name))
                if (
                    written is not None
                    and len(written) == len(raw_values)
                    and (written[index] is not raw)
                ):
                    self.report.error(
                        result.code,
                        f"{result.problem} (the mapping rewrites {text(written[index])!r} to "
                        f"{text(raw)!r})",
                        value=written[index],
                        hint=f"{result.hint}; or correct the mapping's rewrite",
                        **where,
                    )
                    continue
                self.report.error(result.code, result.problem, value=raw, hint=result.hint, **where)
            else:
                reading = readings.get(codes[index])
                if reading is None:
                    readings[codes[index]] = _Reading(raw, number, result)
                else:
                    reading.rows += 1
        self._report_readings(table.sheet, header, name, readings.values())
        return out

    def _report_readings(
        self, sheet_name: str, header: str, name: str, readings: Iterable[_Reading]
    ) -> None:
        """One warning row per distinct raw value read with a conversion (:class:`Noted`) or
        read as another value (:class:`ReadAs`), on the first row that holds it, saying how
        many rows do: the consultant confirms a reading once, not once per row. Spellings that
        differ only in case, spacing or punctuation ("In progress", "IN-PROGRESS") are one
        reading, the others named."""
        groups: dict[tuple, list[_Reading]] = {}
        for reading in sorted(readings, key=lambda r: r.first_row):
            result = reading.result
            outcome = result.shown if result.__class__ is ReadAs else result.problem
            key = (fold(text(reading.raw)), result.__class__, outcome)
            groups.setdefault(key, []).append(reading)
        for group in groups.values():
            reading = group[0]
            result, written = reading.result, text(reading.raw)
            count = sum(r.rows for r in group)
            rows = f" on {count} rows" if count > 1 else ""
            others = [s for s in dict.fromkeys(text(r.raw) for r in group[1:]) if s != written]
            if others:
                rows += f" (also written {', '.join(repr(o) for o in others)})"
            if result.__class__ is ReadAs:
                code = "value-read-as"
                problem = f"{written!r} was read as {result.shown!r} ({name}){rows}"
                hint = (
                    f"confirm with the client that {written!r} means {result.shown!r}, "
                    f"or write {result.shown!r} in the sheet"
                )
            else:
                code, problem, hint = result.code, result.problem + rows, result.hint
            self.report.warning(
                code, problem, sheet=sheet_name, excel_row=reading.first_row, column=header,
                value=reading.raw, hint=hint,
            )  # fmt: skip

    def _ids(
        self, table: Table, column: str, tokens_per_row: list[tuple[str, ...]], *, level: str | None
    ):
        """Normalise PF IDs; ``level`` restricts them (``"subcategory"``). Returns tuples of
        normalised IDs, with each bad token reported. Each distinct token is normalised once."""
        tokens = {token for row in tokens_per_row for token in row}
        found = {token: self._one_id(token, level) for token in tokens}
        bad = {token for token, result in found.items() if result.__class__ is Bad}
        lookup = found.__getitem__
        out = []
        for number, row in zip(table.numbers, tokens_per_row, strict=True):
            if bad and not bad.isdisjoint(row):
                for token in row:
                    if token in bad:
                        result = found[token]
                        self.report.error(
                            result.code, result.problem, sheet=table.sheet, excel_row=number,
                            column=table.header(column), value=token, hint=result.hint,
                        )  # fmt: skip
                row = tuple(token for token in row if token not in bad)
            ids = tuple(map(lookup, row))
            out.append(ids if len(set(ids)) == len(ids) else tuple(dict.fromkeys(ids)))
        return out

    def _id_column(
        self, table: Table, column: str, values: list[str], *, level: str | None
    ) -> list[str]:
        """A column holding one PF ID per cell, normalised ("" where blank or bad)."""
        ids = self._ids(table, column, [(v,) if v else () for v in values], level=level)
        return [found[0] if found else "" for found in ids]

    def _one_id(self, token: str, level: str | None) -> Any:
        try:
            found = self.fw.normalize_id(token)
        except UnknownIdError as error:
            note = f" ({error.note})" if error.note else ""
            return Bad(
                f"{token!r} is not a Privacy Framework {self.version} ID{note}",
                f"did you mean {', '.join(error.suggestions)}?"
                if error.suggestions
                else error.hint,
                "unknown-pf-id",
            )
        element = self.fw.get(found)
        if level and element.level != level:
            core = self.fw.core
            children = core[(core["level"] == level) & core[element.level].eq(found)]
            listed = ", ".join(children["id"][:10]) + (" …" if len(children) > 10 else "")
            return Bad(
                f"{found} is a {element.level}, not a {level}",
                f"list the {level} IDs it holds instead: {listed}",
                f"not-a-{level}",
            )
        return found

    def _duplicates(self, table: Table, column: str, values: list[str]) -> None:
        """Report every row whose ``column`` repeats an earlier row's (case and spacing
        forgiven, as references to it are)."""
        keys = pd.Series(values, dtype=object)
        folded = keys.str.casefold().str.replace(r"[\W_]+", "", regex=True)
        repeated = folded.duplicated() & (keys != "")
        if not repeated.any():
            return
        first_row = {key: table.numbers[i] for i, key in folded.drop_duplicates().items()}
        for i in np.flatnonzero(repeated):
            value = values[i]
            self.report.error(
                "duplicate-id",
                f"{column} {value!r} is used twice",
                sheet=table.sheet,
                excel_row=table.numbers[i],
                column=table.header(column),
                value=value,
                hint=f"its first use is on row {first_row[folded.iloc[i]]}; "
                f"give each row its own {column}",
            )

    def _extras(self, frame: pd.DataFrame, table: Table) -> pd.DataFrame:
        for header, values in table.extras.items():
            name = header if header not in frame.columns else f"{header} (extra)"
            frame[name] = [text(v) if not is_blank(v) else "" for v in values]
        return frame

    # -- the load ----------------------------------------------------------------------------
    def load(self) -> Inventory:
        located = self._locate()
        about = self._about(located.get("About"))
        tables = {
            spec.name: self._table(spec, located[spec.name])
            for spec in SHEETS
            if spec.layout == "table" and spec.name in located
        }
        systems = self._systems(tables.get("Systems"))
        index = _SystemIndex(systems)
        controls, control_subcategories, control_systems = self._controls(
            tables.get("Controls"), index
        )
        flows = self._flows(tables.get("DataFlows"), index)
        profile = self._profile(tables.get("Profile"))
        responses = self._responses(tables.get("Responses"), index)
        tiers = self._tiers(tables.get("Tiers"))
        return Inventory(
            systems=systems,
            controls=controls,
            control_subcategories=control_subcategories,
            control_systems=control_systems,
            flows=flows,
            profile=profile,
            responses=responses,
            tiers=tiers,
            about=about,
            issues=self.report.frame(),
            source=self.book.name,
            sha256=self._sha256(),
            framework_version=self.version,
            scale=self.scale.name,
            path=self.path,
        )

    def _sha256(self) -> str | None:
        """The source's SHA-256, or, when a mapping took sheets from other files (``file =``),
        one digest over the source's and each other file's, so that a change in any of them is
        a new inventory (the store then keeps no copy of the bytes: they are not one file)."""
        others = self.__dict__.get("_other_books") or {}
        if not others or self.book.sha256 is None:
            return self.book.sha256
        digest = hashlib.sha256((self.book.sha256 or "").encode("ascii"))
        for path in sorted(others, key=str):
            digest.update(f"\0{path.name}\0{others[path].sha256 or ''}".encode())
        return digest.hexdigest()

    def _declare_locale(self, declared: str, by: str, where: dict[str, Any]) -> None:
        """Take the locale ``by`` (the mapping, or About) declares: counts and durations that
        read differently in the two conventions are read by it. An unknown locale, or a second
        declaration with the other decimal separator, is an error naming both."""
        try:
            declared_as = convention(declared)
        except UnknownLocaleError:
            self.report.error(
                "unknown-locale",
                f"{by}: {declared!r} is not a locale nistpf knows",
                hint="use " + ACCEPTED_LOCALES,
                **where,
            )
            return
        if self.locale is not None and self.locale.decimal != declared_as.decimal:
            self.report.error(
                "conflicting-locales",
                f"{by} declares the locale {declared_as.describe()}, but {self._locale_by} "
                f"declares {self.locale.describe()}",
                hint="keep one locale: the one the client's numbers are written in",
                **where,
            )
            self.locale = None  # neither is trusted: ambiguous numbers stay refused
            return
        if self.locale is None:
            self.locale, self._locale_by = declared_as, by

    def _about(self, raw: RawSheet | None) -> pd.DataFrame:
        if raw is None:
            return pd.DataFrame(columns=model.ABOUT_COLUMNS, dtype=object)
        rows = []
        for number, label, value in read_fields(raw, ABOUT):
            field = about_field(label)
            name = field.name if field else label
            if is_blank(value):
                continue
            shown_value = text(value)
            if name == "framework_version":
                try:
                    self.fw = framework(shown_value)
                    self.version = self.fw.version
                except UnknownVersionError:
                    self.report.error(
                        "unknown-framework-version",
                        f"Privacy Framework version {shown_value!r} is not available",
                        sheet=raw.name, excel_row=number, column="value", value=value,
                        hint="use one of: " + ", ".join(versions()),
                    )  # fmt: skip
            elif name == "scale":
                try:
                    self.scale = scale(shown_value)
                except UnknownScaleError:
                    self.report.error(
                        "unknown-scale",
                        f"{shown_value!r} is not an assessment scale",
                        sheet=raw.name, excel_row=number, column="value", value=value,
                        hint="use one of: " + ", ".join(BUILT_IN),
                    )  # fmt: skip
            elif name == "locale":
                where = {"sheet": raw.name, "excel_row": number, "column": "value", "value": value}
                self._declare_locale(shown_value, f"About (row {number})", where)
            elif name == "date":
                parsed = read_date(value)
                if isinstance(parsed, Bad):
                    self.report.error(
                        parsed.code, parsed.problem, sheet=raw.name, excel_row=number,
                        column="value", value=value, hint=parsed.hint,
                    )  # fmt: skip
                else:
                    shown_value = parsed.isoformat()
            rows.append({"field": name, "value": shown_value})
        return pd.DataFrame(rows, columns=model.ABOUT_COLUMNS, dtype=object)

    def _systems(self, table: Table | None) -> pd.DataFrame:
        spec = sheet("Systems")
        if table is None:
            return _frame({}, model.SYSTEM_COLUMNS)
        data = {name: self._cells(table, spec, name) for name in spec.column_names}
        self._duplicates(table, "system_id", data["system_id"])
        data["excel_row"] = table.numbers
        frame = _frame(data, model.SYSTEM_COLUMNS)
        return self._extras(frame, table)

    def _controls(self, table: Table | None, index: _SystemIndex):
        spec = sheet("Controls")
        if table is None:
            empty = _frame({}, model.CONTROL_COLUMNS)
            return (
                empty,
                _frame({}, model.CONTROL_SUBCATEGORY_COLUMNS),
                _frame({}, model.CONTROL_SYSTEM_COLUMNS),
            )
        data = {name: self._cells(table, spec, name) for name in spec.column_names}
        self._duplicates(table, "control_id", data["control_id"])
        data["subcategories"] = self._ids(
            table, "subcategories", data["subcategories"], level="subcategory"
        )
        for number, status, maturity in zip(
            table.numbers, data["status"], data["maturity"], strict=True
        ):
            if maturity is not None and status in ("Planned", "Not implemented", "Not applicable"):
                self.report.warning(
                    "maturity-ignored",
                    f"maturity is ignored for a control that is {status}",
                    sheet=table.sheet, excel_row=number, column=table.header("maturity"),
                    value=maturity, hint="clear the maturity, or correct the status",
                )  # fmt: skip
        selectors, applies_all, links = self._applies_to(
            table, data["applies_to"], data["control_id"], index
        )
        data["applies_to"] = selectors
        data["applies_to_all"] = applies_all
        data["excel_row"] = table.numbers
        controls = _frame(data, model.CONTROL_COLUMNS)
        pairs = [
            (control, subcategory)
            for control, subcategories in zip(
                data["control_id"], data["subcategories"], strict=True
            )
            for subcategory in subcategories
        ]
        control_subcategories = pd.DataFrame(
            pairs, columns=model.CONTROL_SUBCATEGORY_COLUMNS, dtype=object
        )
        control_systems = links
        return self._extras(controls, table), control_subcategories, control_systems

    def _applies_to(self, table: Table, tokens_per_row, control_ids, index: _SystemIndex):
        """Resolve each control's ``applies_to`` tokens. Returns the selectors per control, the
        applies-to-all flags, and the control × system links as a DataFrame: links to named
        systems first, then those made by ``type:`` selectors (joined to the systems of that
        type in pandas, not row by row), each in control order."""
        read = selector_reader()

        def classify(token: str) -> Any:
            result = read(token)
            if result.__class__ in (Bad, ReadAs) or result == ALL_SYSTEMS:
                return result
            if result.startswith(TYPE_SELECTOR):
                return result
            return index.resolve(result) or Bad(
                f"the control applies to {result!r}, which is not in Systems",
                index.hint(result),
                "unknown-system",
            )

        classified = {
            token: classify(token) for token in {t for row in tokens_per_row for t in row}
        }
        read_as = {t: r for t, r in classified.items() if r.__class__ is ReadAs}
        if read_as:
            readings: dict[str, _Reading] = {}
            for number, tokens in zip(table.numbers, tokens_per_row, strict=True):
                for token in tokens:
                    if token not in read_as:
                        continue
                    if token in readings:
                        readings[token].rows += 1
                    else:
                        readings[token] = _Reading(token, number, read_as[token])
            self._report_readings(
                table.sheet, table.header("applies_to"), "applies_to", readings.values()
            )
            classified.update({t: r.value for t, r in read_as.items()})
        special = {
            t for t, r in classified.items() if r.__class__ is Bad or r.startswith(TYPE_SELECTOR)
        }
        selectors_out, all_out, direct, typed = [], [], [], []
        header = table.header("applies_to")
        for number, control, tokens in zip(table.numbers, control_ids, tokens_per_row, strict=True):
            if not special or special.isdisjoint(tokens):  # system IDs and ALL only: the usual row
                chosen = [classified[token] for token in tokens]
                direct.extend((control, s, s) for s in chosen if s != ALL_SYSTEMS)
                selectors_out.append(tuple(chosen) if chosen else (ALL_SYSTEMS,))
                all_out.append(not tokens or ALL_SYSTEMS in chosen)
                continue
            chosen = []
            for token in tokens:
                result = classified[token]
                if result.__class__ is Bad:
                    self.report.error(
                        result.code, result.problem, sheet=table.sheet, excel_row=number,
                        column=header, value=token, hint=result.hint,
                    )  # fmt: skip
                    continue
                chosen.append(result)
                if result.startswith(TYPE_SELECTOR):
                    typed.append((control, result, number, token))
                elif result != ALL_SYSTEMS:
                    direct.append((control, result, result))
            selectors_out.append(tuple(chosen) if chosen else (ALL_SYSTEMS,))
            all_out.append(not tokens or ALL_SYSTEMS in chosen)
        members = pd.DataFrame(
            [
                (TYPE_SELECTOR + kind, system)
                for kind, systems in index.types.items()
                for system in systems
            ],
            columns=["selector", "system_id"],
            dtype=object,
        )
        wanted = pd.DataFrame(typed, columns=["control_id", "selector", "excel_row", "token"])
        for row in wanted[~wanted["selector"].isin(members["selector"])].itertuples():
            self.report.warning(
                "selector-matches-nothing",
                f"{row.selector} matches no system in Systems",
                sheet=table.sheet, excel_row=row.excel_row, column=header, value=row.token,
                hint="check the type, or the Systems sheet's type column",
            )  # fmt: skip
        links = pd.concat(
            [
                pd.DataFrame(direct, columns=model.CONTROL_SYSTEM_COLUMNS, dtype=object),
                wanted.merge(members, on="selector")[model.CONTROL_SYSTEM_COLUMNS].astype(object),
            ],
            ignore_index=True,
        )
        return selectors_out, all_out, links

    def _flows(self, table: Table | None, index: _SystemIndex) -> pd.DataFrame:
        spec = sheet("DataFlows")
        if table is None:
            return _frame({}, model.FLOW_COLUMNS)
        data = {name: self._cells(table, spec, name) for name in spec.column_names}
        self._duplicates(table, "flow_id", data["flow_id"])
        for end in ("source", "destination"):
            resolved = []
            for number, value in zip(table.numbers, data[end], strict=True):
                system = index.resolve(value) if value else value
                if system is not None:
                    resolved.append(system)
                    continue
                if value.casefold().startswith(EXTERNAL_PREFIX):
                    resolved.append(EXTERNAL_PREFIX + value[len(EXTERNAL_PREFIX) :].strip())
                else:
                    self.report.warning(
                        "unknown-flow-system",
                        f"the flow's {end} {value!r} is not in Systems: customer data goes "
                        "somewhere nobody inventoried",
                        sheet=table.sheet, excel_row=number, column=table.header(end), value=value,
                        hint=f"add {value!r} to Systems, or write external:<party> for an "
                        f"outside party; {index.hint(value)}",
                    )  # fmt: skip
                    resolved.append(value)
            data[end] = resolved
        data["excel_row"] = table.numbers
        frame = _frame(data, model.FLOW_COLUMNS)
        return self._extras(frame, table)

    def _profile(self, table: Table | None) -> pd.DataFrame:
        spec = sheet("Profile")
        if table is None:
            return _frame({}, model.PROFILE_COLUMNS)
        data = {name: self._cells(table, spec, name) for name in spec.column_names}
        data["pf_id"] = self._id_column(table, "pf_id", data["pf_id"], level=None)
        self._duplicates(table, "pf_id", data["pf_id"])
        data["level"] = [self.fw.get(i).level if i else "" for i in data["pf_id"]]
        data["excel_row"] = table.numbers
        frame = _frame(data, model.PROFILE_COLUMNS)
        return self._extras(frame, table)

    def _responses(self, table: Table | None, index: _SystemIndex) -> pd.DataFrame:
        spec = sheet("Responses")
        if table is None:
            return _frame({}, model.RESPONSE_COLUMNS)
        data = {name: self._cells(table, spec, name) for name in spec.column_names}
        data["subcategory"] = self._id_column(
            table, "subcategory", data["subcategory"], level="subcategory"
        )
        systems = []
        for number, value in zip(table.numbers, data["system"], strict=True):
            system = index.resolve(value) if value else ""
            if system is None:
                self.report.error(
                    "unknown-system",
                    f"the rating is for system {value!r}, which is not in Systems",
                    sheet=table.sheet, excel_row=number, column=table.header("system"), value=value,
                    hint=index.hint(value) + "; leave it blank to rate the organisation",
                )  # fmt: skip
                system = value
            systems.append(system)
        data["system"] = systems
        data["excel_row"] = table.numbers
        frame = _frame(data, model.RESPONSE_COLUMNS)
        return self._extras(frame, table)

    def _tiers(self, table: Table | None) -> pd.DataFrame:
        spec = sheet("Tiers")
        if table is None:
            return _frame({}, model.TIER_COLUMNS)
        # A row with an attribute but no tier is not rated (the template lists all four).
        tiers = table.columns.get("tier", [])
        rated = [i for i, v in enumerate(tiers) if not is_blank(v)]
        for i in set(range(len(tiers))) - set(rated):
            self.report.warning(
                "tier-not-rated",
                "the row has no tier, so the attribute is not rated",
                sheet=table.sheet, excel_row=table.numbers[i], column=table.header("tier"),
                hint="enter a tier from 1 to 4, or clear the row",
            )  # fmt: skip
        table.numbers = [table.numbers[i] for i in rated]
        table.columns = {k: [v[i] for i in rated] for k, v in table.columns.items()}
        table.extras = {k: [v[i] for i in rated] for k, v in table.extras.items()}
        data = {name: self._cells(table, spec, name) for name in spec.column_names}
        self._duplicates(table, "attribute", [a or "" for a in data["attribute"]])
        data["excel_row"] = table.numbers
        frame = _frame(data, model.TIER_COLUMNS)
        return self._extras(frame, table)


# Excel's error values, and what each usually means.
_EXCEL_ERRORS = {
    "#REF!": "a formula refers to a cell or sheet that was deleted",
    "#DIV/0!": "a formula divides by zero or by a blank cell",
    "#N/A": "a lookup found nothing",
    "#NAME?": "a formula uses a name or function Excel does not know",
    "#VALUE!": "a formula got the wrong kind of value",
    "#NUM!": "a formula's number is invalid",
    "#NULL!": "a formula's ranges do not intersect",
    "#SPILL!": "a formula's results are blocked by other cells",
    "#CALC!": "a formula could not be calculated",
    "#GETTING_DATA": "the value was still being fetched when the file was saved",
    # LibreOffice's own codes (its Help, "Error codes in LibreOffice Calc")
    "ERR:501": "a formula holds a character that is not allowed",
    "ERR:502": "a function got an invalid argument",
    "ERR:503": "a formula's calculation is not a valid number",
    "ERR:504": "a function's parameters are of the wrong kind",
    "ERR:508": "a formula's brackets do not match",
    "ERR:509": "a formula is missing an operator",
    "ERR:510": "a formula is missing a variable",
    "ERR:511": "a function is missing an argument",
    "ERR:522": "a formula refers to itself (a circular reference)",
    "ERR:523": "an iterative calculation does not converge",
}


def _excel_error(error: str) -> dict[str, str]:
    meaning = _EXCEL_ERRORS.get(error.upper(), "a formula failed")
    return {
        "problem": f"the cell holds an Excel error {error}",
        "value": error,
        "hint": f"{error} means {meaning}; fix the formula (or type the value) and save again",
    }


def _checked_text(uniques: Any) -> dict[int, Bad]:
    """Positions of ``uniques`` that are Excel error text (``#REF!`` typed or exported to CSV)
    or text longer than an Excel cell can hold, with the problem each is."""
    found = {}
    longest = limits.MAX_CELL_CHARS
    suspects = [
        (position, value)
        for position, value in enumerate(uniques)
        if value.__class__ is str and (value[:1] in "#E" or len(value) > longest)
    ]
    for position, value in suspects:
        if len(value) > longest:
            found[position] = Bad(
                f"the cell holds {len(value):,} characters; an Excel cell holds at most "
                f"{limits.MAX_CELL_CHARS:,}",
                "shorten the text, or move it to a document and link to it",
                "cell-too-long",
            )
        elif value.strip().upper() in _EXCEL_ERRORS:  # "#REF!", LibreOffice's "Err:502"
            error = _excel_error(value.strip())
            found[position] = Bad(error["problem"], error["hint"], "excel-error")
    return found


class _Blank:
    """The result of reading a blank cell."""


@dataclass
class _Reading:
    """A raw value read with a conversion or as another value: where it first occurs, and on
    how many rows."""

    raw: Any
    first_row: int
    result: Noted | ReadAs
    rows: int = 1


_BLANK = _Blank()


class _SystemIndex:
    """Finds a system by ID (forgiving case and spaces) or, when unique, by its exact name."""

    def __init__(self, systems: pd.DataFrame):
        ids = [i for i in systems["system_id"] if i]
        self.ids = ids
        self.by_id = {fold(i): i for i in ids}
        self.exact: dict[str, str | None] = {i: i for i in ids}  # and every reference resolved
        names: dict[str, list[str]] = {}
        for system, name in zip(systems["system_id"], systems["name"], strict=True):
            if system and name:
                names.setdefault(fold(name), []).append(system)
        self.by_name = {k: v[0] for k, v in names.items() if len(v) == 1}
        self.types: dict[str, list[str]] = {}
        for system, kind in zip(systems["system_id"], systems["type"], strict=True):
            if system and kind:
                self.types.setdefault(kind, []).append(system)

    def resolve(self, reference: str) -> str | None:
        found = self.exact.get(reference)
        if found is None:
            key = fold(reference)
            found = self.exact[reference] = self.by_id.get(key) or self.by_name.get(key)
        return found

    def hint(self, reference: str) -> str:
        close = difflib.get_close_matches(reference, self.ids, n=3, cutoff=0.5)
        if close:
            return "did you mean " + ", ".join(close) + "?"
        return "use a system_id from the Systems sheet"


def _empty(column: Column) -> Any:
    if column.default is not None:
        return column.default
    if column.kind in _LISTS:
        return ()
    if column.kind in _PLAIN or column.kind == "choice":
        return ""
    return None


def _rewrite(
    values: list[Any], rewrites: dict[str, str], levels: dict[str, int] | None = None
) -> tuple[list[Any], dict[str, tuple[int, list[str], int]]]:
    """``values`` with a mapping's rewrites applied (exact text first, then folded). ``levels``
    (folded control status → level, for a level column) turns a rewrite to a status into that
    level. Returns the values, and per status used: (first index, client values, rows)."""
    exact = dict(rewrites)
    folded = {fold(k): v for k, v in rewrites.items()}
    statuses = {fold(s): s for s in STATUSES}
    out = []
    used: dict[str, tuple[int, list[str], int]] = {}
    for index, value in enumerate(values):
        written = text(value) if not is_blank(value) else ""
        new = exact.get(written, folded.get(fold(written), value)) if written else value
        if levels and new is not value and fold(new) in levels:
            status = statuses[fold(new)]
            first, raws, rows = used.get(status, (index, [], 0))
            used[status] = (first, raws if written in raws else [*raws, written], rows + 1)
            new = levels[fold(new)]
        out.append(new)
    return out, used


# Nullable types for the columns that are not text, tuples or dates.
_DTYPES = {
    "records": "Int64",
    "retention_days": "Int64",
    "tier": "Int64",
    "excel_row": "Int64",
    "maturity": "Float64",
    "target": "Float64",
    "current": "Float64",
    "in_scope": "boolean",
    "in_profile": "boolean",
    "encrypted_in_transit": "boolean",
    "third_party": "boolean",
    "applies_to_all": "bool",
}


def _frame(data: dict[str, list[Any]], columns: list[str]) -> pd.DataFrame:
    """A tidy table with ``columns``; text, tuples and dates as objects, numbers and flags in
    nullable types (a cell that could not be read is missing, not zero)."""
    length = max((len(v) for v in data.values()), default=0)
    return pd.DataFrame(
        {
            c: pd.Series(data.get(c, [None] * length), dtype=object).astype(_DTYPES.get(c, object))
            for c in columns
        },
        columns=columns,
    )
