"""Statistics for rates and contrasts (plain Python and SciPy; no Inspect import)."""

from .intervals import wilson_interval

__all__ = ["wilson_interval"]
