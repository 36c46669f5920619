"""Shared fixtures: the shipped framework, and the material in ``../shared`` beside the repository.

``../shared`` (NIST's workbooks, real published registers) is not part of the repository: a clone
has only the repository. Tests reach it only through fixtures built on :func:`shared_path`, never
at import time, so a clone without it collects the whole suite and skips just those tests.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

import nistpf

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"

# The fixtures that need ../shared; tests using any of them carry the ``shared`` marker, so
# ``pytest -m shared`` selects exactly the tests a clone without ../shared skips.
SHARED_FIXTURES = frozenset({"reference", "real_world", "fides_csv"})


def shared_path(*parts: str) -> Path:
    """``../shared/<parts>``. Where it is missing, the test is skipped with a reason naming it,
    except in CI (``CI`` set), where a missing ../shared fails the test: CI must never pass by
    skipping. Call it from a fixture or a test, never at import time (a skip there stops the
    collection of the whole suite)."""
    path = SHARED.joinpath(*parts)
    if not path.exists():
        shown = "/".join(("../shared", *parts))
        if os.environ.get("CI"):
            pytest.fail(
                f"{shown} is missing ({path}); CI must run with ../shared beside the repository",
                pytrace=False,
            )
        pytest.skip(f"needs {shown} beside the repository, and this checkout has none")
    return path


def soffice(why: str) -> str:
    """LibreOffice's ``soffice``, which a test needs for ``why`` (see :func:`tool`)."""
    return tool("soffice", "libreoffice-calc", why)


def dot(why: str) -> str:
    """Graphviz's ``dot``, which a test needs for ``why`` (see :func:`tool`)."""
    return tool("dot", "graphviz", why)


def tool(command: str, package: str, why: str) -> str:
    """The path of ``command`` (Debian's ``package``), which a test needs for ``why``: skipped
    where it is missing, except in CI (.ci/run installs the package), where that fails it."""
    found = shutil.which(command)
    if not found:
        if os.environ.get("CI"):
            pytest.fail(f"needs {command} ({package}) {why}")
        pytest.skip(f"needs {command} ({package}) {why}")
    return found


@pytest.fixture(scope="session")
def executed_notebook(tmp_path_factory):
    """``run(path)``: the notebook at ``path`` executed top to bottom (nbclient, the python3
    kernel) in a folder of its own, once per session whichever tests read its outputs."""
    import nbformat
    from nbclient import NotebookClient

    done: dict[Path, object] = {}

    def run(path: Path):
        path = Path(path).resolve()
        if path not in done:
            notebook = nbformat.read(path, as_version=4)
            folder = tmp_path_factory.mktemp(Path(path).stem)
            NotebookClient(
                notebook,
                timeout=300,
                kernel_name="python3",
                resources={"metadata": {"path": str(folder)}},
            ).execute()
            done[path] = notebook
        return done[path]

    return run


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "shared: needs ../shared beside the repository (added from the fixtures used)"
    )


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if SHARED_FIXTURES.intersection(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.shared)


@pytest.fixture(scope="session")
def reference() -> Path:
    """NIST's workbooks and the verified Core and Tier tables: ``../shared/reference``."""
    return shared_path("reference")


@pytest.fixture(scope="session")
def real_world() -> Path:
    """Registers and data maps privacy teams publish: ``../shared/samples/real-world``."""
    return shared_path("samples", "real-world")


@pytest.fixture(scope="session")
def fides_csv() -> Path:
    """The Fides data-category taxonomy, as published."""
    return shared_path("samples", "real-world", "fideslang--data_categories.csv")


@pytest.fixture(scope="session")
def fw() -> nistpf.Framework:
    return nistpf.framework("1.0")
