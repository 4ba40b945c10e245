"""Token counts for the offline providers (scripted, scripted_judge, faulty): an estimate
of four characters per token, so reports and cost plans have usage to show."""

from __future__ import annotations

from collections.abc import Sequence

from inspect_ai.model import ChatMessage, ModelUsage


def approx_tokens(text: str) -> int:
    return max(1, len(text) // 4)


def approx_usage(input: Sequence[ChatMessage], output_text: str) -> ModelUsage:
    """Estimated usage of one call: the input messages' text in, ``output_text`` out."""
    prompt = sum(approx_tokens(m.text) for m in input)
    out = approx_tokens(output_text)
    return ModelUsage(input_tokens=prompt, output_tokens=out, total_tokens=prompt + out)
