"""The inventory workbook, declared once: sheets, columns, what each holds, the words people use
for them, and the values enumerated columns accept. The template writer, the loader, the
validation report, the bundled sample and the generator all read this module; none of them
repeats a column name.

Kinds of column (how a cell is read; see ``nistpf.inventory.values``):

``key``          unique identifier of the row (text, required)
``text``         free text
``list``         several values in one cell, split on ``;``, ``,`` or new lines
``choice``       one of ``choices`` (case, spaces and listed ``aliases`` forgiven)
``yesno``        yes/no in the usual spellings (blank: ``default``)
``count``        a whole number ≥ 0 ("2.5M" and "15K" read as numbers)
``days``         a number of days ("90", "3 months", "7 years")
``level``        a number on the assessment scale, or its label ("Repeatable")
``tier``         an Implementation Tier, 1-4 or its name
``date``         a date (an Excel date, or text as YYYY-MM-DD)
``subcategories`` a list of PF Subcategory IDs
``subcategory``  one PF Subcategory ID
``pf_id``        one PF Function, Category or Subcategory ID
``systems``      which systems a control applies to: blank/ALL, system IDs, ``type:CRM`` selectors
``system``       one system ID (or its exact name)
``endpoint``     a system ID, or ``external:<party>`` for a party outside the inventory
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

SYSTEM_TYPES = (
    "CRM",
    "CDP",
    "CCaaS",
    "Ticketing",
    "Chatbot",
    "AI",
    "Survey",
    "Marketing",
    "Analytics",
    "DataWarehouse",
    "Payments",
    "Identity",
    "Other",
)
STATUSES = (
    "Implemented",
    "Partially implemented",
    "Planned",
    "Not implemented",
    "Not applicable",
)
CRITICALITIES = ("High", "Medium", "Low")
PRIORITIES = ("High", "Moderate", "Low")
STAGES = ("collection", "transfer", "storage", "use", "sharing", "disposal")
# NISTIR 8062's data actions that are not life-cycle stages of their own; a DataFlows row may name
# them as its stage (nistpf/data/data_actions.csv maps every stage to its NISTIR 8062 data action).
NISTIR_STAGES = ("logging", "generation", "transformation")
MINIMIZATIONS = ("none", "masked", "tokenized", "pseudonymized", "aggregated")
METHODS = ("examine", "interview", "test")
TIER_ATTRIBUTES = (
    "Privacy Risk Management Process",
    "Integrated Privacy Risk Management Program",
    "Data Processing Ecosystem Relationships",
    "Workforce",
)
TIER_NAMES = {1: "Partial", 2: "Risk Informed", 3: "Repeatable", 4: "Adaptive"}
EXTERNAL_PREFIX = "external:"
ALL_SYSTEMS = "ALL"
TYPE_SELECTOR = "type:"
LIST_SEPARATORS = re.compile(r"[;,\n\r]+")


def fold(text: object) -> str:
    """The form in which headers, sheet names and choices are compared: case-folded, with
    everything but letters and digits removed (``"System ID"``, ``"system_id"`` → ``systemid``)."""
    return re.sub(r"[\W_]+", "", str(text).casefold())


@dataclass(frozen=True)
class Column:
    """One column of an inventory sheet."""

    name: str
    kind: str
    description: str
    required: bool = False
    synonyms: tuple[str, ...] = ()
    choices: tuple[str, ...] = ()
    aliases: Mapping[str, str] = field(default_factory=dict)
    default: object = None
    width: int = 18
    example: str = ""

    def __post_init__(self) -> None:
        object.__setattr__(self, "aliases", MappingProxyType(dict(self.aliases)))

    @property
    def names(self) -> tuple[str, ...]:
        """Every header this column answers to, folded: its own name and its synonyms."""
        return tuple(dict.fromkeys(fold(n) for n in (self.name, *self.synonyms)))

    @property
    def header(self) -> str:
        """The header as the template writes it."""
        return self.name


@dataclass(frozen=True)
class Sheet:
    """One sheet of the inventory workbook (or one CSV file of a folder)."""

    name: str
    description: str
    columns: tuple[Column, ...]
    required: bool = False
    # Not required, but a workbook without it is a warning (DataFlows: no flow findings).
    expected: bool = False
    key: str | None = None
    synonyms: tuple[str, ...] = ()
    layout: str = "table"  # "table", or "fields" (one field per row: About)
    # A column the template pre-fills: a row holding only it is an unfilled row, skipped.
    row_label: str | None = None

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(fold(n) for n in (self.name, *self.synonyms)))

    def column(self, name: str) -> Column:
        for column in self.columns:
            if column.name == name:
                return column
        raise KeyError(f"{self.name} has no column {name!r}")

    @property
    def column_names(self) -> list[str]:
        return [c.name for c in self.columns]

    @property
    def required_columns(self) -> list[str]:
        return [c.name for c in self.columns if c.required]


_DATA_CATEGORIES = Column(
    "data_categories",
    "list",
    "Customer data held or sent: Fides keys (user.contact.email) or plain labels; ; separated",
    synonyms=(
        "data categories",
        "personal data categories",
        "personal data categories held",
        "categories of personal data",
        "data elements",
        "personal data",
        "data",
    ),
    width=34,
    example="user.contact.email; user.financial",
)

SYSTEMS = Sheet(
    "Systems",
    "One row per CX system that holds or processes customer data.",
    (
        Column(
            "system_id",
            "key",
            "Short unique ID used everywhere else in the workbook, e.g. CRM-01",
            required=True,
            synonyms=("system id", "system", "id", "system code", "asset id", "application id"),
            width=14,
            example="CRM-01",
        ),
        Column(
            "name",
            "text",
            "The system's name as the business knows it",
            required=True,
            synonyms=("system name", "application", "application name", "asset name", "asset"),
            width=28,
            example="Salesforce Service Cloud",
        ),
        Column(
            "type",
            "choice",
            "Kind of CX system",
            synonyms=("system type", "category", "kind"),
            choices=SYSTEM_TYPES,
            aliases={
                "contact centre": "CCaaS",
                "contact center": "CCaaS",
                "contact centre bpo": "CCaaS",
                "customer data platform": "CDP",
                "help desk": "Ticketing",
                "helpdesk": "Ticketing",
                "service desk": "Ticketing",
                "support desk": "Ticketing",
                "chat bot": "Chatbot",
                "bot": "Chatbot",
                "virtual agent": "Chatbot",
                "ai assistant": "AI",
                "llm": "AI",
                "genai": "AI",
                "voc": "Survey",
                "feedback": "Survey",
                "marketing automation": "Marketing",
                "email marketing": "Marketing",
                "web analytics": "Analytics",
                "product analytics": "Analytics",
                "data warehouse": "DataWarehouse",
                "warehouse": "DataWarehouse",
                "dwh": "DataWarehouse",
                "payment": "Payments",
                "payment gateway": "Payments",
                "psp": "Payments",
                "iam": "Identity",
                "ciam": "Identity",
                "sso": "Identity",
            },
            width=14,
            example="CRM",
        ),
        Column(
            "owner",
            "text",
            "Named person or role accountable for the system",
            synonyms=("system owner", "business owner", "system owner admin", "responsible"),
            width=22,
        ),
        Column("vendor", "text", "Vendor or provider", synonyms=("supplier", "provider")),
        Column(
            "hosting",
            "text",
            "Where it runs and where the data lives, e.g. SaaS (EU)",
            synonyms=("location", "hosted", "deployment", "region", "data location"),
        ),
        Column(
            "channels",
            "list",
            "Customer channels it serves (web, app, voice, chat, email, store…)",
            synonyms=("channel", "touchpoints"),
        ),
        _DATA_CATEGORIES,
        Column(
            "data_subjects",
            "list",
            "Whose data: customers, prospects, children, employees…",
            synonyms=("subjects", "individuals", "data subject categories", "datasubjects"),
        ),
        Column(
            "records",
            "count",
            "Approximate number of customer records",
            synonyms=("record count", "number of records", "volume"),
            width=12,
        ),
        Column(
            "criticality",
            "choice",
            "Business criticality; weights the system in every score (High 3, Medium 2, Low 1)",
            synonyms=("business criticality", "risk level"),
            choices=CRITICALITIES,
            aliases={"med": "Medium", "moderate": "Medium", "hi": "High", "lo": "Low"},
            default="Medium",
            width=12,
        ),
        Column(
            "in_scope",
            "yesno",
            "Is the system in the assessment's scope? (blank = yes)",
            synonyms=("scope", "included"),
            default=True,
            width=10,
        ),
    ),
    required=True,
    key="system_id",
    synonyms=(
        "system inventory",
        "cx systems",
        "applications",
        "assets",
        "asset register",
        "system register",
    ),
)

CONTROLS = Sheet(
    "Controls",
    "One row per privacy or security control, mapped to the PF Subcategories it supports.",
    (
        Column(
            "control_id",
            "key",
            "Short unique ID, e.g. CTL-001",
            required=True,
            synonyms=("control id", "control", "id", "ref", "control ref", "control reference"),
            width=12,
            example="CTL-001",
        ),
        Column(
            "name",
            "text",
            "What the control is, in a few words",
            required=True,
            synonyms=("control name", "title"),
            width=32,
        ),
        Column("description", "text", "How it works", synonyms=("details",), width=40),
        Column("owner", "text", "Named owner", synonyms=("control owner", "responsible")),
        Column(
            "status",
            "choice",
            "Implementation status",
            required=True,
            synonyms=("implementation status", "state"),
            choices=STATUSES,
            aliases={
                "in place": "Implemented",
                "partial": "Partially implemented",
                "partially": "Partially implemented",
                "in progress": "Partially implemented",
                "roadmap": "Planned",
                "not in place": "Not implemented",
                "missing": "Not implemented",
                "n/a": "Not applicable",
                "na": "Not applicable",
            },
            width=22,
        ),
        Column(
            "maturity",
            "level",
            "Optional: level on the assessment scale (0-4 by default) of an (partially) "
            "implemented control",
            synonyms=("maturity level", "level"),
            width=10,
        ),
        Column(
            "subcategories",
            "subcategories",
            "PF Subcategory IDs this control supports, ; separated (see PF Subcategories)",
            required=True,
            synonyms=(
                "subcategory",
                "pf subcategories",
                "pf subcategory",
                "pf ids",
                "privacy framework",
                "nist pf",
                "outcomes",
            ),
            width=26,
            example="PR.DS-P2; PR.AC-P4",
        ),
        Column(
            "applies_to",
            "systems",
            "Blank or ALL for every system; else system IDs or type:CRM-style selectors",
            synonyms=("applies to", "systems", "applicable systems", "scope"),
            width=24,
            example="ALL",
        ),
        Column("evidence", "text", "Where the evidence is", synonyms=("evidence link",)),
        Column(
            "last_tested",
            "date",
            "When the control was last tested (YYYY-MM-DD)",
            synonyms=("last tested", "tested", "last reviewed", "test date"),
            width=12,
        ),
    ),
    required=True,
    key="control_id",
    synonyms=("control register", "control inventory", "measures", "safeguards"),
)

FLOWS = Sheet(
    "DataFlows",
    "One row per customer-data flow between systems, or to and from external parties.",
    (
        Column(
            "flow_id",
            "key",
            "Short unique ID, e.g. F-001",
            required=True,
            synonyms=("flow id", "flow", "id"),
            width=10,
        ),
        Column(
            "source",
            "endpoint",
            "System ID the data comes from, or external:<party>",
            required=True,
            synonyms=("from", "source system", "origin", "sender"),
            width=16,
        ),
        Column(
            "destination",
            "endpoint",
            "System ID the data goes to, or external:<party>",
            required=True,
            synonyms=("to", "destination system", "recipient", "target system"),
            width=16,
        ),
        _DATA_CATEGORIES,
        Column("purpose", "text", "Why the data moves", synonyms=("purpose of processing",)),
        Column(
            "stage",
            "choice",
            "Data life-cycle stage",
            synonyms=("lifecycle stage", "life cycle stage", "data action"),
            choices=STAGES + NISTIR_STAGES,
            aliases={
                "collect": "collection",
                "retention": "storage",
                "retain": "storage",
                "log": "logging",
                "generate": "generation",
                "derivation": "generation",
                "transform": "transformation",
                "transmission": "transfer",
                "store": "storage",
                "processing": "use",
                "share": "sharing",
                "disclosure": "sharing",
                "deletion": "disposal",
                "destruction": "disposal",
                "dispose": "disposal",
            },
            width=12,
        ),
        Column(
            "encrypted_in_transit",
            "yesno",
            "Is the flow encrypted in transit? (blank = unknown)",
            synonyms=("encrypted", "encryption", "encryption in transit", "tls"),
            width=12,
        ),
        Column(
            "minimization",
            "choice",
            "How the data is reduced before it moves",
            synonyms=("minimisation", "data minimization", "data minimisation", "masking"),
            choices=MINIMIZATIONS,
            aliases={
                "no": "none",
                "masking": "masked",
                "tokenised": "tokenized",
                "tokenization": "tokenized",
                "tokenisation": "tokenized",
                "pseudonymised": "pseudonymized",
                "pseudonymization": "pseudonymized",
                "pseudonymisation": "pseudonymized",
                "aggregation": "aggregated",
            },
            width=14,
        ),
        Column(
            "consent_basis",
            "text",
            "Consent or other legal basis recorded for the flow",
            synonyms=("consent", "legal basis", "lawful basis"),
        ),
        Column(
            "third_party",
            "yesno",
            "Does the data reach a third party? (blank = no, unless the destination is external)",
            synonyms=("third-party", "external"),
            width=10,
        ),
        Column(
            "retention_days",
            "days",
            "How long the destination keeps the data, in days ('7 years' is read too)",
            synonyms=("retention", "retention period", "retention period days"),
            width=12,
        ),
        Column("owner", "text", "Named owner of the flow", synonyms=("flow owner",)),
    ),
    required=False,
    key="flow_id",
    synonyms=("flows", "data map", "data mapping", "transfers", "data flow"),
    expected=True,
)

PROFILE = Sheet(
    "Profile",
    "Optional Target Profile: a row for a Function, Category or Subcategory; narrower rows win.",
    (
        Column(
            "pf_id",
            "pf_id",
            "PF Function, Category or Subcategory ID",
            required=True,
            synonyms=("id", "subcategory", "category", "function", "outcome"),
            width=12,
        ),
        Column(
            "target",
            "level",
            "Target level on the assessment scale (default 3)",
            synonyms=("target level", "target maturity"),
            width=10,
        ),
        Column(
            "priority",
            "choice",
            "Priority of closing the gap (default Moderate)",
            choices=PRIORITIES,
            aliases={"medium": "Moderate", "med": "Moderate"},
            width=12,
        ),
        Column(
            "in_profile",
            "yesno",
            "Is the outcome part of the profile? (blank = yes)",
            synonyms=("in scope", "included"),
            default=True,
            width=10,
        ),
        Column(
            "rationale",
            "text",
            "Why this target",
            synonyms=("reason", "justification"),
            width=40,
        ),
    ),
    synonyms=("target profile", "targets"),
)

RESPONSES = Sheet(
    "Responses",
    "Optional assessor ratings; a blank system rates the Subcategory for the organisation.",
    (
        Column(
            "subcategory",
            "subcategory",
            "PF Subcategory ID",
            required=True,
            synonyms=("pf id", "id", "outcome"),
            width=12,
        ),
        Column("system", "system", "System ID, or blank for the organisation", width=12),
        Column(
            "current",
            "level",
            "The assessor's rating on the assessment scale",
            required=True,
            synonyms=("rating", "current level", "score"),
            width=10,
        ),
        Column("evidence", "text", "Evidence examined"),
        Column(
            "method",
            "choice",
            "How it was assessed",
            synonyms=("assessment method",),
            choices=METHODS,
            aliases={
                "examination": "examine",
                "document review": "examine",
                "review": "examine",
                "interviewed": "interview",
                "testing": "test",
                "tested": "test",
            },
            width=12,
        ),
        Column("notes", "text", "Notes", synonyms=("comments",), width=30),
        Column("assessor", "text", "Who rated it", synonyms=("rated by",)),
        Column("date", "date", "When (YYYY-MM-DD)", synonyms=("rated on",), width=12),
    ),
    synonyms=("ratings", "assessor ratings"),
)

TIERS = Sheet(
    "Tiers",
    "Optional: the organisation's Implementation Tier (1-4) for each of the four attributes.",
    (
        Column(
            "attribute",
            "choice",
            "Tier attribute",
            required=True,
            choices=TIER_ATTRIBUTES,
            aliases={
                "process": "Privacy Risk Management Process",
                "risk management process": "Privacy Risk Management Process",
                "program": "Integrated Privacy Risk Management Program",
                "programme": "Integrated Privacy Risk Management Program",
                "integrated program": "Integrated Privacy Risk Management Program",
                "ecosystem": "Data Processing Ecosystem Relationships",
                "ecosystem relationships": "Data Processing Ecosystem Relationships",
                "people": "Workforce",
            },
            width=44,
        ),
        Column(
            "tier",
            "tier",
            "1 Partial, 2 Risk Informed, 3 Repeatable or 4 Adaptive",
            required=True,
            width=10,
        ),
        Column("evidence", "text", "Why this Tier", width=50),
    ),
    synonyms=("implementation tiers",),
    row_label="attribute",
)

ABOUT_FIELDS = (
    Column("client", "text", "Client organisation", synonyms=("company", "organisation")),
    Column("engagement", "text", "Engagement name", synonyms=("project",)),
    Column("assessor", "text", "Lead assessor"),
    Column("date", "date", "Assessment date (YYYY-MM-DD)", synonyms=("assessment date",)),
    Column(
        "framework_version",
        "text",
        "Privacy Framework version (default 1.0)",
        synonyms=("framework version", "pf version", "version"),
    ),
    Column(
        "scale",
        "text",
        "Assessment scale: tiers (0-4, default), cmmi (0-5) or implementation (0-3)",
        synonyms=("assessment scale",),
    ),
    Column(
        "locale",
        "text",
        "The locale the client's numbers are written in (de-DE, fr, en-US): it decides a "
        "number such as 12.400 that reads differently in the two conventions",
        synonyms=("language", "number format", "sprache", "langue", "idioma", "lingua", "taal"),
    ),
)

ABOUT = Sheet(
    "About",
    "Optional: who the assessment is for; one field per row.",
    (
        Column(
            "field",
            "text",
            "What the row states",
            required=True,
            synonyms=("key", "item"),
            width=22,
        ),
        Column("value", "text", "Its value", synonyms=("details",), width=50),
    ),
    synonyms=("engagement", "info"),
    layout="fields",
)

SHEETS = (SYSTEMS, CONTROLS, FLOWS, PROFILE, RESPONSES, TIERS, ABOUT)
SHEETS_BY_NAME = {sheet.name: sheet for sheet in SHEETS}


def sheet(name: str) -> Sheet:
    """The sheet spec named ``name`` (exact nistpf name, e.g. ``"DataFlows"``)."""
    return SHEETS_BY_NAME[name]


def about_field(name: object) -> Column | None:
    """The About field a label means (``"Framework version"`` → ``framework_version``)."""
    wanted = fold(name)
    for column in ABOUT_FIELDS:
        if wanted in column.names:
            return column
    return None
