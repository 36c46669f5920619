"""Sentences of the method that the register's Method sheet, the HTML report and the deck's
appendix all state, in one place so that they cannot drift apart."""

from __future__ import annotations

from nistpf.assessment import Assessment

LEVEL_NAMES = (
    "A figure that is a whole level when shown to two decimals carries that level's name; a "
    "figure between two levels names the band it lies in (2.92 is 'between Risk informed and "
    "Repeatable'), never the lower level as if it were achieved."
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
