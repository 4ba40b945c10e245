"""Detectors: plain functions of a finished trial (initial world, final world, events)."""
