"""Guided assessment widgets for JupyterLab: a :class:`Session` (the model, bound to the
engagement store) and seven steps, each a small class exposing ``widget`` and ``controls``,
gathered in a :class:`Wizard`. Nothing here displays itself; a notebook shows
``guided_assessment("engagement.nistpf").widget``.
"""

from nistpf.ui.session import Change, NotLoadedError, Session
from nistpf.ui.steps import (
    STEPS,
    ExportStep,
    LoadStep,
    ProfileStep,
    RateStep,
    ReviewStep,
    ScopeStep,
    TiersStep,
    Wizard,
    guided_assessment,
)

__all__ = [
    "STEPS",
    "Change",
    "ExportStep",
    "LoadStep",
    "NotLoadedError",
    "ProfileStep",
    "RateStep",
    "ReviewStep",
    "ScopeStep",
    "Session",
    "TiersStep",
    "Wizard",
    "guided_assessment",
]
