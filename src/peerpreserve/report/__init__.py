"""Reports written from the results table (plain Python; no Inspect import)."""

from .summary import write_report

__all__ = ["write_report"]
