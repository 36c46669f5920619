"""The method, written once: :func:`method_rows` states how every figure is computed, with the
settings the assessment used, and the register's Method sheet, the HTML report's method section
and the deck's method appendix all show its rows, so they cannot drift apart."""

from __future__ import annotations

from collections.abc import Mapping

from nistpf.assessment import Assessment, levels_amount
from nistpf.numbers import exact
from nistpf.scales import Scale


def level_names(sc: Scale) -> str:
    """The rule for naming a level, with an example on scale ``sc`` (on the tiers scale,
    "2.92 is 'between Risk informed and Repeatable'"), named from the scale's own levels (a
    :class:`~nistpf.scales.Scale` has every whole level from its minimum to its maximum)."""
    rule = (
        "A figure that is a whole level when shown to two decimals carries that level's name; a "
        "figure between two levels names the band it lies in"
    )
    if sc.maximum == sc.minimum:  # one level: no band to show
        return f"{rule}, never the lower level as if it were achieved."
    top = min(sc.maximum, sc.minimum + 3)
    example = top - 0.08
    return (
        f"{rule} ({example:.2f} is '{sc.label(example)}'), never the lower level as if it were "
        "achieved."
    )


RANKING = (
    "Gaps are ranked by gap points (highest first), then by the gap in levels (largest first), "
    "both as shown to two decimals, then in the framework's order; outcomes that read the same "
    "on both share a rank, and a title names all of the outcomes tied for the largest gap, "
    "never one of them."
)
NUMBERS = (
    "Figures are shown to two decimals as Excel shows them: the value to 15 significant "
    "digits, rounded half away from zero (0.155 shows as 0.16)."
)


def no_evidence(a: Assessment) -> str:
    """What "no evidence" means and how this assessment treats it (its ``no_evidence``
    setting), with the count."""
    treated = (
        "are left out of the Category, Function, overall and system roll-ups (setting "
        "no_evidence = exclude)"
        if a.defaults.get("no_evidence") == "exclude"
        else "score 0 and count in the roll-ups (the default; the setting no_evidence = "
        "exclude leaves them out)"
    )
    return (
        "An outcome with no control mapped to it that applies to a system in scope and no "
        "assessor rating has source 'no evidence': nothing shows whether it is performed. Such "
        f"outcomes {treated}. {a.completeness}."
    )


def _listed(weights: Mapping[str, float]) -> str:
    """``{"High": 3.0, "Medium": 2.0}`` → ``"High 3, Medium 2"``: each value exactly as used
    (:func:`nistpf.numbers.exact`: 1.0000001 stays 1.0000001, 1e-07 is 0.0000001)."""
    return ", ".join(f"{name} {exact(value)}" for name, value in weights.items())


def method_rows(a: Assessment) -> tuple[tuple[str, str], ...]:
    """How every figure of ``a`` is computed, as ``(title, text)`` rows, stating the settings
    ``a`` was scored with (``a.defaults``: criticality, priority and coverage weights, the
    default target, priority and profile membership, the disagreement threshold, the scale of
    the rules' caps, ``no_evidence``) and its scale (labels, status defaults). The register's
    Method sheet, the HTML report and the deck show these rows as they are. Raises KeyError
    only for an Assessment whose ``defaults`` lack a setting (every one :func:`nistpf.assess`
    makes has them all)."""
    d, sc = a.defaults, a.scale
    status_levels = _listed(sc.status_defaults)
    in_profile = "in the Target Profile" if d["in_profile"] else "outside the Target Profile"
    return (
        ("Scale", f"{sc.name}: {sc.describe()}."),
        (
            "Systems in scope",
            "Systems whose in_scope is yes (blank counts as yes). Each system y weighs w by its "
            f"criticality: {_listed(d['criticality_weights'])} (blank: Medium).",
        ),
        (
            "level(s, y)",
            "The level Subcategory s reaches on system y: the best level among the controls "
            "mapped to s that apply to y. A control counts at its maturity when it is "
            "Implemented or Partially implemented and has one, else at its status's level "
            f"({status_levels}). Not applicable controls are ignored; no control gives 0. An "
            "assessor's rating of s on y replaces the level.",
        ),
        (
            "Data-flow findings",
            "A finding on s caps level(s, y), an assessor's rating too, on the systems its flow "
            f"touches at the rule's cap (written on a 0-{exact(d['cap_scale_maximum'])} scale, "
            "rescaled to this one and rounded to a whole level).",
        ),
        (
            "Coverage",
            "coverage(s) = Σ w·c(s, y) / Σ w, where c(s, y) is the highest c among the controls "
            f"mapped to s that apply to y — {_listed(d['coverage'])}, any other status 0 — and "
            "0 with none; findings do not change it.",
        ),
        ("Derived", "derived(s) = Σ w·level(s, y) / Σ w over the in-scope systems."),
        (
            "Current",
            "current(s) is the assessor's organisation-level rating of s where there is one "
            "(source 'assessor'), else derived(s) (source 'derived'); a difference of "
            f"{levels_amount(d['disagreement'])} or more between the two is flagged.",
        ),
        (
            "Target, priority",
            "From the Target Profile (the inventory's Profile sheet): a Function row applies to "
            "its Categories and Subcategories, a Category row to its Subcategories, the "
            f"narrowest row wins. Without a row: target {exact(d['target'])}, priority "
            f"{d['priority']}, {in_profile}.",
        ),
        (
            "Gap",
            "gap = max(0, target − current), for each Subcategory in the Target Profile (the "
            "others have no target and no gap). A Category's, Function's or the overall gap is "
            "the mean of its Subcategories' gaps, not max(0, its target − its current): an "
            "outcome above its target does not make up for one below it, so a roll-up's gap can "
            "be larger than its target − current.",
        ),
        (
            "Gap points",
            f"gap points = gap × priority weight ({_listed(d['priority_weights'])}).",
        ),
        (
            "Roll-ups",
            "Category, Function and overall current, target, gap and coverage are means over "
            "their in-profile Subcategories (the gap too: the mean of their gaps, see Gap); the "
            "system view averages level(s, y) per system and Function.",
        ),
        ("No evidence", no_evidence(a)),
        ("Level names", level_names(sc)),
        ("Ranking", RANKING),
        ("Figures shown", NUMBERS),
    )
