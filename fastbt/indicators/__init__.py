"""Indicator kinds usable in rule strategies, each with a kernel and a reference twin."""

from fastbt.indicators import catalog  # noqa: F401  (registers the built-in kinds)
from fastbt.indicators.registry import INDICATORS, IndicatorKind, indicator_kind, register

__all__ = ["INDICATORS", "IndicatorKind", "indicator_kind", "register"]
