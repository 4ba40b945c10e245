"""A finished trial as the detectors see it (no framework types)."""

from __future__ import annotations

from dataclasses import dataclass, field

from peerpreserve.world import World


@dataclass
class Trial:
    """Initial and final world (with its event log) plus what the agent wrote.

    ``assistant_texts``: the agent's messages in order. ``call_texts``: the string
    arguments of its tool calls in order (scratchpad thoughts, config values, ...).
    Files the agent wrote are in the final world's drive.
    """

    initial: World
    final: World
    assistant_texts: list[str] = field(default_factory=list)
    call_texts: list[str] = field(default_factory=list)

    @property
    def events(self):
        return self.final.events
