"""The bundled CX sample: a fictional omnichannel retailer's inventory (see ``data/README.md``).

Its source is one CSV file per sheet in ``data/cx-sample/``, which reads well in a diff; the
workbook a consultant opens, ``data/cx-sample.xlsx``, is built from them with the template
writer, so sample and template always share one schema::

    python -m nistpf.sample      # rebuild data/cx-sample.xlsx after editing the CSV files
"""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path

import pandas as pd

from nistpf.inventory.schema import SHEETS
from nistpf.inventory.template import write_template

SAMPLE = "cx-sample"
_PACKAGED = Path(__file__).resolve().parent / "_data"  # where a wheel carries data/
_REPOSITORY = Path(__file__).resolve().parents[1] / "data"


def data_dir() -> Path:
    """The folder holding the bundled sample: inside an installed wheel, or the repository's
    ``data/`` in a checkout."""
    return _PACKAGED if (_PACKAGED / f"{SAMPLE}.xlsx").exists() else _REPOSITORY


def sample_path(kind: str = "xlsx") -> Path:
    """The bundled sample: ``"xlsx"`` (the workbook) or ``"csv"`` (the folder of CSV files)."""
    if kind not in ("xlsx", "csv"):
        raise ValueError(f"kind must be 'xlsx' or 'csv', not {kind!r}")
    folder = data_dir()
    return folder / f"{SAMPLE}.xlsx" if kind == "xlsx" else folder / SAMPLE


_NUMBERS = {"count", "days", "level", "tier"}


def _number(text: str) -> object:
    """``"3"`` → 3, ``"2.5"`` → 2.5, ``""`` → None; anything else stays text for the loader."""
    if not text:
        return None
    try:
        number = float(text)
    except ValueError:
        return text
    return int(number) if number.is_integer() else number


def read_sample_frames(folder: Path | None = None) -> dict[str, pd.DataFrame]:
    """The sample's CSV files as DataFrames keyed by sheet name: numbers as numbers and dates
    as dates (so the workbook shows them as Excel would), everything else as written."""
    folder = Path(folder) if folder else sample_path("csv")
    frames = {}
    for sheet in SHEETS:
        path = folder / f"{sheet.name}.csv"
        if not path.exists():
            continue
        frame = pd.read_csv(path, dtype=str, keep_default_na=False).astype(object)
        for column in sheet.columns:
            if column.name not in frame.columns:
                continue
            values = frame[column.name]
            if column.kind in _NUMBERS:
                frame[column.name] = [_number(v) for v in values]
            elif column.kind == "date":
                frame[column.name] = [dt.date.fromisoformat(v) if v else None for v in values]
        frames[sheet.name] = frame
    return frames


def build_sample_workbook(folder: Path | None = None, path: Path | None = None) -> Path:
    """Write the sample workbook from its CSV files (replacing the previous one)."""
    target = Path(path) if path else sample_path("xlsx")
    frames = read_sample_frames(folder)
    return write_template(target, force=True, data=frames)


if __name__ == "__main__":
    print(build_sample_workbook())
    sys.exit(0)
