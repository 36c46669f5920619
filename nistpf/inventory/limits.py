"""The bounds nistpf puts on an inventory before it parses it.

Client workbooks arrive from strangers' laptops, so every input is treated as hostile. Each
bound below is checked *before* the cells are parsed — from the file's size on disk, the ZIP
archive's directory (declared sizes, no decompression), and one streaming pass over each XML part
that never holds a part whole — so a hostile file is refused in well under a second and in a few
MiB of memory, with one line saying which bound it broke. The figures are generous: the
enterprise benchmark inventory (2,000 systems, 10,000 controls, 20,000 flows) is a 2 MB file
with 23 MB of sheet XML and 350,000 used cells, far inside every one of them.

``MAX_FILE_BYTES`` (200 MB)
    A workbook or CSV file on disk. Checked with ``stat`` before a byte is read. Ten times the
    largest inventory a consultant has sent; anything bigger is an export of something else.
``MAX_PARTS`` (10,000)
    Entries in the workbook's ZIP directory, read from the end-of-directory record before
    :mod:`zipfile` builds its index (a directory of millions of entries is itself a memory bomb).
    Excel writes a few dozen.
``MAX_PART_BYTES`` (128 MB)
    The declared uncompressed size of any one part (a sheet's XML, the shared strings). About
    the XML of a 150,000-row sheet with ten columns; also bounds a single text cell, since a cell
    lives inside one part.
``MAX_TOTAL_BYTES`` (256 MB)
    The declared uncompressed size of all parts together: the most XML a load will ever inflate.
``MAX_WHOLE_PART_BYTES`` (4 MB)
    The declared uncompressed size of a part parsed whole into a tree rather than streamed:
    the workbook part, the relationships and the Excel Table parts nistpf reads itself (Python's
    parser takes about 7 bytes of memory for each byte: a 128 MB workbook part of defined names
    would be 900 MiB), and, for the gap register read back by openpyxl, every XML part but its
    sheets and shared strings (openpyxl builds an object for every style: a 60 MB
    ``styles.xml``, 1.8 MB on disk, took it 1.5 GiB and 35 s). Such parts of nistpf's own
    register are under 20 KB; a workbook part of 4 MB holds some 50,000 defined names.
``MAX_RATIO`` (100 to 1) above ``RATIO_FLOOR_BYTES`` (8 MB)
    A part that inflates more than 100 times its compressed size *and* to more than 8 MB is a zip
    bomb. Real sheet XML compresses 8-15 to 1; small parts (a 1 KB ``workbook.xml`` of spaces)
    may compress better harmlessly, hence the floor.
``MAX_ROWS`` (200,000) and ``MAX_COLUMNS`` (1,000)
    The last row and column that hold a value, per sheet, found by the streaming scan of the
    sheet XML (the ``<dimension>`` a file claims is ignored, as calamine ignores it, and formatted
    empty cells cost nothing). Ten times the largest real inventory; Excel's own grid is
    1,048,576 × 16,384. A sheet beyond either is refused as a whole, not truncated: a truncated
    inventory would be a partial result that looks complete.
``MAX_CELLS`` (5,000,000)
    The used range's rows × columns, summed over the workbook's sheets. calamine stores the used
    range densely, 32 bytes a cell, so two values in A1 and XFD1048576 would ask it for 512 GiB
    (and abort the process); 5 million cells is at most 160 MiB in calamine plus 40 MiB of Python
    lists.
``MAX_CELL_CHARS`` (32,767)
    Excel's own limit on a cell's text. A longer cell (only a script can write one) is an error
    row naming its sheet, row and column; the value is not used. A cell of 100 MB never gets that
    far: its part breaks ``MAX_PART_BYTES`` or ``MAX_RATIO``.
``MAX_CSV_FIELD_CHARS`` (131,072)
    A CSV field the reader accepts (Python's default); a longer one refuses the file, naming the
    line. Fields over ``MAX_CELL_CHARS`` but under this are error rows, as in a workbook.
``MAX_TEXT_CHARS`` (100,000,000)
    The text a workbook's cells hold once every cell has its own copy. An ``.xlsx`` cell may
    refer to a shared string by its number, and an ``.ods`` cell may stand for many
    (``table:number-columns-repeated`` in a ``table:number-rows-repeated`` row); a reader copies
    the text into each cell, so a small file asks for gigabytes: one 32,767-character string
    that 40,000 cells refer to (an 83 KB file) is 1.3 billion characters, 2.5 GiB in calamine;
    one such ``.ods`` cell over 26 columns and 4,000 rows (1.6 KB) is 3.4 billion, and a cell of
    ``<text:s text:c="1000000000"/>`` a billion spaces. Counted in the streaming scan, no string
    parsed: each shared string's size is the bytes of its XML (its text and a dozen bytes of
    markup, so a bound a little over its characters); if each sheet's shared-string cells times
    the longest string stay under the limit, that settles it, else the sheets are read again and
    each cell counted by its own string. An ``.ods`` cell counts its text (``text:s`` spaces
    included) and its string, date, time and formula attributes, times the cells it stands for.
    Text written in the cell itself (an inline string) is not counted: it costs no more than its
    own XML, which ``MAX_PART_BYTES`` and ``MAX_TOTAL_BYTES`` bound. The enterprise benchmark
    inventory, saved with shared strings as Excel saves it, holds 6.4 million characters in
    317,896 text cells (68.7 million by the first count): the limit is 15 times that. A file
    just under it (3,000 cells sharing one 32,767-character string) takes 190 MiB to load.

A shared strings part is held to ``MAX_CELLS`` strings (no workbook within the bounds refers to
more), and must be UTF-8 (what calamine reads) without comments, CDATA sections or processing
instructions (Excel and LibreOffice never write one there; text inside one could hide where a
string starts from the count). Each cell that refers to a shared string (``t="s"``) must hold
its number as plain digits: calamine reads ``-1``, ``abc``, `` 1 `` and a number of 20 digits or
more as the first string, openpyxl ``-1`` as the last, so such a cell refuses the file, naming
the sheet, the cell, what it holds and how many strings there are; so does a number past the
last string (an error in both readers, which name no cell). ``[Content_Types].xml`` may not name
another shared strings part than ``xl/sharedStrings.xml`` (openpyxl reads the one it names,
calamine the other), and a worksheet part may not be UTF-16 (calamine reads it as empty).
Each bound counts a sheet's part once, so two sheets may not be read from one part, nor two
sheets share a name (calamine reads the part once for each: 120 sheets on one part of a million
cells, a 2 MB file, aborted the process at 3.6 GiB); and ``[Content_Types].xml`` may not name
another main workbook part than ``xl/workbook.xml`` (openpyxl reads the part named there, with
its own sheets and defined names, which the checks would not have seen). Excel writes none of
these. For the register, a chartsheet counts as a part parsed whole (openpyxl builds it as a
tree), and so does any part that is XML whatever its name (a chartsheet named ``.bin``). A pipe,
device or socket is refused before it is opened, as an inventory or as a register.

A CSV file is held to ``MAX_FILE_BYTES``, ``MAX_ROWS`` and ``MAX_COLUMNS`` too, and to
``MAX_CELLS`` (its records × its widest record, summed over a folder's files), checked record by
record as it is read. XML parts may not
declare a DTD at all (Excel never writes one), which refuses entity bombs ("billion laughs") and
external entities (XXE) before any XML parser sees them; defusedxml guards the parsers as well.

The same checks guard every reader of a client's file (``BOUNDED_READERS``): the inventory's
workbooks (:func:`nistpf.inventory.read.check_archive`, then python-calamine), its CSV files
(checked record by record as read), and the gap register the client returns, read back by
``--carry-over`` (``check_archive``, then openpyxl; any error openpyxl raises on what passed is
one line naming the file).

With these bounds, loading any file — hostile or not — takes seconds at most and peaks under
about 600 MiB above the interpreter (the worst case being a legitimate workbook at every limit);
each case in ``tests/hostile.py`` and ``tests/hostile_registers.py`` stays far below that and
is asserted to.
"""

from __future__ import annotations

MB = 1_000_000

MAX_FILE_BYTES = 200 * MB
MAX_PARTS = 10_000
MAX_PART_BYTES = 128 * MB
MAX_TOTAL_BYTES = 256 * MB
MAX_RATIO = 100
RATIO_FLOOR_BYTES = 8 * MB
MAX_ROWS = 200_000
MAX_COLUMNS = 1_000
MAX_CELLS = 5_000_000
MAX_CELL_CHARS = 32_767
MAX_TEXT_CHARS = 100_000_000
MAX_WHOLE_PART_BYTES = 4 * MB

# Every reader of a file a client sends, and what holds it to the bounds above.
BOUNDED_READERS = {
    "inventory workbook (.xlsx, .xlsm)": "nistpf.inventory.read.check_archive, then calamine",
    "inventory spreadsheet (.ods)": "nistpf.inventory.read.check_archive, then calamine",
    "inventory CSV files": "nistpf.inventory.csvsource, record by record as read",
    "gap register read back (--carry-over)": (
        "nistpf.inventory.read.check_archive, then openpyxl "
        "(nistpf.export.register_edits.read_register_edits)"
    ),
}
MAX_CSV_FIELD_CHARS = 131_072


def megabytes(size: int) -> str:
    """``size`` bytes as the messages show it: ``3.2 MB``, ``512 MB``."""
    value = size / MB
    return f"{value:,.1f} MB" if value < 10 else f"{value:,.0f} MB"
