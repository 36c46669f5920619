"""Scaffolding a new engagement folder: the inventory template for the client, the guided
notebooks, and the engagement store that keeps every rating.

>>> paths = new_engagement("acme-2026")   # doctest: +SKIP
>>> sorted(paths)                          # doctest: +SKIP
['inventory', 'notebooks', 'store']

The notebooks sit beside the store and the inventory, so their ``"engagement.nistpf"`` and
``"inventory.xlsx"`` are the engagement's own.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from nistpf.errors import NistpfError
from nistpf.inventory.template import write_template
from nistpf.store import open_store

STORE_NAME = "engagement.nistpf"
INVENTORY_NAME = "inventory.xlsx"
_PACKAGED = Path(__file__).resolve().parent / "_notebooks"  # where a wheel carries notebooks/
_REPOSITORY = Path(__file__).resolve().parents[1] / "notebooks"


class EngagementExistsError(NistpfError, FileExistsError):
    """The folder for a new engagement already holds files."""

    code = "engagement-exists"


def notebooks_dir() -> Path:
    """The guided notebooks shipped with nistpf (an installed wheel's, or the checkout's)."""
    return _PACKAGED if _PACKAGED.is_dir() else _REPOSITORY


def new_engagement(folder: str | Path, *, name: str | None = None) -> dict[str, Path]:
    """Create ``folder`` with ``inventory.xlsx`` (the blank template to send the client),
    copies of the guided notebooks, and ``engagement.nistpf`` (the store), all side by side.
    Refuses a folder that already holds files, so nothing is ever overwritten. Returns the
    paths: ``inventory``, ``store`` and ``notebooks`` (the folder holding them)."""
    folder = Path(folder)
    if folder.exists() and (not folder.is_dir() or any(folder.iterdir())):
        raise EngagementExistsError(
            f"{folder} already exists and is not empty; choose a new folder for the engagement"
        )
    folder.mkdir(parents=True, exist_ok=True)
    inventory = write_template(folder / INVENTORY_NAME)
    notebooks = folder
    for notebook in sorted(notebooks_dir().glob("*.ipynb")):
        shutil.copy2(notebook, folder / notebook.name)
    store = open_store(folder / STORE_NAME)
    store.set_engagement_name(name or folder.resolve().name)
    return {"inventory": inventory, "notebooks": notebooks, "store": store.path}
