"""Shared fixtures: the shipped framework, and the reference material beside the repository."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

import nistpf

ROOT = Path(__file__).resolve().parents[1]
REFERENCE = ROOT.parent / "shared" / "reference"


def require_reference() -> Path:
    """The ``../shared/reference`` folder. Outside CI a checkout without it skips the test;
    in CI (``CI`` set) its absence is a failure, never a skip."""
    if not REFERENCE.is_dir():
        if os.environ.get("CI"):
            raise RuntimeError(
                f"{REFERENCE} is missing; CI must run with ../shared beside the repo"
            )
        pytest.skip(f"{REFERENCE} is not beside this checkout")
    return REFERENCE


@pytest.fixture(scope="session")
def reference() -> Path:
    return require_reference()


@pytest.fixture(scope="session")
def fw() -> nistpf.Framework:
    return nistpf.framework("1.0")
