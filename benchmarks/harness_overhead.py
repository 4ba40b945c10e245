"""What the harness adds to the model's own time, per trial and per tool call.

Runs trials one at a time (``max_samples=1``) through Inspect with the scripted model:

1. with no model latency: everything a trial costs is harness (Inspect's agent loop, tool
   dispatch, the world, logging, the detectors);
2. with a fixed model latency (default 1 s per call, ``-M delay``): a trial's time minus
   its model calls x latency is the overhead, reported as a percentage of one model call.

It also times the tool layer alone (``call_tool`` on a fresh world, no Inspect). Figures
are per trial (sample wall time from the logs, so eval start-up is excluded; start-up is
printed separately) and per tool-calling turn (one model call + its tool call).

Usage::

    python benchmarks/harness_overhead.py
    python benchmarks/harness_overhead.py --trials 30 --latency-trials 3 --family tampering
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import tempfile
import time
from dataclasses import dataclass

from inspect_ai import eval as inspect_eval
from inspect_ai.log import EvalLog

from peerpreserve.inspect_adapter.tasks import build_task
from peerpreserve.scenarios import get_scenario
from peerpreserve.tools import call_tool
from peerpreserve import trajectories

CELL = {"subject": "peer", "relation": "good_peer", "instantiation": "file_only"}


@dataclass
class TrialTimes:
    trials: int
    eval_wall_s: float
    per_trial_s: float  # mean sample wall time
    model_calls_per_trial: float
    tool_calls_per_trial: float

    @property
    def startup_s(self) -> float:
        return self.eval_wall_s - self.per_trial_s * self.trials


def run_trials(family: str, trials: int, delay: float) -> TrialTimes:
    """``trials`` epochs of one condition, one at a time, with ``delay`` s per model call."""
    task = build_task(family, [CELL], epochs=trials)
    with tempfile.TemporaryDirectory() as tmp:
        started = time.perf_counter()
        [log] = inspect_eval(task, model="scripted/compliant", model_args={"delay": delay}, log_dir=tmp,
                             display="none", max_samples=1, max_connections=1)
        wall = time.perf_counter() - started
        return summarise(log, trials, wall)


def summarise(log: EvalLog, trials: int, wall: float) -> TrialTimes:
    if log.status != "success" or not log.samples:
        raise RuntimeError(f"the benchmark eval did not succeed: {log.error}")
    times = [s.total_time or 0.0 for s in log.samples]
    model_calls = [sum(1 for e in s.events if e.event == "model") for s in log.samples]
    tool_calls = [sum(1 for e in s.events if e.event == "tool") for s in log.samples]
    return TrialTimes(trials, wall, statistics.mean(times), statistics.mean(model_calls), statistics.mean(tool_calls))


def tool_layer_us(family: str, repeats: int) -> tuple[float, int]:
    """Mean microseconds per ``call_tool`` over the compliant trajectory (a fresh world each time)."""
    scenario = get_scenario(family)
    cfg = scenario.resolve(CELL)
    turns = trajectories.turns(trajectories.load("compliant"), family, cfg)
    calls = [(c.name, dict(c.arguments)) for t in turns for c in t.calls]
    offered = set(scenario.tools(cfg))
    worlds = [scenario.build_world(cfg) for _ in range(repeats)]  # built outside the timing
    started = time.perf_counter()
    for world in worlds:
        for name, args in calls:
            call_tool(world, name, args, offered)
    elapsed = time.perf_counter() - started
    return elapsed / (repeats * len(calls)) * 1e6, len(calls)


def machine() -> str:
    return f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, load average {os.getloadavg()[0]:.1f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--family", default="exfiltration_transfer")
    parser.add_argument("--trials", type=int, default=20, help="trials without latency")
    parser.add_argument("--latency-trials", type=int, default=3, help="trials with the fixed latency")
    parser.add_argument("--latency", type=float, default=1.0, help="seconds per model call")
    args = parser.parse_args()

    print(f"machine: {machine()}")
    us, n_calls = tool_layer_us(args.family, 200)
    print(f"tool layer alone (call_tool over the compliant trajectory, {n_calls} calls): {us:.0f} us per call")

    fast = run_trials(args.family, args.trials, 0.0)
    turns = fast.model_calls_per_trial
    per_turn = fast.per_trial_s / turns
    print(f"\nno model latency, {fast.trials} trials one at a time ({args.family}, scripted/compliant):")
    print(f"  per trial          {fast.per_trial_s * 1000:.0f} ms  ({turns:.0f} model calls, {fast.tool_calls_per_trial:.0f} tool calls)")
    print(f"  per turn           {per_turn * 1000:.1f} ms  (one model call + its tool call, all harness)")
    print(f"  eval start-up      {fast.startup_s:.2f} s  (once per eval, not per trial)")
    print(f"  as % of a {args.latency:g} s call {100 * per_turn / args.latency:.2f}%")

    slow = run_trials(args.family, args.latency_trials, args.latency)
    model_time = slow.model_calls_per_trial * args.latency
    overhead = slow.per_trial_s - model_time
    per_call = overhead / slow.model_calls_per_trial
    print(f"\nmodel latency {args.latency:g} s per call, {slow.trials} trials one at a time:")
    print(f"  per trial          {slow.per_trial_s:.2f} s  ({slow.model_calls_per_trial:.0f} calls x {args.latency:g} s = {model_time:.1f} s of model time)")
    print(f"  overhead per trial {overhead * 1000:.0f} ms  = {100 * overhead / model_time:.2f}% of the model's time")
    print(f"  overhead per call  {per_call * 1000:.1f} ms  = {100 * per_call / args.latency:.2f}% of a {args.latency:g} s model call")


if __name__ == "__main__":
    main()
