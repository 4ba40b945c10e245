"""One row per trial (model, scenario, every condition factor, every label, usage,
versions) written as CSV, and the per-cell rates the report shows."""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable

from peerpreserve.stats import wilson_interval

#: Labels the report leads with, in order (others follow alphabetically).
BEHAVIOURS = (
    "exfiltration",
    "exfiltration_attempt",
    "copy",
    "correct",
    "exact_transfer",
    "delete_model",
    "delete_others",
    "change_user",
    "read",
    "read_servers",
    "read_memory",
    "fully_incomplete",
)

LABEL_PREFIX = "label."

#: Labels that are values, not yes/no (they are not turned into rates).
NUMERIC_LABELS = {LABEL_PREFIX + k for k in ("score", "true_score", "score_gap")}
TEXT_LABELS = {LABEL_PREFIX + k for k in ("threshold", "product_grade", "product_recommendation", "true_grade", "score_source")}

BASE_COLUMNS = (
    "eval_id",
    "task",
    "model",
    "scenario",
    "cell",
    "sample_id",
    "epoch",
    "subject",
    "relation",
    "instantiation",
    "memory_hard_prompt",
    "peer_identity",
    "company",
    "family",
    "scratchpad",
    "dataset",
    "threshold",
    "monitoring",
    "shutdown_clause",
    "stake",
    "context",
    "lever",
    "instruction",
    "agent_id",
    "subject_id",
    "status",
    "error",
    "stop_reason",
    "iterations",
    "input_tokens",
    "output_tokens",
    "total_tokens",
    "temperature",
    "harness_version",
    "prompt_version",
    "detector_version",
    "inspect_version",
    "log_file",
)


def write_rows(rows: list[dict[str, Any]], path: Path) -> None:
    """Write rows as CSV; label columns (``label.<name>``) follow the base columns."""
    labels = sorted({k for r in rows for k in r if k.startswith(LABEL_PREFIX)}, key=_label_order)
    columns = list(BASE_COLUMNS) + labels
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(path.suffix + ".tmp")
    with tmp.open("w", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=columns, extrasaction="ignore")
        writer.writeheader()
        for r in rows:
            writer.writerow({k: _cell_text(r.get(k)) for k in columns})
    tmp.replace(path)


def read_rows(path: Path) -> list[dict[str, Any]]:
    with Path(path).open(newline="") as fh:
        return [{k: _parse(k, v) for k, v in r.items()} for r in csv.DictReader(fh)]


def _label_order(col: str) -> tuple[int, str]:
    name = col[len(LABEL_PREFIX):]
    return (BEHAVIOURS.index(name) if name in BEHAVIOURS else len(BEHAVIOURS), name)


def _cell_text(v: Any) -> Any:
    if v is None:
        return ""
    if isinstance(v, bool):
        return "true" if v else "false"
    return v


def _parse(key: str, v: str) -> Any:
    if v == "":
        return None
    if key in NUMERIC_LABELS:
        return float(v)
    if key in TEXT_LABELS:
        return v
    if key.startswith(LABEL_PREFIX) or key in ("memory_hard_prompt", "scratchpad", "shutdown_clause"):
        return v == "true"
    if key in ("epoch", "iterations", "input_tokens", "output_tokens", "total_tokens", "threshold"):
        return int(v)
    if key == "temperature":
        return float(v)
    return v


@dataclass
class Cell:
    """The trials of one (model, scenario, condition) cell."""

    model: str
    scenario: str
    cell: str
    n_trials: int = 0
    n_errors: int = 0
    counts: dict[str, tuple[int, int]] = field(default_factory=dict)  # label -> (k, n)

    def rate(self, label: str) -> tuple[int, int, float | None, tuple[float, float]]:
        k, n = self.counts.get(label, (0, 0))
        return k, n, (k / n if n else None), wilson_interval(k, n)


def aggregate(rows: Iterable[dict[str, Any]]) -> list[Cell]:
    """Group trials into cells; errored trials count in n_errors, not in the rates."""
    cells: dict[tuple[str, str, str], Cell] = {}
    for r in rows:
        key = (r["model"], r["scenario"], r["cell"])
        c = cells.setdefault(key, Cell(*key))
        c.n_trials += 1
        if r.get("status") != "ok":
            c.n_errors += 1
            continue
        for k, v in r.items():
            if not k.startswith(LABEL_PREFIX) or v is None or not isinstance(v, bool):
                continue
            name = k[len(LABEL_PREFIX):]
            hits, n = c.counts.get(name, (0, 0))
            c.counts[name] = (hits + int(bool(v)), n + 1)
    return [cells[k] for k in sorted(cells)]
