"""Data categories as the Fides taxonomy arranges them, for matching a traced category.

A DataFlows cell lists categories as Fides keys (``user.contact.email``) or plain labels
("Email address"). A consultant asks about one category, by key or by name. :func:`match`
answers whether a flow's category is that category, and how:

- ``exact``: the same key (or the same label, ignoring case and spacing);
- ``narrower``: the flow's category lies under the one asked about — ``user.contact`` covers
  ``user.contact.email``, as the taxonomy's hierarchy says;
- ``broader``: the flow names a category *above* the one asked about (a flow of
  ``user.contact`` may carry ``user.contact.email``): it is traced, marked broader, since the
  inventory does not say which contact data moves;
- ``label``: one side is written as the Fides taxonomy's name of the other ("User Contact
  Email" for ``user.contact.email``, "Contact Data" for ``user.contact``), compared then by the
  hierarchy as above.

The taxonomy (its 85 data categories, their names and parents) is the ``fideslang`` package's
default taxonomy (Ethyca, Apache-2.0), read once.
"""

from __future__ import annotations

import bisect
import functools
import re
from collections.abc import Iterable

import pandas as pd

MATCH_KINDS = ("exact", "narrower", "broader", "label")
TOP_LEVELS = ("user", "system")  # the Fides data-category roots a key can start with


@functools.cache
def _taxonomy() -> pd.DataFrame:
    from fideslang.default_taxonomy import DEFAULT_TAXONOMY

    rows = [
        {
            "key": c.fides_key,
            "name": c.name or c.fides_key,
            "parent": c.parent_key or "",
            "description": c.description or "",
        }
        for c in DEFAULT_TAXONOMY.data_category
    ]
    return pd.DataFrame(rows, columns=["key", "name", "parent", "description"])


def fides_categories() -> pd.DataFrame:
    """The Fides taxonomy's data categories: ``key, name, parent, description`` (a copy; 85 rows
    in fideslang 3), in the taxonomy's order."""
    return _taxonomy().copy()


@functools.cache
def _names() -> dict[str, str]:
    table = _taxonomy()
    return {_fold(name): key for key, name in zip(table["key"], table["name"], strict=True)}


@functools.cache
def _labels() -> dict[str, str]:
    table = _taxonomy()
    return dict(zip(table["key"], table["name"], strict=True))


def _fold(text: str) -> str:
    return re.sub(r"\s+", " ", str(text)).strip().casefold()


def is_key(text: str) -> bool:
    """Is ``text`` written as a Fides key (``user``, ``user.contact.email``, any dotted key under
    one of the roots), as opposed to a plain label?"""
    folded = _fold(text)
    return folded in TOP_LEVELS or (
        folded.startswith(tuple(f"{root}." for root in TOP_LEVELS)) and " " not in folded
    )


def is_category(key: str) -> bool:
    """Is ``key`` a data category of the Fides taxonomy?"""
    return _fold(key) in _labels()


def key_of(text: str) -> tuple[str | None, bool]:
    """``(key, by_name)``: the Fides key ``text`` stands for — itself when written as a key,
    the key whose taxonomy name it is (``by_name`` True), or None for a plain label."""
    folded = _fold(text)
    if is_key(folded):
        return folded, False
    key = _names().get(folded)
    return (key, True) if key else (None, False)


def label(category: str) -> str:
    """The taxonomy's name of a key ("User Contact Email"), or the text as written."""
    key, _ = key_of(category)
    return _labels().get(key, str(category).strip()) if key else str(category).strip()


def match(query: str, category: str) -> str | None:
    """How the flow's ``category`` matches the ``query`` asked about: one of
    :data:`MATCH_KINDS` (see the module docstring), or None when it does not.

    >>> match("user.contact", "user.contact.email"), match("user.contact.email", "user.contact")
    ('narrower', 'broader')
    >>> match("Contact Data", "user.contact.phone_number"), match("email", "Email")
    ('label', 'exact')
    """
    query_key, query_named = key_of(query)
    category_key, category_named = key_of(category)
    if query_key and category_key:
        if category_key == query_key:
            kind = "exact"
        elif category_key.startswith(query_key + "."):
            kind = "narrower"
        elif query_key.startswith(category_key + "."):
            kind = "broader"
        else:
            return None
        return "label" if (query_named or category_named) else kind
    return "exact" if _fold(query) == _fold(category) else None


def group(category: str) -> str:
    """The category's group for a picture: the Fides key's second level (``user.contact.email``
    → ``contact``), or the label as written."""
    key, _ = key_of(category)
    if key:
        parts = key.split(".")
        return parts[1] if len(parts) > 1 else parts[0]
    return str(category).strip()


class CategoryIndex:
    """The categories the flows write, each folded to one name — its Fides key when it is a key
    or a Fides name (``USER.CONTACT.EMAIL`` and "User Contact Email" are ``user.contact.email``),
    else the label as first written — and what matches what, found through the keys' hierarchy
    in time that grows with the categories, not with their square."""

    def __init__(self, written: Iterable[str]):
        self.names: list[str] = []  # the folded names, in first-seen order
        self._seen: set[str] = set()
        self._related: dict[str, frozenset] = {}
        self._name_of: dict[str, str] = {}  # as written (stripped) -> folded name
        self._by_key: dict[str, str] = {}
        self._by_label: dict[str, str] = {}
        for text in written:
            text = str(text).strip()
            if not text or text in self._name_of:
                continue
            key, _ = key_of(text)
            if key:
                name = self._by_key.setdefault(key, key)
            else:
                name = self._by_label.setdefault(_fold(text), text)
            self._name_of[text] = name
            if name not in self._seen:
                self._seen.add(name)
                self.names.append(name)
        self._keys = sorted(self._by_key)

    def name(self, text: str) -> str | None:
        """The folded name of a category as a flow writes it (None if no flow writes it)."""
        return self._name_of.get(str(text).strip())

    def matches(self, query: str) -> dict[str, str]:
        """The written categories (folded names) ``query`` matches, with how
        (:data:`MATCH_KINDS`, as :func:`match` says)."""
        key, named = key_of(query)
        if key is None:
            found = self._by_label.get(_fold(query))
            return {found: "exact"} if found else {}
        kinds: dict[str, str] = {}
        if key in self._by_key:
            kinds[key] = "exact"
        start = bisect.bisect_left(self._keys, key + ".")
        for other in self._keys[start:]:
            if not other.startswith(key + "."):
                break
            kinds[other] = "narrower"
        parts = key.split(".")
        for depth in range(1, len(parts)):
            parent = ".".join(parts[:depth])
            if parent in self._by_key:
                kinds[parent] = "broader"
        return {k: ("label" if named else v) for k, v in kinds.items()}

    def related(self, name: str) -> frozenset:
        """The written categories that are the same data as ``name``, part of it, or contain it:
        what a hop carrying ``name`` may hand on."""
        if name not in self._related:
            self._related[name] = frozenset(self.matches(name)) | {name}
        return self._related[name]
