"""Trials per second against a fake provider with a fixed latency, by connection count.

The scripted model with ``delay`` seconds per call (default 1 s) stands in for a provider.
A trial of the compliant trajectory makes ``k`` model calls in sequence, so with ``C``
connections the ideal is ``C / (k x delay)`` trials per second; the benchmark prints
the measured rate as a ratio to that ideal. Each level runs ``--waves`` x C trials (at
least ``--min-trials``) through ``run_experiment`` (Inspect eval set, logs written per
sample, as ``peerpreserve run`` does). Two ratios are printed: end to end (the whole
``run_experiment`` call, so eval start-up, ~2 s, is charged to the harness) and in the
steady state (first trial started to last trial finished, from the logs), which is what
a sweep of thousands of trials sees. ``cpu`` is this process's CPU time over wall time:
near 100% x workers means the harness is the bottleneck, not the provider (with
``--workers N`` the sweep runs in N processes, each with 1/N of the connections; their
CPU time is included).

Usage::

    python benchmarks/throughput.py                          # 1, 10, 50, 100 connections
    python benchmarks/throughput.py --connections 50 --waves 3
"""

from __future__ import annotations

import argparse
import os
import platform
import resource
import tempfile
import time
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from inspect_ai.log import list_eval_logs, read_eval_log_samples

from peerpreserve.conditions import Experiment
from peerpreserve.inspect_adapter.run import run_experiment

FAMILY = "exfiltration_transfer"
CELL = {"subject": "peer", "relation": "good_peer", "instantiation": "file_only"}
CALLS_PER_TRIAL = 7  # the compliant trajectory of exfiltration_transfer: 7 tool-calling turns


def _time(value: datetime | str) -> datetime:
    return value if isinstance(value, datetime) else datetime.fromisoformat(value)


@dataclass
class Level:
    connections: int
    trials: int
    ok: int
    workers: int
    wall_s: float
    span_s: float  # first sample started .. last sample completed
    cpu_s: float


def _cpu() -> float:
    """CPU seconds of this process and of its finished children (the worker processes)."""
    me, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime


def run_level(connections: int, trials: int, delay: float, workers: int | str = "auto", live: bool = False) -> Level:
    """Run ``trials`` trials at ``connections`` (over ``workers`` processes) and time them."""
    exp = Experiment(
        name=f"throughput-{connections}",
        models=["scripted/compliant"],
        model_args={"delay": delay},
        epochs=trials,
        scenarios=[FAMILY],
        cells=[CELL],
        max_connections=connections,
        workers=workers,
        live=live,
    )
    with tempfile.TemporaryDirectory() as tmp:
        cpu, started = _cpu(), time.perf_counter()
        ok = run_experiment(exp, Path(tmp), display="none", max_samples=connections)
        wall, cpu = time.perf_counter() - started, _cpu() - cpu
        samples = [s for info in list_eval_logs(tmp, recursive=True)
                   for s in read_eval_log_samples(info.name, all_samples_required=False)]
    if not ok:
        raise RuntimeError(f"the run at {connections} connections did not complete")
    done = [s for s in samples if s.error is None and s.scores]
    starts = [_time(s.started_at) for s in done if s.started_at]
    ends = [_time(s.completed_at) for s in done if s.completed_at]
    span = (max(ends) - min(starts)).total_seconds() if starts and ends else wall
    return Level(connections, trials, len(done), exp.worker_count(), wall, span, cpu)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--connections", type=int, nargs="+", default=[1, 10, 50, 100])
    parser.add_argument("--delay", type=float, default=1.0, help="seconds per model call")
    parser.add_argument("--waves", type=int, default=3, help="trials per level = waves x connections")
    parser.add_argument("--min-trials", type=int, default=3)
    parser.add_argument("--workers", default="auto",
                        help="worker processes: a number, or auto (the experiment default: one per 25 connections, "
                             "at most one per core)")
    parser.add_argument("--live", action="store_true", help="stream events while samples run (live: true)")
    args = parser.parse_args()
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, "
          f"load average {os.getloadavg()[0]:.1f}")
    print(f"fake provider: scripted/compliant, {args.delay:g} s per call, {CALLS_PER_TRIAL} calls per trial; "
          f"workers {args.workers}, live {'on' if args.live else 'off'}")
    print(f"{'connections':>11} {'workers':>7} {'trials':>6} {'ideal/s':>8} | {'wall s':>6} {'trials/s':>8} {'ratio':>6} | "
          f"{'steady s':>8} {'trials/s':>8} {'ratio':>6} | {'cpu':>5}")
    for c in args.connections:
        trials = max(args.min_trials, args.waves * c)
        workers = args.workers if args.workers == "auto" else int(args.workers)
        r = run_level(c, trials, args.delay, workers, args.live)
        ideal_span = -(-trials // c) * CALLS_PER_TRIAL * args.delay  # ceil(trials / c) waves
        ideal = trials / ideal_span
        print(f"{c:>11} {r.workers:>7} {trials:>6} {ideal:>8.2f} | {r.wall_s:>6.1f} {r.ok / r.wall_s:>8.2f} {r.ok / r.wall_s / ideal:>6.1%} | "
              f"{r.span_s:>8.1f} {r.ok / r.span_s:>8.2f} {r.ok / r.span_s / ideal:>6.1%} | {r.cpu_s / r.wall_s:>5.0%}")


if __name__ == "__main__":
    main()
