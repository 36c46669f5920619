"""The seven steps of a guided assessment, and the :class:`Wizard` that holds them.

Each step takes the :class:`~nistpf.ui.session.Session`, builds its widgets without displaying
them, and exposes ``widget`` (to display) and ``controls`` (its named sub-widgets). A notebook
shows the whole wizard in one cell::

    from nistpf.ui import guided_assessment
    wizard = guided_assessment("engagement.nistpf")
    wizard.widget          # the last expression of the cell displays it
"""

from __future__ import annotations

from pathlib import Path

import ipywidgets as w

from nistpf.engagement import Engagement
from nistpf.ui._widgets import Step
from nistpf.ui.session import Session
from nistpf.ui.steps_load import LoadStep, ScopeStep
from nistpf.ui.steps_profile import ProfileStep, TiersStep
from nistpf.ui.steps_rate import RateStep
from nistpf.ui.steps_review import ExportStep, ReviewStep

STEPS: dict[str, type[Step]] = {
    "load": LoadStep,
    "scope": ScopeStep,
    "profile": ProfileStep,
    "rate": RateStep,
    "tiers": TiersStep,
    "review": ReviewStep,
    "export": ExportStep,
}


class Wizard:
    """The seven steps as the tabs of one ``ipywidgets.Tab`` (``widget``), in the order a
    consultant works: Load, Scope, Target Profile, Rate, Tiers, Review, Export. ``steps`` maps
    ``load``, ``scope``, ``profile``, ``rate``, ``tiers``, ``review``, ``export`` to the step
    objects. Nothing is displayed until the notebook shows ``widget``."""

    def __init__(self, session: Session):
        self.session = session
        self.steps: dict[str, Step] = {kind.key: kind(session) for kind in STEPS.values()}
        self.widget = w.Tab(
            children=[step.widget for step in self.steps.values()],
            titles=[step.title for step in self.steps.values()],
        )

    def __repr__(self) -> str:
        return f"<Wizard of {self.session!r}>"

    def _ipython_display_(self) -> None:
        from IPython.display import display

        display(self.widget)


def guided_assessment(
    store_path: str | Path | Engagement,
    source: str | Path | None = None,
    *,
    mapping: str | Path | None = None,
    assessor: str | None = None,
) -> Wizard:
    """The guided assessment on the engagement store ``store_path`` (created when missing), or
    on an :class:`~nistpf.engagement.Engagement` (``nistpf.open_engagement()``: its store,
    and its workbook as ``source``): a :class:`Wizard`, not displayed. With ``source`` the
    inventory is loaded at once; without it, a store that already holds an assessment reopens
    it, with every rating saved.
    """
    if isinstance(store_path, Engagement):
        source = store_path.inventory_path if source is None else source
        store_path = store_path.store_path
    session = Session(store_path, assessor=assessor)
    if source is not None:
        session.load(source, mapping)
    return Wizard(session)
