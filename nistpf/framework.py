"""The NIST Privacy Framework as versioned data: Core, Implementation Tiers, crosswalks, ID lookups.

Every version lives in ``nistpf/data/pf-<version>/`` as a ``manifest.json`` and tidy CSV files
written by ``python -m nistpf.convert`` from NIST's own workbooks. Adding a version (PF 1.1, when
NIST publishes a final Core) means adding such a folder; no code changes.

>>> import nistpf
>>> fw = nistpf.framework()
>>> fw.get("id.im-p1").text
'Systems/products/services that process data are inventoried.'
>>> [ref.target_id for ref in fw.get("ID.IM-P1").references["sp800-53r5"]]
['CM-8', 'CM-12', 'CM-13', 'PM-5']
"""

from __future__ import annotations

import difflib
import functools
import json
import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field
from importlib import resources
from types import MappingProxyType
from typing import Any, NamedTuple

import pandas as pd

from nistpf.errors import UnknownCrosswalkError, UnknownIdError, UnknownVersionError

LEVELS = ("function", "category", "subcategory")
CORE_COLUMNS = ["level", "id", "parent_id", "function", "category", "name", "text"]
CROSSWALK_COLUMNS = [
    "pf_id",
    "framework",
    "target_id",
    "target_text",
    "relationship",
    "source",
    "notes",
]
_DATA = "data"
_PREFIX = "pf-"


class Reference(NamedTuple):
    """One crosswalk target of a Privacy Framework element."""

    target_id: str
    target_text: str
    relationship: str


@dataclass(frozen=True)
class Element:
    """A Function, Category or Subcategory of the Core.

    ``function`` and ``category`` name the element's ancestors (a Category's ``category`` is its
    own ID, a Function's ``category`` is empty). ``references`` maps each crosswalk name to the
    targets NIST maps this element to, in NIST's order.
    """

    id: str
    level: str
    name: str
    text: str
    parent_id: str
    function: str
    category: str
    references: Mapping[str, tuple[Reference, ...]] = field(
        default_factory=dict, compare=False, repr=False
    )

    def __str__(self) -> str:
        label = f"{self.id} {self.name}" if self.name else self.id
        return f"{label}: {self.text}"


def _data_root():
    return resources.files("nistpf") / _DATA


@functools.cache
def _manifests() -> dict[str, dict[str, Any]]:
    manifests = {}
    for entry in _data_root().iterdir():
        manifest = entry / "manifest.json"
        if entry.name.startswith(_PREFIX) and manifest.is_file():
            data = json.loads(manifest.read_text(encoding="utf-8"))
            manifests[data["version"]] = data
    return dict(sorted(manifests.items(), key=lambda item: _version_key(item[0])))


def _version_key(version: str) -> tuple[int, ...]:
    return tuple(int(part) for part in re.findall(r"\d+", version))


def versions() -> list[str]:
    """The Privacy Framework versions nistpf ships, oldest first."""
    return list(_manifests())


def default_version() -> str:
    """The newest final version: what nistpf uses when no version is named."""
    final = [v for v, manifest in _manifests().items() if manifest.get("status") == "final"]
    return final[-1]


def framework(version: str | None = None) -> Framework:
    """The Privacy Framework ``version`` (default: the newest final one, "1.0").

    Raises UnknownVersionError, listing the available versions, for any other version.
    """
    version = default_version() if version is None else str(version).strip()
    if version not in _manifests():
        raise UnknownVersionError(version, versions())
    return _load(version)


@functools.cache
def _load(version: str) -> Framework:
    manifest = _manifests()[version]
    folder = _data_root() / f"{_PREFIX}{version}"

    def read(name: str) -> pd.DataFrame:
        with (folder / name).open("r", encoding="utf-8", newline="") as handle:
            return pd.read_csv(handle, dtype=str, keep_default_na=False)

    crosswalks = {name: read(entry["file"]) for name, entry in manifest["crosswalks"].items()}
    return Framework(manifest, read(manifest["core"]), read(manifest["tiers"]), crosswalks)


def _id_key(text: str) -> str:
    """Letters and numbers of an ID, upper-cased, numbers without leading zeros: the form in
    which ``id.im-p1``, ``ID.IM-P01``, ``ID.IM-P 1`` and ``IDIM-P1`` are all ``IDIMP1``."""
    text = unicodedata.normalize("NFKC", text).upper()
    return "".join(
        str(int(part)) if part.isdigit() else part for part in re.findall(r"[A-Z]+|\d+", text)
    )


class Framework:
    """One version of the Privacy Framework. Tables are returned as copies; the object itself
    never changes."""

    def __init__(
        self,
        manifest: Mapping[str, Any],
        core: pd.DataFrame,
        tiers: pd.DataFrame,
        crosswalks: Mapping[str, pd.DataFrame],
    ):
        self._manifest = dict(manifest)
        self._core = _with_ancestors(core)
        self._tiers = tiers.astype({"tier": int})
        self._crosswalks = {name: table[CROSSWALK_COLUMNS] for name, table in crosswalks.items()}
        self._keys = {_id_key(id_): id_ for id_ in self._core["id"]}
        self._tables = _level_tables(self._core)
        self._foreign = _foreign_ids(self._crosswalks, self._manifest)
        by_id = self._core.set_index("id")
        references = _references(self._crosswalks)
        self._elements = {
            id_: Element(
                id=id_,
                level=row.level,
                name=row.name,
                text=row.text,
                parent_id=row.parent_id,
                function=row.function,
                category=row.category,
                references=MappingProxyType(references.get(id_, {})),
            )
            for id_, row in zip(by_id.index, by_id.itertuples(index=False), strict=True)
        }

    def __repr__(self) -> str:
        counts = self._core["level"].value_counts()
        return (
            f"<Framework NIST Privacy Framework {self.version}: {counts.get('function', 0)} "
            f"Functions, {counts.get('category', 0)} Categories, "
            f"{counts.get('subcategory', 0)} Subcategories>"
        )

    # -- metadata ---------------------------------------------------------------------------
    @property
    def version(self) -> str:
        return self._manifest["version"]

    @property
    def title(self) -> str:
        return self._manifest["title"]

    @property
    def manifest(self) -> dict[str, Any]:
        """Where the data came from: the NIST publication, the source workbooks and their
        SHA-256, the crosswalks and their row counts."""
        return json.loads(json.dumps(self._manifest))

    # -- tables -----------------------------------------------------------------------------
    @property
    def core(self) -> pd.DataFrame:
        """Every Function, Category and Subcategory: ``level, id, parent_id, function, category,
        name, text``, in NIST's order."""
        return self._core.copy()

    @property
    def functions(self) -> pd.DataFrame:
        """``id, name, text`` of the five Functions."""
        return self._tables["function"].copy()

    @property
    def categories(self) -> pd.DataFrame:
        """``id, name, function, function_name, text`` of every Category."""
        return self._tables["category"].copy()

    @property
    def subcategories(self) -> pd.DataFrame:
        """``id, function, category, text, function_name, category_name`` of every Subcategory."""
        return self._tables["subcategory"].copy()

    @property
    def tiers(self) -> pd.DataFrame:
        """The Implementation Tiers: ``tier`` (1-4), ``tier_name``, ``attribute``, ``text`` —
        an organisation-level judgement, kept apart from Subcategory scores."""
        return self._tiers.copy()

    # -- lookups ----------------------------------------------------------------------------
    def normalize_id(self, text: object) -> str:
        """The framework ID that ``text`` means, forgiving case, spaces, dots, leading zeros and
        a missing dot (``IDIM-P1`` → ``ID.IM-P1``), also when NIST's "ID: text" form is pasted.
        Raises UnknownIdError naming the closest real IDs."""
        if not isinstance(text, str) or not text.strip():
            raise UnknownIdError(text, self.version, [])
        candidates = [text]
        if ":" in text:
            candidates.insert(0, text.split(":", 1)[0])
        for candidate in candidates:
            found = self._keys.get(_id_key(candidate))
            if found:
                return found
        key = _id_key(candidates[0])
        foreign = self._foreign.get(key)
        if foreign:
            name, mapped = foreign
            raise UnknownIdError(text.strip(), self.version, mapped, note=f"it is a {name} ID")
        # Suggest IDs of the same level first: a trailing number means a Subcategory.
        same_level = [k for k in self._keys if k[-1:].isdigit() == key[-1:].isdigit()]
        close = difflib.get_close_matches(key, same_level, n=3, cutoff=0.6)
        close = close or difflib.get_close_matches(key, list(self._keys), n=3, cutoff=0.6)
        raise UnknownIdError(text.strip(), self.version, [self._keys[k] for k in close])

    def get(self, id: str) -> Element:
        """The Function, Category or Subcategory named by ``id`` (normalised first)."""
        return self._elements[self.normalize_id(id)]

    def children(self, id: str) -> pd.DataFrame:
        """The Categories of a Function or the Subcategories of a Category, as rows of
        :attr:`core`. A Subcategory has no children (an empty table)."""
        parent = self.normalize_id(id)
        return self._core[self._core["parent_id"] == parent].reset_index(drop=True)

    def search(self, text: str) -> pd.DataFrame:
        """Rows of :attr:`core` whose ID, name or text contains every word of ``text``
        (case-insensitive), in NIST's order."""
        words = str(text).casefold().split()
        haystack = (
            self._core["id"] + " " + self._core["name"] + " " + self._core["text"]
        ).str.casefold()
        mask = pd.Series(True, index=self._core.index)
        for word in words:
            mask &= haystack.str.contains(word, regex=False)
        return self._core[mask].reset_index(drop=True)

    # -- crosswalks -------------------------------------------------------------------------
    def crosswalks(self) -> list[str]:
        """The names of the crosswalks this version ships, e.g. ``sp800-53r5``."""
        return list(self._crosswalks)

    def crosswalk_title(self, name: str) -> str:
        """The human title of crosswalk ``name`` (e.g. "NIST SP 800-53 Rev. 5")."""
        return self._manifest["crosswalks"][self._crosswalk_name(name)]["title"]

    def crosswalk(self, name: str) -> pd.DataFrame:
        """One crosswalk as a tidy table: ``pf_id, framework, target_id, target_text,
        relationship, source, notes``, one row per PF element and target."""
        return self._crosswalks[self._crosswalk_name(name)].copy()

    def _crosswalk_name(self, name: str) -> str:
        wanted = str(name).strip().casefold()
        for known in self._crosswalks:
            if known.casefold() == wanted:
                return known
        raise UnknownCrosswalkError(str(name), self.crosswalks())


def _level_tables(core: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """The Functions, Categories and Subcategories as tables of their own, with the names of
    their ancestors."""
    names = dict(zip(core["id"], core["name"], strict=True))
    tables = {}
    for level, columns in (
        ("function", ["id", "name", "text"]),
        ("category", ["id", "name", "function", "function_name", "text"]),
        ("subcategory", ["id", "function", "category", "text", "function_name", "category_name"]),
    ):
        table = core[core["level"] == level].copy()
        table["function_name"] = table["function"].map(names)
        table["category_name"] = table["category"].map(names)
        tables[level] = table[columns].reset_index(drop=True)
    return tables


def _with_ancestors(core: pd.DataFrame) -> pd.DataFrame:
    """Add ``function`` and ``category`` columns naming each element's ancestors."""
    parent = dict(zip(core["id"], core["parent_id"], strict=True))
    level = dict(zip(core["id"], core["level"], strict=True))

    def ancestor(id_: str, wanted: str) -> str:
        while id_ and level[id_] != wanted:
            id_ = parent[id_]
        return id_

    table = core.copy()
    table["function"] = [ancestor(i, "function") for i in table["id"]]
    table["category"] = [
        ancestor(i, "category") if level[i] != "function" else "" for i in table["id"]
    ]
    return table[CORE_COLUMNS].reset_index(drop=True)


def _references(
    crosswalks: Mapping[str, pd.DataFrame],
) -> dict[str, dict[str, tuple[Reference, ...]]]:
    found: dict[str, dict[str, list[Reference]]] = {}
    for name, table in crosswalks.items():
        for row in table.itertuples(index=False):
            found.setdefault(row.pf_id, {}).setdefault(name, []).append(
                Reference(row.target_id, row.target_text, row.relationship)
            )
    return {pf_id: {n: tuple(refs) for n, refs in by.items()} for pf_id, by in found.items()}


def _foreign_ids(
    crosswalks: Mapping[str, pd.DataFrame], manifest: Mapping[str, Any]
) -> dict[str, tuple[str, list[str]]]:
    """Cybersecurity Framework IDs people type by mistake (``PR.AC-1`` for ``PR.AC-P1``), each
    with the PF IDs NIST maps it to, so that an unknown-ID error can point to them."""
    foreign: dict[str, tuple[str, list[str]]] = {}
    for name, table in crosswalks.items():
        if not name.startswith("csf-"):
            continue
        title = manifest["crosswalks"][name]["title"]
        for target_id, group in table.groupby("target_id", sort=False):
            foreign.setdefault(_id_key(target_id), (title, list(dict.fromkeys(group["pf_id"]))))
    return foreign


def normalize_id(text: object, *, version: str | None = None) -> str:
    """The Privacy Framework ID that ``text`` means (see :meth:`Framework.normalize_id`)."""
    return framework(version).normalize_id(text)
