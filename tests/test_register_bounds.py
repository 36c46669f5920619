"""The gap register read back by ``--carry-over`` is held to the inventory's bounds: every case
of the register corpus (``tests/hostile_registers.py``) ends in one RegisterError line, in bounded
time and memory, through the reader and through ``nistpf assess``; and the shared-string checks
both readers rely on, case by case."""

from __future__ import annotations

import json
import subprocess
import sys
import time
import zipfile

import pytest

import nistpf
from nistpf.cli import main
from nistpf.errors import RegisterError
from nistpf.export.register_edits import read_register_edits
from nistpf.inventory import limits
from nistpf.inventory.read import Unreadable, check_archive
from tests.hostile import (
    CASES,
    DECL,
    LONGEST,
    MAIN,
    _shared_string_grid,
    crafted_ods,
    crafted_workbook,
    excel_saved_workbook,
    ods_cell,
    ods_row,
    shared_strings_xml,
    sheet_xml,
    valid_ods_tables,
    valid_xml_sheets,
)
from tests.hostile_registers import (
    EXPECTED_OWNERS,
    REGISTER,
    REGISTER_CASES,
    excel_saved_register,
    inline_register,
)
from tests.inventory_files import valid_sheets, write_workbook

# Guards, not measurements (benchmarks/bench_hostile.py measures them). Measured on a 2-core
# machine with both cores busy: every register case read or refused in at most 0.05 s; a bomb
# case's peak at most 3 MiB above a process that has imported nistpf. So 5 s and 150 MiB are
# 100 and 50 times those.
SECONDS = 5.0
PEAK_MIB = 150


def one_line(error: Exception) -> str:
    text = str(error)
    assert text
    assert "\n" not in text
    return text


# -- the corpus ------------------------------------------------------------------------------


def test_the_corpus_starts_from_registers_that_read(tmp_path):
    """The registers every case mutates read back as written, text in the cells (as nistpf
    writes it) or in shared strings (as Excel saves it): a case fails for its defect alone."""
    for path in (
        inline_register(tmp_path / "inline.xlsx"),
        excel_saved_register(tmp_path / "excel.xlsx"),
    ):
        edits = read_register_edits(path)
        assert list(edits["subcategory"]) == [row[0] for row in REGISTER["Gap Register"][1:]]
        assert list(edits["owner"]) == EXPECTED_OWNERS


@pytest.mark.parametrize("name", sorted(REGISTER_CASES))
def test_each_register_case_is_one_register_error_line_quickly(name, tmp_path):
    case = REGISTER_CASES[name]
    path = case.build(tmp_path)
    start = time.perf_counter()
    with pytest.raises(RegisterError) as caught:
        read_register_edits(path)
    assert time.perf_counter() - start < SECONDS
    message = one_line(caught.value)
    assert message.startswith(f"{path}: ")
    assert case.says in message, message
    assert message.endswith(")")  # what to do, in brackets
    assert caught.value.code == "register-unreadable"


MEASURE = """
import json, sys, time
from nistpf.errors import RegisterError
from nistpf.export.register_edits import read_register_edits

def status(key):
    return next(int(l.split()[1]) for l in open('/proc/self/status') if l.startswith(key))

base = status('VmRSS')
open('/proc/self/clear_refs', 'w').write('5')  # the peak (VmHWM) starts again from here
start = time.perf_counter()
refused = False
try:
    read_register_edits(sys.argv[1])
except RegisterError:
    refused = True
seconds = time.perf_counter() - start
print(json.dumps({'mib': (status('VmHWM') - base) / 1024, 'seconds': seconds, 'refused': refused}))
"""


@pytest.mark.parametrize("name", sorted(n for n, c in REGISTER_CASES.items() if c.bomb))
def test_register_bombs_are_refused_in_bounded_memory_in_a_fresh_process(name, tmp_path):
    """As the inventory's bomb cases are measured (tests/test_hostile.py): the peak resident
    memory of the read alone, in a process that has imported the reader."""
    path = REGISTER_CASES[name].build(tmp_path)
    done = subprocess.run(
        [sys.executable, "-c", MEASURE, str(path)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    figures = json.loads(done.stdout)
    assert figures["refused"]
    assert 0 <= figures["mib"] < PEAK_MIB
    assert figures["seconds"] < SECONDS


@pytest.fixture(scope="module")
def inventory(tmp_path_factory):
    return write_workbook(tmp_path_factory.mktemp("source") / "inventory.xlsx", valid_sheets())


@pytest.mark.parametrize(
    "name",
    [
        "zip_bomb_register",
        "malformed_xml_in_the_sheet",
        "shared_string_index_negative",
        "not_a_zip",
    ],
)
def test_assess_with_a_hostile_register_carried_over_exits_2_and_writes_nothing(
    name, inventory, tmp_path, capsys
):
    bad = REGISTER_CASES[name].build(tmp_path)
    before = sorted(p.name for p in tmp_path.iterdir())
    output = tmp_path / "out.xlsx"
    code = main(["assess", str(inventory), "--carry-over", str(bad), "-o", str(output)])
    out, err = capsys.readouterr()
    assert code == 2
    assert "Traceback" not in out + err
    assert err.count("\n") == 1
    assert err.startswith(f"nistpf: {bad}: ")
    assert REGISTER_CASES[name].says in err
    assert sorted(p.name for p in tmp_path.iterdir()) == before  # nothing written


def test_a_negative_shared_string_number_was_the_last_string_to_openpyxl(tmp_path):
    """What the refusal prevents: openpyxl reads string -1 as the last string, so the owner
    Dana Whitlock would have become the last comment typed ("next quarter")."""
    import openpyxl

    path = REGISTER_CASES["shared_string_index_negative"].build(tmp_path)
    book = openpyxl.load_workbook(path, read_only=True)
    assert next(book["Gap Register"].iter_rows(min_row=2, values_only=True))[2] == "next quarter"
    with pytest.raises(RegisterError) as caught:
        read_register_edits(path)
    assert one_line(caught.value) == (
        f"{path}: sheet 'Gap Register', cell C2 refers to shared string '-1', which is not a "
        "string's number; the workbook has 20 shared strings (0 to 19) (open it in Excel or "
        "LibreOffice and save it again)"
    )


def test_every_reader_of_a_client_file_refuses_a_bomb(tmp_path):
    """Each reader BOUNDED_READERS lists, given a file that would exhaust memory, refuses it."""
    bombs = {
        "inventory workbook (.xlsx, .xlsm)": CASES["zip_bomb_sheet"],
        "inventory spreadsheet (.ods)": CASES["ods_zip_bomb_content"],
        "inventory CSV files": CASES["csv_with_two_thousand_columns"],
    }
    assert set(limits.BOUNDED_READERS) == {*bombs, "gap register read back (--carry-over)"}
    for reader, case in bombs.items():
        folder = tmp_path / str(len(list(tmp_path.iterdir())))
        folder.mkdir()
        with pytest.raises(nistpf.UnreadableInventoryError) as caught:
            nistpf.load_inventory(case.build(folder))
        assert caught.value.issues.loc[0, "code"] == case.unreadable, reader
    folder = tmp_path / "register"
    folder.mkdir()
    with pytest.raises(RegisterError, match="zip bomb"):
        read_register_edits(REGISTER_CASES["zip_bomb_register"].build(folder))


# -- shared strings, case by case ------------------------------------------------------------


def refusal(path) -> Unreadable:
    with pytest.raises(Unreadable) as caught:
        check_archive(path)
    return caught.value


def systems_xml(cell: str) -> str:
    """The Systems sheet with CRM-01's name cell (B2) written as ``cell``."""
    return sheet_xml(valid_sheets()["Systems"]).replace(
        '<c r="B2" t="inlineStr"><is><t>Service Cloud</t></is></c>', cell
    )


def with_strings(path, cell: str, strings=("system_id", "Service Cloud", "spare")):
    return crafted_workbook(
        path,
        valid_xml_sheets(Systems=systems_xml(cell)),
        parts={"xl/sharedStrings.xml": shared_strings_xml(list(strings))},
    )


@pytest.mark.parametrize(
    "cell",
    [
        '<c r="B2" t="s"><v>1</v></c>',  # what Excel writes
        "<c r='B2' t='s'><v>1</v></c>",  # single quotes
        '<c r="B2" t = "s" ><v>1</v></c>',  # spaces around the equals sign
        '<c r="B2" t="s" s="0"><v>1</v></c>',  # the type before another attribute
        '<c r="B2" t="s">\n  <v>1</v>\n</c>',  # indented
        '<c r="B2" t="s"><v>0001</v></c>',  # leading zeros: 1 to calamine and openpyxl
    ],
    ids=["excel", "single-quotes", "spaces", "type-first", "indented", "zeros"],
)
def test_a_shared_string_cell_in_any_form_both_readers_read_alike_loads(cell, tmp_path):
    inventory = nistpf.load_inventory(with_strings(tmp_path / "ok.xlsx", cell))
    assert inventory.systems.loc[0, "name"] == "Service Cloud"


@pytest.mark.parametrize(
    ("cell", "holds"),
    [
        ('<c r="B2" t="s"><v><![CDATA[1]]></v></c>', "'<![CDATA[1]]>'"),
        ('<c r="B2" t="s"><v>&#49;</v></c>', "'&#49;'"),
        ('<c r="B2" t="s"><v>+1</v></c>', "'+1'"),
        ('<c r="B2" t="s"><v>1.0</v></c>', "'1.0'"),
    ],
    ids=["cdata", "character-reference", "plus", "decimal"],
)
def test_a_shared_string_number_the_readers_read_otherwise_is_refused(cell, holds, tmp_path):
    """calamine reads each of these as string 0 (or blank); openpyxl as string 1 or not at
    all."""
    error = refusal(with_strings(tmp_path / "odd.xlsx", cell))
    assert error.code == "bad-shared-string"
    assert error.problem.startswith(f"sheet 'Systems', cell B2 refers to shared string {holds}")
    assert error.problem.endswith("the workbook has 3 shared strings (0 to 2)")


@pytest.mark.parametrize(
    "cell",
    [
        '<c r="B2" t="&#115;"><v>1</v></c>',  # "s" as a character reference: s to openpyxl
        '<c r="B2" t="s"><f>A1</f><v>1</v></c>',  # a formula: the value to calamine, not openpyxl
        '<c r="B2" t="s"><v>1</v><v>2</v></c>',  # two numbers: the last to calamine
    ],
    ids=["type-as-reference", "formula", "two-numbers"],
)
def test_a_shared_string_cell_in_a_form_excel_never_writes_is_refused(cell, tmp_path):
    error = refusal(with_strings(tmp_path / "odd.xlsx", cell))
    assert error.code == "bad-shared-string"
    assert error.problem.startswith("sheet 'Systems', cell B2 refers to ")


def test_empty_strings_keep_the_numbering_of_the_strings_after_them(tmp_path):
    """``<si/>`` is a string (empty) to both readers: the string after it is number 2."""
    strings = (
        f'{DECL}<sst xmlns="{MAIN}"><si><t>system_id</t></si><si/><si><t>Service Cloud</t></si>'
        "</sst>"
    )
    path = crafted_workbook(
        tmp_path / "empty.xlsx",
        valid_xml_sheets(Systems=systems_xml('<c r="B2" t="s"><v>2</v></c>')),
        parts={"xl/sharedStrings.xml": strings},
    )
    assert check_archive(path).shared_strings == 3
    assert nistpf.load_inventory(path).systems.loc[0, "name"] == "Service Cloud"
    past = path.with_name("past.xlsx")
    crafted_workbook(
        past,
        valid_xml_sheets(Systems=systems_xml('<c r="B2" t="s"><v>3</v></c>')),
        parts={"xl/sharedStrings.xml": strings},
    )
    with pytest.raises(nistpf.UnreadableInventoryError) as caught:  # named when calamine stops
        nistpf.load_inventory(past)
    assert (
        "cell B2 refers to shared string 3, past the last; the workbook has 3 shared strings "
        "(0 to 2)"
    ) in str(caught.value)


def test_prefixed_shared_strings_and_sheet_are_counted(tmp_path):
    strings = (
        f'{DECL}<x:sst xmlns:x="{MAIN}"><x:si><x:t>system_id</x:t></x:si>'
        "<x:si><x:t>Service Cloud</x:t></x:si></x:sst>"
    )
    sheet = systems_xml('<x:c r="B2" t="s"><x:v>1</x:v></x:c>')
    sheet = (
        sheet.replace(f'<worksheet xmlns="{MAIN}">', f'<x:worksheet xmlns:x="{MAIN}">')
        .replace("</worksheet>", "</x:worksheet>")
        .replace("<sheetData>", "<x:sheetData>")
        .replace("</sheetData>", "</x:sheetData>")
        .replace("<row ", "<x:row ")
        .replace("</row>", "</x:row>")
        .replace("<c ", "<x:c ")
        .replace("</c>", "</x:c>")
        .replace("<is>", "<x:is>")
        .replace("</is>", "</x:is>")
        .replace("<t>", "<x:t>")
        .replace("</t>", "</x:t>")
        .replace("<v>", "<x:v>")
        .replace("</v>", "</x:v>")
    )
    path = crafted_workbook(
        tmp_path / "prefixed.xlsx",
        valid_xml_sheets(Systems=sheet),
        parts={"xl/sharedStrings.xml": strings},
    )
    assert check_archive(path).shared_strings == 2
    assert nistpf.load_inventory(path).systems.loc[0, "name"] == "Service Cloud"
    bad = crafted_workbook(
        tmp_path / "bad.xlsx",
        valid_xml_sheets(Systems=sheet.replace("<x:v>1</x:v>", "<x:v>-1</x:v>")),
        parts={"xl/sharedStrings.xml": strings},
    )
    assert refusal(bad).code == "bad-shared-string"


def test_a_comment_in_the_shared_strings_is_refused(tmp_path):
    """A comment or CDATA section could hide where a string starts from the count."""
    strings = f'{DECL}<sst xmlns="{MAIN}"><si><t>a</t></si><!-- <si> --><si><t>b</t></si></sst>'
    path = crafted_workbook(
        tmp_path / "comment.xlsx", valid_xml_sheets(), parts={"xl/sharedStrings.xml": strings}
    )
    error = refusal(path)
    assert (error.code, error.hint) == (
        "damaged",
        "open it in Excel or LibreOffice and save it again",
    )
    assert "xl/sharedStrings.xml holds a comment, a CDATA section" in error.problem


def test_shared_string_cells_across_block_boundaries_are_each_counted_once(tmp_path):
    """120,002 shared-string cells (3.6 MB of sheet XML, read 1 MiB at a time): cells cut
    between two blocks are counted whole, once, and none is taken for an odd form."""
    rows = [["code", "label"]] + [[f"K{i}", f"label {i % 7}"] for i in range(60_000)]
    path = excel_saved_workbook(tmp_path / "big.xlsx", {"Notes": rows})
    checked = check_archive(path)
    # 2 + 60,000 + 7 strings, in the order first met; the last met is "K59999", whose XML after
    # its <si> is the longest: "<t>K59999</t></si></sst>", 24 bytes. The first bound is every
    # cell times the longest.
    assert checked.shared_strings == 2 + 60_000 + 7
    assert checked.text_chars == 120_002 * 24


def test_the_text_bound_counts_each_cell_by_its_own_string_when_the_first_count_is_over(
    tmp_path,
):
    """One cell names the 32,767-character string and 5,999 name "see above": counted as if
    every cell named the longest, 6,000 × 32,785 = 196.7 million, over the limit; so each is
    counted by its own: 32,779 (text and "<t></t></si>") + 5,999 × 27 ("see above", markup,
    "</sst>")."""
    path = CASES["long_shared_string_once_among_many_short_ones"].build(tmp_path)
    assert limits.MAX_TEXT_CHARS < 6_000 * (32_767 + 12 + 6)
    assert check_archive(path).text_chars == (32_767 + 12) + 5_999 * (9 + 12 + 6)


def test_the_amplified_workbook_is_refused_with_the_figure_counted_by_the_rule(tmp_path):
    path = CASES["shared_string_referenced_by_forty_thousand_cells"].build(tmp_path)
    error = refusal(path)
    total = 40_000 * (32_767 + 12 + 6)
    assert error.problem == (
        f"40,000 cells refer to shared strings that, each cell counting its own copy, come to "
        f"up to {total:,} characters of text ({total:,} in sheet 'Notes'); nistpf reads at most "
        "100,000,000"
    )


def test_cells_of_two_sheets_add_up(tmp_path):
    """Two sheets of 1,600 cells naming the long string: each under the limit alone (52.5
    million), over it together."""
    grid = _shared_string_grid(40, 40)
    path = crafted_workbook(
        tmp_path / "two.xlsx",
        valid_xml_sheets(NotesA=grid, NotesB=grid),
        parts={"xl/sharedStrings.xml": shared_strings_xml([LONGEST])},
    )
    assert 1_600 * (32_767 + 18) < limits.MAX_TEXT_CHARS < 3_200 * (32_767 + 18)
    assert "3,200 cells refer to shared strings" in refusal(path).problem


def test_a_utf16_sheet_beside_shared_strings_is_refused(tmp_path):
    """calamine reads a UTF-16 sheet as empty, and the scan could not see its cells."""
    xml = ('<?xml version="1.0" encoding="UTF-16"?>' + sheet_xml([["x"]]).replace(DECL, "")).encode(
        "utf-16"
    )
    path = crafted_workbook(
        tmp_path / "utf16.xlsx",
        {**valid_xml_sheets(), "Notes": xml},
        parts={"xl/sharedStrings.xml": shared_strings_xml(["a"])},
    )
    error = refusal(path)
    assert (error.code, error.problem) == (
        "damaged",
        "sheet 'Notes' is written in UTF-16, which Excel never writes; nistpf cannot check it "
        "before reading it",
    )


# -- .ods: the text repeated cells stand for -------------------------------------------------


@pytest.mark.parametrize(
    ("cell", "chars"),
    [
        # text, and the line break between two paragraphs (counted once a paragraph)
        ('<table:table-cell office:value-type="string"><text:p>abc</text:p><text:p>de</text:p>'
         "</table:table-cell>", 3 + 2 + 2),
        # <text:s text:c="40"/> is 40 spaces
        ('<table:table-cell office:value-type="string"><text:p>a<text:s text:c="40"/>b</text:p>'
         "</table:table-cell>", 1 + 40 + 1 + 1),
        # the string a cell copies from its attribute, and its formula
        ('<table:table-cell office:value-type="string" office:string-value="twelve chars" '
         'table:formula="of:=A1"/>', 12 + 6),
    ],
    ids=["paragraphs", "spaces", "attributes"],
)  # fmt: skip
def test_an_ods_cell_counts_its_text_times_the_cells_it_stands_for(cell, chars, tmp_path):
    repeated = cell.replace(
        "<table:table-cell ", '<table:table-cell table:number-columns-repeated="3" ', 1
    )
    path = crafted_ods(tmp_path / "t.ods", {"Notes": ods_row([repeated], 5)})
    assert check_archive(path).tables["Notes"].text_chars == chars * 3 * 5


def test_an_ods_text_bound_names_the_sheet_holding_the_most(tmp_path):
    cell = ods_cell("y" * 1_000, ' table:number-columns-repeated="100"')
    path = crafted_ods(tmp_path / "many.ods", valid_ods_tables(Notes=ods_row([cell], 1_100)))
    error = refusal(path)
    assert error.code == "too-large"
    # 1,000 characters and a paragraph a cell, 100 columns, 1,100 rows
    assert "(110,110,000 in sheet 'Notes')" in error.problem


# -- parts the checks and the readers must see alike -------------------------------------------


def test_the_decoy_workbook_part_was_what_openpyxl_read(tmp_path):
    """What the refusal prevents: openpyxl reads the workbook part [Content_Types].xml names,
    whose Gap Register is another sheet part, where the owner refers to string -1: Dana
    Whitlock became the last string typed ("next quarter")."""
    import openpyxl

    path = REGISTER_CASES["workbook_part_named_elsewhere"].build(tmp_path)
    book = openpyxl.load_workbook(path, read_only=True)
    assert next(book["Gap Register"].iter_rows(min_row=2, values_only=True))[2] == "next quarter"
    with pytest.raises(RegisterError) as caught:
        read_register_edits(path)
    assert "names /xl/real.bin as its main workbook part" in one_line(caught.value)


def test_a_small_chartsheet_and_a_large_image_do_not_refuse_a_register(tmp_path):
    """The whole-part bound holds a chartsheet and any part that is XML, not a picture: a
    register with a 1 KB chartsheet and a 5 MB image (not XML, which openpyxl does not parse)
    reads as written."""
    from tests.hostile_registers import _with_chartsheet

    path = _with_chartsheet(tmp_path / "chart.xlsx", "xl/chartsheets/sheet1.xml", 1_000)
    picture = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * (5_000_000 // 256)
    with zipfile.ZipFile(path, "a") as archive:
        # as Excel writes a chartsheet, with its relationships (openpyxl needs them)
        archive.writestr(
            "xl/chartsheets/_rels/sheet1.xml.rels",
            f'{DECL}<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/'
            'relationships"/>',
        )
        archive.writestr("xl/media/image1.png", picture)
        archive.writestr("xl/media/image2.bin", picture)
    assert len(picture) > limits.MAX_WHOLE_PART_BYTES
    assert list(read_register_edits(path)["owner"]) == EXPECTED_OWNERS


def test_sheets_on_one_part_are_refused_naming_both(tmp_path):
    path = CASES["two_sheets_on_one_part"].build(tmp_path)
    error = refusal(path)
    assert (error.code, error.problem) == (
        "damaged",
        "sheets 'Notes' and 'Notes2' are both read from the part xl/worksheets/sheet4.xml, which "
        "Excel never writes; nistpf cannot check such a workbook before reading it",
    )
    other = CASES["two_sheets_with_one_name"].build(tmp_path)
    assert refusal(other).problem.startswith("the workbook lists two sheets named 'Notes', ")
