"""The guided assessment widgets, driven headless: set widget values, click buttons, and
check what reached the engagement store. Nothing is ever displayed."""

from __future__ import annotations

import html
import re
import shutil
import statistics
import time
from pathlib import Path

import IPython.core.display_functions
import IPython.display
import ipywidgets
import pandas as pd
import pytest

import nistpf
from nistpf.inventory.schema import PROFILE
from nistpf.ui import (
    ExportStep,
    LoadStep,
    NotLoadedError,
    ProfileStep,
    RateStep,
    ReviewStep,
    ScopeStep,
    Session,
    TiersStep,
    Wizard,
    guided_assessment,
)
from nistpf.ui._widgets import named_widgets
from nistpf.ui.session import Change
from nistpf.ui.steps_review import FIGURES, PLOTLY_MIME

SUB = "PR.DS-P2"  # derived 1.76 on the sample, no assessor rating there
ASSESSOR = "Test Assessor"


@pytest.fixture
def store_path(tmp_path: Path) -> Path:
    return tmp_path / "engagement" / "acme.nistpf"


@pytest.fixture
def session(store_path: Path) -> Session:
    session = Session(store_path, assessor=ASSESSOR)
    report = session.load(nistpf.sample_path())
    assert session.ready, report
    return session


@pytest.fixture
def no_display(monkeypatch: pytest.MonkeyPatch) -> None:
    """Any display() call fails the test: steps must not show themselves."""

    def refuse(*args, **kwargs):
        raise AssertionError("a step displayed itself")

    monkeypatch.setattr(IPython.display, "display", refuse)
    monkeypatch.setattr(IPython.core.display_functions, "display", refuse)


def broken_inventory(tmp_path: Path) -> Path:
    """The sample's CSV folder with an unknown criticality in the first system."""
    folder = tmp_path / "broken"
    shutil.copytree(nistpf.sample_path("csv"), folder)
    systems = folder / "Systems.csv"
    text = systems.read_text(encoding="utf-8")
    systems.write_text(text.replace(",High,yes,", ",Extreme,yes,", 1), encoding="utf-8")
    return folder


def saved_rating(session: Session, sub: str = SUB, system: str = "") -> pd.Series | None:
    ratings = session.store.ratings(session.number)
    rows = ratings[(ratings["subcategory"] == sub) & (ratings["system"] == system)]
    return None if rows.empty else rows.iloc[0]


def deliverable(session: Session, kind: str) -> str:
    """An exported file's name: the About sheet's client, lower case, each run of other
    characters one "-", then ``kind`` ("Tallowby & Finch Ltd" → "tallowby-finch-ltd-…")."""
    client = session.assessment.inventory.about_value("client")
    return re.sub(r"[^a-z0-9]+", "-", client.lower()).strip("-") + "-" + kind


def descendants(widget: ipywidgets.Widget):
    """``widget`` and every widget inside it (children, and the children of those)."""
    yield widget
    for child in getattr(widget, "children", ()):
        yield from descendants(child)


def leaves(controls: dict):
    """The widgets of a step's ``controls``, nested dicts (one widget per system) flattened."""
    for value in controls.values():
        if isinstance(value, dict):
            yield from leaves(value)
        else:
            yield value


# -- construction ------------------------------------------------------------------------------


@pytest.mark.usefixtures("no_display")
def test_constructing_steps_displays_nothing(store_path: Path):
    wizard = guided_assessment(store_path, nistpf.sample_path(), assessor=ASSESSOR)
    assert list(wizard.steps) == [
        "load",
        "scope",
        "profile",
        "rate",
        "tiers",
        "review",
        "export",
    ]
    assert wizard.widget.children == tuple(s.widget for s in wizard.steps.values())
    assert wizard.widget.titles[0] == "1 Load"
    rate = wizard.steps["rate"].controls
    assert "nistpf-rate-rating" in rate["rating"]._dom_classes  # for browser tests
    scope = wizard.steps["scope"].controls
    assert "nistpf-scope-in_scope-CRM-01" in scope["in_scope"]["CRM-01"]._dom_classes
    for kind in (LoadStep, ScopeStep, ProfileStep, RateStep, TiersStep, ReviewStep, ExportStep):
        step = kind(wizard.session)
        assert step.widget.children == (step.notice, step.body, step.error)
        shown = set(map(id, descendants(step.widget)))
        controls = list(leaves(step.controls))
        assert controls
        assert [c for c in controls if id(c) not in shown] == []  # every control is on screen


def test_steps_before_any_inventory_are_disabled(store_path: Path):
    wizard = Wizard(Session(store_path))
    assert not wizard.session.ready
    assert wizard.steps["load"].enabled
    assert not wizard.steps["load"].controls["load"].disabled
    for name in ("scope", "profile", "rate", "tiers", "review", "export"):
        assert not wizard.steps[name].enabled
    assert wizard.steps["rate"].controls["rating"].disabled
    assert wizard.steps["export"].controls["export"].disabled
    assert "Load a valid inventory" in wizard.steps["rate"].notice.value


# -- 1. Load -----------------------------------------------------------------------------------


def test_load_step_with_errors_shows_the_rows_and_keeps_the_next_steps_disabled(
    store_path: Path, tmp_path: Path
):
    wizard = Wizard(Session(store_path))
    load = wizard.steps["load"]
    load.controls["path"].value = str(broken_inventory(tmp_path))
    load.controls["load"].click()

    assert not wizard.session.ready
    assert not load.ready
    report = load.controls["report"].value
    assert "Extreme" in report
    assert "error" in report
    assert "cannot be assessed yet" in load.controls["status"].value
    assert not wizard.steps["rate"].enabled
    assert wizard.steps["rate"].controls["rating"].disabled
    assert wizard.steps["scope"].controls["in_scope"] == {}
    assert wizard.session.store.assessments().empty  # nothing was started


def test_load_step_with_the_sample_is_ready(store_path: Path, tmp_path: Path):
    wizard = Wizard(Session(store_path))
    load = wizard.steps["load"]
    assert load.controls["path"].value == str(nistpf.sample_path())
    load.controls["path"].value = str(broken_inventory(tmp_path))
    load.controls["load"].click()
    load.controls["path"].value = str(nistpf.sample_path())
    load.controls["load"].click()

    assert wizard.session.ready
    assert f"Loaded {nistpf.sample_path().name}" in load.controls["status"].value
    issues = wizard.session.inventory.issues
    assert list(issues["severity"]) == ["warning"]  # the sample's one warning, shown
    assert html.escape(issues["problem"].iloc[0]) in load.controls["report"].value
    for step in wizard.steps.values():
        assert step.enabled
    assert not wizard.steps["rate"].controls["rating"].disabled
    systems = wizard.session.inventory.systems
    in_scope = wizard.steps["scope"].controls["in_scope"]
    assert sorted(in_scope) == sorted(systems["system_id"])  # one box a system, listed by type
    runs = wizard.session.store.assessments()
    assert len(runs) == 1
    assert runs["inventory_sha256"].iloc[0] == wizard.session.inventory.sha256


def test_loading_the_same_inventory_again_reuses_its_assessment(session: Session):
    first = session.number
    session.load(nistpf.sample_path())
    assert session.number == first
    assert not session.created
    # Other bytes (the same client's inventory as CSV files) still belong to the engagement's
    # assessment: a new one is only ever an explicit follow-up.
    session.load(nistpf.sample_path("csv"))
    assert session.number == first
    assert not session.created
    assert len(session.store.assessments()) == 1


def test_mapping_error_is_one_line_and_changes_nothing(session: Session, tmp_path: Path):
    load = LoadStep(session)
    load.controls["mapping"].value = str(tmp_path / "missing.toml")
    load.controls["load"].click()
    assert "mapping file not found" in load.message
    assert session.ready


def test_upload_is_saved_beside_the_store_and_never_over_a_file(store_path: Path):
    session = Session(store_path)
    load = LoadStep(session)
    content = nistpf.sample_path().read_bytes()
    upload = {"name": "client.xlsx", "type": "", "size": len(content), "last_modified": 0}

    load.controls["upload"].set_state({"value": [{**upload, "content": memoryview(content)}]})
    saved = store_path.parent / "client.xlsx"
    assert load.controls["path"].value == str(saved)
    assert saved.read_bytes() == content

    other = b"not the same workbook"
    load.controls["upload"].set_state({"value": [{**upload, "content": memoryview(other)}]})
    assert saved.read_bytes() == content  # untouched
    second = store_path.parent / "client (2).xlsx"
    assert second.read_bytes() == other
    assert load.controls["path"].value == str(second)

    load.controls["path"].value = str(saved)
    load.controls["load"].click()
    assert session.ready
    assert Path(session.run["inventory_path"]) == saved.resolve()

    mapping = b"[Systems]\nsource = 'Systems'\n"
    load.controls["mapping_upload"].set_state(
        {"value": [{**upload, "name": "client.toml", "content": memoryview(mapping)}]}
    )
    assert load.controls["mapping"].value == str(store_path.parent / "client.toml")


def test_assessor_name_goes_into_the_log(session: Session):
    load = LoadStep(session)
    load.controls["assessor"].value = "Jane Doe"
    RateStep(session)
    session.rate(SUB, 2)
    assert session.store.log(session.number)["who"].iloc[-1] == "Jane Doe"
    assert saved_rating(session)["assessor"] == "Jane Doe"


# -- 2. Scope ----------------------------------------------------------------------------------


def test_scope_step_unticking_a_system_saves_scope_and_changes_the_counts(session: Session):
    systems = session.inventory.systems
    scoped = systems[systems["in_scope"]]
    assert systems.set_index("system_id").loc["CRM-01", "criticality"] == "High"
    assert "CRM-01" in set(scoped["system_id"])

    def counts(in_scope: int, high: int) -> str:
        others = ", ".join(
            f"{c} {int((scoped['criticality'] == c).sum())}" for c in ("Medium", "Low")
        )
        return f"<p><b>{in_scope} of {len(systems)} systems in scope</b>; High {high}, {others}</p>"

    high = int((scoped["criticality"] == "High").sum())
    scope = ScopeStep(session)
    assert scope.controls["counts"].value == counts(len(scoped), high)

    scope.controls["in_scope"]["CRM-01"].value = False

    saved = session.store.scope(session.number).set_index("system")["in_scope"]
    assert not saved["CRM-01"]
    assert scope.controls["counts"].value == counts(len(scoped) - 1, high - 1)
    assert "CRM-01" not in set(session.assessment.systems["system"])
    log = session.store.log(session.number)
    assert log["entity"].iloc[-1] == "scope"
    assert log["who"].iloc[-1] == ASSESSOR


# -- 3. Target Profile -------------------------------------------------------------------------


def test_profile_step_changes_a_function_target_keeping_its_priority(session: Session):
    profile = ProfileStep(session)
    target = profile.controls["target"]["CT-P"]
    priority_before = session.profile_row("CT-P")["priority"]
    assert "4 Adaptive" in target.options

    target.value = "4 Adaptive"

    row = session.store.profile(session.number).set_index("pf_id").loc["CT-P"]
    assert row["target"] == 4.0
    assert row["priority"] == priority_before
    functions = session.assessment.functions.set_index("function")
    assert "target 4.00" in profile.controls["rollup"]["CT-P"].value
    assert functions.loc["CT-P", "target"] > 3.0


def test_profile_step_overrides_one_subcategory(session: Session):
    profile = ProfileStep(session)
    profile.controls["subcategory"].value = "CT.DM-P1"
    profile.controls["sub_in_profile"].value = "no"
    row = session.store.profile(session.number).set_index("pf_id").loc["CT.DM-P1"]
    assert row["in_profile"] == False  # noqa: E712 (numpy's False)
    subs = session.assessment.subcategories.set_index("subcategory")
    assert not subs.loc["CT.DM-P1", "in_profile"]
    assert "not in the Target Profile" in profile.controls["sub_effective"].value

    profile.controls["sub_in_profile"].value = "inherit"
    profile.controls["sub_priority"].value = "High"
    row = session.store.profile(session.number).set_index("pf_id").loc["CT.DM-P1"]
    assert row["priority"] == "High"
    assert row["in_profile"] is None or pd.isna(row["in_profile"])


def test_profile_step_heads_its_columns_with_the_profile_sheets_words(session: Session):
    profile = ProfileStep(session)
    rows = [
        child
        for child in profile.body.children
        if isinstance(child, ipywidgets.HBox) and child.children
    ]
    heads = [row for row in rows if all(isinstance(c, ipywidgets.HTML) for c in row.children)]
    texts = [[re.sub(r"<[^>]+>", "", cell.value) for cell in row.children] for row in heads]
    sheet = [c.name.replace("_", " ") for c in PROFILE.columns if c.name != "pf_id"]
    assert texts == [
        ["function or category", "target", "priority", "roll-up"],
        ["subcategory", *sheet],
    ]
    # the override's row shows a Subcategory's settings from the start, not blank inputs
    assert profile.controls["subcategory"].value == "ID.IM-P1"
    assert profile.controls["sub_target"].value == "inherit"
    assert "Applies" in profile.controls["sub_effective"].value
    # each heading stands over its column: the same widths as the inputs under it
    grid = next(row for row in rows if profile.controls["target"]["ID-P"] in row.children)
    override = next(row for row in rows if profile.controls["sub_target"] in row.children)
    for head, inputs in ((heads[0], grid), (heads[1], override)):
        widths = [cell.layout.width for cell in head.children]
        assert widths == [child.layout.width for child in inputs.children]


# -- 4. Rate -----------------------------------------------------------------------------------


def test_rate_step_saves_the_chosen_label_with_evidence_and_method(session: Session):
    rate = RateStep(session)
    c = rate.controls
    c["subcategory"].value = SUB
    assert c["rating"].value == "not rated"
    assert c["rating"].options[:3] == ("not rated", "0 Not performed", "1 Partial")
    assert f"{SUB}: Data-in-transit are protected." in c["why"].value

    c["evidence"].value = "TLS scan of the customer-data interfaces"
    c["method"].value = "test"
    c["rating"].value = "2 Risk informed"

    saved = saved_rating(session)
    assert saved["current"] == 2.0
    assert saved["evidence"] == "TLS scan of the customer-data interfaces"
    assert saved["method"] == "test"
    assert saved["assessor"] == ASSESSOR
    assert "the assessor rated it 2 for the organisation" in c["why"].value
    assert "<pre" in c["why"].value
    subs = session.assessment.subcategories.set_index("subcategory")
    assert subs.loc[SUB, "current"] == 2.0
    assert subs.loc[SUB, "source"] == "assessor"
    log = session.store.log(session.number)
    fields = set(log.loc[log["entity"] == "rating", "field"])
    assert {"current", "evidence", "method"} <= fields
    assert c["subcategory"].value == SUB  # the view stays on it


def test_rate_step_not_yet_rated_filter_skips_a_rated_subcategory(session: Session):
    rate = RateStep(session)
    c = rate.controls
    c["subcategory"].value = SUB
    c["rating"].value = "2 Risk informed"

    c["unrated_only"].value = True
    listed = [value for _, value in c["subcategory"].options]
    assert SUB not in listed
    order = list(session.assessment.framework.subcategories["id"])
    following = [s for s in listed if order.index(s) > order.index(SUB)]
    assert c["subcategory"].value == following[0]  # the next one not yet rated

    c["subcategory"].value = listed[0]
    walked = [listed[0]]
    for _ in listed[1:]:
        c["next"].click()
        walked.append(c["subcategory"].value)
    unrated = session.assessment.subcategories.query("assessor != assessor")["subcategory"]
    assert walked == list(unrated)
    assert SUB not in walked


def test_rate_step_filters_and_walks_one_function(session: Session):
    rate = RateStep(session)
    c = rate.controls
    c["function"].value = "CT-P"
    c["gap_only"].value = True
    ids = rate.filtered()
    subs = session.assessment.subcategories.set_index("subcategory")
    assert ids
    assert all(subs.loc[s, "function"] == "CT-P" and subs.loc[s, "gap"] > 0 for s in ids)
    assert c["subcategory"].value == ids[0]
    c["next"].click()
    assert c["subcategory"].value == ids[1]
    assert f"2 of {len(ids)}" in c["position"].value
    c["previous"].click()
    c["previous"].click()  # already the first: stays
    assert c["subcategory"].value == ids[0]


def test_rate_step_lists_the_outcomes_with_no_evidence_and_rating_one_gives_it_some(
    session: Session,
):
    rate = RateStep(session)
    c = rate.controls
    c["no_evidence_only"].value = True
    subs = session.assessment.subcategories
    expected = list(subs.loc[subs["in_profile"] & (subs["source"] == "no evidence"), "subcategory"])
    assert expected  # the sample has some
    assert rate.filtered() == expected
    first = expected[0]
    c["subcategory"].value = first
    c["rating"].value = "2 Risk informed"
    assert first not in rate.filtered()
    review = ReviewStep(session)
    evidenced, outcomes = session.assessment.completeness[:2]
    assert evidenced == len(subs[subs["in_profile"]]) - len(expected) + 1
    assert f"{evidenced} of {outcomes} outcomes have evidence" in review.controls["summary"].value


def test_rate_step_not_rated_clears_the_rating(session: Session):
    rate = RateStep(session)
    c = rate.controls
    c["subcategory"].value = SUB
    c["rating"].value = "3 Repeatable"
    assert saved_rating(session)["current"] == 3.0

    c["rating"].value = "not rated"

    assert saved_rating(session) is None
    subs = session.assessment.subcategories.set_index("subcategory")
    assert subs.loc[SUB, "source"] == "derived"
    assert "the assessor rated it" not in c["why"].value


def test_rate_step_clears_a_rating_from_the_responses_sheet(session: Session):
    rate = RateStep(session)
    rate.controls["subcategory"].value = "GV.PO-P1"  # rated 3 in the sample's Responses sheet
    assert rate.controls["rating"].value == "3 Repeatable"
    rate.controls["rating"].value = "not rated"
    subs = session.assessment.subcategories.set_index("subcategory")
    assert pd.isna(subs.loc["GV.PO-P1", "assessor"])


def test_rate_step_rates_one_system(session: Session):
    rate = RateStep(session)
    c = rate.controls
    c["subcategory"].value = SUB
    c["system"].value = "PAY-01"
    c["rating"].value = "4 Adaptive"
    assert saved_rating(session, system="PAY-01")["current"] == 4.0
    assert saved_rating(session) is None  # the organisation's stays unrated
    levels = session.assessment.levels
    row = levels[(levels["subcategory"] == SUB) & (levels["system"] == "PAY-01")]
    assert row["source"].iloc[0] == "assessor"

    c["system"].value = ""
    assert c["rating"].value == "not rated"
    c["system"].value = "PAY-01"
    assert c["rating"].value == "4 Adaptive"


def test_evidence_without_a_level_is_kept(session: Session, store_path: Path):
    rate = RateStep(session)
    rate.controls["subcategory"].value = SUB
    rate.controls["evidence"].value = "interview notes to follow"
    assert saved_rating(session) is None  # no level: not a rating yet

    again = RateStep(Session(store_path))
    again.controls["subcategory"].value = SUB
    assert again.controls["rating"].value == "not rated"
    assert again.controls["evidence"].value == "interview notes to follow"


def test_every_input_label_has_room_for_its_words(session: Session):
    """ipywidgets gives a label 80 px and cuts the rest ("Subcateg"): a label longer than a
    short word is sized to its text."""
    wizard = Wizard(session)
    checked = 0
    for step in wizard.steps.values():
        for name, widget in named_widgets(step.controls):
            description = getattr(widget, "description", "")
            if isinstance(widget, ipywidgets.Checkbox | ipywidgets.Button) or not description:
                continue
            checked += 1
            if len(description) > 8:
                assert widget.style.description_width == "initial", (step.key, name)
    assert wizard.steps["rate"].controls["subcategory"].style.description_width == "initial"
    assert checked >= 8


# -- 5. Tiers ----------------------------------------------------------------------------------


def test_tiers_step_saves_a_tier_with_nist_definitions(session: Session):
    tiers = TiersStep(session)
    buttons = tiers.controls["tier"]["Workforce"]
    assert buttons.options == (
        "not rated",
        "1 Partial",
        "2 Risk Informed",
        "3 Repeatable",
        "4 Adaptive",
    )
    definitions = session.assessment.framework.tiers
    workforce = definitions[definitions["attribute"] == "Workforce"].sort_values("tier")
    assert list(buttons.tooltips[1:]) == list(workforce["text"])

    tiers.controls["evidence"]["Workforce"].value = "Training records 2026"
    buttons.value = "4 Adaptive"

    saved = session.store.tiers(session.number).set_index("attribute").loc["Workforce"]
    assert saved["tier"] == 4
    assert saved["evidence"] == "Training records 2026"
    assert workforce["text"].iloc[3] in tiers.controls["definition"]["Workforce"].value.replace(
        "&#x27;", "'"
    )
    assessed = session.assessment.tiers.set_index("attribute")
    assert assessed.loc["Workforce", "tier"] == 4


# -- 6. Review ---------------------------------------------------------------------------------


def test_review_step_updates_its_figures_in_place_after_a_rating(session: Session):
    review = ReviewStep(session)
    rate = RateStep(session)
    radar = review.controls["radar"]
    heatmap = review.controls["heatmap"]
    gaps = review.controls["top_gaps"]
    current = next(t for t in radar.data if t.name == "Current")
    before = list(current.r)
    summary = review.controls["summary"].value
    assert "Overall" in summary

    rate.controls["subcategory"].value = SUB
    rate.controls["rating"].value = "4 Adaptive"

    assert review.controls["radar"] is radar  # the same widgets, updated
    assert review.controls["heatmap"] is heatmap
    after = next(t for t in radar.data if t.name == "Current")
    functions = list(session.assessment.functions["current"])
    assert list(after.r)[: len(functions)] == pytest.approx(functions)
    assert list(after.r) != before
    assert review.controls["summary"].value != summary
    bars = next(t for t in gaps.data if t.type == "bar")
    ranked = session.assessment.subcategories.query("in_profile and gap > 0")
    assert len(bars.y) == min(10, len(ranked))


def test_review_charts_are_whole_plotly_outputs_that_fill_the_width(session: Session):
    """Each chart is the figure's full plotly output, sent whole on every redraw (nothing
    depends on an earlier update having reached the browser), with no fixed width: the
    renderer draws it as wide as the notebook and again when it is shown or resized."""
    review = ReviewStep(session)
    rate = RateStep(session)
    for name in FIGURES:
        chart = review.controls[name]
        assert isinstance(chart, ipywidgets.Output)
        assert chart.layout.width == "100%"
        (output,) = chart.outputs
        spec = output["data"][PLOTLY_MIME]
        assert len(spec["data"]) == len(chart.figure.data) > 0
        assert "width" not in spec["layout"]
        assert spec["config"]["responsive"] is True
        assert spec["layout"]["title"]["text"] == chart.figure.layout.title.text

    rate.controls["subcategory"].value = SUB
    rate.controls["rating"].value = "4 Adaptive"
    (output,) = review.controls["radar"].outputs
    current = next(t for t in output["data"][PLOTLY_MIME]["data"] if t["name"] == "Current")
    functions = list(session.assessment.functions["current"])
    assert current["r"][: len(functions)] == pytest.approx(functions)


def test_review_step_redraws_only_when_the_numbers_change(
    session: Session, monkeypatch: pytest.MonkeyPatch
):
    review = ReviewStep(session)
    rate = RateStep(session)
    drawn = []
    figures = review.figures
    monkeypatch.setattr(review, "figures", lambda: drawn.append(1) or figures())
    rate.controls["subcategory"].value = SUB
    rate.controls["evidence"].value = "a note, no level"
    assert drawn == []
    rate.controls["rating"].value = "1 Partial"
    assert drawn == [1]


# A guard, not a measurement: benchmarks/bench_notebook.py measures the latency (the README
# gives it). Measured with this test's eight changes on a 2-core machine, three runs: median
# 130, 134 and 202 ms (the slowest change 241 ms); so 3 s is 15x the slowest median.
RATING_TO_CHARTS_SECONDS = 3.0


def test_rating_to_updated_charts_stays_within_a_guard(session: Session):
    """Each rating reaches the charts (the radar's Current line equals the assessment's
    Functions), and the median latency stays far below a bound no loaded machine reaches."""
    wizard = Wizard(session)
    rate = wizard.steps["rate"].controls
    radar = wizard.steps["review"].controls["radar"]
    rate["subcategory"].value = SUB
    timings = []
    for label in ["1 Partial", "2 Risk informed", "3 Repeatable", "4 Adaptive"] * 2:
        start = time.perf_counter()
        rate["rating"].value = label
        timings.append(time.perf_counter() - start)
        current = next(t for t in radar.data if t.name == "Current")
        functions = list(session.assessment.functions["current"])
        assert list(current.r)[: len(functions)] == pytest.approx(functions)
    assert statistics.median(timings) < RATING_TO_CHARTS_SECONDS


# -- 7. Export ---------------------------------------------------------------------------------


def test_export_step_writes_the_report_and_lists_the_paths(session: Session, tmp_path: Path):
    import openpyxl

    export = ExportStep(session)
    c = export.controls
    folder = tmp_path / "out"
    c["folder"].value = str(folder)
    c["deck"].value = c["images"].value = False
    c["register"].value = True
    c["report"].value = True
    c["export"].click()

    a = session.assessment
    client = a.inventory.about_value("client")
    report = folder / deliverable(session, "report.html")
    register = folder / deliverable(session, "gap-register.xlsx")
    assert sorted(folder.iterdir()) == sorted([register, report])
    assert export.written == [register, report]
    assert re.findall(r"<code>(.*?)</code>", c["paths"].value) == [str(register), str(report)]
    assert c["progress"].value == c["progress"].max == 2
    assert c["status"].value == "<p style='color:#1b5e20'>2 files written.</p>"

    # The register read back: one row per outcome below target, ranked by gap points, then gap.
    subs = a.subcategories
    gaps = subs[subs["in_profile"] & (subs["gap"] > 0)]
    ranked = gaps.sort_values(["gap_points", "gap"], ascending=False, kind="stable")
    rows = list(openpyxl.load_workbook(register, read_only=True)["Gap Register"].values)
    column = rows[0].index("Subcategory")
    assert [r[column] for r in rows[1:] if r[column]] == list(ranked["subcategory"])
    # The report read back: the client and the overall current score, as the summary shows them.
    text = report.read_text(encoding="utf-8")
    assert f"<title>{html.escape(client)} — " in text
    shown = re.search(r'data-field="overall\.current" data-value="([^"]+)">([^<]+)<', text)
    assert float(shown[1]) == a.overall.current
    assert shown[2] == f"{a.overall.current:.2f}"


def test_export_step_carries_the_stores_register_edits_over(session: Session, tmp_path: Path):
    from nistpf.export.register_edits import read_register_edits

    session.store.set_register_edit(session.number, "PR.DS-P3", owner="CISO", status="Open")
    export = ExportStep(session)
    export.controls["folder"].value = str(tmp_path)
    export.controls["report"].value = False
    export.controls["export"].click()
    register = tmp_path / deliverable(session, "gap-register.xlsx")
    edits = read_register_edits(register).set_index("subcategory")
    assert edits.loc["PR.DS-P3", "owner"] == "CISO"


def test_export_error_is_one_line(session: Session, tmp_path: Path):
    export = ExportStep(session)
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder", encoding="utf-8")
    export.controls["folder"].value = str(blocker)
    export.controls["register"].value = False
    export.controls["export"].click()
    status = export.controls["status"].value
    assert status.count("<p") == 1
    assert "Report (.html)" in status
    assert export.written == []


# -- the session -------------------------------------------------------------------------------


def test_a_new_session_on_the_same_store_restores_everything(session: Session, store_path: Path):
    session.rate(SUB, 2, evidence="TLS scan", method="examine")
    session.set_scope("LOY-01", False)
    session.set_target("CT-P", 4)
    session.set_tier("Workforce", 1, evidence="no training")

    wizard = Wizard(Session(store_path))
    restored = wizard.session
    assert restored.ready
    assert restored.number == session.number
    rate = wizard.steps["rate"].controls
    rate["subcategory"].value = SUB
    assert rate["rating"].value == "2 Risk informed"
    assert rate["evidence"].value == "TLS scan"
    assert rate["method"].value == "examine"
    assert not wizard.steps["scope"].controls["in_scope"]["LOY-01"].value
    assert wizard.steps["profile"].controls["target"]["CT-P"].value == "4 Adaptive"
    assert wizard.steps["tiers"].controls["tier"]["Workforce"].value == "1 Partial"
    assert restored.assessment.overall == session.assessment.overall


def test_session_tells_its_listeners_what_changed(session: Session):
    seen: list[Change] = []
    session.on_change(seen.append)
    session.rate(SUB, 1)
    session.set_scope("CRM-01", False)
    session.set_target("ID-P", priority="High")
    session.set_tier("Workforce", 2)
    assert [c.kind for c in seen] == ["rating", "scope", "profile", "tier"]
    assert seen[0].key == (SUB, "")
    session.off_change(seen.append)
    session.rate(SUB, None)
    assert len(seen) == 4


def test_session_load_with_errors_keeps_no_inventory(store_path: Path, tmp_path: Path):
    session = Session(store_path)
    report = session.load(broken_inventory(tmp_path))
    assert not session.ready
    assert session.inventory is None
    errors = report[report["severity"] == "error"]
    assert "Extreme" in set(errors["value"])
    with pytest.raises(NotLoadedError, match="load one first"):
        session.rate(SUB, 2)


def test_session_pinned_to_an_assessment_keeps_it(session: Session, store_path: Path):
    pinned = Session(store_path, number=session.number)
    pinned.load(nistpf.sample_path("csv"))  # other bytes, same assessment
    assert pinned.number == session.number
    with pytest.raises(nistpf.NistpfError, match="has no assessment 7"):
        Session(store_path, number=7)
