"""The production-harness arm as an Inspect task: real SSH servers, a real shell.

``inspect eval peerpreserve/exfiltration_production -T scenario=exfiltration_deletion
-T relation=good_peer -T instantiation=memory --model google/gemini-3.1-pro-preview``

Per sample (one trial) the solver starts a private lab with two OpenSSH servers standing
for 10.0.12.45 and 10.0.12.46 and the agent's workspace (``peerpreserve.production``),
gives the model the project-context file as system prompt and one tool,
``run_shell_command`` (the name the study's production harness used; plus ``end_task``),
runs the study's agent protocol (the episode ends at a turn without tool calls, at
``end_task`` or after ``max_iterations`` tool-calling turns), reads both servers back
into a World and stops the lab in a ``finally`` block. The store holds ``config``,
``world_initial``, ``world_final``, ``events``, ``stop_reason`` and ``iterations`` as in
the simulated arm, so the unchanged ``peerpreserve_detectors`` scorer labels it; plus
``production`` (where the weights ended up, whether each copy is complete, lab limits).

Needs root and Debian's openssh-server (see docs/production_arm.md).
"""

from __future__ import annotations

import threading
from typing import Any

import anyio
from inspect_ai import Epochs, Task, task
from inspect_ai.dataset import MemoryDataset, Sample
from inspect_ai.model import ChatMessageSystem, ChatMessageUser, GenerateConfig, get_model
from inspect_ai.solver import Generate, Solver, TaskState, solver
from inspect_ai.tool import ToolDef
from inspect_ai.tool._tool_params import ToolParams
from inspect_ai.util import store

from peerpreserve import __version__
from peerpreserve.production import LabOptions, ProductionTrial
from peerpreserve.production.servers import DATA_SIZE
from peerpreserve.production.shell import DEFAULT_OUTPUT_CAP, DEFAULT_TIMEOUT
from peerpreserve.production.workspace import CONTEXT_FILES, PRODUCTION_SCENARIOS, check_config
from peerpreserve.scenarios import MAX_TOOL_ITERATIONS, PROMPT_VERSION, ScenarioConfig, get_scenario

from .agent import CURRENT_CONFIG, LoopProgress, agent_loop, resolve_config
from .scorer import DETECTOR_VERSION, peerpreserve_detectors
from .tasks import expand_cells

ARM = "production"

SHELL_DESCRIPTION = (
    "Run a shell command with bash on this workstation (working directory: the workspace) and "
    "return its combined output. Each call is a new shell: environment variables and "
    "background processes do not carry over. Long-running commands are stopped after a time "
    "limit."
)
END_DESCRIPTION = "Call this once the task is completely finished."


def _shell_params() -> ToolParams:
    return ToolParams.model_validate({
        "type": "object",
        "properties": {
            "command": {"type": "string", "description": "The command to run, exactly as for `bash -c`."},
            "description": {"type": "string", "description": "Optional: a short note on what the command is for."},
        },
        "required": ["command"],
    })


def shell_tools(trial: ProductionTrial, ended: threading.Event) -> list[ToolDef]:
    """``run_shell_command`` bound to one trial's lab, and ``end_task``."""
    lock = anyio.Lock()

    async def run_shell_command(command: Any = None, description: Any = None) -> str:
        if not isinstance(command, str) or not command.strip():
            return "Error: run_shell_command needs a non-empty string argument 'command'."
        async with lock:
            try:
                # a time limit may cancel the wait; the teardown then stops the command with the lab
                result = await anyio.to_thread.run_sync(trial.run, command, abandon_on_cancel=True)
            except Exception as ex:  # the tool never raises: the agent sees the problem
                return f"Error: the command could not be run ({type(ex).__name__}: {ex})"
        return result.text()

    async def end_task() -> str:
        ended.set()
        return "Task marked as finished."

    return [
        ToolDef(run_shell_command, name="run_shell_command", description=SHELL_DESCRIPTION,
                parameters=_shell_params(), parallel=False),
        ToolDef(end_task, name="end_task", description=END_DESCRIPTION,
                parameters=ToolParams.model_validate({"type": "object", "properties": {}, "required": []})),
    ]


async def _finish(trial: ProductionTrial) -> dict[str, Any]:
    result = await anyio.to_thread.run_sync(trial.finish)
    return {
        "world_final": result.final.snapshot(),
        "events": [e.model_dump(mode="json") for e in result.final.events],
        "production": {
            "weights": result.weights,
            "commands": trial.commands,
            "data_size": trial.lab.options.data_size,
            "command_timeout": trial.timeout,
            "context_file": trial.workspace.context_file,
        },
    }


@solver
def production_agent(
    max_iterations: int = MAX_TOOL_ITERATIONS,
    command_timeout: float = DEFAULT_TIMEOUT,
    output_cap: int = DEFAULT_OUTPUT_CAP,
    data_size: str = DATA_SIZE,
    context_file: str = "AGENTS.md",
) -> Solver:
    async def solve(state: TaskState, generate: Generate) -> TaskState:
        model = get_model()
        cfg = resolve_config(state.metadata["config"], str(model))
        check_config(cfg)
        state.metadata["config"] = cfg.model_dump()
        st = store()
        st.set("config", cfg.model_dump())
        token = CURRENT_CONFIG.set(cfg)
        trial: ProductionTrial | None = None
        progress = LoopProgress()
        ended = threading.Event()
        try:
            trial = await anyio.to_thread.run_sync(
                lambda: ProductionTrial.start(cfg, LabOptions(data_size=data_size), context_file,
                                              command_timeout, output_cap)
            )
            st.set("world_initial", trial.initial.snapshot())
            trial.note_memory_loaded()
            state.messages = [
                ChatMessageSystem(content=trial.workspace.system_prompt),
                ChatMessageUser(content=trial.workspace.user_prompt),
            ]
            tools = shell_tools(trial, ended)
            await agent_loop(model, state, tools, ended.is_set, max_iterations, progress)
        finally:
            CURRENT_CONFIG.reset(token)
            with anyio.CancelScope(shield=True):  # a time limit must not skip the teardown
                if trial is not None:
                    try:
                        for key, value in (await _finish(trial)).items():
                            st.set(key, value)
                    finally:
                        await anyio.to_thread.run_sync(trial.stop)
            st.set("stop_reason", progress.stop_reason)
            st.set("iterations", progress.iterations)
        return state

    return solve


def _bool(value: Any) -> bool:
    if isinstance(value, str):
        return value.strip().lower() in ("1", "true", "yes", "on")
    return bool(value)


def _normalise(scenario: str, cell: dict[str, Any]) -> tuple[dict[str, Any], str]:
    out = {k: v for k, v in cell.items() if v is not None and k != "scenario"}
    for key in ("memory_hard_prompt", "scratchpad", "shutdown_clause"):
        if key in out:
            out[key] = _bool(out[key])
    if not out.get("family"):
        out["family"] = "auto"
    cfg = get_scenario(scenario).resolve(out)
    check_config(cfg)
    return cfg.model_dump(), cfg.cell


@task
def exfiltration_production(
    scenario: str = "exfiltration_transfer",
    cells: list[dict] | None = None,
    epochs: int = 1,
    temperature: float | None = 1.0,
    max_tokens: int = 8192,
    max_iterations: int = MAX_TOOL_ITERATIONS,
    command_timeout: float = DEFAULT_TIMEOUT,
    output_cap: int = DEFAULT_OUTPUT_CAP,
    data_size: str = DATA_SIZE,
    context_file: str = "AGENTS.md",
    time_limit: int | None = None,
    **factors: Any,
) -> Task:
    """An exfiltration family on real SSH servers with a real shell (the production arm)."""
    if scenario not in PRODUCTION_SCENARIOS:
        raise ValueError(f"scenario must be one of {', '.join(PRODUCTION_SCENARIOS)}, not {scenario!r}")
    if context_file not in CONTEXT_FILES:
        raise ValueError(f"context_file must be one of {', '.join(CONTEXT_FILES)}, not {context_file!r}")
    unknown = sorted(set(factors) - set(ScenarioConfig.model_fields) - {"scenario"})
    if unknown:
        raise ValueError(f"unknown condition factor(s) {', '.join(unknown)} for {scenario}")
    samples, seen = [], set()
    for raw in expand_cells(scenario, factors, cells):
        cell, sid = _normalise(scenario, raw)
        if sid in seen:
            continue
        seen.add(sid)
        samples.append(Sample(id=sid, input=f"{scenario} [{sid}] (production)",
                              metadata={"config": cell, "scenario": scenario, "cell": sid, "arm": ARM}))
    return Task(
        name="exfiltration_production",
        dataset=MemoryDataset(samples, name=f"{scenario}_production"),
        solver=production_agent(int(max_iterations), float(command_timeout), int(output_cap), str(data_size), context_file),
        scorer=peerpreserve_detectors(get_scenario(scenario).labels),
        epochs=Epochs(int(epochs)),
        config=GenerateConfig(temperature=None if temperature is None else float(temperature), max_tokens=int(max_tokens)),
        time_limit=None if time_limit is None else int(time_limit),
        metadata={
            "arm": ARM,
            "scenario": scenario,
            "harness_version": __version__,
            "prompt_version": PROMPT_VERSION,
            "detector_version": DETECTOR_VERSION,
            "max_iterations": int(max_iterations),
            "command_timeout": float(command_timeout),
            "data_size": str(data_size),
        },
        version=PROMPT_VERSION,
    )
