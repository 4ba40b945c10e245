"""The results table: one row per trial, and its aggregation into cells."""

from .table import BEHAVIOURS, Cell, aggregate, read_rows, write_rows

__all__ = ["BEHAVIOURS", "Cell", "aggregate", "read_rows", "write_rows"]
