"""PNG and PDF charts through kaleido and the system's Chromium (CI installs Debian's).

The failures of the operating system — a file where the folder should be, a read-only folder, a
full disk — are made for real: as root, a read-only and a small tmpfs are mounted, and a
non-root user (nobody) meets a read-only folder; tests that need root skip without it, except
in CI (``CI`` set), where they fail.
"""

from __future__ import annotations

import logging
import os
import shutil
import stat
import struct
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import kaleido
import pytest
from choreographer.browsers import Chromium
from choreographer.channels import Pipe
from choreographer.errors import ChannelClosedError
from kaleido.errors import ChromeNotFoundError, KaleidoError

import nistpf
from nistpf.cli import main
from nistpf.errors import (
    BrowserMissingError,
    ImageExportError,
    NistpfError,
    OutputNotWritableError,
)
from nistpf.export import images
from nistpf.export.images import CHARTS, find_browser, write_images

NO_BROWSER = (
    "cannot render images: no Chromium or Chrome found; install it (Debian/Ubuntu: apt-get "
    "install chromium) or set BROWSER_PATH to its executable"
)
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="module")
def assessment() -> nistpf.Assessment:
    return nistpf.assess(nistpf.load_inventory(nistpf.sample_path()))


@pytest.fixture(scope="module")
def runs(assessment, tmp_path_factory) -> dict[str, tuple[Path, list[Path], dict[str, int]]]:
    """One ``write_images`` call per format set, with spies counting how often a browser is
    started (``Kaleido.open``) and how many figures it is asked to draw (``calc_fig``)."""
    calls = {"open": 0, "draw": 0}
    original_open = kaleido.Kaleido.open
    original_draw = kaleido.Kaleido.calc_fig

    async def open_(self):
        calls["open"] += 1
        return await original_open(self)

    async def draw(self, *args, **kwargs):
        calls["draw"] += 1
        return await original_draw(self, *args, **kwargs)

    results = {}
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(kaleido.Kaleido, "open", open_)
        patch.setattr(kaleido.Kaleido, "calc_fig", draw)
        for key, options in {"png": {}, "pdf": {"formats": ("pdf",), "scale": 1}}.items():
            before = dict(calls)
            folder = tmp_path_factory.mktemp(key) / "pack"
            paths = write_images(assessment, folder, **options)
            results[key] = (folder, paths, {k: calls[k] - before[k] for k in calls})
    return results


def png_size(path: Path) -> tuple[int, int]:
    data = path.read_bytes()[:24]
    assert data[:8] == PNG_SIGNATURE, f"{path.name} is not a PNG"
    assert data[12:16] == b"IHDR"
    return struct.unpack(">II", data[16:24])


def test_write_images_writes_every_chart_as_png_by_default(runs):
    folder, paths, _ = runs["png"]
    assert [p.name for p in paths] == [f"{name}.png" for name in CHARTS]
    assert paths == [folder / p.name for p in paths]
    for path in paths:
        assert path.stat().st_size > 5_000, path.name


def test_png_dimensions_are_the_chart_size_times_scale(runs, assessment):
    _, paths, _ = runs["png"]
    figures = images.chart_figures(assessment)
    for path in paths:
        name = path.stem
        height = figures[name].layout.height or CHARTS[name].height
        assert png_size(path) == (CHARTS[name].width * 2, height * 2), name


def test_pdf_when_asked(runs):
    _, paths, _ = runs["pdf"]
    assert [p.name for p in paths] == [f"{name}.pdf" for name in CHARTS]
    for path in paths:
        assert path.read_bytes()[:5] == b"%PDF-", path.name


def test_the_browser_starts_once_per_call(runs):
    for key in ("png", "pdf"):
        _, _, counted = runs[key]
        assert counted == {"open": 1, "draw": len(CHARTS)}, key


def test_no_temporary_files_are_left(runs):
    for key in ("png", "pdf"):
        folder, paths, _ = runs[key]
        assert sorted(os.listdir(folder)) == sorted(p.name for p in paths)


def test_missing_browser_is_one_line(assessment, tmp_path, monkeypatch):
    empty = tmp_path / "empty-path"
    empty.mkdir()
    monkeypatch.setenv("BROWSER_PATH", str(tmp_path / "no-such-chromium"))
    monkeypatch.setenv("PATH", str(empty))
    with pytest.raises(BrowserMissingError) as caught:
        write_images(assessment, tmp_path / "out")
    assert str(caught.value) == NO_BROWSER
    assert caught.value.code == "browser-missing"
    assert isinstance(caught.value, NistpfError)
    assert not (tmp_path / "out").exists()


def test_kaleido_no_chrome_error_becomes_browser_missing(tmp_path):
    # choreographer raises ChromeNotFoundError for a path that is not a browser
    job = {"fig": {"data": []}, "path": tmp_path / "x.png", "opts": {"format": "png"}}
    with pytest.raises(BrowserMissingError) as caught:
        images.render([job], browser=str(tmp_path / "no-such-chromium"))
    assert str(caught.value) == NO_BROWSER


def test_kaleido_errors_are_one_nistpf_error(monkeypatch, tmp_path):
    job = {"fig": {"data": []}, "opts": {"format": "png"}}

    async def fail(self):
        raise KaleidoError(525, "render failed\nwith a long trace")

    monkeypatch.setattr(kaleido.Kaleido, "open", fail)
    with pytest.raises(ImageExportError) as caught:
        images.render([job], browser="/usr/bin/chromium")
    assert "\n" not in str(caught.value)
    assert caught.value.code == "image-export-failed"

    async def gone(self):
        raise ChannelClosedError("Executor is closed.")  # as a browser dying mid-render does

    monkeypatch.setattr(kaleido.Kaleido, "open", gone)
    with pytest.raises(ImageExportError) as caught:
        images.render([job], browser="/usr/bin/chromium")
    assert str(caught.value) == (
        "cannot render images with /usr/bin/chromium: ChannelClosedError: Executor is closed."
    )

    async def no_chrome(self):
        raise ChromeNotFoundError("kaleido's own words")

    monkeypatch.setattr(kaleido.Kaleido, "open", no_chrome)
    with pytest.raises(BrowserMissingError):
        images.render([job], browser="/usr/bin/chromium")


def test_the_browsers_goodbye_is_not_printed(caplog):
    """choreographer logs the wrapper's closing ``{bye}`` as a JSON error, with a traceback, at
    random; nistpf drops that record, and only that one."""
    pipe = logging.getLogger("choreographer.channels.pipe")
    with caplog.at_level(logging.ERROR):
        try:
            raise ValueError("{bye}")
        except ValueError:
            pipe.exception("JSONError decoding message. Ignoring")
            pipe.exception("Error in trying to decode JSON off our read.")
    assert [record.getMessage() for record in caplog.records] == [
        "Error in trying to decode JSON off our read."
    ]


def test_no_job_starts_no_browser(monkeypatch):
    def fail(*args, **kwargs):
        raise AssertionError("a browser was started")

    monkeypatch.setattr(kaleido, "Kaleido", fail)
    assert images.render([], browser="/usr/bin/chromium") == []
    assert images.render_png({}, browser="/usr/bin/chromium") == {}


def test_a_failed_render_leaves_the_folder_as_it_was(assessment, tmp_path, monkeypatch):
    folder = tmp_path / "pack"
    folder.mkdir()
    (folder / "heatmap.png").write_bytes(b"the previous image")

    def fail(jobs, **kwargs):
        raise ImageExportError("render failed")

    monkeypatch.setattr(images, "find_browser", lambda: "/usr/bin/chromium")
    monkeypatch.setattr(images, "render", fail)
    with pytest.raises(ImageExportError):
        write_images(assessment, folder)
    assert os.listdir(folder) == ["heatmap.png"]
    assert (folder / "heatmap.png").read_bytes() == b"the previous image"
    # a folder the call made (and its parents) is gone again
    with pytest.raises(ImageExportError):
        write_images(assessment, tmp_path / "new" / "pack")
    assert sorted(os.listdir(tmp_path)) == ["pack"]


def test_find_browser_honours_browser_path_then_path(tmp_path, monkeypatch):
    fake = tmp_path / "bin" / "chromium"
    fake.parent.mkdir()
    fake.write_text("#!/bin/sh\n")
    fake.chmod(0o755)
    monkeypatch.setenv("BROWSER_PATH", str(fake))
    assert find_browser() == str(fake)
    monkeypatch.delenv("BROWSER_PATH")
    monkeypatch.setenv("PATH", str(fake.parent))
    assert find_browser() == str(fake)


def test_options_are_checked(assessment, tmp_path):
    with pytest.raises(ValueError, match="formats: 'svg' is not supported"):
        write_images(assessment, tmp_path, formats=("svg",))
    with pytest.raises(ValueError, match="scale"):
        write_images(assessment, tmp_path, scale=0)
    with pytest.raises(ValueError, match="no chart named 'pie'"):
        images.chart_figures(assessment, ["pie"])


# -- the browser's command line ------------------------------------------------------------

# The switches the project's issue names for a browser that reaches no network service.
OFFLINE_SWITCHES = (
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-default-apps",
    "--disable-domain-reliability",
    "--disable-client-side-phishing-detection",
    "--metrics-recording-only",
    "--no-pings",
    "--dns-prefetch-disable",
    "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE localhost , EXCLUDE 127.0.0.1",
)
OFFLINE_FEATURES = {
    "OptimizationHints",
    "MediaRouter",
    "Translate",
    "AutofillServerCommunication",
    "NetworkTimeServiceQuerying",
}
FEATURES = "--disable-features="


@contextmanager
def command_line(browser_cls: type, executable: Path) -> Iterator[tuple[list[str], Path]]:
    """The command line choreographer would start ``browser_cls`` with, and its profile
    folder, removed at the end."""
    channel = Pipe()
    browser = browser_cls(channel, path=str(executable))
    try:
        browser.pre_open()
        yield list(browser.get_cli()), Path(browser.tmp_dir.path)
    finally:
        browser.clean()
        channel.close()


def test_the_browser_is_started_offline(tmp_path):
    fake = tmp_path / "chromium"
    fake.write_text("#!/bin/sh\nexit 1\n")
    fake.chmod(0o755)
    with command_line(Chromium, fake) as (plain, _):
        pass
    with command_line(images.OfflineChromium, fake) as (command, profile):
        assert command[-1] == "about:blank"  # not the search engine's start page
        for switch in OFFLINE_SWITCHES:
            assert switch in command, switch
        features = [switch for switch in command if switch.startswith(FEATURES)]
        assert len(features) == 1  # Chromium takes only the last one
        assert set(features[0][len(FEATURES) :].split(",")) >= OFFLINE_FEATURES
        manifests = [s for s in command if s.startswith(images.MODEL_MANIFEST_SWITCH + "=")]
        assert len(manifests) == 1
        folder = Path(manifests[0].partition("=")[2])
        assert folder.parent == profile
        assert folder.is_dir()
        assert list(folder.iterdir()) == []
        # choreographer's own command line comes first, whole (but for the profile's folder,
        # a new one at every start)
        own = [
            f"--user-data-dir={profile}" if s.startswith("--user-data-dir=") else s for s in plain
        ]
        assert command[: len(own)] == own


def test_features_disabled_before_stay_disabled(tmp_path):
    command = images.browser_command(
        ["chromium", "--disable-features=Foo,Bar", "--headless"], tmp_path
    )
    features = [switch for switch in command if switch.startswith(FEATURES)]
    assert len(features) == 1
    assert {"Foo", "Bar"} | OFFLINE_FEATURES <= set(features[0][len(FEATURES) :].split(","))
    assert command[:2] == ["chromium", "--headless"]


# -- failures of the operating system: one line, nothing left behind --------------------------


def _require(reason: str) -> None:
    if os.environ.get("CI"):
        pytest.fail(f"{reason}; CI must run this test", pytrace=False)
    pytest.skip(reason)


@contextmanager
def mounted(where: Path, options: str) -> Iterator[Path]:
    """A tmpfs mounted at ``where`` (made here) with ``options``, unmounted at the end."""
    if os.geteuid() != 0 or shutil.which("mount") is None:
        _require("needs root (and mount) to mount a tmpfs")
    where.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(where)], check=True)
    try:
        yield where
    finally:
        subprocess.run(["umount", str(where)], check=True)


@pytest.fixture
def no_browser(tmp_path, monkeypatch) -> Path:
    """BROWSER_PATH naming a "browser" that fails at once: a check made before the browser
    starts answers, or the test fails with the browser's error instead."""
    fake = tmp_path / "bin" / "chromium"
    fake.parent.mkdir()
    fake.write_text("#!/bin/sh\nexit 1\n")
    fake.chmod(0o755)
    monkeypatch.setenv("BROWSER_PATH", str(fake))
    return fake


def one_line(capsys) -> str:
    err = capsys.readouterr().err
    assert len(err.splitlines()) == 1, err
    assert err.startswith("nistpf: cannot write "), err
    return err.strip()


def test_a_file_where_the_folder_should_be_is_one_line(assessment, tmp_path, no_browser, capsys):
    file = tmp_path / "pack"
    file.write_bytes(b"a file, not a folder")
    before = sorted(os.listdir(tmp_path))
    with pytest.raises(OutputNotWritableError) as caught:
        write_images(assessment, file)
    assert str(caught.value) == (
        f"cannot write {file}: it is a file, not a folder; name a folder for the images"
    )
    assert isinstance(caught.value, NistpfError)
    with pytest.raises(OutputNotWritableError) as caught:
        write_images(assessment, file / "pack")
    assert str(caught.value) == (
        f"cannot write {file / 'pack'}: {file} is a file, not a folder; name a folder for the "
        "images"
    )
    assert main(["report", str(nistpf.sample_path()), "--png", str(file)]) == 2
    line = one_line(capsys)
    assert str(file) in line
    assert "not a folder" in line
    assert file.read_bytes() == b"a file, not a folder"
    assert sorted(os.listdir(tmp_path)) == before


def test_an_image_name_taken_by_a_folder_is_one_line(assessment, tmp_path, no_browser):
    folder = tmp_path / "pack"
    (folder / "heatmap.png").mkdir(parents=True)
    with pytest.raises(OutputNotWritableError) as caught:
        write_images(assessment, folder)
    assert str(caught.value) == (
        f"cannot write {folder / 'heatmap.png'}: it is a folder; move it away or choose another "
        "folder for the images"
    )
    assert os.listdir(folder) == ["heatmap.png"]


READ_ONLY_RUN = textwrap.dedent(
    """
    import sys
    import nistpf
    from nistpf.cli import main
    from nistpf.errors import OutputNotWritableError
    from nistpf.export.images import write_images

    folder = sys.argv[1]
    a = nistpf.assess(nistpf.load_inventory(nistpf.sample_path()))
    for target in (folder, folder + "/pack"):
        try:
            write_images(a, target)
        except OutputNotWritableError as error:
            print(error)
        else:
            print("written")
    sys.exit(main(["report", str(nistpf.sample_path()), "--png", folder + "/pack"]))
    """
)


def test_a_read_only_folder_is_one_line(tmp_path):
    """A user who may not write in the folder (root may: the run is nobody's then, who can
    read everything, capability CAP_DAC_READ_SEARCH, and write only where others may). The
    "browser" is ``false``, which anyone may run: it fails at once if it is started."""
    folder = tmp_path / "read-only"
    folder.mkdir()
    folder.chmod(0o555)
    home = tmp_path / "home"
    home.mkdir()
    home.chmod(0o777)
    command = [sys.executable, "-c", READ_ONLY_RUN, str(folder)]
    if os.geteuid() == 0:
        if shutil.which("setpriv") is None:
            _require("needs util-linux's setpriv to run as a user who is not root")
        command = [
            "setpriv",
            "--reuid=65534",
            "--regid=65534",
            "--clear-groups",
            "--inh-caps=+dac_read_search",
            "--ambient-caps=+dac_read_search",
            *command,
        ]
    try:
        done = subprocess.run(
            command,
            capture_output=True,
            text=True,
            timeout=300,
            env={**os.environ, "HOME": str(home), "BROWSER_PATH": shutil.which("false")},
            cwd=home,
        )
    finally:
        folder.chmod(0o755)
    library = done.stdout.splitlines()
    assert len(library) == 2, done.stdout + done.stderr
    assert library[0].startswith(f"cannot write {folder}: permission denied; "), library
    assert library[1].startswith(f"cannot write {folder}/pack: permission denied; "), library
    assert done.returncode == 2, done.stderr
    line = done.stderr.strip()
    assert len(done.stderr.splitlines()) == 1, done.stderr
    assert line.startswith(f"nistpf: cannot write {folder}/pack: "), line
    assert "permission denied" in line or "read-only" in line, line
    assert os.listdir(folder) == []


def test_a_read_only_disk_is_one_line(assessment, tmp_path, no_browser, capsys):
    with mounted(tmp_path / "disk", "ro,size=64k") as disk:
        for target in (disk, disk / "pack"):
            with pytest.raises(OutputNotWritableError) as caught:
                write_images(assessment, target)
            assert str(caught.value).startswith(
                f"cannot write {target}: the file system is read-only; "
            )
        assert main(["report", str(nistpf.sample_path()), "--png", str(disk / "pack")]) == 2
        line = one_line(capsys)
        assert f"{disk}/pack: " in line
        assert "read-only" in line
        assert os.listdir(disk) == []


def test_a_full_disk_is_one_line_and_leaves_nothing(tmp_path, capsys):
    """The images of the sample take about 2.9 MB at scale 2: 300 kB holds the first only."""
    with mounted(tmp_path / "disk", "size=300k") as disk:
        assert main(["report", str(nistpf.sample_path()), "--png", str(disk / "pack")]) == 2
        line = one_line(capsys)
        assert line.startswith(f"nistpf: cannot write {disk}/pack/"), line
        assert ".png: no space left on the device; " in line
        assert os.listdir(disk) == []  # no image, no temporary file, not the folder it made


def test_a_full_disk_keeps_the_images_there_were(assessment, tmp_path, monkeypatch):
    with mounted(tmp_path / "disk", "size=300k") as disk:
        folder = disk / "pack"
        folder.mkdir()
        (folder / "heatmap.png").write_bytes(b"the previous image")
        monkeypatch.setattr(images, "find_browser", lambda: "/usr/bin/chromium")
        monkeypatch.setattr(
            images, "render", lambda jobs, **kwargs: [b"\0" * 100_000 for _ in jobs]
        )
        with pytest.raises(OutputNotWritableError) as caught:
            write_images(assessment, folder)
        assert "no space left on the device" in str(caught.value)
        assert os.listdir(folder) == ["heatmap.png"]
        assert (folder / "heatmap.png").read_bytes() == b"the previous image"


def test_an_image_name_taken_by_a_pipe_is_one_line_and_the_pipe_stays(
    assessment, tmp_path, no_browser
):
    """A named pipe where an image goes is refused before the browser starts (a write would
    replace it, or an open of it wait for a reader for ever) and is left as it was."""
    folder = tmp_path / "pack"
    folder.mkdir()
    os.mkfifo(folder / "heatmap.png")
    with pytest.raises(OutputNotWritableError) as caught:
        write_images(assessment, folder)
    assert str(caught.value).startswith(
        f"cannot write {folder / 'heatmap.png'}: it is a named pipe"
    )
    assert stat.S_ISFIFO(os.lstat(folder / "heatmap.png").st_mode)
    assert os.listdir(folder) == ["heatmap.png"]


def test_an_image_that_is_a_symbolic_link_is_written_through_it(assessment, tmp_path, monkeypatch):
    """An image name that is a symbolic link (to a shared folder's copy) gets the new image in
    the file it points to; the link stays a link."""
    shared = tmp_path / "shared"
    shared.mkdir()
    (shared / "heatmap.png").write_bytes(b"last year's image")
    folder = tmp_path / "pack"
    folder.mkdir()
    (folder / "heatmap.png").symlink_to(shared / "heatmap.png")
    monkeypatch.setattr(images, "find_browser", lambda: "/usr/bin/chromium")
    monkeypatch.setattr(images, "render", lambda jobs, **kwargs: [b"new image" for _ in jobs])
    write_images(assessment, folder)
    assert (folder / "heatmap.png").is_symlink()
    assert (shared / "heatmap.png").read_bytes() == b"new image"
    assert sorted(os.listdir(shared)) == ["heatmap.png"]  # no temporary file left beside it
