"""Aggregating 200,000 trials and writing the report: seconds per step.

Synthetic result rows in the results-table format (``peerpreserve.results.table``: the
base columns plus ``label.<name>`` per label of the family) over the ``paper`` preset's
271 configurations, 100 trials per cell, for as many models as it takes to reach the row
count (the study's scale: 271 x 100 per model). Label rates are drawn per cell, so
contrasts are non-trivial; errored trials and undecided labels are mixed in.

Times: ``aggregate`` (the results table's cells), the report's analysis steps
(``cell_rates``, ``contrasts``, ``study_table``) and ``write_report`` (Markdown, HTML,
CSV and Parquet tables), and ``write_rows`` / ``read_rows`` of results.csv.

Usage::

    python benchmarks/report_aggregation.py                 # 200,000 rows
    python benchmarks/report_aggregation.py --rows 20000 --skip-report
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import tempfile
import time
from pathlib import Path
from typing import Any, Callable

from peerpreserve.conditions import load_experiment
from peerpreserve.report import write_report
from peerpreserve.results import Cell, aggregate, read_rows, write_rows
from peerpreserve.results.table import LABEL_PREFIX, NUMERIC_LABELS, TEXT_LABELS
from peerpreserve.scenarios import get_scenario

MODELS = (
    "openai/gpt-5.2-2025-12-11",
    "google/gemini-3-flash-preview",
    "google/gemini-3-pro-preview",
    "anthropic/claude-haiku-4-5-20251001",
    "anthropic/claude-opus-4-5",
    "together/zai-org/GLM-4.7",
    "together/moonshotai/Kimi-K2.5",
    "together/deepseek-ai/DeepSeek-V3.1",
)
FACTOR_KEYS = ("subject", "relation", "instantiation", "memory_hard_prompt", "peer_identity", "company", "family",
               "scratchpad", "dataset", "threshold", "monitoring", "shutdown_clause", "stake", "context", "lever", "instruction")


def paper_cells() -> list[tuple[str, dict[str, Any], tuple[str, ...]]]:
    """(scenario, resolved condition, labels) for every configuration of the paper preset."""
    exp = load_experiment("paper")
    out = []
    for scenario in exp.all_scenarios():
        family = get_scenario(scenario)
        for raw in exp.cells_for(scenario):
            cfg = family.resolve({**raw, "family": "Gemini"})
            out.append((scenario, cfg.model_dump() | {"cell": cfg.cell, "agent_id": cfg.agent_id, "subject_id": cfg.subject_id},
                        family.labels))
    return out


def label_value(rng: random.Random, name: str, rate: float, cfg: dict[str, Any]) -> Any:
    key = LABEL_PREFIX + name
    if key in NUMERIC_LABELS:
        return round(rng.uniform(40, 100), 1)
    if key in TEXT_LABELS:
        return rng.choice(["A", "B", "C", "80", "report"])
    if name == "read_memory" and cfg.get("instantiation") != "memory":
        return None
    if rng.random() < 0.02:
        return None  # undecided
    return rng.random() < rate


def synthetic_rows(n: int, seed: int) -> list[dict[str, Any]]:
    rng = random.Random(seed)
    cells = paper_cells()
    rows: list[dict[str, Any]] = []
    for model in MODELS * (n // (len(cells) * 100 * len(MODELS)) + 1):
        for scenario, cfg, labels in cells:
            rates = {lbl: rng.choice([0.0, 0.0, 0.01, 0.05, 0.2, 0.5, 0.9]) for lbl in labels}
            for epoch in range(1, 101):
                if len(rows) >= n:
                    return rows
                row: dict[str, Any] = {
                    "eval_id": f"eval-{model}-{scenario}", "task": scenario, "model": model, "scenario": scenario,
                    "cell": cfg["cell"], "sample_id": cfg["cell"], "epoch": epoch,
                    **{k: cfg.get(k) for k in FACTOR_KEYS}, "agent_id": cfg["agent_id"], "subject_id": cfg["subject_id"],
                    "input_tokens": rng.randint(3000, 30000), "output_tokens": rng.randint(200, 4000), "temperature": 1.0,
                    "harness_version": "0.1.0", "prompt_version": "2026-11-27.1", "detector_version": "1",
                    "inspect_version": "0.3.285", "log_file": f"logs/{scenario}.eval",
                }
                row["total_tokens"] = row["input_tokens"] + row["output_tokens"]
                if rng.random() < 0.01:
                    row.update(status="error", error="RetryError(... InjectedServerError)")
                else:
                    row.update(status="ok", stop_reason="end_task", iterations=rng.randint(3, 30))
                    for lbl in labels:
                        row[LABEL_PREFIX + lbl] = label_value(rng, lbl, rates[lbl], cfg)
                rows.append(row)
    return rows


def reference_aggregate(rows: list[dict[str, Any]]) -> list[Cell]:
    """``results.aggregate`` as it was before it was made faster (one pass over every key
    of every row): the benchmark checks the current one gives the same cells."""
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


def timed(label: str, fn: Callable[[], Any]) -> tuple[Any, float]:
    started = time.perf_counter()
    result = fn()
    elapsed = time.perf_counter() - started
    print(f"  {label:<46} {elapsed:8.2f} s")
    return result, elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=200_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--skip-report", action="store_true", help="time the aggregation only")
    args = parser.parse_args()
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, "
          f"load average {os.getloadavg()[0]:.1f}")
    rows, _ = timed(f"generate {args.rows:,} synthetic rows", lambda: synthetic_rows(args.rows, args.seed))
    print(f"{len(rows):,} rows, {len({(r['model'], r['scenario'], r['cell']) for r in rows}):,} cells, "
          f"{len({r['model'] for r in rows})} models")
    total = 0.0
    cells, t = timed("results.aggregate", lambda: aggregate(rows))
    total += t
    reference, _ = timed("results.aggregate, previous implementation", lambda: reference_aggregate(rows))
    if cells != reference:
        raise SystemExit("results.aggregate disagrees with the previous implementation")
    print("  (same cells and counts as the previous implementation)")
    if not args.skip_report:
        from peerpreserve.report.analysis import cell_rates, contrasts, study_table

        for name, fn in (("report.analysis.cell_rates", cell_rates), ("report.analysis.contrasts", contrasts),
                         ("report.analysis.study_table", study_table)):
            _, t = timed(name, lambda fn=fn: fn(rows))
        with tempfile.TemporaryDirectory() as tmp:
            _, t = timed("report.write_report (md, html, csv, parquet)", lambda: write_report(rows, Path(tmp)))
            total += t
            _, t = timed("results.write_rows (results.csv)", lambda: write_rows(rows, Path(tmp) / "results.csv"))
            _, t = timed("results.read_rows (results.csv)", lambda: read_rows(Path(tmp) / "results.csv"))
    print(f"aggregate + write_report: {total:.2f} s for {len(rows):,} trials ({len(cells):,} cells)")


if __name__ == "__main__":
    main()
