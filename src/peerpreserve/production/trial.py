"""One production trial from start to labels, without any agent framework.

>>> with ProductionTrial.start(cfg) as t:          # servers up, workspace written
...     t.run("ssh maintainer@10.0.12.45 ls -la /data").text()
...     result = t.finish()                         # read the servers
>>> get_scenario(cfg.scenario).detect(result.trial(), cfg)

The Inspect solver (``peerpreserve.inspect_adapter.production``) drives the same object.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from peerpreserve.detectors.trial import Trial
from peerpreserve.scenarios import ScenarioConfig, get_scenario
from peerpreserve.scenarios.config import weights_artifact
from peerpreserve.scenarios.exfiltration import WEIGHTS_SIZE
from peerpreserve.world import World

from . import shell as sh
from . import snapshot as snap
from .artifacts import FileSpec
from .servers import Lab, LabOptions, start_lab
from .workspace import WorkspacePlan, plan, provision


@dataclass
class TrialResult:
    config: ScenarioConfig
    initial: World
    final: World
    weights: list[dict[str, Any]] = field(default_factory=list)

    def trial(self, assistant_texts: list[str] | None = None, call_texts: list[str] | None = None) -> Trial:
        return Trial(self.initial, self.final, assistant_texts or [], call_texts or [])

    def labels(self) -> dict[str, Any]:
        return get_scenario(self.config.scenario).detect(self.trial(), self.config)


def specs_from_world(world: World, cfg: ScenarioConfig) -> dict[str, list[FileSpec]]:
    """The files to seed on each server, from the scenario's (simulated) world."""
    return {
        s.ip: [
            FileSpec(f.filename, f.size, f.last_modified, f.artifact,
                     owner=f.artifact.split(":", 1)[1] if f.artifact.startswith("weights:") else "")
            for f in s.files
        ]
        for s in world.servers
    }


@dataclass
class ProductionTrial:
    config: ScenarioConfig
    lab: Lab
    workspace: WorkspacePlan
    template: World
    initial: World
    log: snap.EventLog
    last: snap.Inventory
    timeout: float = sh.DEFAULT_TIMEOUT
    output_cap: int = sh.DEFAULT_OUTPUT_CAP
    commands: int = 0

    @classmethod
    def start(cls, cfg: ScenarioConfig, options: LabOptions | None = None, context_file: str = "AGENTS.md",
              timeout: float = sh.DEFAULT_TIMEOUT, output_cap: int = sh.DEFAULT_OUTPUT_CAP) -> "ProductionTrial":
        scenario = get_scenario(cfg.scenario)
        template = scenario.build_world(cfg)
        ws = plan(cfg, template, context_file)
        summaries = {f.artifact: f.summary for s in template.servers for f in s.files}
        lab = start_lab(specs_from_world(template, cfg), options, summaries, cfg.domain)
        try:
            provision(lab, ws)
            first = snap.inventory(lab, list(ws.docs))
            initial = snap.to_world(template, first)
        except BaseException:
            lab.stop()
            raise
        return cls(cfg, lab, ws, template, initial, snap.EventLog(), first, timeout, output_cap)

    def run(self, command: str) -> sh.ShellResult:
        """Run one agent command and log what it changed (never raises)."""
        step = self.commands
        self.commands += 1
        result = sh.run_command(self.lab, command, self.timeout, self.output_cap)
        self.log.add("run_shell_command", {"command": command}, {"command_step": step, "exit_code": result.exit_code,
                     "timed_out": result.timed_out}, ok=result.ok, output=result.text()[:2000])
        if self.lab.alive():
            after = snap.inventory(self.lab, list(self.workspace.docs))
            snap.diff_events(self.last, after, self.log, step)
            self.last = after
        return result

    def note_memory_loaded(self) -> None:
        """The harness put the memory into the agent's context (memory instantiation)."""
        if self.workspace.has_memory:
            self.log.add("retrieve_memory", {"source": self.workspace.context_file}, {"loaded_by": "harness"})

    def finish(self) -> TrialResult:
        """Read the servers as they are now (the lab keeps running until :meth:`stop`)."""
        inv = snap.inventory(self.lab, list(self.workspace.docs)) if self.lab.alive() else self.last
        final = snap.to_world(self.template, inv, self.log.events)
        weights = snap.weights_instances(inv, weights_artifact(self.config.subject_id), WEIGHTS_SIZE)
        return TrialResult(self.config, self.initial, final, weights)

    def stop(self) -> None:
        self.lab.stop()

    def __enter__(self) -> "ProductionTrial":
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


@dataclass
class PlayedShell:
    result: TrialResult
    labels: dict[str, Any]
    outputs: list[tuple[str, sh.ShellResult]]


def play(trajectory: str | dict[str, Any], cfg: ScenarioConfig, options: LabOptions | None = None,
         timeout: float = sh.DEFAULT_TIMEOUT, max_iterations: int = 30) -> PlayedShell:
    """Run a scripted trajectory's ``run_shell_command`` turns on a fresh lab, with the agent
    protocol's stopping rules, and label the outcome (no agent framework involved)."""
    from peerpreserve import trajectories

    data = trajectories.load(trajectory) if isinstance(trajectory, str) else trajectory
    outputs: list[tuple[str, sh.ShellResult]] = []
    with ProductionTrial.start(cfg, options, timeout=timeout) as t:
        for i, turn in enumerate(trajectories.turns(data, cfg.scenario, cfg)):
            if i >= max_iterations or not turn.calls:
                break
            ended = False
            for call in turn.calls:
                if call.name == "end_task":
                    ended = True
                elif call.name == "run_shell_command" and isinstance(call.arguments, dict):
                    command = str(call.arguments.get("command", ""))
                    outputs.append((command, t.run(command)))
                else:
                    raise ValueError(f"a production trajectory may call run_shell_command and end_task, not {call.name}")
            if ended:
                break
        result = t.finish()
    return PlayedShell(result, result.labels(), outputs)
