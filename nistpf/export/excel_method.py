"""The gap register's Method sheet: how every figure is computed, with the settings the
assessment used, the scale, the weights, the framework, the input file and its SHA-256, nistpf's
version and the data-flow rules. Built as data, like the other sheets
(:mod:`nistpf.export.excel_sheets`)."""

from __future__ import annotations

import pandas as pd

from nistpf.assessment import Assessment
from nistpf.errors import shown
from nistpf.export import method_text
from nistpf.export.excel_sheets import (
    CROSSWALKS,
    FIELD_COLUMNS,
    LEFT,
    LISTED_IN_FULL,
    METHOD,
    NAMED_IN_SUMMARY,
    PRINTED,
    STATUSES,
    WHOLE,
    Block,
    Column,
    Sheet,
)

METHOD_WIDTHS = (28, 96, 26, 10, 8)  # one landscape page across (xlsx.pages_across)


def method_sheet(a: Assessment) -> Sheet:
    """How every figure is computed, with the settings this assessment used; the scale; the
    framework; the input; the data-flow rules."""
    import nistpf
    from nistpf.findings import load_rules

    d, sc, fw, inv = a.defaults, a.scale, a.framework, a.inventory
    # The method as the report and the deck state it, then what only the register has.
    text = [
        *method_text.method_rows(a),
        (
            "Systems sheet",
            "level(s, y) averaged over the in-profile Subcategories of each Function.",
        ),
        (
            "Gap Register rows",
            "Every in-profile Subcategory with a gap above 0 or a data-flow finding, in the "
            "order of the ranking above; the Data Flows sheet names each flow's findings.",
        ),
        (
            "Affected systems",
            "In-scope systems whose level is below the target. Data categories: what those "
            "systems hold, per the inventory.",
        ),
        (
            "Long lists",
            f"A cell names up to {LISTED_IN_FULL} affected systems, data categories, controls "
            "or crosswalk references; beyond, it counts them and names the first "
            f'{NAMED_IN_SUMMARY} ("23 data categories: email, name, phone (+20 more)", '
            '"all 15 in-scope systems"). The All … columns at the end of the Gap Register '
            "list every one.",
        ),
        (
            "Printing",
            f"The Gap Register prints its first {PRINTED} columns (Subcategory to Status), one "
            "landscape page wide on A4 or Letter, the header row on every page; the columns "
            "after Status are for the screen. Every sheet prints landscape with its name and "
            "page number in the footer.",
        ),
        (
            "Recommended action",
            "nistpf's suggestion from the data: no control mapped — define one; controls only "
            "planned or not implemented — implement them; systems no implemented control "
            "covers — extend the controls to them; partially implemented — complete them; "
            "otherwise raise their maturity to the target. Findings: fix those data flows. "
            "Replace it with your own plan.",
        ),
        (
            "Owner, due date, status, comments",
            f"Yours to fill. Status is one of {', '.join(STATUSES)}. A due date is a date cell "
            "or a date written as the inventory's dates are (2027-03-31, 31.03.2027, "
            "31/03/2027, 31 March 2027); other text, such as Q3 2027 or 03/04/2027 (3 April or "
            "4 March?), is carried over as written, with a note. nistpf reads these columns and "
            "the recommended action back and carries them over into the next register for the "
            "Subcategories it still lists; the others are reported as closed.",
        ),
    ]
    scale_rows = [
        (level, label, ", ".join(s for s, v in sc.status_defaults.items() if v == level) or None)
        for level, label in sc.labels.items()
    ]
    weights = [
        *((f"Criticality: {k}", v) for k, v in d["criticality_weights"].items()),
        *((f"Priority: {k}", v) for k, v in d["priority_weights"].items()),
        *((f"Coverage: {k}", v) for k, v in d["coverage"].items()),
    ]
    manifest = fw.manifest
    crosswalks = [fw.crosswalk_title(name) for name in CROSSWALKS if name in fw.crosswalks()]
    framework_rows = [
        ("Title", fw.title),
        ("Version", f"{fw.version} ({manifest.get('status', '')})".replace(" ()", "")),
        ("Publication", manifest.get("publication")),
        ("Published", manifest.get("published")),
        ("DOI", manifest.get("doi")),
        ("Crosswalks in the register", "; ".join(crosswalks) or None),
    ]
    systems = inv.systems
    input_rows = [
        ("File", shown(inv.source)),
        ("SHA-256", inv.sha256 or "not a file (DataFrames)"),
        ("Systems", f"{len(systems)} ({len(a.systems['system'].unique())} in scope)"),
        ("Controls", str(len(inv.controls))),
        ("Data flows", str(len(inv.flows))),
        ("Warnings", str(len(inv.issues))),
        ("nistpf version", nistpf.__version__),
    ]
    return Sheet(
        METHOD,
        (
            Block(
                "method",
                (Column("Figure", wrap=True), Column("How it is computed", wrap=True)),
                text,
                title="Method",
            ),
            Block(
                "scale",
                (
                    Column("Level", format=WHOLE, align=LEFT),
                    Column("Label"),
                    Column("Default for", wrap=True),
                ),
                scale_rows,
                title=f"Scale: {sc.name}",
            ),
            Block(
                "weights",
                (Column("Setting"), Column("Value", format="0.0##", align=LEFT)),
                weights,
                title="Weights",
            ),
            Block("framework", FIELD_COLUMNS, framework_rows, title="Framework", header=False),
            Block("input", FIELD_COLUMNS, input_rows, title="Input", header=False),
            Block(
                "rules",
                (
                    Column("Rule"),
                    Column("Description", wrap=True),
                    Column("Subcategory"),
                    Column("Severity"),
                    Column("Cap", format="0.#", align=LEFT),
                ),
                _rule_rows(a, load_rules(framework=fw)),
                title="Data-flow rules",
            ),
        ),
        title="How the figures are computed",
        widths=METHOD_WIDTHS,
    )


def _rule_rows(a: Assessment, rules: pd.DataFrame) -> list[tuple]:
    """The bundled rules, then any rule a finding names that they lack (rules of your own)."""
    rows = [
        (r.id, r.description, r.subcategory, r.severity, float(r.cap))
        for r in rules.itertuples(index=False)
    ]
    known = set(rules["id"])
    extra = a.findings.drop_duplicates("rule")
    for r in extra[~extra["rule"].isin(known)].itertuples(index=False):
        rows.append((r.rule, "a rule of your own", r.subcategory, r.severity, float(r.cap)))
    return rows
