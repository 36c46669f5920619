"""nistpf — assess a customer-experience (CX) stack against the NIST Privacy Framework.

>>> import nistpf
>>> fw = nistpf.framework("1.0")
>>> len(fw.subcategories)
100
>>> nistpf.normalize_id("IDIM-P01")
'ID.IM-P1'

The whole job, from the client's workbook to what leadership receives::

    inventory = nistpf.load_inventory("acme-inventory.xlsx")
    assessment = nistpf.assess(inventory)
    nistpf.write_gap_register(assessment, "acme-gap-register.xlsx")
    nistpf.write_report(assessment, "acme-report.html")
    nistpf.write_deck(assessment, "acme-deck.pptx")
"""

from nistpf.assessment import Assessment, Explanation, compare
from nistpf.engagement import Engagement, new_engagement, open_engagement
from nistpf.errors import (
    InventoryError,
    NistpfError,
    UnknownCrosswalkError,
    UnknownIdError,
    UnknownVersionError,
    UnreadableInventoryError,
)
from nistpf.framework import Element, Framework, Reference, framework, normalize_id, versions
from nistpf.inventory import Inventory, MappingError, load_inventory
from nistpf.inventory.template import write_template
from nistpf.sample import sample_path
from nistpf.scoring import SettingsError, assess
from nistpf.store import Store, StoreError, open_store

__version__ = "0.1.0"

# The writers pull in openpyxl, plotly, python-pptx and kaleido; they load on first use, so that
# `import nistpf` and quick commands stay fast.
_LAZY = {
    "trace": "nistpf.flows.trace",
    "pram": ("nistpf.flows.pram", "analyse"),
    "read_pram_edits": "nistpf.export.pram_workbook",
    "write_pram_workbook": "nistpf.export.pram_workbook",
    "write_deck": "nistpf.export.deck",
    "write_gap_register": "nistpf.export.excel",
    "write_images": "nistpf.export.images",
    "read_register_edits": "nistpf.export.register_edits",
    "write_report": "nistpf.export.report",
}


def __getattr__(name: str):
    if name in _LAZY:
        import importlib

        module, attribute = _LAZY[name] if isinstance(_LAZY[name], tuple) else (_LAZY[name], name)
        return getattr(importlib.import_module(module), attribute)
    raise AttributeError(f"module 'nistpf' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(__all__)


__all__ = [
    "Assessment",
    "Element",
    "Engagement",
    "Explanation",
    "Framework",
    "Inventory",
    "InventoryError",
    "MappingError",
    "NistpfError",
    "Reference",
    "SettingsError",
    "Store",
    "StoreError",
    "UnknownCrosswalkError",
    "UnknownIdError",
    "UnknownVersionError",
    "UnreadableInventoryError",
    "__version__",
    "assess",
    "compare",
    "framework",
    "load_inventory",
    "new_engagement",
    "normalize_id",
    "open_engagement",
    "open_store",
    "pram",
    "read_pram_edits",
    "read_register_edits",
    "sample_path",
    "trace",
    "versions",
    "write_deck",
    "write_gap_register",
    "write_images",
    "write_pram_workbook",
    "write_report",
    "write_template",
]
