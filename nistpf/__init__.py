"""nistpf — assess a customer-experience (CX) stack against the NIST Privacy Framework.

>>> import nistpf
>>> fw = nistpf.framework("1.0")
>>> len(fw.subcategories)
100
>>> nistpf.normalize_id("IDIM-P01")
'ID.IM-P1'
"""

from nistpf.assessment import Assessment, Explanation, compare
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
from nistpf.scoring import assess

__version__ = "0.1.0"

__all__ = [
    "Assessment",
    "Element",
    "Explanation",
    "Framework",
    "Inventory",
    "InventoryError",
    "MappingError",
    "NistpfError",
    "Reference",
    "UnknownCrosswalkError",
    "UnknownIdError",
    "UnknownVersionError",
    "UnreadableInventoryError",
    "__version__",
    "assess",
    "compare",
    "framework",
    "load_inventory",
    "normalize_id",
    "sample_path",
    "versions",
    "write_template",
]
