"""The guided assessment's model: one engagement store, one inventory, one current Assessment.

A :class:`Session` holds no widget. Every change the consultant makes goes through one of its
methods, which saves the change in the engagement store (with the assessor's name in the log),
re-scores, and tells the listeners (the steps of :mod:`nistpf.ui.steps`) what changed. Because
everything lives in the store, a new Session on the same store picks up where the last one
stopped — after a kernel restart too.

>>> from nistpf.ui import Session
>>> session = Session("acme/engagement.nistpf", assessor="Jane Doe")     # doctest: +SKIP
>>> session.load(nistpf.sample_path())                                  # doctest: +SKIP
>>> session.rate("PR.DS-P2", 2, evidence="TLS scan", method="test")     # doctest: +SKIP
>>> session.assessment.overall                                          # doctest: +SKIP
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path
from typing import Any, NamedTuple

import pandas as pd

from nistpf.assessment import Assessment
from nistpf.errors import InventoryError, NistpfError
from nistpf.inventory import Inventory, load_inventory
from nistpf.inventory.model import empty_issues
from nistpf.inventory.schema import fold
from nistpf.safe_names import safe_filename
from nistpf.scales import Scale
from nistpf.scoring import assess
from nistpf.store import KEEP, Store, StoreError, open_store, tier_attribute


class NotLoadedError(NistpfError, RuntimeError):
    """A change was asked for before a valid inventory was loaded."""

    code = "no-inventory"

    def __init__(self) -> None:
        super().__init__("no inventory is loaded yet; load one first (Session.load, step 1)")


# What the store keeps of a Responses row and of a Profile row (its defaults for a new row).
_RATED = ("current", "evidence", "method", "notes")
_PROFILED = ("target", "priority", "in_profile", "rationale")
_DRAFTED = ("evidence", "method", "notes", "assessor", "date")
_TIERED = ("tier", "evidence")


class Change(NamedTuple):
    """What a Session call changed, as listeners receive it: ``kind`` is ``load``, ``rating``,
    ``profile``, ``tier``, ``scope`` or ``assessor``; ``key`` names the row (e.g.
    ``("PR.DS-P2", "")`` for an organisation-level rating)."""

    kind: str
    key: tuple = ()


Listener = Callable[[Change], None]


class Session:
    """An engagement store, the inventory being assessed, and its current :class:`Assessment`.

    ``store_path`` is the engagement's store (created when missing); uploads go into its folder.
    ``assessor`` is the name written into the log and the ratings. ``number`` pins an assessment
    of the store; without it :meth:`load` opens the store's latest assessment, whatever the
    workbook's bytes: an assessment belongs to the engagement, so a workbook the client
    corrected keeps every rating, profile edit and scope decision (keyed by Subcategory and
    system ID; what no longer applies is listed by :attr:`orphans`). An empty store starts
    its first assessment ("Baseline"). :meth:`open_assessment` switches to another one and
    :meth:`follow_up` starts next year's. With ``restore`` (the default), a store that already
    holds an assessment reloads that assessment's inventory file, so everything saved before
    is back (an inventory read through a mapping needs :meth:`load` again with the mapping).
    """

    def __init__(
        self,
        store_path: str | Path,
        *,
        assessor: str | None = None,
        number: int | None = None,
        name: str | None = None,
        restore: bool = True,
    ):
        self.store_path = Path(store_path)
        self.store: Store = open_store(self.store_path)
        self.assessor = assessor
        self.number: int | None = None if number is None else int(number)
        self._pinned = self.number  # the assessment asked for, whatever the inventory
        if self._pinned is not None:
            self.store.assessment(self._pinned)  # an unknown number: StoreError says which exist
        self.name = name
        self.source: Path | None = None
        self.mapping: Path | None = None
        self.inventory: Inventory | None = None
        self.assessment: Assessment | None = None
        self.report: pd.DataFrame = empty_issues()
        self.created = False  # whether the last load started a new assessment
        self._listeners: list[Listener] = []
        self._drafts: dict[tuple[str, str], dict[str, Any]] | None = None
        if restore and not self.store.assessments().empty:
            self._restore()

    def __repr__(self) -> str:
        what = f"assessment {self.number}" if self.ready else "no inventory loaded"
        return f"<Session {self.store_path.name}: {what}>"

    # -- state ---------------------------------------------------------------------------------
    @property
    def ready(self) -> bool:
        """True once a valid inventory is loaded and scored: the later steps can be used."""
        return self.assessment is not None

    @property
    def folder(self) -> Path:
        """The engagement folder: the store's folder, where uploads and exports go."""
        return self.store_path.resolve().parent

    @property
    def scale(self) -> Scale:
        return self._require().scale

    @property
    def run(self) -> dict[str, Any]:
        """The store's record of the current assessment (name, date, inventory, scale)."""
        self._require()
        return self.store.assessment(self.number)

    def on_change(self, callback: Listener) -> Listener:
        """Call ``callback(change)`` after every change (a :class:`Change`); returns it, so it
        can be used as a decorator."""
        self._listeners.append(callback)
        return callback

    def off_change(self, callback: Listener) -> None:
        if callback in self._listeners:
            self._listeners.remove(callback)

    def _notify(self, kind: str, key: tuple = ()) -> None:
        change = Change(kind, key)
        for callback in list(self._listeners):
            callback(change)

    def _require(self) -> Assessment:
        if self.assessment is None:
            raise NotLoadedError
        return self.assessment

    def _who(self) -> str | None:
        return self.assessor or None

    # -- loading -------------------------------------------------------------------------------
    def load(self, source: str | Path, mapping: str | Path | None = None) -> pd.DataFrame:
        """Read and validate ``source`` (with ``mapping`` for a client's own layout) and return
        the validation report. With errors no inventory is kept (:attr:`ready` is False);
        otherwise the engagement's assessment is opened — the pinned one, else the store's
        latest, else a new "Baseline" — and scored with everything saved for it; the report
        then also lists what the store holds that applies to nothing in this workbook, and
        a workbook naming another client than the engagement's."""
        return self._load(Path(source), None if mapping in (None, "") else Path(mapping))

    def _load(self, source: Path, mapping: Path | None, number: int | None = None) -> pd.DataFrame:
        try:
            inventory = load_inventory(source, mapping=mapping)
        except InventoryError as error:
            self.source, self.mapping = source, mapping
            self.inventory = self.assessment = None
            self.report = error.issues
            if self.report.empty:  # the blank template: the error is the one sentence
                self.report = _with_warning(empty_issues(), error.code, str(error))
                self.report["severity"] = "error"
                self.report["sheet"] = ""
            self._notify("load")
            return self.report
        self.source, self.mapping = source, mapping
        self.inventory = inventory
        self.report = empty_issues()
        self.number, self.created = self._choose_assessment(inventory, number)
        self.inventory, note = self.store.inventory_for(self.number, inventory, mapping)
        if note:
            self.report = _with_warning(self.report, "store-recorded-workbook", note)
        claimed = self.report
        self._drafts = None
        self.rescore()
        self.report = pd.concat([self.assessment.inventory.issues, claimed], ignore_index=True)
        self._notify("load")
        return self.report

    def _choose_assessment(self, inventory: Inventory, number: int | None) -> tuple[int, bool]:
        warning = self.store.claim(inventory, who=self._who())
        if warning:
            self.report = _with_warning(self.report, "store-other-client", warning)
        pinned = number if number is not None else self._pinned
        runs = self.store.assessments()
        if pinned is None and not runs.empty:
            pinned = int(runs["id"].iloc[-1])
        if pinned is not None:
            if not runs.empty and int(pinned) == int(runs["id"].iloc[-1]):
                # The assessment being worked reads the workbook given; an earlier one keeps
                # the workbook it was made with (Store.inventory_for).
                self.store.record_inventory(int(pinned), inventory, who=self._who())
            return int(pinned), False
        name = self.name or "Baseline"
        return self.store.new_assessment(name, inventory, who=self._who()), True

    @property
    def orphans(self) -> pd.DataFrame:
        """What the store keeps for this assessment that applies to nothing in the loaded
        workbook (``entity, key, value, reason``; :meth:`nistpf.Store.orphans`): ratings and
        scope decisions of systems no longer in it. Never dropped, never applied."""
        self._require()
        return self.store.orphans(self.inventory, self.number)

    def open_assessment(self, number: int) -> pd.DataFrame:
        """Switch to assessment ``number`` of the store (the current inventory is scored with
        what that assessment holds); returns the validation report."""
        self.store.assessment(int(number))  # an unknown number: StoreError names the others
        self._pinned = int(number)
        if self.source is None:
            self.number = int(number)
            return self.report
        return self._load(self.source, self.mapping, int(number))

    def follow_up(self, name: str, *, date: dt.date | str | None = None) -> pd.DataFrame:
        """Start a follow-up of the open assessment (:meth:`nistpf.Store.follow_up`: its
        Target Profile, scope and Tiers, no ratings yet) on the loaded workbook, and open it;
        the previous assessment stays for comparison. Returns the validation report."""
        self._require()
        number = self.store.follow_up(
            name, previous=self.number, inventory=self.inventory, date=date, who=self._who()
        )
        self._pinned = number
        return self._load(self.source, self.mapping, number)

    def _restore(self) -> None:
        run = self.store.assessment(self.number if self.number is not None else self.store.latest())
        path = Path(run["inventory_path"]) if run["inventory_path"] else None
        if path is not None and path.exists():
            self._load(path, None, int(run["id"]))

    def rescore(self) -> Assessment:
        """Score the inventory with everything the store holds for the assessment (~50 ms on
        the sample)."""
        if self.inventory is None:
            raise NotLoadedError
        self.assessment = assess(self.store.apply(self.inventory, self.number))
        self._drafts = self._read_drafts()  # what the session shows, as of this score
        return self.assessment

    def save_upload(self, name: str, content: bytes) -> Path:
        """Write an uploaded file into the engagement folder and return its path. An existing
        file is never replaced: the same bytes reuse it, other bytes get ``name (2).xlsx``.
        ``name`` comes from the client: it is reduced to a safe file name (no folders, no
        traversal, no reserved or hidden names; :func:`nistpf.safe_names.safe_filename`)."""
        base = Path(safe_filename(name, default="upload"))
        path = self.folder / base
        number = 2
        while path.exists():
            if path.read_bytes() == content:
                return path
            path = self.folder / f"{base.stem} ({number}){base.suffix}"
            number += 1
        self.folder.mkdir(parents=True, exist_ok=True)
        with path.open("xb") as stream:  # "x": fail rather than replace a file just made
            stream.write(content)
        return path

    # -- ratings -------------------------------------------------------------------------------
    def rate(
        self,
        subcategory: str,
        current: float | None = KEEP,
        *,
        system: str | None = None,
        evidence: str = KEEP,
        method: str = KEEP,
        notes: str = KEEP,
    ) -> Assessment:
        """Save the assessor's rating of ``subcategory`` (the organisation's, or ``system``'s)
        and re-score; ``current=None`` clears the level (evidence and notes are kept).

        Only what is given is saved (:data:`~nistpf.store.KEEP` is "not given"), and it is
        saved as given, whatever this session showed: so what another notebook saved since
        for the other fields stays, and the last value given for a field is the one kept. The
        rate step gives the one input the consultant changed. A rating the store does not
        hold yet starts from the Responses sheet's row, which the stored row then replaces."""
        assessment = self._require()
        if isinstance(current, bool):
            raise StoreError(f"a rating is a level of the scale, not {current!r}")
        system = self._system(system)
        sub = assessment.framework.normalize_id(subcategory)  # as the store reads it
        given = {"current": current, "evidence": evidence, "method": method, "notes": notes}
        self._save(
            self.store.set_rating,
            (sub,),
            given,
            _sheet_row(self.inventory.responses, _RATED, subcategory=sub, system=system),
            system=system or None,
        )
        self.rescore()
        self._notify("rating", (sub, system or ""))
        return self.assessment

    def rating(self, subcategory: str, system: str | None = None) -> dict[str, Any]:
        """The rating as the inputs show it: ``current`` (None when not rated), ``evidence``,
        ``method``, ``notes``, ``assessor``, ``date`` — the store's or the Responses sheet's,
        including evidence saved without a level (:meth:`nistpf.Store.drafts`)."""
        assessment = self._require()
        subcategory = assessment.framework.normalize_id(subcategory)  # as rate() reads it
        system = self._system(system)
        responses = assessment.inventory.responses
        rows = responses[
            (responses["subcategory"] == subcategory) & (responses["system"] == (system or ""))
        ]
        if len(rows):
            row = rows.iloc[-1]
            current = row["current"]
            return {
                "current": None if pd.isna(current) else float(current),
                **{f: _text(row[f]) for f in ("evidence", "method", "notes", "assessor", "date")},
            }
        return {"current": None, **self._draft(subcategory, system or "")}

    def _draft(self, subcategory: str, system: str) -> dict[str, Any]:
        """Evidence saved with no level yet (the store's :meth:`~nistpf.Store.drafts`, read
        with the last score; the scored inventory leaves it out): ``evidence, method, notes,
        assessor, date``, all "" when there is none."""
        if self._drafts is None:
            self._drafts = self._read_drafts()
        return self._drafts.get((subcategory, system), dict.fromkeys(_DRAFTED, ""))

    def _read_drafts(self) -> dict[tuple[str, str], dict[str, str]]:
        drafts = self.store.drafts(self.number)
        # System IDs as the workbook writes them (the store forgives case, as apply does).
        listed = {fold(y): y for y in self.inventory.systems["system_id"]}
        return {
            (row["subcategory"], listed.get(fold(row["system"]), row["system"])): {
                f: _text(row[f]) for f in _DRAFTED
            }
            for row in drafts.to_dict("records")
        }

    def _system(self, system: str | None) -> str:
        """``system`` as the workbook's Systems sheet writes it (case and spacing forgiven);
        "" for the organisation; an ID the workbook does not list is refused, so a rating is
        never saved for a system nobody can see."""
        if not system:
            return ""
        ids = list(self.inventory.systems["system_id"])
        for known in ids:
            if fold(known) == fold(system):  # as the loader matches a reference to a system
                return known
        raise UnknownSystemError(
            f"{system!r} is not a system of {self.inventory.source}; its systems: "
            f"{', '.join(map(str, ids[:20]))}{' …' if len(ids) > 20 else ''}"
        )

    # -- profile, tiers, scope -----------------------------------------------------------------
    def profile_row(self, pf_id: str) -> dict[str, Any]:
        """The Target Profile row of a Function, Category or Subcategory as set (blank values
        inherit): ``target`` (None), ``priority`` (""), ``in_profile`` (None), ``rationale``."""
        assessment = self._require()
        pf_id = assessment.framework.normalize_id(pf_id)
        profile = assessment.inventory.profile
        rows = profile[profile["pf_id"] == pf_id]
        if not len(rows):
            return {"target": None, "priority": "", "in_profile": None, "rationale": ""}
        row = rows.iloc[-1]
        return {
            "target": None if pd.isna(row["target"]) else float(row["target"]),
            "priority": _text(row["priority"]),
            "in_profile": None if pd.isna(row["in_profile"]) else bool(row["in_profile"]),
            "rationale": _text(row["rationale"]),
        }

    def set_target(
        self,
        pf_id: str,
        target: float | None = KEEP,
        *,
        priority: str = KEEP,
        in_profile: bool | None = KEEP,
        rationale: str = KEEP,
    ) -> Assessment:
        """Set the Target Profile of a Function, Category or Subcategory and re-score. Only the
        attributes given change; ``None`` / ``""`` make one inherit from the wider row.

        Only what is given is saved, attribute by attribute, so a priority another notebook
        saved since stays when this one sets the target, and the last value given for an
        attribute is the one kept. A row the store does not hold yet starts from the
        workbook's own Profile row, which the stored row then replaces."""
        assessment = self._require()
        element = assessment.framework.normalize_id(pf_id)
        given = {"target": target, "priority": priority, "in_profile": in_profile}
        given["rationale"] = rationale
        sheet = _sheet_row(self.inventory.profile, _PROFILED, pf_id=element)
        self._save(self.store.set_profile, (element,), given, sheet)
        self.rescore()
        self._notify("profile", (element,))
        return self.assessment

    def _save(
        self,
        setter: Callable[..., None],
        key: tuple,
        given: dict[str, Any],
        sheet: dict[str, Any] | None,
        **where: Any,
    ) -> None:
        """Call the store's ``setter`` for the row ``key`` with the fields ``given`` that are
        not :data:`~nistpf.store.KEEP` (none: no call), the workbook's own row ``sheet`` as
        the defaults of a row the store does not hold yet, and this session's assessor."""
        fields = {f: v for f, v in given.items() if v is not KEEP}
        if fields:
            setter(self.number, *key, **where, **fields, defaults=sheet, who=self._who())

    def tier(self, attribute: str) -> dict[str, Any]:
        """The organisation's Tier for ``attribute``: ``tier`` (1-4 or None) and ``evidence``."""
        tiers = self._require().inventory.tiers
        rows = tiers[tiers["attribute"] == attribute]
        if not len(rows) or pd.isna(rows["tier"].iloc[-1]):
            return {"tier": None, "evidence": _text(rows["evidence"].iloc[-1]) if len(rows) else ""}
        return {"tier": int(rows["tier"].iloc[-1]), "evidence": _text(rows["evidence"].iloc[-1])}

    def set_tier(
        self, attribute: str, tier: int | None = KEEP, *, evidence: str = KEEP
    ) -> Assessment:
        """Save the organisation's Implementation Tier (1-4, None clears) for one attribute;
        the Tier and its evidence each stay as saved unless given (the last value given is the
        one kept, as for :meth:`rate`), and a row the store does not hold yet starts from the
        workbook's own Tiers row, which the stored row replaces."""
        self._require()
        attribute = tier_attribute(attribute)  # as the store reads it
        given = {"tier": tier, "evidence": evidence}
        sheet = _sheet_row(self.inventory.tiers, _TIERED, attribute=attribute)
        self._save(self.store.set_tier, (attribute,), given, sheet)
        self.rescore()
        self._notify("tier", (attribute,))
        return self.assessment

    def set_scope(self, system: str, in_scope: bool) -> Assessment:
        """Put a system in or out of scope and re-score."""
        self._require()
        system = self._system(system)
        self.store.set_scope(self.number, system, in_scope, who=self._who())
        self.rescore()
        self._notify("scope", (system,))
        return self.assessment

    def set_assessor(self, name: str) -> None:
        """The name saved with every later change (the log's ``who``, the ratings' assessor)."""
        self.assessor = name.strip() or None
        self._notify("assessor")


class UnknownSystemError(NistpfError, ValueError):
    """A system ID that is not in the loaded workbook's Systems sheet."""

    code = "unknown-system"


def _with_warning(report: pd.DataFrame, code: str, problem: str) -> pd.DataFrame:
    row = dict.fromkeys(report.columns, "")
    row.update(severity="warning", sheet="Store", excel_row=pd.NA, problem=problem, code=code)
    return pd.concat([report, pd.DataFrame([row]).astype(object)], ignore_index=True)


def _sheet_row(table: pd.DataFrame, fields: tuple[str, ...], **key: str) -> dict[str, Any] | None:
    """``fields`` of the last row of the workbook's sheet ``table`` whose columns equal
    ``key`` (a blank is None); None when the sheet has no such row."""
    rows = table
    for column, value in key.items():
        rows = rows[rows[column] == value]
    if rows.empty:
        return None
    row, found = rows.iloc[-1], {}
    for field in fields:
        value = row[field]
        found[field] = None if pd.isna(value) else value.item() if hasattr(value, "item") else value
    return found


def _text(value: Any) -> str:
    return "" if value is None or (not isinstance(value, str) and pd.isna(value)) else str(value)
