"""PNG and PDF charts through kaleido and the system's Chromium (CI installs Debian's)."""

from __future__ import annotations

import os
import struct
from pathlib import Path

import kaleido
import pytest
from kaleido.errors import ChromeNotFoundError, KaleidoError

import nistpf
from nistpf.errors import BrowserMissingError, ImageExportError, NistpfError
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
    """One ``write_images`` call per format set, with spies counting how often kaleido is
    called and how often it starts a browser (``Kaleido.open``)."""
    calls = {"write": 0, "open": 0}
    original_write = kaleido.write_fig_from_object_sync
    original_open = kaleido.Kaleido.open

    def write(*args, **kwargs):
        calls["write"] += 1
        return original_write(*args, **kwargs)

    async def open_(self):
        calls["open"] += 1
        return await original_open(self)

    results = {}
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(kaleido, "write_fig_from_object_sync", write)
        patch.setattr(kaleido.Kaleido, "open", open_)
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
        assert counted == {"write": 1, "open": 1}, key


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
    def fail(*args, **kwargs):
        raise KaleidoError(525, "render failed\nwith a long trace")

    monkeypatch.setattr(kaleido, "write_fig_from_object_sync", fail)
    with pytest.raises(ImageExportError) as caught:
        images.render([], browser="/usr/bin/chromium")
    assert "\n" not in str(caught.value)
    assert caught.value.code == "image-export-failed"

    def no_chrome(*args, **kwargs):
        raise ChromeNotFoundError("kaleido's own words")

    monkeypatch.setattr(kaleido, "write_fig_from_object_sync", no_chrome)
    with pytest.raises(BrowserMissingError):
        images.render([], browser="/usr/bin/chromium")


def test_a_failed_run_leaves_the_folder_as_it_was(assessment, tmp_path, monkeypatch):
    folder = tmp_path / "pack"
    folder.mkdir()
    (folder / "heatmap.png").write_bytes(b"the previous image")

    def half_then_fail(jobs, **kwargs):
        Path(jobs[0]["path"]).write_bytes(PNG_SIGNATURE)  # a half-written file
        raise KaleidoError(525, "render failed")

    monkeypatch.setattr(images, "find_browser", lambda: "/usr/bin/chromium")
    monkeypatch.setattr(kaleido, "write_fig_from_object_sync", half_then_fail)
    with pytest.raises(ImageExportError):
        write_images(assessment, folder)
    assert os.listdir(folder) == ["heatmap.png"]
    assert (folder / "heatmap.png").read_bytes() == b"the previous image"


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
