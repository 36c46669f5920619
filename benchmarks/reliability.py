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


def figures() -> dict[str, object]:
    hostile = _module("tests.hostile")
    hostile_test = _module("tests.test_hostile")
    prop = _module("tests.test_property")
    loss = _module("tests.test_no_data_loss")
    injection = _module("tests.test_injection")
    limits = _module("nistpf.inventory.limits")
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
