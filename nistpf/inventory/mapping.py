"""Column mappings: loading a client's own layout (a RoPA, an asset register, a data map) as it is.

A mapping file says, per nistpf sheet, where the data is and what the client calls each column::

    [sheets.Systems]
    source = "VVT Art. 30 DSGVO"     # sheet name in the workbook, or CSV file name in the folder
    header_row = 5                   # optional; found automatically when omitted
    [sheets.Systems.columns]         # nistpf column = client's header
    system_id = "Nr."
    name = "Bezeichnung der Verarbeitung"
    [sheets.Systems.values.encrypted_in_transit]   # optional value rewrites, per column
    "Y (AES-256)" = "yes"

Only ``Systems`` is mandatory in a mapped load; sheets the mapping does not name are empty.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping as MappingABC
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from nistpf.errors import NistpfError
from nistpf.inventory.schema import SHEETS, SHEETS_BY_NAME, fold
from nistpf.inventory.values import closest_first


class MappingError(NistpfError, ValueError):
    """The mapping file itself is wrong (bad TOML, an unknown sheet or column)."""

    code = "mapping-invalid"


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


def load_mapping(mapping: Any) -> ColumnMapping:
    """A mapping from a TOML file path, a dict shaped like the file, or a ColumnMapping."""
    if isinstance(mapping, ColumnMapping):
        return mapping
    if isinstance(mapping, MappingABC):
        return _parse(mapping, "mapping")
    path = Path(mapping)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8-sig"))
    except FileNotFoundError as error:
        raise MappingError(f"mapping file not found: {path}") from error
    except (OSError, UnicodeDecodeError) as error:
        raise MappingError(f"mapping file {path} cannot be read: {error}") from error
    except tomllib.TOMLDecodeError as error:
        raise MappingError(f"mapping file {path.name} is not valid TOML: {error}") from error
    return _parse(data, path.name)


def _parse(data: MappingABC, name: str) -> ColumnMapping:
    sheets_data = data.get("sheets")
    if not isinstance(sheets_data, MappingABC) or not sheets_data:
        raise MappingError(f"{name}: no [sheets.<Sheet>] tables; start with [sheets.Systems]")
    sheets = {}
    names = {fold(s.name): s.name for s in SHEETS}
    for key, spec in sheets_data.items():
        sheet_name = names.get(fold(key))
        if sheet_name is None:
            raise MappingError(
                f"{name}: [sheets.{key}] is not an inventory sheet; use one of "
                + ", ".join(closest_first(key, [s.name for s in SHEETS]))
            )
        if not isinstance(spec, MappingABC):
            raise MappingError(f"{name}: [sheets.{key}] must be a table")
        sheets[sheet_name] = _sheet(name, sheet_name, spec)
    if "Systems" not in sheets:
        raise MappingError(f"{name}: a mapping must name the Systems sheet ([sheets.Systems])")
    return ColumnMapping(sheets, name)


def _sheet(name: str, sheet_name: str, spec: MappingABC) -> SheetMapping:
    schema = SHEETS_BY_NAME[sheet_name]
    where = f"{name}: [sheets.{sheet_name}]"
    source = spec.get("source")
    if not isinstance(source, str) or not source.strip():
        raise MappingError(f'{where} needs source = "<sheet or CSV file name>"')
    header_row = spec.get("header_row")
    if header_row is not None and (not isinstance(header_row, int) or header_row < 1):
        raise MappingError(f"{where}: header_row must be a row number (1 or more)")
    known = {fold(c): c for c in schema.column_names}
    unknown = set(spec) - {"source", "header_row", "columns", "values"}
    if unknown:
        raise MappingError(
            f"{where}: unknown key {sorted(unknown)[0]!r}; use source, header_row, columns, values"
        )

    def column_name(key: str, table: str) -> str:
        found = known.get(fold(key))
        if found is None:
            raise MappingError(
                f"{where}.{table}: {key!r} is not a {sheet_name} column; use one of "
                + ", ".join(closest_first(key, schema.column_names))
            )
        return found

    columns = {}
    for key, header in dict(spec.get("columns", {})).items():
        if not isinstance(header, str):
            raise MappingError(f"{where}.columns: {key} must name the client's header as text")
        columns[column_name(key, "columns")] = ColumnRef(header=header)
    values = {}
    for key, rewrites in dict(spec.get("values", {})).items():
        if not isinstance(rewrites, MappingABC):
            raise MappingError(f'{where}.values.{key} must be a table of "client value" = "value"')
        values[column_name(key, "values")] = {str(k): str(v) for k, v in rewrites.items()}
    return SheetMapping(sheet_name, source.strip(), header_row, columns, values)
