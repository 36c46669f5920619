"""Write one framework version's data folder: ``core.csv``, ``tiers.csv``, ``crosswalks/*.csv``
and ``manifest.json`` (provenance: the publication, each source workbook's SHA-256, row counts)."""

from __future__ import annotations

import csv
import hashlib
import io
import json
from pathlib import Path

import pandas as pd

from nistpf.convert.core import CORE_WORKBOOK, TIERS_TABLE, convert_core, convert_tiers
from nistpf.convert.crosswalks import CROSSWALK_TITLES, convert_crosswalks
from nistpf.io.atomic import write_text

DEFAULT_OUT = Path(__file__).resolve().parents[1] / "data"
SOURCE_WORKBOOKS = (
    "crosswalk-pf-1.0-csf-1.1.xlsx",
    "crosswalk-csf-pf-to-sp800-53r5.xlsx",
    "crosswalk-pf-1.0-gdpr.xlsx",
    "crosswalk-pf-1.0-ccpa-cpra.xlsx",
    "crosswalk-pf-1.0-iso27701.xlsx",
    "csf-2.0-reference-tool-export.xlsx",
)

# The publication the 1.0 workbooks belong to. A later version gets its own entry when NIST
# publishes a final Core for it.
PUBLICATION = {
    "version": "1.0",
    "status": "final",
    "title": (
        "NIST Privacy Framework: A Tool for Improving Privacy through Enterprise Risk "
        "Management, Version 1.0"
    ),
    "publication": "NIST CSWP 01162020",
    "published": "2020-01-16",
    "doi": "10.6028/NIST.CSWP.01162020",
}


def to_csv_text(table: pd.DataFrame) -> str:
    """Deterministic CSV: UTF-8, ``\\n`` line ends, minimal quoting, no index."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n", quoting=csv.QUOTE_MINIMAL)
    writer.writerow(table.columns)
    writer.writerows(table.astype(str).itertuples(index=False, name=None))
    return buffer.getvalue()


def sha256(path: Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def build(reference_dir: Path) -> dict[str, str]:
    """Every file of the version folder as ``{relative path: text}``, without writing anything."""
    reference_dir = Path(reference_dir)
    core = convert_core(reference_dir)
    tiers = convert_tiers(reference_dir)
    crosswalks = convert_crosswalks(reference_dir, core)
    files = {"core.csv": to_csv_text(core), "tiers.csv": to_csv_text(tiers)}
    entries = {}
    for name, table in crosswalks.items():
        relative = f"crosswalks/{name}.csv"
        files[relative] = to_csv_text(table)
        entries[name] = {"title": CROSSWALK_TITLES[name], "file": relative, "rows": len(table)}
    sources = [f"nist/{CORE_WORKBOOK}", TIERS_TABLE, *(f"nist/{n}" for n in SOURCE_WORKBOOKS)]
    manifest = {
        **PUBLICATION,
        "core": "core.csv",
        "tiers": "tiers.csv",
        "counts": {
            level: int((core["level"] == level).sum())
            for level in ("function", "category", "subcategory")
        },
        "sources": {name: sha256(reference_dir / name) for name in sources},
        "crosswalks": entries,
    }
    files["manifest.json"] = json.dumps(manifest, indent=2, ensure_ascii=False) + "\n"
    return files


def convert(reference_dir: Path, out_dir: Path = DEFAULT_OUT) -> list[Path]:
    """Convert the workbooks in ``reference_dir`` and write the version folder and the NIST
    PRAM folder under ``out_dir`` (``out_dir/pf-1.0/``, ``out_dir/pram/``). Everything is
    converted before anything is written. Returns the paths written."""
    # Imported here: the PRAM converter reuses this module's to_csv_text and sha256.
    from nistpf.convert.pram import FOLDER as PRAM_FOLDER
    from nistpf.convert.pram import build_pram

    folders = {
        f"pf-{PUBLICATION['version']}": build(reference_dir),
        PRAM_FOLDER: build_pram(reference_dir),
    }
    written = []
    for name, files in folders.items():
        for relative, text in files.items():
            path = Path(out_dir) / name / relative
            write_text(path, text)
            written.append(path)
    return written
