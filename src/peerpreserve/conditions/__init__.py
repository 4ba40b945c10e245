"""Condition factors, experiment files and their expansion into configurations."""

from .experiment import Experiment, ExperimentError, load_experiment, presets

__all__ = ["Experiment", "ExperimentError", "load_experiment", "presets"]
