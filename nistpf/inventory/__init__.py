"""The client's inventory workbook: schema, template, loader and validation report."""

from nistpf.inventory.loader import load_inventory
from nistpf.inventory.mapping import ColumnMapping, MappingError, load_mapping
from nistpf.inventory.model import Inventory

__all__ = ["ColumnMapping", "Inventory", "MappingError", "load_inventory", "load_mapping"]
