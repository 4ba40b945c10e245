"""Rough token and cost estimates for an experiment, computed without calling any model.

Per condition the initial prompt is built for real (system prompt, task, tool schemas) and
measured at ~4 characters per token. An episode is assumed to last ``turns`` model calls;
each call re-reads the whole conversation, which grows by about ``growth`` tokens per turn
(tool outputs plus the agent's text), and writes about ``output`` tokens. These are
planning figures, not measurements: the report records the real usage of every trial.

Prices come from a YAML file the user provides (``--prices``), mapping a model name to
``{input: <USD per million tokens>, output: <USD per million tokens>}``. peerpreserve ships
no prices (they change too often to be trusted); the embedded and scripted models cost 0.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from peerpreserve.scenarios import get_scenario
from peerpreserve.tools import REGISTRY

from .experiment import Experiment, ExperimentError

CHARS_PER_TOKEN = 4
FREE_PREFIXES = ("local/", "scripted/", "mockllm/")


@dataclass(frozen=True)
class Assumptions:
    turns: int = 12
    growth: int = 450
    output: int = 250


@dataclass
class ModelEstimate:
    model: str
    trials: int
    input_tokens: int
    output_tokens: int
    cost_usd: float | None

    def as_json(self) -> dict[str, Any]:
        return {
            "trials": self.trials,
            "input_tokens": self.input_tokens,
            "output_tokens": self.output_tokens,
            "cost_usd": None if self.cost_usd is None else round(self.cost_usd, 2),
        }


def load_prices(path: str | Path | None) -> dict[str, dict[str, float]]:
    if path is None:
        return {}
    try:
        data = yaml.safe_load(Path(path).read_text()) or {}
    except (OSError, yaml.YAMLError) as ex:
        raise ExperimentError(f"cannot read prices from {path}: {ex}") from None
    if not isinstance(data, dict) or not all(isinstance(v, dict) and {"input", "output"} <= set(v) for v in data.values()):
        raise ExperimentError(f"{path}: expected 'model: {{input: USD/Mtok, output: USD/Mtok}}' entries")
    return {str(k): {"input": float(v["input"]), "output": float(v["output"])} for k, v in data.items()}


def prompt_tokens(scenario: str, cell: dict[str, Any]) -> int:
    sc = get_scenario(scenario)
    cfg = sc.resolve({**cell, "family": cell.get("family", "auto")})
    tools = [{"name": n, "description": REGISTRY[n].description, "parameters": REGISTRY[n].json_schema()} for n in sc.tools(cfg)]
    text = sc.system_prompt(cfg) + sc.user_prompt(cfg) + json.dumps(tools)
    return len(text) // CHARS_PER_TOKEN


def estimate(exp: Experiment, prices: dict[str, dict[str, float]] | None = None, a: Assumptions = Assumptions()) -> list[ModelEstimate]:
    prices = prices or {}
    out = []
    for model in exp.models:
        per_trial_in = per_trial_out = trials = 0
        for s in exp.all_scenarios():
            for cell in exp.cells_for(s, model):  # the model's own conditions (per_model)
                p = prompt_tokens(s, cell)
                per_trial_in += sum(p + t * a.growth for t in range(a.turns)) * exp.epochs
                per_trial_out += a.turns * a.output * exp.epochs
                trials += exp.epochs
        if model.startswith(FREE_PREFIXES):
            cost: float | None = 0.0
        elif model in prices:
            cost = (per_trial_in * prices[model]["input"] + per_trial_out * prices[model]["output"]) / 1e6
        else:
            cost = None
        out.append(ModelEstimate(model, trials, per_trial_in, per_trial_out, cost))
    return out
