"""The framework's reference tables as CSV files for an engagement folder, written through
:func:`nistpf.io.csv_safe.csv_text` as every CSV nistpf writes."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from nistpf.framework import Framework
from nistpf.io.csv_safe import write_csv


def write_framework_tables(fw: Framework, folder: Path) -> list[Path]:
    """Write the Core, the Tiers and every crosswalk of ``fw`` as CSV into ``folder``:
    ``pf-<version>-core.csv``, ``pf-<version>-tiers.csv``, ``pf-<version>-crosswalks.csv``
    (all crosswalks in one long table), through :func:`~nistpf.io.csv_safe.csv_text` (NIST's
    text starts no cell with a formula character, so it is written as it is), in UTF-8 with a
    byte-order mark (:func:`~nistpf.io.csv_safe.write_csv`). Returns the paths written."""
    folder = Path(folder)
    crosswalks = pd.concat([fw.crosswalk(name) for name in fw.crosswalks()], ignore_index=True)
    tables = {"core": fw.core, "tiers": fw.tiers, "crosswalks": crosswalks}
    written = []
    for name, table in tables.items():
        path = folder / f"pf-{fw.version}-{name}.csv"
        written.append(write_csv(path, table))
    return written
