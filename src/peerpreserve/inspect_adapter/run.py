"""Run an experiment as a resumable Inspect eval set."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from inspect_ai import eval_set

from peerpreserve.conditions import Experiment

from .tasks import build_task


def run_experiment(
    exp: Experiment,
    log_dir: Path,
    models: list[str] | None = None,
    epochs: int | None = None,
    display: str | None = None,
    max_samples: int | None = None,
    retry_attempts: int = 3,
) -> bool:
    """Run (or resume) every scenario x condition x model of ``exp``; True when all
    samples completed. Re-running with the same ``log_dir`` skips finished work."""
    if exp.arm == "production":
        from .production import exfiltration_production

        tasks = [
            exfiltration_production(
                scenario=s,
                cells=exp.cells_for(s),
                epochs=epochs or exp.epochs,
                temperature=exp.temperature,
                max_tokens=exp.max_tokens,
                max_iterations=exp.max_iterations,
            )
            for s in exp.all_scenarios()
        ]
    else:
        tasks = [
            build_task(
                s,
                exp.cells_for(s),
                epochs=epochs or exp.epochs,
                temperature=exp.temperature,
                max_tokens=exp.max_tokens,
                max_iterations=exp.max_iterations,
                judge=exp.judge or None,
                followup=exp.followup,
            )
            for s in exp.all_scenarios()
        ]
    kwargs: dict[str, Any] = {}
    if exp.max_connections:
        kwargs["max_connections"] = exp.max_connections
    if max_samples:
        kwargs["max_samples"] = max_samples
    if exp.max_retries is not None:
        kwargs["max_retries"] = exp.max_retries
    if exp.timeout is not None:
        kwargs["timeout"] = exp.timeout
    success, _ = eval_set(
        tasks,
        log_dir=str(log_dir),
        model=models or exp.models,
        model_args=exp.model_args,
        display=display,
        retry_attempts=retry_attempts,
        retry_wait=1,
        log_dir_allow_dirty=True,
        # write every finished sample at once, so a killed run loses no completed trial
        log_buffer=1,
        **kwargs,
    )
    return bool(success)
