"""Synthetic enterprise-scale inventories, for load and performance work.

:func:`synthetic_inventory` builds a valid inventory of any size as one DataFrame per sheet, with
the template's column names and cells as a person would type them (lists joined with ``"; "``,
``yes``/``no``, dates as :class:`datetime.date`). :func:`write_synthetic_workbook` writes it as an
.xlsx workbook the loader reads like a client's.

The values are random but valid against :mod:`nistpf.inventory.schema`: unique IDs, real PF
Subcategory IDs, every choice spelled as the schema spells it, maturity only on Implemented and
Partially implemented controls. The same ``seed`` always gives the same inventory. For a
realistic story, use the bundled sample in ``data/cx-sample/`` instead.

Everything is drawn column by column with numpy, never cell by cell: lists are built either by
picking from a small pool of pre-joined combinations or by joining a few string columns at once,
so the default 2,000 systems, 10,000 controls and 20,000 flows take well under a second.

>>> from nistpf.synth import synthetic_inventory
>>> frames = synthetic_inventory(systems=20, controls=50, flows=80, seed=1)
>>> {name: len(frame) for name, frame in frames.items()}["Controls"]
50
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pandas as pd

from nistpf.framework import framework
from nistpf.inventory.schema import (
    ALL_SYSTEMS,
    CRITICALITIES,
    EXTERNAL_PREFIX,
    METHODS,
    MINIMIZATIONS,
    PRIORITIES,
    SHEETS,
    STAGES,
    STATUSES,
    TIER_ATTRIBUTES,
    TYPE_SELECTOR,
    sheet,
)
from nistpf.io.atomic import atomic_open

SEPARATOR = "; "
# Every generated date lies before this one, so an inventory never depends on today's date.
REFERENCE_DATE = dt.date(2026, 6, 30)

_ID_PREFIX = {
    "CRM": "CRM",
    "CDP": "CDP",
    "CCaaS": "CCS",
    "Ticketing": "TKT",
    "Chatbot": "BOT",
    "AI": "AIA",
    "Survey": "SRV",
    "Marketing": "MKT",
    "Analytics": "ANL",
    "DataWarehouse": "DWH",
    "Payments": "PAY",
    "Identity": "IDN",
    "Other": "APP",
}
_TYPE_WEIGHTS = {
    "CRM": 8,
    "CDP": 3,
    "CCaaS": 6,
    "Ticketing": 7,
    "Chatbot": 5,
    "AI": 5,
    "Survey": 4,
    "Marketing": 8,
    "Analytics": 8,
    "DataWarehouse": 4,
    "Payments": 4,
    "Identity": 4,
    "Other": 34,
}
_TYPE_LABEL = {
    "CRM": "CRM",
    "CDP": "customer data platform",
    "CCaaS": "contact centre",
    "Ticketing": "service desk",
    "Chatbot": "chatbot",
    "AI": "AI assistant",
    "Survey": "feedback surveys",
    "Marketing": "marketing automation",
    "Analytics": "analytics",
    "DataWarehouse": "data warehouse",
    "Payments": "payments",
    "Identity": "customer identity",
    "Other": "CX application",
}
_UNITS = (
    "UK Retail",
    "Ireland Retail",
    "DACH Retail",
    "Nordics",
    "Benelux",
    "France",
    "Iberia",
    "US Online",
    "Canada",
    "Group",
    "Outlet",
    "B2B Trade",
)
_ROLES = (
    "Head of CX Operations",
    "CRM Platform Owner",
    "Head of Data & Analytics",
    "Contact Centre Operations Director",
    "Vendor Management Lead",
    "Marketing Operations Manager",
    "Digital Analytics Lead",
    "AI Product Owner",
    "Payments Lead",
    "Identity & Access Lead",
    "Head of Ecommerce",
    "Head of Infrastructure",
    "Data Protection Officer",
    "Privacy Counsel",
    "Chief Information Security Officer",
    "Customer Insight Manager",
)
_HOSTING = (
    "SaaS (EU)",
    "SaaS (US)",
    "SaaS (UK)",
    "SaaS (US and EU)",
    "Azure (West Europe)",
    "AWS (eu-central-1)",
    "AWS (us-east-1)",
    "GCP (europe-west1)",
    "On-premises",
    "BPO site (PH)",
)
_CHANNELS = ("web", "app", "voice", "chat", "email", "SMS", "store", "social")
# Real keys of the Fides data-category taxonomy (ethyca/fideslang).
FIDES_CATEGORIES = (
    "user.name",
    "user.contact.email",
    "user.contact.phone_number",
    "user.contact.address",
    "user.account.username",
    "user.authorization.credentials",
    "user.behavior.purchase_history",
    "user.behavior.browsing_history",
    "user.behavior.search_history",
    "user.content.private",
    "user.demographic.date_of_birth",
    "user.demographic.age_range",
    "user.demographic.gender",
    "user.demographic.language",
    "user.device.cookie_id",
    "user.device.device_id",
    "user.device.ip_address",
    "user.unique_id.pseudonymous",
    "user.privacy_preferences",
    "user.location.imprecise",
    "user.location.precise",
    "user.financial.credit_card",
    "user.financial.bank_account",
    "user.biometric.voice",
    "user.health_and_medical",
    "user.government_id.passport_number",
    "user.childrens",
)
_SUBJECTS = ("customers", "prospects", "loyalty members", "website visitors", "children")
_VENDORS = tuple(f"Vendor {n:03d}" for n in range(1, 241)) + ("In-house",) * 40
_CONTROL_NAMES = (
    "Consent management platform",
    "DSAR workflow",
    "Retention schedule enforcement",
    "TLS on all interfaces",
    "Encryption at rest",
    "Field-level encryption of sensitive attributes",
    "Tokenisation of card data",
    "PII redaction in transcripts",
    "Service-account least privilege",
    "Quarterly access reviews",
    "Data processing agreement",
    "Vendor privacy due diligence",
    "Privacy notice at collection",
    "Privacy impact assessment",
    "Audit logging of record access",
    "Breach response playbook",
    "Privacy awareness training",
    "Data-flow mapping",
    "Secure data disposal",
    "Pseudonymised analytics keys",
    "Preference centre",
    "Backup and restore testing",
    "Vulnerability management",
    "Change control",
    "Masked test data",
    "Data loss prevention",
    "MFA for administrators",
    "Complaint handling for privacy",
    "Consent propagation to downstream systems",
    "Records of disclosures",
)
_DESCRIPTIONS = (
    "Documented procedure with a named owner; evidence kept in the GRC tool.",
    "Technical control configured on the platform; settings exported quarterly.",
    "Contractual requirement with the vendor, reviewed at renewal.",
    "Manual process run by the owning team; sample-tested by internal audit.",
    "Automated job with alerting on failure.",
)
_EVIDENCE = (
    "GRC tool record",
    "Configuration export",
    "Policy document",
    "Audit report",
    "Test results",
    "Contract schedule",
    "Screenshots on file",
)
_PURPOSES = (
    "Order fulfilment",
    "Customer service",
    "Personalised marketing",
    "Service analytics",
    "Fraud prevention",
    "Payment processing",
    "Account management",
    "Loyalty rewards",
    "Customer feedback",
    "Reporting",
    "Agent assist",
    "Delivery notifications",
)
_CONSENT = (
    "Consent",
    "Contract",
    "Legitimate interests",
    "Legal obligation",
    "Consent (marketing opt-in)",
    "Contract (DPA)",
)
_PARTIES = (
    "Customers",
    "Delivery partner",
    "Media agency",
    "Payment acquirer",
    "BPO partner",
    "Credit reference agency",
    "Data destruction vendor",
)
_RETENTION = np.array([30, 90, 180, 365, 425, 730, 1095, 2190, 2555])
_ASSESSORS = ("Lead assessor", "Privacy assessor", "Security assessor")

_STATUS_WEIGHTS = (0.45, 0.25, 0.15, 0.10, 0.05)
_STAGE_WEIGHTS = (0.15, 0.30, 0.20, 0.15, 0.12, 0.08)
_MINIMIZATION_WEIGHTS = (0.50, 0.15, 0.10, 0.15, 0.10)

SUBCATEGORIES_PER_CONTROL = (3, 7)
SYSTEMS_PER_CONTROL = (1, 5)
SHARE_ALL = 0.20
SHARE_TYPE_SELECTOR = 0.15
SHARE_EXTERNAL = 0.02


def synthetic_inventory(
    *, systems: int = 2000, controls: int = 10000, flows: int = 20000, seed: int = 0
) -> dict[str, pd.DataFrame]:
    """A valid synthetic inventory: ``{sheet name: DataFrame}`` for Systems, Controls,
    DataFlows, Profile, Responses, Tiers and About, columns exactly the template's.

    Each control supports 3-7 Subcategories (about five on average, so 10,000 controls give
    about 50,000 control × Subcategory mappings); 20 % apply to ``ALL`` systems, the rest to
    1-5 system IDs or a ``type:`` selector. About 2 % of flows have an ``external:`` endpoint.
    Deterministic: the same arguments always give equal frames.
    """
    _check_size("systems", systems, minimum=1)
    _check_size("controls", controls, minimum=0)
    _check_size("flows", flows, minimum=0)
    rng = np.random.default_rng(seed)
    subcategories = framework().subcategories
    system_frame = _systems(rng, systems)
    frames = {
        "Systems": system_frame,
        "Controls": _controls(rng, controls, system_frame, subcategories["id"].to_numpy()),
        "DataFlows": _flows(rng, flows, system_frame["system_id"].to_numpy()),
        "Profile": _profile(rng, subcategories),
        "Responses": _responses(rng, system_frame["system_id"].to_numpy(), subcategories["id"]),
        "Tiers": _tiers(rng),
        "About": _about(seed, systems, controls, flows),
    }
    return {spec.name: frames[spec.name] for spec in SHEETS}


def write_synthetic_workbook(path: str | Path, **sizes: int) -> Path:
    """Write :func:`synthetic_inventory` (``sizes``: ``systems``, ``controls``, ``flows``,
    ``seed``) to the .xlsx file ``path``: one sheet per frame, the header row, then the data.
    Written with openpyxl in write-only mode, atomically; returns the path."""
    from openpyxl import Workbook

    path = Path(path)
    frames = synthetic_inventory(**sizes)
    workbook = Workbook(write_only=True)
    for name, frame in frames.items():
        worksheet = workbook.create_sheet(name)
        worksheet.append(list(frame.columns))
        for row in _cells(frame):
            worksheet.append(row)
    with atomic_open(path, "wb") as stream:
        workbook.save(stream)
    return path


# -- sheets ---------------------------------------------------------------------------------


def _systems(rng: np.random.Generator, n: int) -> pd.DataFrame:
    types = np.array(list(_TYPE_WEIGHTS))
    weights = np.array(list(_TYPE_WEIGHTS.values()), dtype=float)
    kind = rng.choice(types, size=n, p=weights / weights.sum())
    number = _numbers(n)
    prefix = pd.Series(kind).map(_ID_PREFIX)
    label = pd.Series(kind).map(_TYPE_LABEL)
    unit = _pick(rng, _UNITS, n)
    frame = pd.DataFrame(
        {
            "system_id": prefix + "-" + number,
            "name": unit + " " + label + " " + number,
            "type": kind,
            "owner": _pick(rng, _ROLES, n),
            "vendor": _pick(rng, _VENDORS, n),
            "hosting": _pick(rng, _HOSTING, n),
            "channels": _pooled_lists(rng, _CHANNELS, n, 1, 4),
            "data_categories": _pooled_lists(rng, FIDES_CATEGORIES, n, 2, 7),
            "data_subjects": _pooled_lists(rng, _SUBJECTS, n, 1, 3),
            "records": np.round(10 ** rng.uniform(3, 7.5, n), -2).astype(np.int64),
            "criticality": rng.choice(CRITICALITIES, size=n, p=(0.3, 0.45, 0.25)),
            "in_scope": np.where(rng.random(n) < 0.95, "yes", "no"),
        }
    )
    return _in_schema_order("Systems", frame)


def _controls(
    rng: np.random.Generator, n: int, systems: pd.DataFrame, subcategory_ids: np.ndarray
) -> pd.DataFrame:
    status = rng.choice(STATUSES, size=n, p=_STATUS_WEIGHTS)
    implemented = status == "Implemented"
    partial = status == "Partially implemented"
    maturity = np.where(implemented, rng.integers(2, 5, n), rng.integers(0, 3, n))
    has_maturity = (implemented | partial) & (rng.random(n) < 0.5)
    tested = (implemented | partial) & (rng.random(n) < 0.8)
    frame = pd.DataFrame(
        {
            "control_id": "CTL-" + _numbers(n),
            "name": _pick(rng, _CONTROL_NAMES, n) + " – " + _pick(rng, _UNITS, n),
            "description": _pick(rng, _DESCRIPTIONS, n),
            "owner": _pick(rng, _ROLES, n),
            "status": status,
            "maturity": pd.array(np.where(has_maturity, maturity, 0), dtype="Int64"),
            "subcategories": _sample_lists(rng, subcategory_ids, n, *SUBCATEGORIES_PER_CONTROL),
            "applies_to": _applies_to(rng, n, systems),
            "evidence": np.where(rng.random(n) < 0.7, _pick(rng, _EVIDENCE, n), ""),
            "last_tested": _dates(rng, n, tested),
        }
    )
    frame.loc[~has_maturity, "maturity"] = pd.NA
    return _in_schema_order("Controls", frame)


def _applies_to(rng: np.random.Generator, n: int, systems: pd.DataFrame) -> np.ndarray:
    """20 % ``ALL``, then ``type:`` selectors for types present, then 1-5 distinct system IDs."""
    ids = systems["system_id"].to_numpy()
    draw = rng.random(n)
    present = np.unique(systems["type"].to_numpy())
    selectors = TYPE_SELECTOR + _pick(rng, present, n)
    explicit = _sample_lists(rng, ids, n, *SYSTEMS_PER_CONTROL, ordered=False)
    return np.where(
        draw < SHARE_ALL,
        ALL_SYSTEMS,
        np.where(draw < SHARE_ALL + SHARE_TYPE_SELECTOR, selectors, explicit),
    )


def _flows(rng: np.random.Generator, n: int, system_ids: np.ndarray) -> pd.DataFrame:
    count = len(system_ids)
    source_index = rng.integers(0, count, n)
    offset = rng.integers(1, count, n) if count > 1 else np.zeros(n, dtype=np.int64)
    source = system_ids[source_index].astype(object)
    destination = system_ids[(source_index + offset) % count].astype(object)
    stage = rng.choice(STAGES, size=n, p=_STAGE_WEIGHTS)
    external = rng.random(n) < SHARE_EXTERNAL
    party = EXTERNAL_PREFIX + _pick(rng, _PARTIES[1:], n)
    from_customers = external & (stage == "collection")
    source = np.where(from_customers, EXTERNAL_PREFIX + _PARTIES[0], source)
    destination = np.where(external & ~from_customers, party, destination)
    third_party = (external & ~from_customers) | ((stage == "sharing") & (rng.random(n) < 0.6))
    encrypted = rng.random(n)
    retention = pd.array(_RETENTION[rng.integers(0, len(_RETENTION), n)], dtype="Int64")
    retention[rng.random(n) < 0.05] = pd.NA
    frame = pd.DataFrame(
        {
            "flow_id": "F-" + _numbers(n),
            "source": source,
            "destination": destination,
            "data_categories": _pooled_lists(rng, FIDES_CATEGORIES, n, 1, 6),
            "purpose": np.where(rng.random(n) < 0.97, _pick(rng, _PURPOSES, n), ""),
            "stage": stage,
            "encrypted_in_transit": np.select(
                [encrypted < 0.93, encrypted < 0.97], ["yes", "no"], default=""
            ),
            "minimization": rng.choice(MINIMIZATIONS, size=n, p=_MINIMIZATION_WEIGHTS),
            "consent_basis": np.where(rng.random(n) < 0.95, _pick(rng, _CONSENT, n), ""),
            "third_party": np.where(third_party, "yes", "no"),
            "retention_days": retention,
            "owner": _pick(rng, _ROLES, n),
        }
    )
    return _in_schema_order("DataFlows", frame)


def _profile(rng: np.random.Generator, subcategories: pd.DataFrame) -> pd.DataFrame:
    """Every Function and Category, and ten Subcategory overrides (one out of the profile)."""
    functions = subcategories["function"].unique()
    categories = subcategories["category"].unique()
    overrides = rng.choice(subcategories["id"].to_numpy(), size=10, replace=False)
    pf_id = np.concatenate([functions, categories, overrides])
    n = len(pf_id)
    in_profile = np.full(n, "yes", dtype=object)
    in_profile[-1] = "no"
    frame = pd.DataFrame(
        {
            "pf_id": pf_id,
            "target": pd.array(rng.integers(2, 5, n), dtype="Int64"),
            "priority": rng.choice(PRIORITIES, size=n, p=(0.4, 0.4, 0.2)),
            "in_profile": in_profile,
            "rationale": np.where(
                in_profile == "no", "Outside the scope of this assessment", "Synthetic target"
            ),
        }
    )
    return _in_schema_order("Profile", frame)


def _responses(
    rng: np.random.Generator, system_ids: np.ndarray, subcategory_ids: pd.Series
) -> pd.DataFrame:
    """One rating per ten systems (at least ten), each (Subcategory, system) pair once; about a
    third rate the organisation (blank system)."""
    subcategory_ids = subcategory_ids.to_numpy()
    scopes = np.concatenate([[""] * max(1, len(system_ids) // 2), system_ids]).astype(object)
    total = len(subcategory_ids) * len(scopes)
    n = min(total, max(10, len(system_ids) // 10))
    pair = rng.choice(total, size=n, replace=False)
    subcategory = subcategory_ids[pair % len(subcategory_ids)]
    system = scopes[pair // len(subcategory_ids)]
    organisation = system == ""
    # Blank systems were drawn from many identical scopes: keep each Subcategory once.
    keep = ~organisation | ~pd.Series(subcategory).where(organisation).duplicated().to_numpy()
    subcategory, system, n = subcategory[keep], system[keep], int(keep.sum())
    frame = pd.DataFrame(
        {
            "subcategory": subcategory,
            "system": system,
            "current": pd.array(rng.integers(0, 5, n), dtype="Int64"),
            "evidence": _pick(rng, _EVIDENCE, n),
            "method": rng.choice(METHODS, size=n),
            "notes": "",
            "assessor": _pick(rng, _ASSESSORS, n),
            "date": _dates(rng, n, np.ones(n, dtype=bool), days=60),
        }
    )
    return _in_schema_order("Responses", frame)


def _tiers(rng: np.random.Generator) -> pd.DataFrame:
    frame = pd.DataFrame(
        {
            "attribute": TIER_ATTRIBUTES,
            "tier": pd.array(rng.integers(1, 5, len(TIER_ATTRIBUTES)), dtype="Int64"),
            "evidence": "Synthetic evidence",
        }
    )
    return _in_schema_order("Tiers", frame)


def _about(seed: int, systems: int, controls: int, flows: int) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "field": ["client", "engagement", "assessor", "date", "framework_version", "scale"],
            "value": [
                f"Synthetic Enterprise (seed {seed})",
                f"Synthetic inventory: {systems} systems, {controls} controls, {flows} flows",
                "Lead assessor",
                REFERENCE_DATE,
                "1.0",
                "tiers",
            ],
        }
    )


# -- vectorised helpers ---------------------------------------------------------------------


def _check_size(name: str, value: object, *, minimum: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < minimum:
        raise ValueError(f"{name} must be a whole number ≥ {minimum}, not {value!r}")


def _numbers(n: int) -> pd.Series:
    """``"0001"``, ``"0002"``, …: zero-padded so IDs sort in order."""
    width = max(4, len(str(n)))
    return pd.Series(np.arange(1, n + 1)).astype(str).str.zfill(width)


def _pick(rng: np.random.Generator, choices, n: int) -> pd.Series:
    """``n`` values drawn uniformly from ``choices``, as a string Series (so ``+`` joins)."""
    choices = np.asarray(choices, dtype=object)
    return pd.Series(choices[rng.integers(0, len(choices), n)], dtype=object)


def _pooled_lists(
    rng: np.random.Generator, items: tuple[str, ...], n: int, low: int, high: int, pool: int = 256
) -> np.ndarray:
    """``n`` list cells of ``low``-``high`` distinct ``items``, picked from a pool of joined
    combinations (building the pool is the only loop, and it is ``pool`` long, not ``n``)."""
    sizes = rng.integers(low, min(high, len(items)) + 1, pool)
    combos = [
        SEPARATOR.join(items[i] for i in sorted(rng.choice(len(items), size, replace=False)))
        for size in sizes
    ]
    return np.asarray(combos, dtype=object)[rng.integers(0, pool, n)]


def _sample_lists(
    rng: np.random.Generator, values: np.ndarray, n: int, low: int, high: int, *, ordered=True
) -> np.ndarray:
    """``n`` list cells of ``low``-``high`` distinct ``values`` (fewer if there are fewer
    values), joined with ``"; "``; in the order of ``values`` when ``ordered``."""
    count = len(values)
    width = min(high, count)
    if n == 0:
        return np.array([], dtype=object)
    if ordered:
        # A random subset per row: the smallest ``width`` of ``count`` random keys.
        keys = rng.random((n, count))
        chosen = np.argpartition(keys, width - 1, axis=1)[:, :width]
    else:
        # A random start and stride: distinct while ``stride × (width - 1) < count``.
        start = rng.integers(0, count, n)[:, None]
        stride = rng.integers(1, max(1, count // high) + 1, n)[:, None]
        chosen = (start + stride * np.arange(width)) % count
    sizes = rng.integers(min(low, width), width + 1, n)
    used = np.arange(width) < sizes[:, None]
    if ordered:
        chosen = np.sort(np.where(used, chosen, count), axis=1)
        used = chosen < count
        chosen = np.minimum(chosen, count - 1)
    cells = values.astype(object)[chosen]
    joined = pd.Series(cells[:, 0], dtype=object)
    for column in range(1, width):
        following = pd.Series(SEPARATOR + cells[:, column], dtype=object)
        joined = joined + following.where(used[:, column], "")
    return joined.to_numpy()


def _dates(rng: np.random.Generator, n: int, present: np.ndarray, days: int = 730) -> np.ndarray:
    """Dates within ``days`` before :data:`REFERENCE_DATE` where ``present``, else ``None``."""
    back = rng.integers(0, days, n).astype("timedelta64[D]")
    stamps = np.datetime64(REFERENCE_DATE, "D") - back
    dates = stamps.astype("datetime64[D]").astype(object)  # datetime.date objects
    return np.where(present, dates, None)


def _in_schema_order(name: str, frame: pd.DataFrame) -> pd.DataFrame:
    return frame[sheet(name).column_names].reset_index(drop=True)


def _cells(frame: pd.DataFrame):
    """Rows of ``frame`` as plain Python values for openpyxl: blanks (``""``, NA) as ``None``."""
    plain = frame.astype(object).where(frame.notna(), None)
    columns = [plain[c].to_numpy() for c in plain.columns]
    for row in zip(*columns, strict=True):
        yield [None if value == "" else value for value in row]
