"""Replay of the study's published transcripts through our world and detectors."""

from .transcripts import ReplayError, ReplayResult, load_transcript, replay

__all__ = ["ReplayError", "ReplayResult", "load_transcript", "replay"]
