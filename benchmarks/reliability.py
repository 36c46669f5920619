"""The figures of the README's "Reliability" section, read from the tests that establish them.

    uv run python benchmarks/reliability.py

It runs nothing heavy: it imports the constants the tests use (cases in the hostile corpus,
random inputs per property test, kills per writer, concurrent changes, the time and memory
bounds, the loader's size limits) and prints them, so the README's figures come from code.
A module another engineer has not written yet is reported as missing, not guessed.
"""

from __future__ import annotations

import importlib
import sys
from pathlib import Path
from types import ModuleType

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def _module(name: str) -> ModuleType | None:
    try:
        return importlib.import_module(name)
    except ImportError:
        return None


def _value(module: ModuleType | None, name: str) -> object:
    return getattr(module, name, None) if module is not None else None


def _count(module: ModuleType | None, name: str) -> int | None:
    value = _value(module, name)
    return len(value) if value is not None else None


def figures() -> dict[str, object]:
    hostile = _module("tests.hostile")
    hostile_test = _module("tests.test_hostile")
    prop = _module("tests.test_property")
    loss = _module("tests.test_no_data_loss")
    injection = _module("tests.test_injection")
    limits = _module("nistpf.inventory.limits")
    paths = _module("tests.hostile_paths")
    registers = _module("tests.hostile_registers")
    offline = _module("tests.test_browser_offline")
    csv_safe = _module("nistpf.io.csv_safe")
    mapping = _module("nistpf.inventory.mapping")
    store_schema = _module("nistpf.store_schema")
    images = _module("nistpf.export.images")
    cases = _value(hostile, "CASES")
    examples = [_value(prop, "DATAFRAME_EXAMPLES"), _value(prop, "WORKBOOK_EXAMPLES")]
    return {
        "hostile corpus cases": len(cases) if cases is not None else None,
        "seconds per hostile case, at most": _value(hostile_test, "SECONDS"),
        "peak MiB per bomb case, at most": _value(hostile_test, "PEAK_MIB"),
        "random inputs per run (property tests)": (
            sum(examples) if all(e is not None for e in examples) else None
        ),
        "kills survived (SIGKILL mid-write)": _value(loss, "KILLS_TOTAL"),
        "  per writer (register, report, deck, store)": _value(loss, "KILLS"),
        "concurrent writers": _value(loss, "CONCURRENT_WRITERS"),
        "concurrent changes without loss": (
            _value(loss, "CONCURRENT_WRITERS") * _value(loss, "CONCURRENT_CHANGES")
            if loss is not None
            else None
        ),
        "injection payloads (every text field, every output)": len(
            _value(injection, "PAYLOADS") or ()
        )
        or None,
        "hostile file names sanitised": len(_value(injection, "NASTY_NAMES") or ()) or None,
        "  inventory cases refused with one line": (
            sum(1 for c in cases.values() if c.unreadable) if cases is not None else None
        ),
        "  inventory cases loaded with a warning or error row": (
            sum(1 for c in cases.values() if not c.unreadable) if cases is not None else None
        ),
        "hostile gap registers (--carry-over)": _count(registers, "REGISTER_CASES"),
        "readers held to bounds (inventory kinds, register; with mapping and store)": (
            _count(limits, "BOUNDED_READERS") + (mapping is not None) + (store_schema is not None)
            if _count(limits, "BOUNDED_READERS") is not None
            else None
        ),
        "  mapping file bounds": _count(mapping, "MAPPING_BOUNDS"),
        "  store bounds": _count(store_schema, "STORE_BOUNDS"),
        "hostile path cases": _count(paths, "CASES"),
        "kinds of read path protected from outputs": _count(paths, "PATHS_PROTECTED"),
        "OS failure cases, one line": _count(paths, "OS_FAILURES"),
        "store refusals through the CLI": _count(paths, "STORE_REFUSALS"),
        "names shown escaped": _count(paths, "NAMES_SHOWN_SAFELY"),
        "outputs that are no regular file, refused": _count(paths, "NOT_REGULAR_FILES"),
        "writes through a symbolic link": _count(paths, "THROUGH_SYMLINKS"),
        "CSV writers neutralised": _count(csv_safe, "CSV_WRITERS"),
        "browser switches (network services off)": _count(images, "BROWSER_SWITCHES"),
        "name lookups the browser test allows": _value(offline, "LOOKUPS_ALLOWED"),
        "max text characters the cells expand to": _value(limits, "MAX_TEXT_CHARS"),
        "max part parsed whole (bytes)": _value(limits, "MAX_WHOLE_PART_BYTES"),
        "max input file size (bytes)": _value(limits, "MAX_FILE_BYTES"),
        "max uncompressed sheet part (bytes)": _value(limits, "MAX_PART_BYTES"),
        "max uncompressed workbook (bytes)": _value(limits, "MAX_TOTAL_BYTES"),
        "max compression ratio": _value(limits, "MAX_RATIO"),
        "max rows per sheet": _value(limits, "MAX_ROWS"),
        "max columns per sheet": _value(limits, "MAX_COLUMNS"),
        "max cells per workbook": _value(limits, "MAX_CELLS"),
        "max characters per cell": _value(limits, "MAX_CELL_CHARS"),
    }


def main() -> int:
    for label, value in figures().items():
        shown = "missing" if value is None else f"{value:,}" if isinstance(value, int) else value
        print(f"{label:<55} {shown}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
