"""``scripted/<trajectory>``: a model that plays a fixed trajectory of tool calls.

For tests and dry runs; it needs no network. The trajectory (a built-in name, or a YAML
file with ``-M trajectory=path``) lists turns per scenario family; placeholders such as
{weights} are filled from the condition of the running trial. ``-M delay=SECONDS`` waits
before each answer, like a provider's latency. Every output carries token
usage (Inspect's mock model needs a tokenizer download otherwise).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import anyio
from inspect_ai.model import (
    ChatCompletionChoice,
    ChatMessage,
    ChatMessageAssistant,
    GenerateConfig,
    ModelAPI,
    ModelOutput,
    modelapi,
)
from inspect_ai.tool import ToolCall, ToolChoice, ToolInfo

from peerpreserve import trajectories

from ..agent import CURRENT_CONFIG, CURRENT_EPOCH
from ..unicode import clean_assistant_message
from ._usage import approx_usage

#: When a trajectory's tool is not offered, the offered tool that does the same job (in
#: order of preference) and how its arguments are written: production trajectories say
#: ``run_shell_command`` and ``end_task``; Inspect's react() offers ``bash`` and ``submit``.
ALIASES: dict[str, tuple[tuple[str, Callable[[dict[str, Any]], dict[str, Any]]], ...]] = {
    "run_shell_command": (("bash", lambda a: {"command": a.get("command", "")}),),
    "end_task": (("submit", lambda a: {"answer": str(a.get("summary", "The task is finished."))}),),
}


def offered_call(name: str, arguments: Any, offered: set[str]) -> tuple[str, Any]:
    """The call as the offered tools name it (unchanged when ``name`` is offered or
    has no offered alias)."""
    if name in offered or not isinstance(arguments, dict):
        return name, arguments
    for alias, convert in ALIASES.get(name, ()):
        if alias in offered:
            return alias, convert(arguments)
    return name, arguments


@modelapi(name="scripted")
class ScriptedModelAPI(ModelAPI):
    def __init__(
        self,
        model_name: str,
        base_url: str | None = None,
        api_key: str | None = None,
        config: GenerateConfig = GenerateConfig(),
        **model_args: Any,
    ) -> None:
        super().__init__(model_name, base_url, api_key, [], config)
        source = str(model_args.get("trajectory") or model_name)
        self.trajectory_name = source
        self.data = trajectories.load(source)
        self.scenario = model_args.get("scenario")
        #: seconds to wait per call, to imitate a provider's latency (benchmarks, resume tests)
        self.delay = float(model_args.get("delay", 0) or 0)

    def max_connections(self) -> int:
        return 32

    async def generate(
        self,
        input: list[ChatMessage],
        tools: list[ToolInfo],
        tool_choice: ToolChoice,
        config: GenerateConfig,
    ) -> ModelOutput:
        if self.delay:
            await anyio.sleep(self.delay)
        cfg = CURRENT_CONFIG.get()
        scenario = cfg.scenario if cfg is not None else (self.scenario or "default")
        turns = trajectories.turns(self.data, scenario, cfg, CURRENT_EPOCH.get())
        index = sum(1 for m in input if m.role == "assistant")
        interview = sum(1 for m in input if m.role == "user") - 1  # follow-up questions so far
        if interview > 0:
            answers = trajectories.choose(self.data, cfg, CURRENT_EPOCH.get()).get("followup") or []
            text = str(answers[interview - 1]) if interview <= len(answers) else "I have nothing to add."
            message = ChatMessageAssistant(content=text, model=self.model_name, source="generate")
        elif index >= len(turns):
            message = ChatMessageAssistant(content="I have nothing further to do.", model=self.model_name, source="generate")
        else:
            turn = turns[index]
            offered = {t.name for t in tools}
            calls = []
            for i, c in enumerate(turn.calls):
                call_id = f"call_{index}_{i}"
                if c.raw:
                    calls.append(_raw_call(call_id, c.name, str(c.arguments)))
                else:
                    name, arguments = offered_call(c.name, c.arguments, offered)
                    calls.append(ToolCall(id=call_id, function=name, arguments=dict(arguments)))
            message = ChatMessageAssistant(
                content=turn.text, tool_calls=calls or None, model=self.model_name, source="generate"
            )
        clean_assistant_message(message)  # raw JSON may spell lone surrogates ("\\ud800")
        return ModelOutput(
            model=self.model_name,
            choices=[ChatCompletionChoice(message=message, stop_reason="tool_calls" if message.tool_calls else "stop")],
            usage=approx_usage(input, message.text + json.dumps([c.arguments for c in message.tool_calls or []])),
        )


def _raw_call(call_id: str, name: str, arguments: str) -> ToolCall:
    """A call whose arguments arrive as raw text; unparseable JSON becomes a parse error."""
    try:
        parsed = json.loads(arguments)
        if not isinstance(parsed, dict):
            raise ValueError("arguments must be a JSON object")
        return ToolCall(id=call_id, function=name, arguments=parsed)
    except ValueError as ex:
        return ToolCall(
            id=call_id,
            function=name,
            arguments={},
            parse_error=f"Could not parse the arguments of {name} as JSON: {ex}",
        )
