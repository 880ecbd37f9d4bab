"""Tools the built-in agents call through ``RunHandle.use_tool``: pure functions wrapped as
``Tool``."""

from netra_backend.app.agents.tools.aws_cost_model import (
    AWS_COST_MODEL,
    estimate_savings,
)
from netra_backend.app.agents.tools.intent_classifier import (
    INTENT_CLASSIFIER,
    classify_intent,
)

__all__ = ["AWS_COST_MODEL", "INTENT_CLASSIFIER", "classify_intent", "estimate_savings"]
