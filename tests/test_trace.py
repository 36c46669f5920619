"""Tracing a data category through the stack: multi-hop paths, their endings and gaps, and
matching by the Fides taxonomy. Expected paths are read off the DataFlows rows by hand."""

from __future__ import annotations

import pandas as pd
import pytest

import nistpf
from nistpf.flows import categories as cats
from nistpf.flows.trace import (
    CATEGORY_COLUMNS,
    GAP_COLUMNS,
    HOP_COLUMNS,
    PATH_COLUMNS,
    UnknownCategoryError,
    data_action,
    trace,
)
from tests.inventory_files import CONTROLS


@pytest.fixture(scope="module")
def sample() -> nistpf.Inventory:
    return nistpf.load_inventory(nistpf.sample_path())


def chains(t) -> list[tuple[str, ...]]:
    return [tuple(flows) for flows in t.paths["flows"]]


# -- the sample: payment card data ------------------------------------------------------------
# The sample's flows carrying user.financial.credit_card (data/cx-sample DataFlows):
#   F-003 Customers → PAY-01 collection      F-005 Customers → CCS-01 collection
#   F-011 ECM-01 → PAY-01 transfer           F-021 BPO-01 → AIA-01 use
#   F-025 PAY-01 → DWH-01 storage            F-030 CCS-01 → BPO-01 sharing
#   F-033 CCS-01 → CCS-01 disposal
# Entry points: the two collections from external:Customers and F-011 (no card flow feeds
# ECM-01). CCS-01 both disposes of the card data (F-033) and sends it on (F-030).
CARD_PATHS = [
    ("F-003", "F-025"),  # kept in the warehouse, no card data disposal there
    ("F-005", "F-030", "F-021"),  # to the BPO, then Agent Assist, and kept there
    ("F-005", "F-033"),  # deleted after 90 days
    ("F-011", "F-025"),
]


def test_card_data_takes_four_paths_through_the_sample(sample):
    t = trace(sample, data_category="user.financial.credit_card")
    assert chains(t) == CARD_PATHS
    assert list(t.paths["ending"]) == [
        "never disposed",
        "never disposed",
        "disposed",
        "never disposed",
    ]
    assert list(t.paths["end"]) == ["DWH-01", "AIA-01", "CCS-01", "DWH-01"]
    assert list(t.paths["ai"]) == [False, True, False, False]
    assert list(t.paths.columns) == PATH_COLUMNS


def test_each_hop_carries_its_stage_action_protections_and_findings(sample):
    t = trace(sample, data_category="user.financial.credit_card")
    assert list(t.hops.columns) == HOP_COLUMNS
    second = t.hops[t.hops["path"] == "P2"].reset_index(drop=True)
    assert list(second["step"]) == [1, 2, 3]
    hop = second.iloc[1]  # F-030: CCS-01 → BPO-01, sharing, not encrypted, no minimisation
    assert (hop["flow_id"], hop["source"], hop["destination"]) == ("F-030", "CCS-01", "BPO-01")
    assert (hop["stage"], hop["action"]) == ("sharing", "disclosure")
    assert hop["encrypted_in_transit"] is False
    assert hop["minimization"] == "none"
    assert hop["consent_basis"] == "Contract (DPA with Quillmere, Art. 28)"
    assert hop["retention_days"] == 365
    assert hop["owner"] == "Vendor Management Lead"
    assert hop["third_party"] is True
    # F-030 is unencrypted personal data (R01) and sensitive data unminimised (R05).
    assert {"R01:F-030", "R05:F-030"} <= set(hop["findings"])
    assert set(second["match"]) == {"exact"}


def test_card_data_gaps_are_the_undisposed_paths_and_the_ai_system(sample):
    t = trace(sample, data_category="user.financial.credit_card")
    assert list(t.gaps.columns) == GAP_COLUMNS
    kinds = sorted(zip(t.gaps["kind"], t.gaps["path"], t.gaps["system"], strict=True))
    assert kinds == [
        ("AI system", "", "AIA-01"),
        ("never disposed", "P1", "DWH-01"),
        ("never disposed", "P2", "AIA-01"),
        ("never disposed", "P4", "DWH-01"),
    ]


def test_the_category_summary_counts_paths_flows_and_endpoints(sample):
    t = trace(sample, data_category="user.financial.credit_card")
    row = t.categories.iloc[0]
    assert list(t.categories.columns) == CATEGORY_COLUMNS
    assert row["sensitive"]
    # 4 paths; 7 flows; PAY, DWH, CCS, BPO, AIA, ECM; Customers; AIA-01; one disposal.
    assert (row["paths"], row["flows"], row["systems"]) == (4, 7, 6)
    assert (row["external_parties"], row["ai_systems"], row["disposed"]) == (1, 1, 1)
    assert row["label"] == "Credit Card Information"  # the Fides taxonomy's name


def test_a_system_keeps_the_paths_through_it(sample):
    t = trace(sample, data_category="user.financial.credit_card", system="bpo-01")
    assert chains(t) == [("F-005", "F-030", "F-021")]


def test_every_path_ends_at_disposal_an_external_party_or_a_resting_system(sample):
    t = trace(sample)
    for row in t.paths.itertuples():
        last = sample.flows.set_index("flow_id").loc[row.flows[-1]]
        if row.ending == "disposed":
            assert last["stage"] == "disposal"
        elif row.ending == "leaves the company":
            assert last["destination"].startswith("external:")
        else:
            assert row.ending == "never disposed"


# -- the Fides taxonomy ------------------------------------------------------------------------
def test_a_parent_key_covers_its_children_and_a_parent_on_a_flow_is_broader(sample):
    contact = trace(sample, data_category="user.contact")
    matched = set(contact.hops["flow_id"])
    # Every flow with a user.contact.* category is on a path, F-035 (user.contact itself) too.
    expected = {
        f
        for f, categories in zip(
            sample.flows["flow_id"], sample.flows["data_categories"], strict=True
        )
        if any(c == "user.contact" or c.startswith("user.contact.") for c in categories)
    }
    assert matched == expected
    email = trace(sample, data_category="user.contact.email")
    f035 = email.hops[email.hops["flow_id"] == "F-035"]
    assert set(f035["match"]) == {"broader"}
    assert "F-013" in set(email.hops["flow_id"])  # user.contact.email itself


def test_a_category_is_found_by_its_fides_name(sample):
    by_key = trace(sample, data_category="user.financial.credit_card")
    by_name = trace(sample, data_category="credit card information")
    assert chains(by_name) == chains(by_key)
    assert set(by_name.hops["match"]) == {"label"}


@pytest.mark.parametrize(
    ("query", "category", "kind"),
    [
        ("user.contact", "user.contact.email", "narrower"),
        ("user.contact.email", "user.contact", "broader"),
        ("USER.CONTACT.EMAIL", "user.contact.email", "exact"),
        ("Contact Data", "user.contact.address.city", "label"),
        ("Email address", "email  ADDRESS", "exact"),
        ("user.contact", "user.contactless", None),
        ("user.contact.email", "user.contact.phone_number", None),
        ("Email address", "user.contact.email", None),  # not the taxonomy's name
    ],
)
def test_match_kinds(query, category, kind):
    assert cats.match(query, category) == kind


def test_an_unknown_category_or_system_names_close_matches(sample):
    with pytest.raises(UnknownCategoryError, match=r"user\.contact\.email"):
        trace(sample, data_category="user.contact.emial")
    with pytest.raises(UnknownCategoryError, match="CRM-01"):
        trace(sample, system="CRM-1")


# -- hand-built stacks -------------------------------------------------------------------------
SYSTEMS = pd.DataFrame(
    [
        ["WEB-01", "Web shop", "Other"],
        ["CRM-01", "CRM", "CRM"],
        ["CDP-01", "CDP", "CDP"],
        ["LLM-01", "Assistant", "AI"],
    ],
    columns=["system_id", "name", "type"],
)


def stack(*flows: tuple) -> nistpf.Inventory:
    """Flows as (source, destination, categories, stage, owner)."""
    rows = [
        {
            "flow_id": f"F-{n}",
            "source": s,
            "destination": d,
            "data_categories": c,
            "stage": st,
            "owner": o,
            "purpose": "p",
            "encrypted_in_transit": "yes",
        }
        for n, (s, d, c, st, o) in enumerate(flows, 1)
    ]
    return nistpf.load_inventory(
        {
            "Systems": SYSTEMS,
            "Controls": pd.DataFrame(CONTROLS[1:], columns=CONTROLS[0]),
            "DataFlows": pd.DataFrame(rows),
        }
    )


def test_a_loop_never_revisits_a_system_and_every_flow_is_on_a_path():
    inv = stack(
        ("CRM-01", "CDP-01", "Email", "transfer", "A"),
        ("CDP-01", "CRM-01", "Email", "transfer", "A"),  # a loop, no entry point
        ("CDP-01", "LLM-01", "Email", "use", ""),
    )
    t = trace(inv, data_category="email")
    assert set(t.hops["flow_id"]) == {"F-1", "F-2", "F-3"}
    for flows in t.paths["flows"]:
        ends = [inv.flows.set_index("flow_id").loc[f, "destination"] for f in flows]
        assert len(ends) == len(set(ends))
    kinds = set(zip(t.gaps["kind"], t.gaps["flow_id"], strict=True))
    assert ("no owner", "F-3") in kinds
    assert ("AI system", "F-3") in kinds


def test_collected_but_used_nowhere():
    kept = stack(
        ("external:Customers", "WEB-01", "Shoe size", "collection", "A"),
        ("WEB-01", "CRM-01", "Shoe size", "storage", "A"),
    )
    t = trace(kept)
    assert list(t.gaps.loc[t.gaps["kind"] == "collected, used nowhere", "category"]) == [
        "Shoe size"
    ]
    used = stack(
        ("external:Customers", "WEB-01", "Shoe size", "collection", "A"),
        ("WEB-01", "CDP-01", "Shoe size", "use", "A"),
    )
    assert "collected, used nowhere" not in set(trace(used).gaps["kind"])


def test_dense_stacks_are_cut_at_max_paths_and_say_so():
    pairs = [
        (a, b)
        for a in ("WEB-01", "CRM-01", "CDP-01", "LLM-01")
        for b in ("WEB-01", "CRM-01", "CDP-01", "LLM-01")
    ]
    flows = [("external:Customers", "WEB-01", "Email", "collection", "A")]
    flows += [(a, b, "Email", "transfer", "A") for a, b in pairs if a != b]
    t = trace(stack(*flows), max_paths=3)
    assert len(t.paths) == 3
    assert t.truncated == ("Email",)
    assert trace(stack(*flows)).truncated == ()


@pytest.mark.parametrize(
    ("stage", "action"),
    [
        ("collection", "collection"),
        ("transfer", "transfer"),
        ("storage", "retention"),
        ("use", "use"),
        ("sharing", "disclosure"),
        ("disposal", "disposal"),
        ("logging", "logging"),
        ("generation", "generation"),
        ("transformation", "transformation"),
        (None, "unspecified"),
    ],
)
def test_each_stage_maps_to_a_nistir_8062_data_action(stage, action):
    assert data_action(stage) == action


def test_the_stage_column_reads_nistir_8062_words():
    inv = stack(
        ("WEB-01", "CRM-01", "Email", "retention", "A"),
        ("CRM-01", "CDP-01", "Email", "Log", "A"),
        ("CDP-01", "LLM-01", "Email", "transformation", "A"),
    )
    assert list(inv.flows["stage"]) == ["storage", "logging", "transformation"]


# -- what moves on, stable path names, a system's view --------------------------------------
def test_a_parent_path_goes_on_only_with_the_data_it_carried(sample):
    # F-005 collects phone numbers into CCS-01, F-020 takes them to AIA-01, F-028 on to DWH-01.
    # DWH-01's purge F-034 disposes of e-mail addresses and pseudonymous IDs, not phone
    # numbers: the contact data of that path is never disposed of.
    t = trace(sample, data_category="user.contact")
    row = t.paths[t.paths["flows"].map(lambda f: f[:2] == ("F-005", "F-020"))]
    assert list(row["flows"]) == [("F-005", "F-020", "F-028")]
    assert list(row["ending"]) == ["never disposed"]
    # E-mail addresses that reach DWH-01 (F-001 → F-012 → F-023) are disposed of by F-034.
    assert ("F-001", "F-012", "F-023", "F-034") in set(t.paths["flows"])


def test_tracing_every_category_traces_a_written_parent_by_its_own_flows(sample):
    every = trace(sample)
    parent = every.categories.set_index("category").loc["user.contact"]
    # Only F-035 writes user.contact itself; its children are traced as categories of their own.
    assert (parent["paths"], parent["flows"]) == (1, 1)
    assert list(every.paths.loc[every.paths["category"] == "user.contact", "flows"]) == [("F-035",)]


def test_path_names_are_the_same_in_every_view(sample):
    card = "user.financial.credit_card"
    alone = trace(sample, data_category=card)
    every = trace(sample)
    at_bpo = trace(sample, data_category=card, system="BPO-01")
    names = dict(zip(alone.paths["path"], alone.paths["flows"], strict=True))
    in_every = every.paths[every.paths["category"] == card]
    assert dict(zip(in_every["path"], in_every["flows"], strict=True)) == names
    assert list(at_bpo.paths["path"]) == ["P2"]
    assert set(at_bpo.hops["path"]) == {"P2"}


def test_a_systems_view_keeps_only_its_paths_gaps_and_categories(sample):
    t = trace(sample, system="XLS-01")
    # F-019 (TKT-01 → XLS-01) carries name, e-mail, phone, private content and health data.
    assert set(t.categories["category"]) == {
        "user.name",
        "user.contact.email",
        "user.contact.phone_number",
        "user.content.private",
        "user.health_and_medical",
    }
    assert all("F-019" in flows for flows in t.paths["flows"])
    assert set(t.gaps["flow_id"]) == {"F-019"}  # not AIA-01's AI gaps, nor other paths'
    assert set(t.gaps["kind"]) == {"never disposed", "no owner"}


def test_one_category_written_three_ways_is_traced_once():
    inv = stack(
        ("external:Customers", "WEB-01", "user.contact.email", "collection", "A"),
        ("WEB-01", "CRM-01", "USER.CONTACT.EMAIL", "transfer", "A"),
        ("CRM-01", "CDP-01", "User Contact Email", "transfer", "A"),  # the Fides name
    )
    t = trace(inv)
    assert list(t.categories["category"]) == ["user.contact.email"]
    assert chains(t) == [("F-1", "F-2", "F-3")]


def hub(n: int) -> nistpf.Inventory:
    """A hub fanning out to n systems, and one route on to a data broker past all of them."""
    names = [f"N{k:04d}" for k in range(n)]
    systems = pd.DataFrame(
        [[s, s, "Other"] for s in ["HUB-01", "ZED-01", "CRM-01", "CDP-01", *names]],
        columns=["system_id", "name", "type"],
    )
    rows = [("external:Customers", "HUB-01", "collection")]
    rows += [("HUB-01", s, "transfer") for s in names]
    rows += [("HUB-01", "ZED-01", "transfer"), ("ZED-01", "external:Data Broker", "sharing")]
    flows = pd.DataFrame(
        [
            {"flow_id": f"F-{i}", "source": s, "destination": d, "data_categories": "user.name",
             "stage": st, "owner": "A", "purpose": "p", "encrypted_in_transit": "yes"}
            for i, (s, d, st) in enumerate(rows, 1)
        ]
    )  # fmt: skip
    return nistpf.load_inventory(
        {"Systems": systems, "Controls": pd.DataFrame(CONTROLS[1:], columns=CONTROLS[0]),
         "DataFlows": flows}
    )  # fmt: skip


def test_a_systems_paths_are_found_past_the_cut_and_exits_are_never_lost():
    inv = hub(40)
    cut = trace(inv, max_paths=10)
    assert cut.truncated == ("user.name",)
    # The route to the broker (F-42, F-43) is past the tenth path, yet its exit is a gap.
    exits = cut.gaps[cut.gaps["kind"] == "external party"]
    assert set(exits["flow_id"]) == {"F-43"}
    zed = trace(inv, system="ZED-01", max_paths=10)
    assert chains(zed) == [("F-1", "F-42", "F-43")]
    assert list(zed.paths["path"]) == ["S1"]  # named apart from the cut list's P-names
    assert trace(inv, system="ZED-01").paths["path"].tolist() == ["P41"]


def test_tracing_thousands_of_categories_stays_fast():
    import time

    # 2,000 categories over 2,000 flows (10 each): about 3 s measured when every category was
    # compared with every other; the index makes it linear. Guard: 60 s.
    labels = [f"user.custom.c{k:04d}" for k in range(2000)]
    flows = [
        ("external:Customers", "WEB-01", "; ".join(labels[(10 * i) % 2000 : (10 * i) % 2000 + 10]),
         "collection", "A")
        for i in range(200)
    ]  # fmt: skip
    inv = stack(*flows)
    started = time.perf_counter()
    t = trace(inv)
    assert len(t.categories) == 2000
    assert time.perf_counter() - started < 60
