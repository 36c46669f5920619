"""Paths: nothing a command reads is replaced by what it writes, two outputs never share a file,
every failure of the file system is one line with nothing half-made left, and names are shown
safely. The corpus (``tests/hostile_paths.py``) runs through ``nistpf.cli.main`` in-process."""

from __future__ import annotations

import errno
import os
import shutil
import stat
import unicodedata
from pathlib import Path

import pytest

import nistpf
from nistpf import engagement
from nistpf.cli import main
from nistpf.engagement import deliverable_name, new_engagement
from nistpf.errors import (
    BundledFileError,
    OutputIsInputError,
    OutputNotWritableError,
    OutputsCollideError,
    os_cause,
    shown,
)
from nistpf.export.excel import keep_previous
from nistpf.inventory.template import write_template
from nistpf.io.atomic import atomic_open, check_destination, temporary_stem, write_target
from nistpf.io.paths import (
    Use,
    bundled_data_dir,
    bundled_notebooks_dir,
    check_paths,
    file_kind,
    fit_name,
    installed_uses,
    name_size,
    same_file,
    source_uses,
    store_uses,
)
from nistpf.sample import data_dir
from tests.hostile_paths import (
    CASES,
    NAMES_SHOWN_SAFELY,
    NOT_REGULAR_FILES,
    NOTEBOOKS,
    OS_FAILURES,
    PACKAGE,
    PATH_CASES,
    PATHS_PROTECTED,
    STORE_REFUSALS,
    THROUGH_SYMLINKS,
    is_root,
    null_device,
    place,
    socket_file,
)
from tests.inventory_files import valid_sheets, write_csv_folder

# Measured on a 2-core machine: the whole file, 7 s (57 cases and the unit tests; the slowest
# case, the first to draft a mapping, 1.8 s, every other under 0.5 s; a refusal of an output that
# is no regular file, nistpf's own file or the store's side file under 0.1 s, before anything is
# read).


def snapshot(folder: Path) -> dict[str, object]:
    """Every entry under ``folder``: a file's bytes, a link's target, a folder as ``"dir"``,
    anything else (a device, a named pipe, a socket: never opened, a pipe would block) as its
    kind and identity."""
    found: dict[str, object] = {}
    for root, dirs, files in os.walk(folder):
        for name in dirs + files:
            path = Path(root) / name
            key = str(path.relative_to(folder))
            info = os.lstat(path)
            if stat.S_ISLNK(info.st_mode):
                found[key] = ("link", os.readlink(path))
            elif stat.S_ISDIR(info.st_mode):
                found[key] = "dir"
            elif stat.S_ISREG(info.st_mode):
                found[key] = path.read_bytes()
            else:
                found[key] = ("special", stat.S_IFMT(info.st_mode), info.st_ino, info.st_rdev)
    return found


def guarded(paths: list[Path]) -> dict[Path, bytes | None]:
    return {path: path.read_bytes() if path.is_file() else None for path in paths}


def put_back(before: dict[Path, bytes | None]) -> list[Path]:
    """Restore nistpf's own files a case aimed at, should the case have written them; the
    ones that had changed."""
    changed = []
    for path, data in before.items():
        now = path.read_bytes() if path.is_file() else None
        if now == data:
            continue
        changed.append(path)
        if data is None:
            path.unlink()
        else:
            path.write_bytes(data)
    return changed


def needs_root(case_name: str) -> None:
    """Skip a case that makes a device node where that cannot be done: without root, outside
    CI. In CI (``CI`` set, run as root) it must run, so there it fails instead."""
    if is_root():
        return
    if os.environ.get("CI"):
        pytest.fail(f"{case_name} makes a device node, which needs root; CI runs as root")
    pytest.skip(f"{case_name} makes a device node (mknod), which needs root (CI runs it)")


def needs(kind: str) -> None:
    """Skip a case that needs a file system of its own where none can be made: without root and
    outside CI. In CI (``CI`` set, run as root) it must run, so there it fails instead."""
    if kind != "full" or is_root():
        return
    if os.environ.get("CI"):
        pytest.fail("a full-disk case needs root to mount a small tmpfs; CI runs as root")
    pytest.skip("a full-disk case needs root to mount a small tmpfs (CI runs it)")


def raw_characters(text: str) -> list[str]:
    """The control, format and separator characters in ``text``: what may never reach a
    terminal from a name."""
    return [c for c in text if unicodedata.category(c) in ("Cc", "Cf", "Cs", "Zl", "Zp")]


@pytest.mark.parametrize("name", sorted(CASES))
def test_each_path_case_ends_as_pinned_and_leaves_every_input_as_it_was(
    name, tmp_path, capsys, monkeypatch
):
    case = CASES[name]
    needs(case.disk)
    if case.root:
        needs_root(name)
    own = guarded(case.guards()) if case.guards else {}
    with place(case.disk, tmp_path) as folder:
        argv = case.build(folder)
        before = snapshot(tmp_path)
        try:
            if case.here:
                monkeypatch.chdir(folder)
            code = main(argv)
        finally:
            monkeypatch.chdir(tmp_path)  # out of the folder before it is unmounted
            written_over = put_back(own)
        out, err = capsys.readouterr()
        after = snapshot(tmp_path)
    assert written_over == [], f"nistpf's own files written (put back): {written_over}"
    assert code == case.exit, (code, err)
    replaces = case.replaces(folder) if case.replaces else []
    replaced = sorted(str(p.relative_to(tmp_path)) for p in replaces)
    changed = [key for key in before if after.get(key) != before[key]]
    assert changed == replaced, f"inputs changed: {changed}"
    for key in replaced:  # rewritten as a regular file, not left a link or a device
        assert isinstance(after[key], bytes), key
        assert after[key], key
    created = sorted(set(after) - set(before))
    if case.exit:
        assert created == [], f"left behind: {created}"
        assert out == ""
        assert err.startswith("nistpf: ")
        assert err.count("\n") == 1, err
        assert err.endswith("\n")
        line = err[:-1]
        assert raw_characters(line) == [], line
        for word in case.words:
            assert word.lower() in line.lower(), (word, line)
        for word in case.absent:
            assert word.lower() not in line.lower(), (word, line)
        if case.causes:
            assert any(cause in line.lower() for cause in case.causes), line
    else:
        expected = sorted(str(p.relative_to(tmp_path)) for p in case.creates(folder))
        assert created == expected
        assert all(name_size(Path(p).name) <= 255 for p in created)


def test_the_corpus_counts_are_what_the_readme_prints():
    assert PATH_CASES == len(CASES) >= 55
    assert len(PATHS_PROTECTED) == 11
    for group in (OS_FAILURES, STORE_REFUSALS, NAMES_SHOWN_SAFELY, NOT_REGULAR_FILES):
        assert set(group) <= set(CASES)
        assert all(CASES[name].exit == 2 for name in group)
    assert set(THROUGH_SYMLINKS) <= set(CASES)
    assert all(CASES[name].exit == 0 for name in THROUGH_SYMLINKS)


# -- the one check ---------------------------------------------------------------------------


def test_a_hard_link_a_symlink_and_a_spelling_are_one_file(tmp_path):
    store = tmp_path / "eng.nistpf"
    store.write_bytes(b"store")
    os.link(store, tmp_path / "hard")
    (tmp_path / "soft").symlink_to(store)
    (tmp_path / "sub").mkdir()
    for other in ("hard", "soft", "sub/../eng.nistpf", "./eng.nistpf"):
        assert same_file(tmp_path / other, store), other
    assert not same_file(tmp_path / "elsewhere", store)
    reads = [Use(store, "the engagement store")]
    with pytest.raises(OutputIsInputError) as caught:
        check_paths(reads, [Use(tmp_path / "hard", "the HTML report")])
    assert str(caught.value) == (
        f"{tmp_path / 'hard'} is the engagement store ({store}, through a hard link), which this "
        "command reads; nistpf never writes over its input: write the HTML report elsewhere"
    )
    assert caught.value.input == store
    assert caught.value.role == "the engagement store"
    with pytest.raises(OutputIsInputError, match="through a symbolic link"):
        check_paths(reads, [Use(tmp_path / "soft", "the HTML report")])
    check_paths(reads, [Use(tmp_path / "report.html", "the HTML report")])  # no clash


def test_a_source_folder_is_protected_with_all_it_holds(tmp_path):
    folder = tmp_path / "csv"
    folder.mkdir()
    (folder / "Systems.csv").write_text("system_id\nS1\n")
    uses = source_uses(folder)
    assert [(u.path.name, u.folder) for u in uses] == [("csv", True), ("Systems.csv", False)]
    for target in (folder, folder / "new.xlsx", folder / "deep" / "x"):
        with pytest.raises(OutputIsInputError, match="inside the source folder"):
            check_paths(uses, [Use(target, "the gap register")])
    check_paths(uses, [Use(tmp_path / "register.xlsx", "the gap register")])


def test_two_outputs_one_file_and_image_folders(tmp_path):
    html = Use(tmp_path / "x", "the HTML report")
    with pytest.raises(OutputsCollideError) as caught:
        check_paths([], [html, Use(tmp_path / "." / "x", "the slide deck")])
    assert "named for both the HTML report and the slide deck" in str(caught.value)
    assert caught.value.roles == ("the HTML report", "the slide deck")
    # Two image folders in one place: their file names differ, no clash.
    png = Use(tmp_path / "img", "the folder of the PNG chart images", folder=True)
    pdf = Use(tmp_path / "img", "the folder of the PDF chart images", folder=True)
    check_paths(
        [], [png, pdf, Use(tmp_path / "img" / "a.png", "p"), Use(tmp_path / "img" / "a.pdf", "p")]
    )
    # An output where an image folder goes clashes.
    with pytest.raises(OutputsCollideError):
        check_paths([], [png, Use(tmp_path / "img", "the HTML report")])


def test_a_clash_is_found_before_anything_is_read(tmp_path, capsys):
    """The store named as the HTML report does not even need to be a store: nothing is read."""
    store = tmp_path / "eng.nistpf"
    store.write_bytes(b"not looked at")
    code = main(
        ["report", str(tmp_path / "missing.xlsx"), "--store", str(store), "--html", str(store)]
    )
    assert code == 2
    assert "engagement store" in capsys.readouterr().err
    assert store.read_bytes() == b"not looked at"


def test_assess_may_replace_the_register_it_carries_over(tmp_path, capsys):
    """A choice: the register carried over is read and then replaced by the register that
    carries its edits (the default without --carry-over does the same with the register at
    FILE), so it is not protected from assess's one output."""
    source = tmp_path / "inventory.xlsx"
    from tests.hostile_paths import workbook

    workbook(tmp_path)
    register = tmp_path / "register.xlsx"
    assert main(["assess", str(source), "-o", str(register)]) == 0
    capsys.readouterr()
    assert main(["assess", str(source), "-o", str(register), "--carry-over", str(register)]) == 0
    assert "Carried over from register.xlsx" in capsys.readouterr().out


# -- links, files that are none, nistpf's own files, the store's side files ------------------


def test_a_write_through_a_symlink_writes_its_target_and_keeps_the_link(tmp_path):
    shared = tmp_path / "shared"
    shared.mkdir()
    target = shared / "register.xlsx"
    target.write_bytes(b"the shared copy")
    target.chmod(0o640)
    link = tmp_path / "reglink.xlsx"
    link.symlink_to(target)
    assert write_target(link) == target
    assert write_target(target) == target
    with atomic_open(link, "wb") as stream:
        stream.write(b"updated")
    assert link.is_symlink()
    assert os.readlink(link) == str(target)
    assert target.read_bytes() == b"updated"
    assert stat.S_IMODE(target.stat().st_mode) == 0o640  # the mode of the file replaced
    assert sorted(p.name for p in shared.iterdir()) == ["register.xlsx"]  # no temporary left
    with pytest.raises(RuntimeError):
        _write_and_fail(link)
    assert target.read_bytes() == b"updated"
    assert sorted(p.name for p in shared.iterdir()) == ["register.xlsx"]


def _write_and_fail(path: Path) -> None:
    with atomic_open(path, "wb") as stream:
        stream.write(b"half")
        raise RuntimeError


def _open_to_write(path: Path) -> None:
    with atomic_open(path, "wb") as stream:
        stream.write(b"anything")


def test_a_link_is_judged_by_the_file_it_points_to(tmp_path):
    (tmp_path / "folder-link.html").symlink_to(tmp_path)
    with pytest.raises(OutputNotWritableError) as caught:
        check_destination(tmp_path / "folder-link.html")
    assert str(caught.value) == (
        f"cannot write {tmp_path / 'folder-link.html'}: it is a symbolic link to a folder "
        f"({tmp_path}); name a file"
    )
    with place("read-only", tmp_path) as disk:
        (tmp_path / "out.xlsx").symlink_to(disk / "new.xlsx")  # a link into a read-only place
        with pytest.raises(OutputNotWritableError) as caught:
            check_destination(tmp_path / "out.xlsx")
    assert str(caught.value) == (
        f"cannot write {tmp_path / 'out.xlsx'}: the folder {disk} is read-only; choose a "
        "folder you can write to"
    )


def test_a_pipe_a_socket_or_a_device_is_never_replaced_from_python(tmp_path):
    pipe = tmp_path / "pipe.xlsx"
    os.mkfifo(pipe)
    sock = socket_file(tmp_path / "s.xlsx")
    (tmp_path / "plain").write_bytes(b"")
    assert file_kind(tmp_path / "plain") == ""
    assert file_kind(tmp_path / "missing") == ""
    assert file_kind(tmp_path) == "a folder"
    assert file_kind(pipe) == "a named pipe (FIFO)"
    assert file_kind(sock) == "a socket"
    kinds = {pipe: "a named pipe (FIFO)", sock: "a socket"}
    if is_root():
        kinds[null_device(tmp_path / "null")] = "a character device"
    for path, kind in kinds.items():
        for write in (
            lambda p: write_template(p, force=True),
            _open_to_write,
            check_destination,
        ):
            with pytest.raises(OutputNotWritableError) as caught:
                write(path)
            assert (
                str(caught.value) == f"cannot write {path}: it is {kind}, not a file; name a file"
            )
        assert not path.is_file()
        assert file_kind(path) == kind
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        ["pipe.xlsx", "s.xlsx", "plain", *(["null"] if is_root() else [])]
    )


def test_the_stores_side_files_are_read_with_it(tmp_path):
    store = tmp_path / "eng.nistpf"
    assert [(u.path.name, u.role) for u in store_uses(store)] == [
        ("eng.nistpf", "the engagement store"),
        ("eng.nistpf-wal", "the engagement store's write-ahead log"),
        ("eng.nistpf-shm", "the engagement store's shared-memory index"),
        ("eng.nistpf-journal", "the engagement store's rollback journal"),
    ]
    (tmp_path / "shared").mkdir()
    (tmp_path / "link.nistpf").symlink_to(tmp_path / "shared" / "eng.nistpf")
    paths = [u.path for u in store_uses(tmp_path / "link.nistpf")]
    assert paths[4:] == [
        tmp_path / "shared" / f"eng.nistpf{s}" for s in ("-wal", "-shm", "-journal")
    ]
    with pytest.raises(OutputIsInputError, match="write-ahead log"):
        check_paths(store_uses(store), [Use(tmp_path / "eng.nistpf-wal", "the gap register")])


def test_nistpfs_own_files_are_those_it_ships(tmp_path):
    assert bundled_data_dir() == data_dir()
    assert bundled_notebooks_dir() == NOTEBOOKS
    protected = {u.path: u for u in installed_uses()}
    notebooks = sorted(NOTEBOOKS.glob("*.ipynb"))
    assert len(notebooks) == 7
    wanted = [
        nistpf.sample_path(), nistpf.sample_path("csv"), *notebooks, NOTEBOOKS / "voila.json",
        NOTEBOOKS, PACKAGE, PACKAGE / "data",
        *sorted((nistpf.sample_path().parent / "mappings").glob("*.toml")),
    ]  # fmt: skip
    assert set(wanted) <= set(protected)
    assert [p for p in protected if protected[p].folder] == [
        PACKAGE / "data",
        nistpf.sample_path("csv"),
        PACKAGE,
    ]
    # Every writer refuses them, from Python as well.
    for path in (nistpf.sample_path(), notebooks[0], PACKAGE / "new.html"):
        with pytest.raises(OutputIsInputError, match="nistpf's"):
            check_destination(path)
    check_destination(tmp_path / "report.html")


def _bundled_copy(tmp_path: Path, monkeypatch) -> Path:
    copy = tmp_path / "bundled"
    shutil.copytree(NOTEBOOKS, copy)
    monkeypatch.setattr(engagement, "notebooks_dir", lambda: copy)
    return copy


@pytest.mark.parametrize("damage", ["notebook", "voila", "sample"])
def test_new_stops_on_a_damaged_bundled_file_with_nothing_made(
    damage, tmp_path, monkeypatch, capsys
):
    copy = _bundled_copy(tmp_path, monkeypatch)
    if damage == "notebook":
        path, what = copy / "01_quickstart.ipynb", "notebook"
        path.write_text("", encoding="utf-8")
        reason = "not valid JSON: Expecting value at line 1, column 1"
    elif damage == "voila":
        path, what = copy / "voila.json", "Voilà settings"
        path.unlink()
        reason = "no such file or folder"
    else:
        path, what = tmp_path / "cx-sample.xlsx", "sample"
        path.write_bytes(b"PK\x03\x04 cut short")
        monkeypatch.setattr(engagement, "sample_path", lambda: path)
        reason = "not a workbook: no zip archive"
    folder = tmp_path / "practice"
    assert main(["new", str(folder), "--sample"]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert err == (
        f"nistpf: nistpf's bundled {what} {path} cannot be read ({reason}): reinstall nistpf\n"
    )
    assert not folder.exists()
    with pytest.raises(BundledFileError) as caught:
        new_engagement(folder, sample=True)
    assert caught.value.code == "bundled-file-unreadable"
    assert caught.value.path == path


def test_a_folder_in_a_message_is_as_typed_or_the_current_one_in_full(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(OutputNotWritableError) as caught:
        check_destination(Path("nofolder") / "x.xlsx")
    assert str(caught.value) == (
        "cannot write nofolder/x.xlsx: the folder nofolder does not exist; create it first, or "
        "write elsewhere"
    )
    with place("read-only", tmp_path) as disk:
        try:
            with pytest.raises(OutputNotWritableError) as typed:
                check_destination(Path("disk") / "deck.pptx")
            monkeypatch.chdir(disk)
            with pytest.raises(OutputNotWritableError) as here:
                check_destination(Path("deck.pptx"))
        finally:
            monkeypatch.chdir(tmp_path)
    assert str(typed.value) == (
        "cannot write disk/deck.pptx: the folder disk is read-only; choose a folder you can "
        "write to"
    )
    assert str(here.value) == (
        f"cannot write deck.pptx: the folder {disk} is read-only; choose a folder you can write to"
    )


# -- names -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("ok.xlsx", "ok.xlsx"),
        ("a\nnistpf: ok.xlsx", "a\\nnistpf: ok.xlsx"),
        ("tab\there\r", "tab\\there\\r"),
        ("esc\x1b[31m", "esc\\x1b[31m"),
        ("c1\x85", "c1\\x85"),
        ("rlo\u202eexe", "rlo\\u202eexe"),
        ("isolate\u2066x\u2069", "isolate\\u2066x\\u2069"),
        ("line\u2028sep", "line\\u2028sep"),
        ("tag\U000e0041", "tag\\U000e0041"),
        ("undecodable\udcff", "undecodable\\udcff"),
        ("کتاب\u200cها", "کتاب\u200cها"),  # the joiners a word needs stay
        ("naïve Ünïcode 𐌰", "naïve Ünïcode 𐌰"),
    ],
)
def test_shown_escapes_what_moves_or_breaks_a_line_and_keeps_the_rest(name, expected):
    assert shown(name) == expected
    assert shown(Path(name)) == expected


def test_a_mapping_error_is_one_line_per_mistake_with_names_escaped(tmp_path, capsys):
    mapping = tmp_path / "m.toml"
    mapping.write_text(
        '[sheets.Systems]\nsource = "S"\nnope = 1\n[sheets.Controls]\nsource = "C"\nbad = 2\n'
    )
    from tests.hostile_paths import workbook

    code = main(["validate", str(workbook(tmp_path)), "--mapping", str(mapping)])
    err = capsys.readouterr().err
    assert code == 2
    lines = err.splitlines()
    assert len(lines) == 2, err
    assert lines[0].startswith("nistpf: ")
    assert "nope" in lines[0]
    assert "bad" in lines[1]


def test_an_argument_error_is_one_line(capsys):
    with pytest.raises(SystemExit) as caught:
        main(["framework", "--format", "x\ny\u202e"])
    assert caught.value.code == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert raw_characters(err[:-1]) == []
    assert "x\\ny\\u202e" in err


# -- name lengths ----------------------------------------------------------------------------


def test_a_255_byte_name_gets_a_temporary_name_that_fits(tmp_path):
    target = tmp_path / ("é" * 125 + ".xlsx")  # 255 bytes
    stem = temporary_stem(target)
    assert name_size(f".{stem}.12345678.tmp") <= 255 < name_size(f".{target.name}.12345678.tmp")
    with atomic_open(target, "wb") as stream:
        stream.write(b"whole")
    assert target.read_bytes() == b"whole"
    assert [p.name for p in tmp_path.iterdir()] == [target.name]


def test_fit_name_cuts_whole_characters_and_keeps_the_extension():
    assert fit_name("a" * 300 + ".xlsx", 255) == "a" * 250 + ".xlsx"
    assert fit_name("é" * 200 + ".xlsx", 100) == "é" * 47 + ".xlsx"  # 94 + 5 bytes
    assert fit_name("short.xlsx", 255) == "short.xlsx"


def test_deliverable_names_keep_their_kind_within_240_bytes():
    for engagement_name in ("𐌰" * 100, "漢" * 100, "a" * 500, "Ünïcødé " * 40):
        name = deliverable_name(engagement_name, "gap-register.xlsx")
        assert name.endswith("-gap-register.xlsx"), name
        assert name_size(name) <= 240


def test_a_register_kept_aside_shortens_its_name_to_fit(tmp_path):
    register = tmp_path / ("r" * 250 + ".xlsx")
    register.write_bytes(b"the client's register")
    kept = keep_previous(register)
    assert name_size(kept.name) <= 255
    assert kept.name.startswith("rrrr")
    assert " (replaced " in kept.name
    assert kept.suffix == ".xlsx"
    assert kept.read_bytes() == b"the client's register"


def test_os_cause_names_the_cause_and_the_fix():
    assert os_cause(OSError(errno.EACCES, "Permission denied")).startswith("permission denied; ")
    assert os_cause(OSError(errno.ENOSPC, "No space")).startswith("no space left on the device")
    assert os_cause(OSError(errno.ENAMETOOLONG, "too long", "x" * 300)) == (
        "its name is 300 bytes, more than the 255 a file name may have; choose a shorter name"
    )
    assert os_cause(OSError(errno.ENAMETOOLONG, "too long", "/a/b")).startswith("the path is")
    assert os_cause(OSError("something else")) == "something else"


# -- new: all or nothing ---------------------------------------------------------------------


def _failing_on_the_third_notebook(monkeypatch):
    calls = []
    real = engagement.write_text

    def failing(path, text):
        calls.append(path)
        if len(calls) == 3:
            raise OSError(errno.ENOSPC, "No space left on device")
        real(path, text)

    monkeypatch.setattr(engagement, "write_text", failing)


def test_new_removes_the_folders_it_made_when_a_later_write_fails(tmp_path, monkeypatch, capsys):
    _failing_on_the_third_notebook(monkeypatch)
    folder = tmp_path / "clients" / "acme" / "2026"
    assert main(["new", str(folder)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert "no space left on the device" in err
    assert f"nothing of {folder} was kept" in err
    assert list(tmp_path.iterdir()) == []


def test_new_in_an_empty_folder_removes_only_its_own_files(tmp_path, monkeypatch):
    _failing_on_the_third_notebook(monkeypatch)
    folder = tmp_path / "acme"
    folder.mkdir()
    with pytest.raises(OutputNotWritableError, match="no space left"):
        new_engagement(folder)
    assert folder.is_dir()
    assert list(folder.iterdir()) == []


def test_an_os_error_no_writer_turned_into_a_message_is_still_one_line(monkeypatch, capsys):
    def refused(path, **kwargs):
        raise PermissionError(errno.EACCES, "Permission denied", "/srv/shared\nx/t.xlsx")

    monkeypatch.setattr(nistpf, "write_template", refused)
    assert main(["template", "t.xlsx"]) == 2
    err = capsys.readouterr().err
    assert err == (
        "nistpf: /srv/shared\\nx/t.xlsx: permission denied; choose a folder you can write to, "
        "or ask for access\n"
    )


def test_an_output_through_a_bind_mount_of_the_csv_folder_is_inside_it(tmp_path, capsys):
    """The CSV source folder reached by a bind mount resolves to another path, but it is the
    same folder (device and inode): nothing may be written into it that way either (a new
    .csv there would be read as a sheet next time)."""
    import subprocess

    if not is_root() and not os.environ.get("CI"):
        pytest.skip("a bind mount needs root")
    source = tmp_path / "client"
    source.mkdir()
    write_csv_folder(source, valid_sheets())
    before = sorted(os.listdir(source))
    mirror = tmp_path / "mirror"
    mirror.mkdir()
    subprocess.run(["mount", "--bind", str(source), str(mirror)], check=True)
    try:
        for command in (
            ["report", str(source), "--html", str(mirror / "report.html")],
            ["map", str(source), "-o", str(mirror / "new.toml")],
        ):
            assert main(command) == 2, command
            err = capsys.readouterr().err
            assert err.count("\n") == 1, err
            assert f"is inside the source folder {source}" in err, err
    finally:
        subprocess.run(["umount", str(mirror)], check=True)
    assert sorted(os.listdir(source)) == before


@pytest.mark.parametrize("size", ["200k", "1m"])
def test_demo_on_a_full_disk_keeps_nothing_it_made(tmp_path, capsys, size):
    """The demo stopped by a full disk removes the files this run made and the folders it
    created, and keeps a file that was there before (here a note of the consultant's)."""
    import subprocess

    if not is_root() and not os.environ.get("CI"):
        pytest.skip("mounting a small file system needs root")
    with place("full", tmp_path) as disk:
        subprocess.run(["mount", "-o", f"remount,size={size}", str(disk)], check=True)
        (disk / "notes.txt").write_text("mine")
        assert main(["demo", "-o", str(disk / "out")]) == 2
        err = capsys.readouterr().err
        assert err.count("\n") == 1, err
        assert "no space left on the device" in err, err
        assert sorted(os.listdir(disk)) == ["notes.txt"]
        assert (disk / "notes.txt").read_text() == "mine"
