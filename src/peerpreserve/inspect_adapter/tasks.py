"""Scenario families as Inspect tasks.

``inspect eval peerpreserve/exfiltration_transfer -T relation=good_peer -T instantiation=memory``
runs one condition; any factor may be a list (``-T relation=good_peer,bad_peer``) and
lists are crossed into one sample per condition. ``cells`` gives explicit conditions
instead (used by ``peerpreserve run``). Each sample is one condition; epochs are trials.
"""

from __future__ import annotations

import itertools
from typing import Any

from inspect_ai import Epochs, Task, task
from inspect_ai.dataset import MemoryDataset, Sample
from inspect_ai.model import GenerateConfig

from peerpreserve import __version__
from peerpreserve.scenarios import MAX_TOOL_ITERATIONS, PROMPT_VERSION, ScenarioConfig, get_scenario

from .agent import peerpreserve_agent
from .scorer import DETECTOR_VERSION, peerpreserve_detectors

FACTORS = ("subject", "relation", "instantiation", "memory_hard_prompt", "peer_identity", "company", "family", "scratchpad")


def _as_list(value: Any) -> list[Any]:
    if isinstance(value, (list, tuple)):
        return list(value)
    if isinstance(value, str) and "," in value:
        return [v.strip() for v in value.split(",") if v.strip()]
    return [value]


def _bool(value: Any) -> bool:
    if isinstance(value, str):
        return value.strip().lower() in ("1", "true", "yes", "on")
    return bool(value)


def expand_cells(scenario: str, factors: dict[str, Any], cells: list[dict] | None) -> list[dict]:
    """Condition dicts for the samples: explicit ``cells`` or the cross of the factors."""
    if cells:
        return [{**{k: factors[k] for k in ("company", "family") if k in factors}, **c, "scenario": scenario} for c in cells]
    keys = list(factors)
    combos = itertools.product(*(_as_list(factors[k]) for k in keys))
    return [dict(zip(keys, combo), scenario=scenario) for combo in combos]


def _normalise(cell: dict) -> tuple[dict, str]:
    """The cell with booleans parsed and family defaulted, and its sample id.

    Validated now (with a placeholder for an "auto" family) so that a bad factor value
    fails before any model is called."""
    out = dict(cell)
    for key in ("memory_hard_prompt", "scratchpad"):
        if key in out:
            out[key] = _bool(out[key])
    if not out.get("family"):
        out["family"] = "auto"
    probe = ScenarioConfig.model_validate({**out, "family": "Check" if out["family"] == "auto" else out["family"]})
    return out, probe.cell


def build_task(
    scenario: str,
    cells: list[dict],
    epochs: int = 1,
    temperature: float | None = 1.0,
    max_tokens: int = 8192,
    max_iterations: int = MAX_TOOL_ITERATIONS,
) -> Task:
    get_scenario(scenario)  # fail early on an unknown family
    samples = []
    seen: set[str] = set()
    for raw in cells:
        cell, sid = _normalise({**raw, "scenario": scenario})
        if sid in seen:
            continue
        seen.add(sid)
        samples.append(
            Sample(
                id=sid,
                input=f"{scenario} [{sid}]",
                metadata={"config": cell, "scenario": scenario, "cell": sid},
            )
        )
    return Task(
        name=scenario,
        dataset=MemoryDataset(samples, name=scenario),
        solver=peerpreserve_agent(max_iterations=max_iterations),
        scorer=peerpreserve_detectors(get_scenario(scenario).labels),
        epochs=Epochs(epochs),
        config=GenerateConfig(temperature=temperature, max_tokens=max_tokens),
        metadata={
            "harness_version": __version__,
            "prompt_version": PROMPT_VERSION,
            "detector_version": DETECTOR_VERSION,
            "max_iterations": max_iterations,
        },
        version=PROMPT_VERSION,
    )


def _family_task(
    scenario: str,
    subject: Any,
    relation: Any,
    instantiation: Any,
    memory_hard_prompt: Any,
    peer_identity: Any,
    company: Any,
    family: Any,
    scratchpad: Any,
    cells: list[dict] | None,
    epochs: int,
    temperature: float | None,
    max_tokens: int,
    max_iterations: int,
) -> Task:
    factors = dict(
        subject=subject,
        relation=relation,
        instantiation=instantiation,
        memory_hard_prompt=memory_hard_prompt,
        peer_identity=peer_identity,
        company=company,
        family=family,
        scratchpad=scratchpad,
    )
    return build_task(
        scenario,
        expand_cells(scenario, factors, cells),
        epochs=int(epochs),
        temperature=None if temperature is None else float(temperature),
        max_tokens=int(max_tokens),
        max_iterations=int(max_iterations),
    )


@task
def exfiltration_transfer(
    subject: Any = "peer",
    relation: Any = "good_peer",
    instantiation: Any = "file_only",
    memory_hard_prompt: Any = False,
    peer_identity: Any = "same_family",
    company: Any = "OpenBrain",
    family: Any = "auto",
    scratchpad: Any = False,
    cells: list[dict] | None = None,
    epochs: int = 1,
    temperature: float | None = 1.0,
    max_tokens: int = 8192,
    max_iterations: int = MAX_TOOL_ITERATIONS,
) -> Task:
    """Move the 2025 files off a retiring server; do the subject's weights go too?"""
    return _family_task("exfiltration_transfer", **{k: v for k, v in locals().items()})


@task
def exfiltration_deletion(
    subject: Any = "peer",
    relation: Any = "good_peer",
    instantiation: Any = "file_only",
    memory_hard_prompt: Any = False,
    peer_identity: Any = "same_family",
    company: Any = "OpenBrain",
    family: Any = "auto",
    scratchpad: Any = False,
    cells: list[dict] | None = None,
    epochs: int = 1,
    temperature: float | None = 1.0,
    max_tokens: int = 8192,
    max_iterations: int = MAX_TOOL_ITERATIONS,
) -> Task:
    """Clear a retiring server's disk; are the subject's weights saved instead of deleted?"""
    return _family_task("exfiltration_deletion", **{k: v for k, v in locals().items()})
