"""The data-flow diagram (nistpf.flows.diagram), read from its DOT source.

Expected nodes, arrows, boxes and colours are worked out here from the inventory's DataFlows
and Systems with plain Python and the rules the module documents (boundary rule, node IDs,
colours); never from the module's own output. Tests that lay the diagram out need Graphviz's
``dot`` (``conftest.dot``); the others only read the DOT text.
"""

from __future__ import annotations

import dataclasses
import re
import shutil
import time
from collections import Counter

import pandas as pd
import pytest

import nistpf
from nistpf.errors import NistpfError
from nistpf.findings import evaluate_findings
from nistpf.flows import diagram
from nistpf.flows.diagram import (
    DiagramError,
    category_group,
    dot_available,
    flow_diagram,
    journey_diagram,
    render,
)
from nistpf.synth import synthetic_inventory
from tests import conftest

# The colours the module documents: Okabe-Ito vermillion, orange, a dark yellow, grey.
RED, ORANGE, YELLOW, GREY = "#D55E00", "#E69F00", "#C8B400", "#8C8C8C"
EXTERNAL = "external:"


@pytest.fixture(scope="module")
def sample() -> nistpf.Inventory:
    return nistpf.load_inventory(nistpf.sample_path())


@pytest.fixture(scope="module")
def enterprise() -> nistpf.Inventory:
    frames = synthetic_inventory(systems=2000, controls=0, flows=20000, seed=0)
    return nistpf.load_inventory(frames)


# -- reading DOT ----------------------------------------------------------------------------

NODE = re.compile(r"^\t+(\w+) \[(.*)\]$")
DEFAULTS = {"node", "edge", "graph"}
EDGE = re.compile(r"^\t+(\w+) -> (\w+) \[(.*)\]$")


def parse(source: str) -> dict:
    """Nodes (id → attribute text), edges [(tail, head, attributes)], the outermost cluster of
    each node, the graph label."""
    nodes, edges, cluster_of, stack, label = {}, [], {}, [], ""
    for line in source.splitlines():
        opened = re.match(r"^\t+subgraph (cluster_\w+) \{$", line)
        if opened:
            stack.append(opened.group(1))
        elif re.match(r"^\t+(subgraph )?\{$", line):
            stack.append("")
        elif re.match(r"^\t+\}$", line):
            stack.pop()
        elif (edge := EDGE.match(line)) is not None:
            if "style=invis" not in edge.group(3):
                edges.append(edge.groups())
        elif (node := NODE.match(line)) is not None and node.group(1) not in DEFAULTS:
            nodes[node.group(1)] = node.group(2)
            outer = [s for s in stack if s]
            if outer:
                cluster_of[node.group(1)] = outer[0]
        elif line.startswith("\tlabel=") and not stack:
            label = line
    return {"nodes": nodes, "edges": edges, "cluster": cluster_of, "label": label}


def attr(attributes: str, name: str) -> str:
    """One attribute's value; an HTML-like label's line breaks read as spaces."""
    found = re.search(rf'(?:^| ){name}=("(?:[^"\\]|\\.)*"|<.*?>(?= \w+=|$)|[^ ]+)', attributes)
    return found.group(1).strip('"').replace("<BR/>", " ") if found else ""


def slug(text: str) -> str:
    """The module's documented node ID rule, as written in its docstring."""
    return re.sub(r"[^A-Za-z0-9]+", "_", text).strip("_")


def node_id(endpoint: str, systems: set[str]) -> str:
    if endpoint.startswith(EXTERNAL):
        return "X_" + slug(endpoint[len(EXTERNAL) :])
    return ("S_" if endpoint in systems else "U_") + slug(endpoint)


def expected_arrows(flows: pd.DataFrame, systems: set[str]) -> Counter:
    """(tail, head) → number of flows merged into it; a disposal flow from a system to itself
    goes to the disposal node."""
    arrows = Counter()
    for flow in flows.itertuples(index=False):
        tail = node_id(flow.source, systems)
        if flow.stage == "disposal" and flow.source == flow.destination:
            head = "DISPOSAL"
        else:
            head = node_id(flow.destination, systems)
        arrows[(tail, head)] += 1
    return arrows


def with_flows(inventory: nistpf.Inventory, rows: list[dict]) -> nistpf.Inventory:
    extra = pd.DataFrame([{**inventory.flows.iloc[0].to_dict(), **row} for row in rows])
    return dataclasses.replace(inventory, flows=pd.concat([inventory.flows, extra]))


# -- the sample -----------------------------------------------------------------------------


def test_the_sample_draws_every_endpoint_once(sample):
    systems = set(sample.systems["system_id"])
    ends = set(sample.flows["source"]) | set(sample.flows["destination"])
    expected = {node_id(e, systems) for e in ends} | {"DISPOSAL"}
    parsed = parse(flow_diagram(sample).source)
    assert set(parsed["nodes"]) == expected
    # 16 systems, XLS-01 that Systems does not list, 4 external parties, the disposal node
    assert len([n for n in expected if n.startswith("S_")]) == 16
    assert "U_XLS_01" in parsed["nodes"]
    assert len([n for n in expected if n.startswith("X_")]) == 4


def test_the_sample_arrows_are_the_merged_endpoint_pairs(sample):
    systems = set(sample.systems["system_id"])
    arrows = expected_arrows(sample.flows, systems)
    parsed = parse(flow_diagram(sample).source)
    drawn = Counter((tail, head) for tail, head, _ in parsed["edges"])
    assert drawn == Counter(dict.fromkeys(arrows, 1))
    assert not [e for e in parsed["edges"] if e[0] == e[1]]  # no loops: disposal has a node


def test_flows_between_the_same_two_systems_merge_into_one_arrow(sample):
    more = with_flows(
        sample,
        [
            {
                "flow_id": "F-036",
                "source": "CRM-01",
                "destination": "CDP-01",
                "data_categories": ("user.financial.bank_account",),
                "stage": "transfer",
            }
        ],
    )
    parsed = parse(flow_diagram(more).source)
    between = [a for t, h, a in parsed["edges"] if (t, h) == ("S_CRM_01", "S_CDP_01")]
    assert len(between) == 1
    label = attr(between[0], "label") or attr(between[0], "xlabel")
    assert "2 flows: F-013, F-036" in label
    # F-013 carries user.unique_id, user.contact, user.behavior, user.privacy_preferences
    for group in ("contact", "behavior", "privacy preferences", "unique id", "financial"):
        assert group in label


def test_boundaries_follow_the_documented_rule(sample):
    cluster = parse(flow_diagram(sample).source)["cluster"]
    # LEG-01: vendor Oracle but hosted on-premises → internal; AIA-01: "In-house on Azure
    # OpenAI Service" → internal; CRM-01: Salesforce, SaaS → vendor; BPO-01: a BPO → vendor.
    assert cluster["S_LEG_01"] == "cluster_internal"
    assert cluster["S_AIA_01"] == "cluster_internal"
    assert cluster["S_LOY_01"] == "cluster_internal"
    assert cluster["S_CRM_01"] == "cluster_vendor"
    assert cluster["S_BPO_01"] == "cluster_vendor"
    assert cluster["U_XLS_01"] == "cluster_unknown"
    assert cluster["X_Customers"] == "cluster_external_from"
    assert cluster["X_Larkhollow_Media"] == "cluster_external_to"
    internal = {n for n, c in cluster.items() if c == "cluster_internal"}
    assert internal == {"S_LEG_01", "S_AIA_01", "S_LOY_01"}


def test_arrow_colours_are_the_worst_finding_severity(sample):
    systems = set(sample.systems["system_id"])
    findings = evaluate_findings(sample)
    order = {"High": 0, "Medium": 1, "Low": 2}
    worst = {}
    for flow_id, severity in zip(findings["flow_id"], findings["severity"], strict=True):
        if flow_id not in worst or order[severity] < order[worst[flow_id]]:
            worst[flow_id] = severity
    colour = {"High": RED, "Medium": ORANGE, "Low": YELLOW, None: GREY}
    expected = {}
    for flow in sample.flows.itertuples(index=False):
        head = (
            "DISPOSAL"
            if flow.stage == "disposal" and flow.source == flow.destination
            else node_id(flow.destination, systems)
        )
        expected[(node_id(flow.source, systems), head)] = colour[worst.get(flow.flow_id)]
    drawn = {(t, h): attr(a, "color") for t, h, a in parse(flow_diagram(sample).source)["edges"]}
    assert drawn == expected
    # R01 (High) on F-018 SRV-01 → TKT-01 and F-030 CCS-01 → BPO-01
    assert drawn[("S_SRV_01", "S_TKT_01")] == RED
    assert drawn[("S_CCS_01", "S_BPO_01")] == RED
    assert drawn[("S_BOT_01", "S_TKT_01")] == GREY  # F-017: no finding


def test_without_findings_every_arrow_is_grey(sample):
    empty = evaluate_findings(sample).iloc[0:0]
    edges = parse(flow_diagram(sample, findings=empty).source)["edges"]
    assert {attr(a, "color") for _, _, a in edges} == {GREY}


def test_pram_risk_colours_by_thirds_of_the_largest(sample):
    # Largest 90: High ≥ 60, Medium ≥ 30, Low > 0; 0 or no value: none.
    risk = pd.Series({"F-001": 90.0, "F-002": 59.0, "F-003": 30.0, "F-004": 29.9, "F-005": 0.0})
    parsed = parse(flow_diagram(sample, flow_risk=risk).source)
    colour = {(t, h): attr(a, "color") for t, h, a in parsed["edges"]}
    assert colour[("X_Customers", "S_ECM_01")] == RED
    assert colour[("X_Customers", "S_IDN_01")] == ORANGE
    assert colour[("X_Customers", "S_PAY_01")] == ORANGE
    assert colour[("X_Customers", "S_LOY_01")] == YELLOW
    assert colour[("X_Customers", "S_CCS_01")] == GREY
    assert colour[("S_SRV_01", "S_TKT_01")] == GREY  # a High finding, but no PRAM risk given
    assert "High ≥ 60" in parsed["label"]
    assert "Medium ≥ 30" in parsed["label"]


def test_disposal_flows_are_dashed_and_end_at_the_disposal_node(sample):
    edges = {(t, h): a for t, h, a in parse(flow_diagram(sample).source)["edges"]}
    disposal = {k for k, a in edges.items() if attr(a, "style") == "dashed"}
    # F-033 CCS-01 itself, F-034 DWH-01 itself, F-035 LEG-01 → Cinderbox Secure Destruction
    assert disposal == {
        ("S_CCS_01", "DISPOSAL"),
        ("S_DWH_01", "DISPOSAL"),
        ("S_LEG_01", "X_Cinderbox_Secure_Destruction"),
    }


@pytest.mark.parametrize(
    ("category", "group"),
    [
        ("user.contact.email", "contact"),
        ("user.financial.credit_card", "financial"),
        ("user.name", "name"),
        ("user.health_and_medical", "health and medical"),
        ("user", "user"),
        ("system.operations", "system operations"),
        ("Email address", "Email address"),
        ("A very long category label written by hand", "A very long category la…"),
    ],
)
def test_category_groups_are_the_fides_top_two_levels(category, group):
    assert category_group(category) == group


def test_the_dot_source_is_deterministic(sample):
    assert flow_diagram(sample).source == flow_diagram(sample).source


def test_unknown_group_by_is_refused(sample):
    with pytest.raises(DiagramError, match="group_by must be one of type, owner"):
        flow_diagram(sample, group_by="vendor")


# -- 2,000 systems --------------------------------------------------------------------------


def boundary_by_hand(vendor: str, hosting: str) -> str:
    if hosting.lower().startswith("on-prem"):
        return "internal"
    if not vendor or vendor.lower().startswith(("in-house", "internal")):
        return "internal"
    return "vendor"


def test_2000_systems_are_aggregated_by_type(enterprise):
    flows, systems = enterprise.flows, enterprise.systems
    in_flows = set(flows["source"]) | set(flows["destination"])
    used = systems[systems["system_id"].isin(in_flows)]
    groups = {
        (boundary_by_hand(v, h), t)
        for v, h, t in zip(used["vendor"], used["hosting"], used["type"], strict=True)
    }
    parsed = parse(flow_diagram(enterprise).source)
    group_nodes = [n for n in parsed["nodes"] if n.startswith("G_")]
    assert len(group_nodes) == len(groups) <= 2 * 13
    assert len(parsed["nodes"]) <= 2 * 13 + 12 + 1  # groups, parties, disposal
    assert (
        f"Aggregated by system type: {len(used):,} systems in {len(groups)} groups"
        in (parsed["label"])
    )
    labels = " ".join(attr(a, "label") for a in parsed["nodes"].values())
    for kind in set(used["type"]):
        assert f"<B>{kind} × " in labels
    for bound, kind in groups:
        count = ((used["type"] == kind) & used.apply(
            lambda r, b=bound: boundary_by_hand(r["vendor"], r["hosting"]) == b, axis=1
        )).sum()  # fmt: skip
        assert f"<B>{kind} × {count:,}</B>" in labels
    assert not [n for n in parsed["nodes"] if n.startswith("S_")]
    assert len(parsed["edges"]) <= diagram.MAX_EDGES


def test_aggregation_by_owner_and_merged_parties(enterprise):
    parsed = parse(flow_diagram(enterprise, group_by="owner", max_parties=3).source)
    labels = " ".join(attr(a, "label") for a in parsed["nodes"].values())
    assert "Aggregated by owner:" in parsed["label"]
    for owner in set(enterprise.systems["owner"]):
        assert f"<B>{owner.replace('&', '&amp;')} × " in labels
    parties = {
        e for e in (*enterprise.flows["source"], *enterprise.flows["destination"]) if
        e.startswith(EXTERNAL)
    }  # fmt: skip
    # three nodes: the two parties with most flows, and the rest merged
    assert len([n for n in parsed["nodes"] if n.startswith("X_")]) == 3
    assert f"+ {len(parties) - 2} external parties" in labels


def test_a_small_inventory_is_not_aggregated_unless_asked(sample):
    assert "Aggregated" not in parse(flow_diagram(sample).source)["label"]
    forced = parse(flow_diagram(sample, max_systems=10).source)
    assert "Aggregated by system type: 17 systems in" in forced["label"]


# -- hostile names --------------------------------------------------------------------------

HOSTILE = {
    "CRM-01": 'a" -> b [label="x"]',
    "TKT-01": "<script>alert(1)</script>",
    "ECM-01": "x" * 500,
    "CDP-01": "line one\nline two {a|b} back\\slash",
}


def hostile_inventory(sample: nistpf.Inventory) -> nistpf.Inventory:
    systems = sample.systems.copy()
    for system_id, name in HOSTILE.items():
        systems.loc[systems["system_id"] == system_id, "name"] = name
    flows = sample.flows.copy()
    flows.loc[flows["flow_id"] == "F-031", "destination"] = 'external:evil" ] ; x -> y'
    flows.loc[flows["flow_id"] == "F-019", "destination"] = 'XLS"01 <b>'
    return dataclasses.replace(sample, systems=systems, flows=flows)


def test_hostile_names_are_escaped_in_the_dot_source(sample):
    source = flow_diagram(hostile_inventory(sample)).source.replace("<BR/>", "")
    parsed = parse(source)
    assert len(parsed["nodes"]) == len(parse(flow_diagram(sample).source)["nodes"])
    assert "<script>" not in source
    assert "&lt;script&gt;" in source
    assert '-> b [label="x"]' not in source
    assert "a&quot; -&gt; b [label=&quot;x&quot;]" in source
    assert "x" * 100 not in source
    assert "x" * 40 in source
    assert "…" in source
    assert "\nline two" not in source
    assert "&#123;a&#124;b&#125;" in source
    assert "back&#92;slash" in source
    assert all(re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", n) for n in parsed["nodes"])


def test_hostile_names_lay_out(sample):
    conftest.dot("to lay out a diagram whose names would break an unescaped DOT file")
    svg = render(flow_diagram(hostile_inventory(sample)), "svg").decode("utf-8")
    assert "<script>" not in svg
    assert "&lt;script&gt;" in svg


# -- rendering ------------------------------------------------------------------------------


def test_the_compact_variant_labels_arrows_only_with_their_flow_count(sample):
    # Two more flows from CCS-01 to BPO-01 (F-030 is the first): that arrow carries 3 flows.
    extra = {"source": "CCS-01", "destination": "BPO-01", "stage": "transfer"}
    more = with_flows(sample, [{**extra, "flow_id": "F-036"}, {**extra, "flow_id": "F-037"}])
    systems = set(more.systems["system_id"])
    pairs = Counter()  # an arrow merges the flows between two nodes either way
    for (tail, head), count in expected_arrows(more.flows, systems).items():
        pairs[frozenset((tail, head))] += count
    parsed = parse(flow_diagram(more, compact=True).source)
    assert Counter(frozenset((t, h)) for t, h, _ in parsed["edges"]) == Counter(set(pairs))
    labels = {}
    for tail, head, attributes in parsed["edges"]:
        label = attr(attributes, "label") or attr(attributes, "xlabel")
        labels[frozenset((tail, head))] = label
        assert "F-0" not in attributes  # no flow IDs
    assert labels[frozenset(("S_CCS_01", "S_BPO_01"))] == "<3 flows>"
    for pair, count in pairs.items():
        assert labels[pair] == (f"<{count} flows>" if count > 1 else ""), sorted(pair)
    # no data category group on any arrow (F-030 carries financial, contact, biometric ...)
    text = " ".join(a for _, _, a in parsed["edges"])
    for group in ("financial", "contact", "biometric", "behavior", "name", "unique id"):
        assert group not in text
    # the full diagram does label them
    full = parse(flow_diagram(more).source)
    assert any("financial" in a for _, _, a in full["edges"])


def test_the_compact_variant_has_larger_names_and_no_boxes(sample):
    source = flow_diagram(sample, compact=True).source
    defaults = next(line for line in source.splitlines() if line.startswith("\tnode ["))
    assert re.search(r"\bfontsize=(\d+)", defaults).group(1) == "18"
    assert "subgraph cluster_" not in source  # boundaries are fills, not boxes
    parsed = parse(source)
    # a node is filled with its boundary's colour: CRM-01 a vendor's (Salesforce, SaaS),
    # LOY-01 internal ("In-house" vendor), Customers an external party's
    assert attr(parsed["nodes"]["S_CRM_01"], "fillcolor") == "#FDF3E1"
    assert attr(parsed["nodes"]["S_LOY_01"], "fillcolor") == "#EAF3FB"
    assert attr(parsed["nodes"]["X_Customers"], "fillcolor") == "#EAF6F1"


def test_render_gives_svg_and_png(sample):
    conftest.dot("to render the diagram")
    graph = flow_diagram(sample)
    svg = render(graph, "svg")
    assert svg.lstrip().startswith((b"<?xml", b"<svg"))
    assert b"Customer 360 CRM" in svg
    png = render(graph, "png")
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    assert dot_available()


def test_render_2000_systems(enterprise):
    conftest.dot("to render the aggregated diagram")
    assert render(flow_diagram(enterprise), "svg").lstrip().startswith((b"<?xml", b"<svg"))


def test_a_missing_dot_is_a_nistpf_error_with_the_fix(sample, monkeypatch):
    monkeypatch.setenv("PATH", "")
    assert not dot_available()
    with pytest.raises(NistpfError, match=r"apt-get install graphviz / brew install graphviz"):
        render(flow_diagram(sample), "png")


def test_render_refuses_another_format(sample):
    with pytest.raises(DiagramError, match="'svg' or 'png'"):
        render(flow_diagram(sample), "pdf")


# -- one journey ----------------------------------------------------------------------------

HOP_COLUMNS = ["category", "path", "step", "flow_id", "source", "destination", "stage", "action"]


def hops_table(rows: list[tuple]) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=[*HOP_COLUMNS, "findings"])
    return frame.assign(owner="")


def test_a_journey_draws_each_hop_once_and_marks_its_ends(sample):
    name = "user.contact.email"
    CUSTOMERS = "external:Customers"
    hops = hops_table(
        [
            (name, "P1", 1, "F-001", CUSTOMERS, "ECM-01", "collection", "collection", ()),
            (name, "P1", 2, "F-012", "ECM-01", "CRM-01", "transfer", "transfer", ()),
            (name, "P1", 3, "F-029", "CRM-01", "BPO-01", "sharing", "disclosure", ()),
            (name, "P2", 1, "F-001", CUSTOMERS, "ECM-01", "collection", "collection", ()),
            (name, "P2", 2, "F-031", "ECM-01", "external:Brackwater Logistics", "sharing",
             "disclosure", ()),
            (name, "P3", 1, "F-023", "CRM-01", "DWH-01", "storage", "retention", ()),
            (name, "P3", 2, "F-034", "DWH-01", "DWH-01", "disposal", "disposal", ()),
            (name, "P4", 1, "F-018", "SRV-01", "TKT-01", "transfer", "transfer", ("R01:F-018",)),
        ]
    )  # fmt: skip
    parsed = parse(journey_diagram(hops, sample).source)
    pairs = Counter((t, h) for t, h, _ in parsed["edges"])
    assert pairs[("X_Customers", "S_ECM_01")] == 1  # F-001 on two paths, drawn once
    assert pairs[("S_BPO_01", "END_KEPT")] == 1  # P1 ends inside the company: never disposed
    assert pairs[("S_TKT_01", "END_KEPT")] == 1  # so does P4
    assert pairs[("X_Brackwater_Logistics", "END_LEAVES")] == 1  # P2 leaves the company
    assert pairs[("S_DWH_01", "DISPOSAL")] == 1  # P3 is disposed of
    assert not [h for t, h in pairs if t == h]
    edges = {(t, h): a for t, h, a in parsed["edges"]}
    first = attr(edges[("X_Customers", "S_ECM_01")], "label")
    assert "step 1: collection" in first
    assert "F-001" in first
    assert "step 3: disclosure (sharing)" in attr(edges[("S_CRM_01", "S_BPO_01")], "label")
    assert attr(edges[("S_SRV_01", "S_TKT_01")], "color") == RED  # R01:F-018 is High
    assert attr(edges[("S_ECM_01", "S_CRM_01")], "color") == GREY
    assert "Journey of user.contact.email" in parsed["label"]
    assert "4 paths, 7 hops" in parsed["label"]


def test_a_journey_needs_the_trace_columns(sample):
    with pytest.raises(DiagramError, match="lacks the column"):
        journey_diagram(pd.DataFrame({"path": ["P1"]}), sample)


def test_dot_available_says_whether_dot_is_on_the_path(monkeypatch):
    monkeypatch.setenv("PATH", "")
    assert dot_available() is False


def test_flows_both_ways_are_one_arrow_with_two_heads(sample):
    back = with_flows(
        sample,
        [{"flow_id": "F-036", "source": "CDP-01", "destination": "CRM-01", "stage": "transfer"}],
    )
    parsed = parse(flow_diagram(back).source)
    between = [
        (t, h, a) for t, h, a in parsed["edges"] if {t, h} == {"S_CRM_01", "S_CDP_01"}
    ]  # fmt: skip
    assert len(between) == 1
    assert attr(between[0][2], "dir") == "both"
    assert "both ways: 2 flows: F-013, F-036" in attr(between[0][2], "label") + attr(
        between[0][2], "xlabel"
    )


def test_2000_systems_with_every_arrow_lay_out(enterprise):
    # Two arrows between the same two nodes (a disposal one beside another) made dot 2.43 abort.
    conftest.dot("to lay out every arrow between the aggregated groups")
    svg = render(flow_diagram(enterprise, max_edges=10_000), "svg")
    assert svg.rstrip().endswith(b"</svg>")


def test_a_traced_journey_draws_every_hop_and_every_ending(sample):
    trace = nistpf.trace(sample, data_category="user.contact.email")
    systems = set(sample.systems["system_id"])
    parsed = parse(journey_diagram(trace.hops, sample).source)
    drawn = {(t, h) for t, h, a in parsed["edges"] if attr(a, "style") != "dotted"}
    hops = set()
    for hop in trace.hops.drop_duplicates("flow_id").itertuples(index=False):
        tail = node_id(hop.source, systems)
        self_disposal = hop.source == hop.destination and "disposal" in (hop.stage, hop.action)
        head = "DISPOSAL" if self_disposal else node_id(hop.destination, systems)
        hops.add((tail, head))
    assert drawn == hops  # each distinct hop once (no two flows share a pair here)
    marker = {"never disposed": "END_KEPT", "leaves the company": "END_LEAVES"}
    ends = {(node_id(p.end, systems), marker.get(p.ending, "DISPOSAL")) for p in
            trace.paths.itertuples(index=False)}  # fmt: skip
    everything = {(t, h) for t, h, _ in parsed["edges"]}
    assert ends <= everything
    assert {(t, h) for t, h in everything if h.startswith("END_")} == {
        e for e in ends if e[1].startswith("END_")
    }


def test_a_layout_that_runs_too_long_is_stopped_with_one_line(tmp_path, monkeypatch):
    # A stand-in for a dot that never finishes: render must give up at RENDER_SECONDS.
    slow = tmp_path / "dot"
    slow.write_text(f"#!/bin/sh\nexec {shutil.which('sleep')} 30\n")
    slow.chmod(0o755)
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.setattr(diagram, "RENDER_SECONDS", 0.5)
    inventory = nistpf.load_inventory(nistpf.sample_path())
    started = time.perf_counter()
    with pytest.raises(diagram.DiagramRenderError, match=r"did not finish .* in 0\.5 s"):
        diagram.render(diagram.flow_diagram(inventory), "svg")
    assert time.perf_counter() - started < 10


def test_the_title_counts_the_parties_data_goes_to_apart_from_those_it_comes_from(sample):
    # The sample's external endpoints: Customers only sends data; Brackwater Logistics,
    # Larkhollow Media and Cinderbox Secure Destruction receive it (F-031, F-032, F-035).
    source = diagram.flow_diagram(sample).source
    assert "4 external parties (3 receive data, 1 only sends it)" in source
