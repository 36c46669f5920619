"""Mapping files and engagement stores are read under bounds: what breaks one — too big, not a
regular file, binary, not UTF-8, nested too deeply, a text longer than nistpf writes — is
refused before it is parsed or loaded, in one line naming the file and the fix, with exit 2
from the command, and the file is left as it was.

Every case is made by code and named by its defect; each expected line is written out here."""

from __future__ import annotations

import contextlib
import hashlib
import io
import os
import shutil
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest

import nistpf
from nistpf.cli import main
from nistpf.inventory.mapping import (
    MAPPING_BOUNDS,
    MAX_MAPPING_BYTES,
    MAX_MAPPING_DEPTH,
    MappingError,
    load_mapping,
)
from tests.inventory_files import valid_sheets, write_workbook

HEAD = '[sheets.Systems]\nsource = "Systems"\n'
DRAFT = "draft a mapping with `nistpf map WORKBOOK -o mapping.toml`"
TOO_DEEP = (
    "mapping file client.toml nests arrays or tables too deeply to read; a mapping holds "
    "strings, numbers and small tables (see nistpf map for a draft)"
)
NOT_A_FILE = (
    "mapping file {path} is not a regular file but a pipe, device or socket, which nistpf does "
    "not read; give the path of a .toml mapping file"
)


def run_cli(argv: list[str], seconds: float = 20) -> tuple[int, str, str]:
    """``nistpf.cli.main(argv)``: exit code, standard output, standard error; a failure when it
    has not returned within ``seconds`` (a pipe read would never return)."""
    out, err, result = io.StringIO(), io.StringIO(), []

    def target() -> None:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            result.append(main(argv))

    thread = threading.Thread(target=target, daemon=True)
    thread.start()
    thread.join(seconds)
    assert result, f"nistpf {' '.join(argv)} did not return within {seconds} s"
    return result[0], out.getvalue(), err.getvalue()


def digest(path: Path) -> str | None:
    return hashlib.sha256(path.read_bytes()).hexdigest() if path.is_file() else None


# -- mapping files ---------------------------------------------------------------------------


def _file(body: bytes | str) -> Callable[[Path], Path]:
    def make(folder: Path) -> Path:
        path = folder / "client.toml"
        path.write_bytes(body.encode("utf-8") if isinstance(body, str) else body)
        return path

    return make


def _fifo(folder: Path) -> Path:
    path = folder / "client.toml"
    os.mkfifo(path)
    return path


def _folder(folder: Path) -> Path:
    path = folder / "client.toml"
    path.mkdir()
    return path


def _workbook(folder: Path) -> Path:
    return Path(shutil.copyfile(nistpf.sample_path(), folder / "client.toml"))


def _mapped_fifo(folder: Path) -> Path:
    pipe = folder / "controls.csv"
    os.mkfifo(pipe)
    body = HEAD + f'[sheets.Controls]\nsource = "Controls"\nfile = "{pipe}"\n'
    return _file(body)(folder)


OVER = HEAD + "#" * (MAX_MAPPING_BYTES - len(HEAD)) + "\n"  # one byte over the bound
# defect -> (how to make the --mapping file in a folder, the one line; {path}: the file)
MAPPING_CASES = {
    "over-1-MB": (
        _file(OVER),
        "mapping file client.toml is 1,000,001 bytes, over the 1,000,000 a mapping may have (a "
        "mapping is a few KB): check that --mapping names the .toml mapping, not the workbook "
        "or an export",
    ),
    "a-pipe": (_fifo, NOT_A_FILE),
    "a-device": (lambda folder: Path("/dev/zero"), NOT_A_FILE),
    "a-folder": (
        _folder,
        "mapping file {path} is a folder; give the path of the .toml mapping file",
    ),
    "binary-with-nul-bytes": (
        _file(HEAD.encode() + b"\x00\x01\x02\xff"),
        "mapping file client.toml is a binary file (a NUL byte on line 3), not TOML text: give "
        f"the .toml mapping as --mapping, or {DRAFT}",
    ),
    "an-xlsx-workbook": (
        _workbook,
        "mapping file client.toml is a ZIP archive, such as an .xlsx or .ods workbook, not a "
        "TOML mapping: give the .toml file as --mapping (and the workbook as SOURCE), or "
        f"{DRAFT}",
    ),
    "utf-16": (
        _file(HEAD.encode("utf-16")),
        "mapping file client.toml is saved as UTF-16; save it as UTF-8 (in Notepad: Save as, "
        "Encoding UTF-8)",
    ),
    "latin-1": (
        _file(HEAD.replace('Systems"', 'Verarbeitungstätigkeiten"').encode("latin-1")),
        "mapping file client.toml is not UTF-8 text (byte 0xe4 on line 2): save it as UTF-8 "
        "(in a text editor: Save as, Encoding UTF-8)",
    ),
    # root, sheets, Systems, columns: 4; then 13 arrays, the innermost 17 deep
    "arrays-17-deep": (
        _file(HEAD + "[sheets.Systems.columns]\nsystem_id = " + "[" * 13 + "]" * 13 + "\n"),
        TOO_DEEP,
    ),
    "arrays-2000-deep": (
        _file(HEAD + "[sheets.Systems.columns]\nsystem_id = " + "[" * 2000 + "]" * 2000),
        TOO_DEEP,
    ),
    # a dotted key of 499,000 parts: tomllib would take hours (its time grows with the square)
    "dotted-key-of-499000-parts": (_file(".".join(["a"] * 499_000) + " = 1\n"), TOO_DEEP),
    "dotted-key-of-17-parts": (_file(".".join(["a"] * 17) + " = 1\n"), TOO_DEEP),
    "table-header-of-17-parts": (_file("[" + ".".join(["a"] * 17) + "]\n"), TOO_DEEP),
    "sheet-key-of-15-parts": (_file(HEAD + ".".join(["a"] * 15) + " = 1\n"), TOO_DEEP),
    "mapped-file-a-pipe": (
        _mapped_fifo,
        'client.toml: [sheets.Controls].file = "{folder}/controls.csv" is not a regular file '
        "but a pipe, device or socket, which nistpf does not read; name a workbook, a CSV file "
        "or a folder of CSV files",
    ),
}


@pytest.fixture
def source(tmp_path) -> Path:
    return write_workbook(tmp_path / "inventory.xlsx", valid_sheets())


@pytest.mark.parametrize("defect", sorted(MAPPING_CASES))
def test_a_mapping_breaking_a_bound_is_one_line_with_exit_2(defect, tmp_path, source):
    make, line = MAPPING_CASES[defect]
    folder = tmp_path / "mapping"
    folder.mkdir()
    mapping = make(folder)
    before, source_before = digest(mapping), digest(source)
    started = time.perf_counter()
    code, out, err = run_cli(["validate", str(source), "--mapping", str(mapping)])
    seconds = time.perf_counter() - started
    assert (code, out) == (2, "")
    assert err == "nistpf: " + line.format(path=mapping, folder=folder) + "\n"
    assert digest(mapping) == before
    assert digest(source) == source_before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["inventory.xlsx", "mapping"]
    assert seconds < 10, seconds  # measured: under 0.2 s each (a guard, not a benchmark)


def test_a_mapping_at_the_bounds_is_read(tmp_path, source):
    """Exactly MAX_MAPPING_BYTES, nested exactly MAX_MAPPING_DEPTH deep, a dotted key of
    fifteen parts and dots in strings and comments: read, and its one mistake named (an array
    is not a column), not refused by a bound."""
    deep = "[" * 12 + "]" * 12  # root, sheets, Systems, columns, then 12 arrays: 16 deep
    body = (
        HEAD
        + "# a comment with dots .................................\n"
        + 'header_row = 1\nname = "..................................."\n'
        + "[sheets.Systems.columns]\n"
        + f"system_id = {deep}\n"
    )
    body += "#" * (MAX_MAPPING_BYTES - len(body.encode()) - 1) + "\n"
    path = tmp_path / "client.toml"
    path.write_text(body, encoding="utf-8")
    assert path.stat().st_size == MAX_MAPPING_BYTES
    with pytest.raises(MappingError) as caught:
        load_mapping(path)
    assert "has an unknown key 'name'" in str(caught.value)  # the schema's word, not a bound
    assert "too deeply" not in str(caught.value)
    dotted = ".".join(["a"] * 16)  # the file and 15 tables: 16 deep
    with pytest.raises(MappingError) as caught:
        load_mapping(_file(f"{dotted} = 1\n")(tmp_path))
    assert str(caught.value).startswith("client.toml: no [sheets.<Sheet>] tables ('a' is not")


def test_a_dict_nested_too_deeply_is_the_same_line():
    nested: dict = {"source": "Systems"}
    for _ in range(MAX_MAPPING_DEPTH):
        nested = {"x": nested}
    with pytest.raises(MappingError, match=r"^the mapping nests arrays or tables too deeply"):
        load_mapping({"sheets": nested})


def test_the_mapping_bounds_are_listed():
    assert set(MAPPING_BOUNDS) == {"kind", "size", "encoding", "nesting", "mapped files"}
    assert "1,000,000 bytes" in MAPPING_BOUNDS["size"]
    assert f"at most {MAX_MAPPING_DEPTH} deep" in MAPPING_BOUNDS["nesting"]
