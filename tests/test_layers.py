"""The library's layers: what ``nistpf.export`` builds on never imports from it, so the
inventory, the store, the converter and the engine stand without the exporters."""

from __future__ import annotations

import ast
from pathlib import Path

import nistpf

PACKAGE = Path(nistpf.__file__).parent
# The layers above the exporters: they use them.
ABOVE = {"export", "ui", "cli.py", "cli_flows.py", "__main__.py"}


def _imports(path: Path) -> set[str]:
    """Every module ``path`` imports (absolute names; relative imports resolved)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    package = ".".join(("nistpf", *path.relative_to(PACKAGE).parent.parts))
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*parts, base] if base else parts)
            found.add(base)
            found |= {f"{base}.{alias.name}" for alias in node.names}
    return found


def test_no_module_below_the_exporters_imports_from_them():
    below = [p for p in PACKAGE.rglob("*.py") if p.relative_to(PACKAGE).parts[0] not in ABOVE]
    assert len(below) > 20  # the inventory, the store, the engine, io, convert ...
    offending = {
        str(p.relative_to(PACKAGE)): sorted(
            m for m in _imports(p) if m == "nistpf.export" or m.startswith("nistpf.export.")
        )
        for p in below
    }
    assert {k: v for k, v in offending.items() if v} == {}


def test_io_is_below_every_other_layer():
    for path in (PACKAGE / "io").rglob("*.py"):
        imported = {m for m in _imports(path) if m.startswith("nistpf.")}
        allowed = {m for m in imported if m.startswith(("nistpf.io", "nistpf.errors"))}
        assert imported == allowed, path


def test_the_check_sees_an_import_from_the_exporters(tmp_path, monkeypatch):
    # The walk itself: a module of the store's layer importing the exporters is caught.
    fake = PACKAGE / "store.py"
    text = fake.read_text(encoding="utf-8") + "\nfrom nistpf.export.excel import x\n"
    copy = tmp_path / "nistpf" / "store.py"
    copy.parent.mkdir()
    copy.write_text(text, encoding="utf-8")
    monkeypatch.setattr(f"{__name__}.PACKAGE", tmp_path / "nistpf")
    assert "nistpf.export.excel" in _imports(copy)
