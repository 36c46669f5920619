"""Converter from NIST's own workbooks to the tidy CSV files shipped in ``nistpf/data``.

NIST publishes the Privacy Framework Core and its crosswalks as spreadsheets made for reading, not
for machines: banner rows, headers below row 1, vertical merges, "ID: text" packed into one cell,
used ranges of 16,000 phantom rows. This package turns them into tidy CSV, deterministically, so
that anyone can rerun it and get the shipped files byte for byte::

    python -m nistpf.convert ../shared/reference --out nistpf/data

The converter runs at build time only; nistpf itself reads the CSV files.
"""
