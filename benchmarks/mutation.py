"""Mutation testing of the scoring engine, the data-flow findings and the value readers.

    uv run python benchmarks/mutation.py [--max-children 2] [--resume | --report]

Runs mutmut as ``[tool.mutmut]`` in pyproject.toml configures it — ``nistpf/scoring.py``,
``nistpf/findings.py`` and ``nistpf/inventory/values.py`` mutated, against the fast tests that
exercise them — in a fresh ``mutants/`` folder (``--resume`` keeps the previous one and its
verdicts, for a rerun after a test was added; ``--report`` only prints the figures of the run
already there), then prints the README's figures: mutants,
killed, survived, of the survivors those known to be equivalent (:data:`EQUIVALENT`, by kind),
timeouts, anything else mutmut reported, the run time and the date. Every survivor that is not
a known equivalent is printed with its diff: a behaviour no test pins yet.

It asserts nothing, and is not part of ``uv run pytest``: a run takes tens of minutes.
"""

# The EQUIVALENT table quotes mutmut's diff lines verbatim, some longer than a line.
# ruff: noqa: E501

from __future__ import annotations

import argparse
import datetime as dt
import os
import shutil
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

# Survivors that no test can kill, because the mutant behaves as the original does for every
# input the code can receive, by kind (README, "Mutation testing", says why for each kind).
STRICT = "zip(strict=True) over sequences of one length by construction"
DTYPE = "a dtype or index type the values already have"
PANDAS = "a pandas argument that changes nothing where it is used"
VERSION = "the framework shipped: one version, every Category and Function with Subcategories"
SPELLING = "a spelling Python or pandas reads the same"
UNUSED = "a value no caller reads"
SAME = "another path to the same result"
# Each is (kind, function, original line, mutated line), the lines as mutmut's diff shows them,
# stripped: matched by content, not by mutmut's numbering, so the list stays true when code
# elsewhere in the function changes. A survivor matching none is printed with its diff.
EQUIVALENT: list[tuple[str, str, str, str]] = [
    (
        SAME,
        "nistpf.scoring._number",
        "if high == MAX_WEIGHT and math.isfinite(number) and number > high:",
        "if high == MAX_WEIGHT and math.isfinite(number) and number >= high:",
    ),
    (
        VERSION,
        "nistpf.scoring.explain",
        'example = f", e.g. {\', \'.join(under.head(2))}" if len(under) else ""',
        'example = f", e.g. {\', \'.join(under.head(2))}" if (len(under)) or True else ""',
    ),
    (
        VERSION,
        "nistpf.scoring.explain",
        'example = f", e.g. {\', \'.join(under.head(2))}" if len(under) else ""',
        'example = f", e.g. {\', \'.join(under.head(2))}" if len(under) else "XXXX"',
    ),
    (
        DTYPE,
        "nistpf.findings._evaluate",
        "equal = np.asarray(left == right, dtype=bool)",
        "equal = np.asarray(left == right, )",
    ),
    (
        DTYPE,
        "nistpf.findings._evaluate",
        "equal = np.asarray(left == right, dtype=bool)",
        "equal = np.asarray(left == right, dtype=None)",
    ),
    (
        DTYPE,
        "nistpf.findings._holds",
        "return np.asarray(_evaluate(_parsed(condition), facts), dtype=bool)",
        "return np.asarray(_evaluate(_parsed(condition), facts), )",
    ),
    (
        DTYPE,
        "nistpf.findings._holds",
        "return np.asarray(_evaluate(_parsed(condition), facts), dtype=bool)",
        "return np.asarray(_evaluate(_parsed(condition), facts), dtype=None)",
    ),
    (
        DTYPE,
        "nistpf.findings._text",
        'return pd.Series(["" if pd.isna(v) else str(v) for v in column], dtype=object)',
        'return pd.Series(["" if pd.isna(v) else str(v) for v in column], )',
    ),
    (
        DTYPE,
        "nistpf.findings._text",
        'return pd.Series(["" if pd.isna(v) else str(v) for v in column], dtype=object)',
        'return pd.Series(["" if pd.isna(v) else str(v) for v in column], dtype=None)',
    ),
    (
        DTYPE,
        "nistpf.findings._validated",
        "checked = pd.DataFrame(rows, columns=RULE_COLUMNS, dtype=object)",
        "checked = pd.DataFrame(rows, columns=RULE_COLUMNS, )",
    ),
    (
        DTYPE,
        "nistpf.findings._validated",
        "checked = pd.DataFrame(rows, columns=RULE_COLUMNS, dtype=object)",
        "checked = pd.DataFrame(rows, columns=RULE_COLUMNS, dtype=None)",
    ),
    (
        DTYPE,
        "nistpf.findings._validated",
        'checked["cap"] = checked["cap"].astype(float)',
        'checked["cap"] = checked["cap"].astype(None)',
    ),
    (
        DTYPE,
        "nistpf.findings.evaluate_findings",
        "result = pd.DataFrame({c: pd.Series(found[c], dtype=object) for c in FINDING_COLUMNS})",
        "result = pd.DataFrame({c: pd.Series(found[c], ) for c in FINDING_COLUMNS})",
    ),
    (
        DTYPE,
        "nistpf.findings.evaluate_findings",
        "result = pd.DataFrame({c: pd.Series(found[c], dtype=object) for c in FINDING_COLUMNS})",
        "result = pd.DataFrame({c: pd.Series(found[c], dtype=None) for c in FINDING_COLUMNS})",
    ),
    (
        DTYPE,
        "nistpf.findings.flow_facts",
        '"data_categories": pd.Series(categories, dtype=object),',
        '"data_categories": pd.Series(categories, ),',
    ),
    (
        DTYPE,
        "nistpf.findings.flow_facts",
        '"data_categories": pd.Series(categories, dtype=object),',
        '"data_categories": pd.Series(categories, dtype=None),',
    ),
    (
        DTYPE,
        "nistpf.findings.flow_facts",
        '"sensitive_categories": pd.Series(sensitive, dtype=object),',
        '"sensitive_categories": pd.Series(sensitive, ),',
    ),
    (
        DTYPE,
        "nistpf.findings.flow_facts",
        '"sensitive_categories": pd.Series(sensitive, dtype=object),',
        '"sensitive_categories": pd.Series(sensitive, dtype=None),',
    ),
    (
        DTYPE,
        "nistpf.findings.flow_facts",
        'encrypted = flows["encrypted_in_transit"].astype("boolean")',
        'encrypted = flows["encrypted_in_transit"].astype(None)',
    ),
    (
        DTYPE,
        "nistpf.findings.flow_facts",
        'third_party = flows["third_party"].astype("boolean").eq(True).fillna(False)',
        'third_party = flows["third_party"].astype(None).eq(True).fillna(False)',
    ),
    (
        DTYPE,
        "nistpf.scoring._Engine.__init__",
        'self.w = self.systems["criticality"].map(weights).fillna(weights["Medium"]).to_numpy(float)',
        'self.w = self.systems["criticality"].map(weights).fillna(weights["Medium"]).to_numpy(None)',
    ),
    (
        DTYPE,
        "nistpf.scoring._Engine._caps",
        "c = caps.index.get_level_values(1).to_numpy(dtype=np.intp)",
        "c = caps.index.get_level_values(1).to_numpy(dtype=None)",
    ),
    (
        DTYPE,
        "nistpf.scoring._Engine._caps",
        'cap=np.floor(touched["cap"].astype(float) * rescale + 0.5),',
        'cap=np.floor(touched["cap"].astype(None) * rescale + 0.5),',
    ),
    (
        DTYPE,
        "nistpf.scoring._Engine._caps",
        "r = caps.index.get_level_values(0).to_numpy(dtype=np.intp)",
        "r = caps.index.get_level_values(0).to_numpy(dtype=None)",
    ),
    (DTYPE, "nistpf.scoring._Engine._control_levels", ".astype(float)", ".astype(None)"),
    (
        DTYPE,
        "nistpf.scoring._Engine._control_levels",
        'maturity = controls["maturity"].astype(float)',
        'maturity = controls["maturity"].astype(None)',
    ),
    (
        DTYPE,
        "nistpf.scoring._Engine._control_levels",
        'status_level = controls["status"].map(defaults).astype(float).fillna(0.0)',
        'status_level = controls["status"].map(defaults).astype(None).fillna(0.0)',
    ),
    (
        DTYPE,
        "nistpf.scoring._Engine._levels_table",
        '"system": np.tile(np.array(self.y_ids, dtype=object), n_s),',
        '"system": np.tile(np.array(self.y_ids, ), n_s),',
    ),
    (
        DTYPE,
        "nistpf.scoring._Engine._levels_table",
        '"system": np.tile(np.array(self.y_ids, dtype=object), n_s),',
        '"system": np.tile(np.array(self.y_ids, dtype=None), n_s),',
    ),
    (
        DTYPE,
        "nistpf.scoring._Engine._matrices",
        'c = best["system_id"].map(self.y_index).to_numpy(dtype=np.intp)',
        'c = best["system_id"].map(self.y_index).to_numpy(dtype=None)',
    ),
    (
        DTYPE,
        "nistpf.scoring._Engine._matrices",
        "c = cov.index.get_level_values(1).map(self.y_index).to_numpy(dtype=np.intp)",
        "c = cov.index.get_level_values(1).map(self.y_index).to_numpy(dtype=None)",
    ),
    (
        DTYPE,
        "nistpf.scoring._Engine._matrices",
        "coverage[cov.index.map(self.s_index).to_numpy(dtype=np.intp), :] = cov.to_numpy()[",
        "coverage[cov.index.map(self.s_index).to_numpy(dtype=None), :] = cov.to_numpy()[",
    ),
    (
        DTYPE,
        "nistpf.scoring._Engine._matrices",
        'r = best["subcategory"].map(self.s_index).to_numpy(dtype=np.intp)',
        'r = best["subcategory"].map(self.s_index).to_numpy(dtype=None)',
    ),
    (
        DTYPE,
        "nistpf.scoring._Engine._matrices",
        "r = cov.index.get_level_values(0).map(self.s_index).to_numpy(dtype=np.intp)",
        "r = cov.index.get_level_values(0).map(self.s_index).to_numpy(dtype=None)",
    ),
    (
        DTYPE,
        "nistpf.scoring._Engine._matrices",
        'rows = best["subcategory"].map(self.s_index).to_numpy(dtype=np.intp)',
        'rows = best["subcategory"].map(self.s_index).to_numpy(dtype=None)',
    ),
    (
        DTYPE,
        "nistpf.scoring._Engine._matrices",
        'self.evidenced[everywhere["subcategory"].map(self.s_index).to_numpy(dtype=np.intp)] = (',
        'self.evidenced[everywhere["subcategory"].map(self.s_index).to_numpy(dtype=None)] = (',
    ),
    (
        DTYPE,
        "nistpf.scoring._Engine._matrices",
        'self.evidenced[explicit["subcategory"].map(self.s_index).to_numpy(dtype=np.intp)] = True',
        'self.evidenced[explicit["subcategory"].map(self.s_index).to_numpy(dtype=None)] = True',
    ),
    (
        DTYPE,
        "nistpf.scoring._Engine._system_ratings",
        'levels[r, c] = rated["current"].astype(float).to_numpy()',
        'levels[r, c] = rated["current"].astype(None).to_numpy()',
    ),
    (
        DTYPE,
        "nistpf.scoring._Engine._system_ratings",
        'r = rated["subcategory"].map(self.s_index).to_numpy(dtype=np.intp)',
        'r = rated["subcategory"].map(self.s_index).to_numpy(dtype=None)',
    ),
    (
        DTYPE,
        "nistpf.scoring._Engine.run",
        '"current": current.astype(float),',
        '"current": current.astype(None),',
    ),
    (
        DTYPE,
        "nistpf.scoring._Engine.run",
        'assessor = subs["id"].map(org).astype(float)',
        'assessor = subs["id"].map(org).astype(None)',
    ),
    (
        DTYPE,
        "nistpf.scoring._Engine.run",
        'weight = subs["priority"].map(self.settings["priority_weights"]).astype(float)',
        'weight = subs["priority"].map(self.settings["priority_weights"]).astype(None)',
    ),
    (
        DTYPE,
        "nistpf.scoring.explain",
        'arithmetic=_arithmetic(systems["weight"].to_numpy(float), systems["level"].to_numpy(float)),',
        'arithmetic=_arithmetic(systems["weight"].to_numpy(None), systems["level"].to_numpy(float)),',
    ),
    (
        DTYPE,
        "nistpf.scoring.explain",
        'arithmetic=_arithmetic(systems["weight"].to_numpy(float), systems["level"].to_numpy(float)),',
        'arithmetic=_arithmetic(systems["weight"].to_numpy(float), systems["level"].to_numpy(None)),',
    ),
    (
        PANDAS,
        "nistpf.findings.evaluate_findings",
        "facts = flow_facts(inventory).reset_index(drop=True)",
        "facts = flow_facts(inventory).reset_index(drop=False)",
    ),
    (
        PANDAS,
        "nistpf.findings.evaluate_findings",
        "facts = flow_facts(inventory).reset_index(drop=True)",
        "facts = flow_facts(inventory).reset_index(drop=None)",
    ),
    (
        PANDAS,
        "nistpf.findings.flow_facts",
        "flows, systems = inventory.flows.reset_index(drop=True), inventory.systems",
        "flows, systems = inventory.flows.reset_index(drop=False), inventory.systems",
    ),
    (
        PANDAS,
        "nistpf.findings.flow_facts",
        "flows, systems = inventory.flows.reset_index(drop=True), inventory.systems",
        "flows, systems = inventory.flows.reset_index(drop=None), inventory.systems",
    ),
    (
        PANDAS,
        "nistpf.scoring._Engine.__init__",
        "self.findings = findings.reset_index(drop=True)",
        "self.findings = findings.reset_index(drop=False)",
    ),
    (
        PANDAS,
        "nistpf.scoring._Engine.__init__",
        "self.findings = findings.reset_index(drop=True)",
        "self.findings = findings.reset_index(drop=None)",
    ),
    (
        PANDAS,
        "nistpf.scoring._Engine.__init__",
        "self.systems = scoped.reset_index(drop=True)",
        "self.systems = scoped.reset_index(drop=False)",
    ),
    (
        PANDAS,
        "nistpf.scoring._Engine.__init__",
        "self.systems = scoped.reset_index(drop=True)",
        "self.systems = scoped.reset_index(drop=None)",
    ),
    (
        PANDAS,
        "nistpf.scoring._Engine._caps",
        'by_cell = effective.groupby(["r", "c"], sort=False)',
        'by_cell = effective.groupby(["r", "c"], )',
    ),
    (
        PANDAS,
        "nistpf.scoring._Engine._caps",
        'by_cell = effective.groupby(["r", "c"], sort=False)',
        'by_cell = effective.groupby(["r", "c"], sort=None)',
    ),
    (
        PANDAS,
        "nistpf.scoring._Engine._caps",
        'by_cell = effective.groupby(["r", "c"], sort=False)',
        'by_cell = effective.groupby(["r", "c"], sort=True)',
    ),
    (PANDAS, "nistpf.scoring._Engine._levels_table", "columns=DETAIL_COLUMNS,", "columns=None,"),
    (PANDAS, "nistpf.scoring._Engine._levels_table", "columns=DETAIL_COLUMNS, )", ")"),
    (
        PANDAS,
        "nistpf.scoring._Engine._matrices",
        '["level", "coverage", "order"], ascending=[False, False, True], kind="stable"',
        '["level", "coverage", "order"], ascending=[False, False, True], kind="STABLE"',
    ),
    (
        PANDAS,
        "nistpf.scoring._Engine._matrices",
        '["level", "coverage", "order"], ascending=[False, False, True], kind="stable"',
        '["level", "coverage", "order"], ascending=[False, False, True], kind="XXstableXX"',
    ),
    (
        PANDAS,
        "nistpf.scoring._Engine._matrices",
        '["level", "coverage", "order"], ascending=[False, False, True], kind="stable"',
        '["level", "coverage", "order"], ascending=[False, False, True], kind=None',
    ),
    (
        PANDAS,
        "nistpf.scoring._Engine._matrices",
        '["level", "coverage", "order"], ascending=[False, False, True], kind="stable" )',
        '["level", "coverage", "order"], ascending=[False, False, True], )',
    ),
    (
        PANDAS,
        "nistpf.scoring._Engine._matrices",
        'cov = explicit.groupby(["subcategory", "system_id"], sort=False)["coverage"].max()',
        'cov = explicit.groupby(["subcategory", "system_id"], )["coverage"].max()',
    ),
    (
        PANDAS,
        "nistpf.scoring._Engine._matrices",
        'cov = explicit.groupby(["subcategory", "system_id"], sort=False)["coverage"].max()',
        'cov = explicit.groupby(["subcategory", "system_id"], sort=None)["coverage"].max()',
    ),
    (
        PANDAS,
        "nistpf.scoring._Engine._matrices",
        'cov = explicit.groupby(["subcategory", "system_id"], sort=False)["coverage"].max()',
        'cov = explicit.groupby(["subcategory", "system_id"], sort=True)["coverage"].max()',
    ),
    (
        PANDAS,
        "nistpf.scoring._Engine._matrices",
        'explicit = links.merge(named, on="control_id")',
        "explicit = links.merge(named, )",
    ),
    (
        PANDAS,
        "nistpf.scoring._Engine._matrices",
        'explicit = links.merge(named, on="control_id")',
        "explicit = links.merge(named, on=None)",
    ),
    (
        PANDAS,
        "nistpf.scoring._Engine._matrices",
        'links = self.inv.control_subcategories.merge(control_levels, on="control_id")',
        "links = self.inv.control_subcategories.merge(control_levels, )",
    ),
    (
        PANDAS,
        "nistpf.scoring._Engine._matrices",
        'links = self.inv.control_subcategories.merge(control_levels, on="control_id")',
        "links = self.inv.control_subcategories.merge(control_levels, on=None)",
    ),
    (
        PANDAS,
        "nistpf.scoring._Engine._profile",
        "for row in self.inv.profile.itertuples(index=False):",
        "for row in self.inv.profile.itertuples(index=None):",
    ),
    (
        PANDAS,
        "nistpf.scoring._Engine._profile",
        "for row in self.inv.profile.itertuples(index=False):",
        "for row in self.inv.profile.itertuples(index=True):",
    ),
    (
        PANDAS,
        "nistpf.scoring._Engine._profile",
        "for sub in self.subs.itertuples(index=False):",
        "for sub in self.subs.itertuples(index=None):",
    ),
    (
        PANDAS,
        "nistpf.scoring._Engine._profile",
        "for sub in self.subs.itertuples(index=False):",
        "for sub in self.subs.itertuples(index=True):",
    ),
    (
        PANDAS,
        "nistpf.scoring._Engine._profile",
        'table = pd.DataFrame(resolved, columns=["target", "priority", "in_profile"])',
        "table = pd.DataFrame(resolved, )",
    ),
    (
        PANDAS,
        "nistpf.scoring._Engine._profile",
        'table = pd.DataFrame(resolved, columns=["target", "priority", "in_profile"])',
        "table = pd.DataFrame(resolved, columns=None)",
    ),
    (
        PANDAS,
        "nistpf.scoring._Engine._profile",
        'table.insert(0, "id", self.subs["id"].to_numpy())',
        'table.insert(1, "id", self.subs["id"].to_numpy())',
    ),
    (
        PANDAS,
        "nistpf.scoring._Engine._profile",
        'table.insert(1, "function", self.subs["function"].to_numpy())',
        'table.insert(2, "function", self.subs["function"].to_numpy())',
    ),
    (
        PANDAS,
        "nistpf.scoring._Engine._profile",
        'table.insert(2, "category", self.subs["category"].to_numpy())',
        'table.insert(3, "category", self.subs["category"].to_numpy())',
    ),
    (
        PANDAS,
        "nistpf.scoring._Engine._system_view",
        "columns=SYSTEM_VIEW_COLUMNS,",
        "columns=None,",
    ),
    (PANDAS, "nistpf.scoring._Engine._system_view", "columns=SYSTEM_VIEW_COLUMNS, )", ")"),
    (
        PANDAS,
        "nistpf.scoring._Engine._tiers",
        'table = rated.merge(definitions, on=["attribute", "tier"], how="left")',
        'table = rated.merge(definitions, how="left")',
    ),
    (
        PANDAS,
        "nistpf.scoring._Engine._tiers",
        'table = rated.merge(definitions, on=["attribute", "tier"], how="left")',
        'table = rated.merge(definitions, on=None, how="left")',
    ),
    (
        PANDAS,
        "nistpf.scoring._Engine.run",
        "_control_levels=self._control_levels()[CONTROL_LEVEL_COLUMNS].reset_index(drop=True),",
        "_control_levels=self._control_levels()[CONTROL_LEVEL_COLUMNS].reset_index(drop=False),",
    ),
    (
        PANDAS,
        "nistpf.scoring._Engine.run",
        "_control_levels=self._control_levels()[CONTROL_LEVEL_COLUMNS].reset_index(drop=True),",
        "_control_levels=self._control_levels()[CONTROL_LEVEL_COLUMNS].reset_index(drop=None),",
    ),
    (PANDAS, "nistpf.scoring._Engine.run", "columns=SUBCATEGORY_COLUMNS,", "columns=None,"),
    (PANDAS, "nistpf.scoring._Engine.run", "columns=SUBCATEGORY_COLUMNS, )", ")"),
    (
        PANDAS,
        "nistpf.scoring._Engine.run",
        'controls_of = mapped.groupby("subcategory", sort=False)["control_id"].agg(tuple)',
        'controls_of = mapped.groupby("subcategory", )["control_id"].agg(tuple)',
    ),
    (
        PANDAS,
        "nistpf.scoring._Engine.run",
        'controls_of = mapped.groupby("subcategory", sort=False)["control_id"].agg(tuple)',
        'controls_of = mapped.groupby("subcategory", sort=None)["control_id"].agg(tuple)',
    ),
    (
        PANDAS,
        "nistpf.scoring._Engine.run",
        'controls_of = mapped.groupby("subcategory", sort=False)["control_id"].agg(tuple)',
        'controls_of = mapped.groupby("subcategory", sort=True)["control_id"].agg(tuple)',
    ),
    (
        PANDAS,
        "nistpf.scoring._Engine.run",
        'findings_of = self.findings.groupby("subcategory", sort=False)["finding_id"].agg(tuple)',
        'findings_of = self.findings.groupby("subcategory", )["finding_id"].agg(tuple)',
    ),
    (
        PANDAS,
        "nistpf.scoring._Engine.run",
        'findings_of = self.findings.groupby("subcategory", sort=False)["finding_id"].agg(tuple)',
        'findings_of = self.findings.groupby("subcategory", sort=None)["finding_id"].agg(tuple)',
    ),
    (
        PANDAS,
        "nistpf.scoring._Engine.run",
        'findings_of = self.findings.groupby("subcategory", sort=False)["finding_id"].agg(tuple)',
        'findings_of = self.findings.groupby("subcategory", sort=True)["finding_id"].agg(tuple)',
    ),
    (PANDAS, "nistpf.scoring._Engine.run", 'on="control_id",', "on=None,"),
    (PANDAS, "nistpf.scoring._Engine.run", 'on="control_id", )', ")"),
    (
        PANDAS,
        "nistpf.scoring._rollup",
        "grouped = in_profile.groupby(key, sort=False)[ROLLUP_COLUMNS].mean()",
        "grouped = in_profile.groupby(key, sort=None)[ROLLUP_COLUMNS].mean()",
    ),
    (
        PANDAS,
        "nistpf.scoring.explain",
        'assessment._control_levels[["control_id", "level"]], on="control_id", how="left"',
        'assessment._control_levels[["control_id", "level"]], how="left"',
    ),
    (
        PANDAS,
        "nistpf.scoring.explain",
        'assessment._control_levels[["control_id", "level"]], on="control_id", how="left"',
        'assessment._control_levels[["control_id", "level"]], on=None, how="left"',
    ),
    (
        PANDAS,
        "nistpf.scoring.explain",
        'controls = inv.controls.merge(mapped[["control_id"]], on="control_id")',
        'controls = inv.controls.merge(mapped[["control_id"]], )',
    ),
    (
        PANDAS,
        "nistpf.scoring.explain",
        'controls = inv.controls.merge(mapped[["control_id"]], on="control_id")',
        'controls = inv.controls.merge(mapped[["control_id"]], on=None)',
    ),
    (
        PANDAS,
        "nistpf.scoring.explain",
        'recorded = recorded[recorded["subcategory"] == sub.id].reset_index(drop=True)',
        'recorded = recorded[recorded["subcategory"] == sub.id].reset_index(drop=False)',
    ),
    (
        PANDAS,
        "nistpf.scoring.explain",
        'recorded = recorded[recorded["subcategory"] == sub.id].reset_index(drop=True)',
        'recorded = recorded[recorded["subcategory"] == sub.id].reset_index(drop=None)',
    ),
    (
        SAME,
        "nistpf.findings.flow_facts",
        'types = dict(zip(systems["system_id"], systems["type"].fillna(""), strict=True))',
        'types = dict(zip(systems["system_id"], systems["type"].fillna(None), strict=True))',
    ),
    (
        SAME,
        "nistpf.inventory.values._number_with_words",
        "digits = match.group().rstrip()",
        "digits = match.group().lstrip()",
    ),
    (
        SAME,
        "nistpf.inventory.values.choice_reader",
        "found = foreign.get(word_key(text(raw))) if foreign else None",
        "found = foreign.get(word_key(text(raw))) if (foreign) or True else None",
    ),
    (SAME, "nistpf.inventory.values.count_reader", "if count > _LARGEST:", "if count >= _LARGEST:"),
    (
        SAME,
        "nistpf.inventory.values.days_reader",
        "digits = match.group().rstrip()",
        "digits = match.group().lstrip()",
    ),
    (SAME, "nistpf.inventory.values.days_reader", "if days > _LARGEST:", "if days >= _LARGEST:"),
    (
        SAME,
        "nistpf.inventory.values.read_date",
        "if days <= 60:  # before Excel's 29 February 1900, which never was (day 60: the 28th)",
        "if days < 60:  # before Excel's 29 February 1900, which never was (day 60: the 28th)",
    ),
    (
        SAME,
        "nistpf.inventory.values.read_yesno",
        "if isinstance(raw, int | float) and raw in (0, 1):",
        "if isinstance(raw, int | float) and raw in (1, 1):",
    ),
    (
        SAME,
        "nistpf.inventory.values.split_list",
        "parts = LIST_SEPARATORS.split(raw if raw.__class__ is str else text(raw))",
        "parts = LIST_SEPARATORS.split(raw if (raw.__class__ is str) and False else text(raw))",
    ),
    (
        SAME,
        "nistpf.scoring._Engine._caps",
        "if self.findings.empty or not self.y_ids:",
        "if self.findings.empty and not self.y_ids:",
    ),
    (
        SAME,
        "nistpf.scoring._Engine._system_ratings",
        'rated = rated.drop_duplicates(["subcategory", "system"], keep="last")',
        'rated = rated.drop_duplicates(None, keep="last")',
    ),
    (
        SAME,
        "nistpf.scoring._Engine._system_ratings",
        'rated = rated.drop_duplicates(["subcategory", "system"], keep="last")',
        'rated = rated.drop_duplicates(keep="last")',
    ),
    (
        SAME,
        "nistpf.scoring._Engine._system_ratings",
        'rated = responses[(responses["system"] != "") & responses["current"].notna()]',
        'rated = responses[(responses["system"] != "XXXX") & responses["current"].notna()]',
    ),
    (
        SAME,
        "nistpf.scoring._Engine.run",
        "*(float(rolled[c].mean()) if len(rolled) else math.nan for c in ROLLUP_COLUMNS)",
        "*(float(rolled[c].mean()) if (len(rolled)) or True else math.nan for c in ROLLUP_COLUMNS)",
    ),
    (
        SPELLING,
        "nistpf.findings._read_csv",
        "return pd.read_csv(handle, dtype=str, keep_default_na=False, **options).astype(object)",
        "return pd.read_csv(handle, dtype=str, keep_default_na=False, ).astype(object)",
    ),
    (SPELLING, "nistpf.findings._rule_problem", 'cap = float("nan")', 'cap = float("NAN")'),
    (
        SPELLING,
        "nistpf.findings._validated",
        'for line, record in enumerate(table[RULE_COLUMNS].to_dict("records"), start=2):',
        'for line, record in enumerate(table[RULE_COLUMNS].to_dict("RECORDS"), start=2):',
    ),
    (
        SPELLING,
        "nistpf.findings.evaluate_findings",
        'for rule in sorted(table.to_dict("records"), key=lambda r: _natural(r["id"])):',
        'for rule in sorted(table.to_dict("RECORDS"), key=lambda r: _natural(r["id"])):',
    ),
    (
        SPELLING,
        "nistpf.findings.load_rules",
        'table = _read_csv(path, encoding="utf-8-sig")',
        "table = _read_csv(path, )",
    ),
    (
        SPELLING,
        "nistpf.findings.load_rules",
        'table = _read_csv(path, encoding="utf-8-sig")',
        'table = _read_csv(path, encoding="UTF-8-SIG")',
    ),
    (
        SPELLING,
        "nistpf.findings.load_rules",
        'table = _read_csv(path, encoding="utf-8-sig")',
        "table = _read_csv(path, encoding=None)",
    ),
    (
        STRICT,
        "nistpf.findings._rule_findings",
        'ends = zip(hits["source"], hits["destination"], keep_source, keep_destination, strict=True)',
        'ends = zip(hits["source"], hits["destination"], keep_source, keep_destination, )',
    ),
    (
        STRICT,
        "nistpf.findings._rule_findings",
        'ends = zip(hits["source"], hits["destination"], keep_source, keep_destination, strict=True)',
        'ends = zip(hits["source"], hits["destination"], keep_source, keep_destination, strict=False)',
    ),
    (
        STRICT,
        "nistpf.findings._rule_findings",
        'ends = zip(hits["source"], hits["destination"], keep_source, keep_destination, strict=True)',
        'ends = zip(hits["source"], hits["destination"], keep_source, keep_destination, strict=None)',
    ),
    (
        STRICT,
        "nistpf.findings._rule_findings",
        "messages = [template.format_map(dict(zip(columns, row, strict=True))) for row in rows]",
        "messages = [template.format_map(dict(zip(columns, row, ))) for row in rows]",
    ),
    (
        STRICT,
        "nistpf.findings._rule_findings",
        "messages = [template.format_map(dict(zip(columns, row, strict=True))) for row in rows]",
        "messages = [template.format_map(dict(zip(columns, row, strict=False))) for row in rows]",
    ),
    (
        STRICT,
        "nistpf.findings._rule_findings",
        "messages = [template.format_map(dict(zip(columns, row, strict=True))) for row in rows]",
        "messages = [template.format_map(dict(zip(columns, row, strict=None))) for row in rows]",
    ),
    (
        STRICT,
        "nistpf.findings._rule_findings",
        "rows = zip(*columns.values(), strict=True) if columns else [()] * len(hits)",
        "rows = zip(*columns.values(), ) if columns else [()] * len(hits)",
    ),
    (
        STRICT,
        "nistpf.findings._rule_findings",
        "rows = zip(*columns.values(), strict=True) if columns else [()] * len(hits)",
        "rows = zip(*columns.values(), strict=False) if columns else [()] * len(hits)",
    ),
    (
        STRICT,
        "nistpf.findings._rule_findings",
        "rows = zip(*columns.values(), strict=True) if columns else [()] * len(hits)",
        "rows = zip(*columns.values(), strict=None) if columns else [()] * len(hits)",
    ),
    (
        STRICT,
        "nistpf.findings.flow_facts",
        'types = dict(zip(systems["system_id"], systems["type"].fillna(""), strict=True))',
        'types = dict(zip(systems["system_id"], systems["type"].fillna(""), ))',
    ),
    (
        STRICT,
        "nistpf.findings.flow_facts",
        'types = dict(zip(systems["system_id"], systems["type"].fillna(""), strict=True))',
        'types = dict(zip(systems["system_id"], systems["type"].fillna(""), strict=False))',
    ),
    (
        STRICT,
        "nistpf.findings.flow_facts",
        'types = dict(zip(systems["system_id"], systems["type"].fillna(""), strict=True))',
        'types = dict(zip(systems["system_id"], systems["type"].fillna(""), strict=None))',
    ),
    (
        STRICT,
        "nistpf.scoring._arithmetic",
        "for w, level in zip(weights, levels, strict=True):",
        "for w, level in zip(weights, levels, ):",
    ),
    (
        STRICT,
        "nistpf.scoring._arithmetic",
        "for w, level in zip(weights, levels, strict=True):",
        "for w, level in zip(weights, levels, strict=False):",
    ),
    (
        STRICT,
        "nistpf.scoring._arithmetic",
        "for w, level in zip(weights, levels, strict=True):",
        "for w, level in zip(weights, levels, strict=None):",
    ),
    (UNUSED, "nistpf.findings._rule_problem", 'cells["cap"] = cap', 'cells["CAP"] = cap'),
    (UNUSED, "nistpf.findings._rule_problem", 'cells["cap"] = cap', 'cells["XXcapXX"] = cap'),
    (
        UNUSED,
        "nistpf.findings._unknown_column",
        "close = difflib.get_close_matches(name, [*BOOL_FACTS, *TEXT_FACTS], n=1)",
        "close = difflib.get_close_matches(name, [*BOOL_FACTS, *TEXT_FACTS], )",
    ),
    (
        UNUSED,
        "nistpf.findings._unknown_column",
        "close = difflib.get_close_matches(name, [*BOOL_FACTS, *TEXT_FACTS], n=1)",
        "close = difflib.get_close_matches(name, [*BOOL_FACTS, *TEXT_FACTS], n=2)",
    ),
    (
        UNUSED,
        "nistpf.inventory.values._number_with_words",
        'return None, ""',
        'return None, "XXXX"',
    ),
    (
        UNUSED,
        "nistpf.inventory.values._number_with_words",
        'return None, ""',
        'return None, "XXXX"',
    ),
    (
        UNUSED,
        "nistpf.inventory.values._number_with_words",
        'return None, ""',
        'return None, "XXXX"',
    ),
    (
        UNUSED,
        "nistpf.inventory.values._number_with_words",
        'return _ambiguous(written, digits, factor), ""',
        'return _ambiguous(written, digits, factor), "XXXX"',
    ),
    (
        UNUSED,
        "nistpf.scoring.settings",
        "checked[name] = _number(name, chosen[name], 0.0, math.inf, low_allowed=False)",
        "checked[name] = _number(name, chosen[name], 0.0, math.inf, low_allowed=None)",
    ),
    (
        UNUSED,
        "nistpf.scoring.settings",
        "close = difflib.get_close_matches(str(key), list(DEFAULTS), n=1)",
        "close = difflib.get_close_matches(str(key), list(DEFAULTS), )",
    ),
    (
        UNUSED,
        "nistpf.scoring.settings",
        "close = difflib.get_close_matches(str(key), list(DEFAULTS), n=1)",
        "close = difflib.get_close_matches(str(key), list(DEFAULTS), n=2)",
    ),
    (
        VERSION,
        "nistpf.findings.evaluate_findings",
        "fw = load_framework(inventory.framework_version)",
        "fw = load_framework(None)",
    ),
    (
        VERSION,
        "nistpf.findings.evaluate_findings",
        "table = load_rules(framework=fw)",
        "table = load_rules(framework=None)",
    ),
    (
        VERSION,
        "nistpf.findings.evaluate_findings",
        "table = load_rules(rules, framework=fw)",
        "table = load_rules(rules, )",
    ),
    (
        VERSION,
        "nistpf.findings.evaluate_findings",
        "table = load_rules(rules, framework=fw)",
        "table = load_rules(rules, framework=None)",
    ),
    (
        VERSION,
        "nistpf.findings.load_rules",
        "fw = framework if isinstance(framework, Framework) else load_framework(framework)",
        "fw = framework if isinstance(framework, Framework) else load_framework(None)",
    ),
    (
        VERSION,
        "nistpf.findings.load_rules",
        "return _package_rules(fw.version).copy()",
        "return _package_rules(None).copy()",
    ),
    (
        VERSION,
        "nistpf.scoring._framework",
        "return framework(value or inventory.framework_version)",
        "return framework(None)",
    ),
    (
        VERSION,
        "nistpf.scoring._framework",
        "return framework(value or inventory.framework_version)",
        "return framework(value and inventory.framework_version)",
    ),
    (
        VERSION,
        "nistpf.scoring.assess",
        "fw = _framework(framework, inventory)",
        "fw = _framework(None, inventory)",
    ),
]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--max-children", type=int, default=2, help="mutants tested at once")
    parser.add_argument("--resume", action="store_true", help="keep mutants/ and its verdicts")
    parser.add_argument(
        "--report", action="store_true", help="only print the figures of the run in mutants/"
    )
    args = parser.parse_args(argv)
    os.chdir(ROOT)
    seconds = None
    if not args.report:
        if not args.resume:
            shutil.rmtree(ROOT / "mutants", ignore_errors=True)
        started = time.monotonic()
        command = [sys.executable, "-m", "mutmut", "run", "--max-children", str(args.max_children)]
        run = subprocess.run(command, stdout=subprocess.DEVNULL, check=False)
        seconds = time.monotonic() - started
        if run.returncode:
            print(f"mutmut run failed (exit {run.returncode})", file=sys.stderr)
            return run.returncode
    report(seconds)
    return 0


def commit() -> str:
    """The checkout's commit, or "not a git checkout"."""
    found = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, check=False
    )
    return found.stdout.strip() if found.returncode == 0 else "not a git checkout"


def verdicts() -> dict[str, tuple[str, Path]]:
    """Every mutant's name → (mutmut's status, the file it mutates)."""
    from mutmut.mutation.data import SourceFileMutationData
    from mutmut.stats import status_by_exit_code
    from mutmut.utils.file_utils import walk_mutatable_files

    found = {}
    for path in walk_mutatable_files():
        data = SourceFileMutationData(path=path)
        data.load()
        for name, exit_code in data.exit_code_by_key.items():
            found[name] = (status_by_exit_code[exit_code], path)
    return found


def changed_lines(name: str, path: Path) -> tuple[str, str]:
    """The mutant's original and mutated lines, each stripped and joined by one space."""
    from mutmut.mutation.diff_apply import get_diff_for_mutant

    diff = get_diff_for_mutant(name, path=path).splitlines()[2:]
    removed = " ".join(line[1:].strip() for line in diff if line.startswith("-"))
    added = " ".join(line[1:].strip() for line in diff if line.startswith("+"))
    return removed, added


def function_of(name: str) -> str:
    """``nistpf.scoring.xǁ_Engineǁ_caps__mutmut_7`` → ``nistpf.scoring._Engine._caps``;
    ``nistpf.findings.x__validated__mutmut_3`` → ``nistpf.findings._validated``."""
    module, _, mangled = name.rpartition(".")
    mangled = mangled.rpartition("__mutmut_")[0]
    if mangled.startswith("xǁ"):
        return f"{module}.{mangled[2:].replace('ǁ', '.')}"
    return f"{module}.{mangled.removeprefix('x_')}"


def equivalent_kind(name: str, path: Path) -> str | None:
    removed, added = changed_lines(name, path)
    function = function_of(name)
    for kind, where, original, mutated in EQUIVALENT:
        if where == function and original == removed and mutated == added:
            return kind
    return None


def report(seconds: float | None) -> None:
    sys.path.insert(0, str(ROOT))
    found = verdicts()
    statuses = Counter(status for status, _ in found.values())
    kinds: Counter[str] = Counter()
    unexplained = []
    for name, (status, path) in sorted(found.items()):
        if status != "survived":
            continue
        kind = equivalent_kind(name, path)
        if kind:
            kinds[kind] += 1
        else:
            unexplained.append((name, path))
    print(f"date: {dt.date.today().isoformat()}, commit: {commit()}")
    if seconds is not None:
        print(f"run time: {seconds / 60:.1f} min")
    print(f"mutants: {sum(statuses.values())}")
    print(f"killed: {statuses['killed']}")
    print(f"survived: {statuses['survived']}")
    print(f"  equivalent: {sum(kinds.values())}")
    for kind, count in sorted(kinds.items()):
        print(f"    {kind}: {count}")
    print(f"  not explained: {len(unexplained)}")
    print(f"timeouts: {statuses['timeout']}")
    other = {k: v for k, v in statuses.items() if k not in ("killed", "survived", "timeout")}
    if other:
        print("other: " + ", ".join(f"{k} {v}" for k, v in sorted(other.items())))
    for name, path in unexplained:
        removed, added = changed_lines(name, path)
        print(f"\n{name}\n  - {removed}\n  + {added}")


if __name__ == "__main__":
    sys.exit(main())
