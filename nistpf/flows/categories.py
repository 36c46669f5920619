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

import functools
import re

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
