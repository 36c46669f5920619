"""The README's quick start on a machine that has only the repository: a copy of the tracked
files, with no ``../shared`` beside it, collects the whole suite without an error, and the tests
that need ``../shared`` skip there, saying so."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT


def tracked_files() -> list[str]:
    try:
        listed = subprocess.run(
            ["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True
        ).stdout
    except (OSError, subprocess.CalledProcessError):
        pytest.skip(f"{ROOT} is not a git checkout, so its tracked files cannot be listed")
    return [name for name in listed.decode().split("\0") if name]


@pytest.fixture(scope="module")
def clone(tmp_path_factory) -> Path:
    """The tracked files of the working tree, copied into a folder with no ``shared`` beside."""
    copy = tmp_path_factory.mktemp("quickstart") / "nistpf"
    for name in tracked_files():
        source = ROOT / name
        if source.is_file():  # a tracked file deleted in the working tree is not copied
            target = copy / name
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target)
    assert not (copy.parent / "shared").exists()
    return copy


def pytest_in(folder: Path, *args: str) -> subprocess.CompletedProcess:
    """pytest run in ``folder`` by this interpreter, as outside CI (``CI`` unset)."""
    env = {k: v for k, v in os.environ.items() if k not in ("CI", "PYTEST_ADDOPTS")}
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", *args],
        cwd=folder,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_a_clone_without_shared_collects_every_test_without_an_error(clone):
    run = pytest_in(clone, "--collect-only", "-q")
    summary = run.stdout.strip().splitlines()[-1]
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    assert "error" not in summary, summary
    # Nothing skipped at import time either: a skip there would hide a whole module.
    assert "skipped" not in summary, summary
    # pytest adds "(h:mm:ss)" to a run of a minute or more (a loaded machine's collection).
    assert re.fullmatch(r"\d+ tests collected in [\d.]+s( \(\d+:\d\d:\d\d\))?", summary), summary


def test_a_clone_without_shared_skips_the_tests_that_need_it_naming_it(clone):
    run = pytest_in(clone, "-q", "-rs", "tests/test_crosswalks_convert.py")
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    reasons = [line for line in run.stdout.splitlines() if line.startswith("SKIPPED")]
    assert reasons, run.stdout[-3000:]
    assert all("needs ../shared/reference beside the repository" in r for r in reasons), reasons
    assert re.search(r"\d+ passed, \d+ skipped", run.stdout.splitlines()[-1]), run.stdout
