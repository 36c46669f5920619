"""``python -m nistpf.convert REFERENCE_DIR [--out DIR]``: rebuild the shipped framework data
(``pf-1.0/``) and NIST's Privacy Risk Assessment Methodology data (``pram/``)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from nistpf.convert.build import DEFAULT_OUT, convert


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m nistpf.convert",
        description=(
            "Convert NIST's Privacy Framework workbooks and its Privacy Risk Assessment "
            "Methodology (PRAM) files into nistpf's tidy CSV data."
        ),
    )
    parser.add_argument(
        "reference",
        type=Path,
        help="folder holding nist/ (NIST's workbooks), nist/pram/ and the Tiers table",
    )
    parser.add_argument(
        "--out", type=Path, default=DEFAULT_OUT, help=f"data folder (default: {DEFAULT_OUT})"
    )
    args = parser.parse_args(argv)
    try:
        written = convert(args.reference, args.out)
    except (OSError, ValueError) as error:
        print(f"nistpf.convert: {error}", file=sys.stderr)
        return 1
    for path in written:
        print(path)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
