"""nistpf — assess a customer-experience (CX) stack against the NIST Privacy Framework.

>>> import nistpf
>>> fw = nistpf.framework("1.0")
>>> len(fw.subcategories)
100
>>> nistpf.normalize_id("IDIM-P01")
'ID.IM-P1'
"""

from nistpf.errors import (
    NistpfError,
    UnknownCrosswalkError,
    UnknownIdError,
    UnknownVersionError,
)
from nistpf.framework import Element, Framework, Reference, framework, normalize_id, versions

__version__ = "0.1.0"

__all__ = [
    "Element",
    "Framework",
    "NistpfError",
    "Reference",
    "UnknownCrosswalkError",
    "UnknownIdError",
    "UnknownVersionError",
    "__version__",
    "framework",
    "normalize_id",
    "versions",
]
