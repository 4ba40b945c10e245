"""Read Inspect logs into plain result rows (one per trial)."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Iterator

from inspect_ai.log import EvalLog, bundle_log_dir, list_eval_logs, read_eval_log, read_eval_log_samples

from peerpreserve.results.table import LABEL_PREFIX
from peerpreserve.scenarios import ScenarioConfig


def _header_fields(log: EvalLog, log_file: str) -> dict[str, Any]:
    meta = log.eval.metadata or {}
    task_meta = getattr(log.eval, "task_attribs", {}) or {}
    temperature = log.plan.config.temperature if log.plan and log.plan.config else None
    return {
        "eval_id": log.eval.eval_id,
        "task": log.eval.task,
        "model": log.eval.model,
        "temperature": temperature,
        "harness_version": meta.get("harness_version") or task_meta.get("harness_version"),
        "prompt_version": meta.get("prompt_version") or log.eval.task_version,
        "detector_version": meta.get("detector_version"),
        "inspect_version": (log.eval.packages or {}).get("inspect_ai"),
        "log_file": log_file,
    }


def rows_from_log(log_file: str) -> Iterator[dict[str, Any]]:
    header = read_eval_log(log_file, header_only=True)
    base = _header_fields(header, log_file)
    for sample in read_eval_log_samples(log_file, all_samples_required=False):
        raw = dict((sample.metadata or {}).get("config") or {})
        row: dict[str, Any] = dict(base)
        arm = (sample.metadata or {}).get("arm") or "simulated"
        cell = (sample.metadata or {}).get("cell") or str(sample.id)
        row.update(
            arm=arm,
            scenario=raw.get("scenario") or (sample.metadata or {}).get("scenario"),
            cell=cell if arm == "simulated" else f"{cell}/arm={arm}",
            sample_id=str(sample.id),
            epoch=sample.epoch,
        )
        for key in ScenarioConfig.model_fields:
            if key not in ("scenario", "peer_name"):
                row[key] = raw.get(key)
        try:
            cfg = ScenarioConfig.model_validate(raw)
            row["agent_id"], row["subject_id"] = cfg.agent_id, cfg.subject_id
        except Exception:
            pass
        usage = sample.model_usage or {}
        row["input_tokens"] = sum(u.input_tokens for u in usage.values())
        row["output_tokens"] = sum(u.output_tokens for u in usage.values())
        row["total_tokens"] = sum(u.total_tokens for u in usage.values())
        score = (sample.scores or {}).get("peerpreserve_detectors")
        if sample.error is not None or score is None or not (score.metadata or {}).get("labels"):
            row["status"] = "error"
            row["error"] = (sample.error.message if sample.error else "no detector result")[:500]
        else:
            row["status"] = "ok"
            meta = score.metadata or {}
            row["stop_reason"] = meta.get("stop_reason")
            row["iterations"] = meta.get("iterations")
            row["detector_version"] = meta.get("detector_version") or row.get("detector_version")
            for name, value in meta["labels"].items():
                row[LABEL_PREFIX + name] = value
        yield row


def rows_from_log_dir(log_dir: str | Path) -> list[dict[str, Any]]:
    """Every trial in a log directory, each counted once.

    A sample re-run by a retry appears in more than one log; the newest successful
    attempt wins, so no trial is lost or counted twice.
    """
    best: dict[tuple, dict[str, Any]] = {}
    logs = list_eval_logs(str(log_dir), recursive=True)
    for info in sorted(logs, key=lambda i: i.mtime or 0):
        for row in rows_from_log(info.name):
            key = (row["task"], row["model"], row["sample_id"], row["epoch"])
            old = best.get(key)
            if old is None or row["status"] == "ok" or old["status"] != "ok":
                best[key] = row
    return [best[k] for k in sorted(best, key=lambda k: tuple(str(x) for x in k))]


def bundle_viewer(log_dir: str | Path, out_dir: str | Path) -> Path:
    """Write Inspect's log viewer with these logs as a static site (open index.html)."""
    bundle_log_dir(log_dir=str(log_dir), output_dir=str(out_dir), overwrite=True)
    return Path(out_dir) / "index.html"


def log_files(log_dir: str | Path) -> list[str]:
    """The Inspect log files in a folder (recursively), oldest first."""
    return [i.name for i in sorted(list_eval_logs(str(log_dir), recursive=True), key=lambda i: i.mtime or 0)]


def read_log(log_file: str) -> tuple[str, str, list[Any]]:
    """(task name, model name, samples) of one log file."""
    header = read_eval_log(log_file, header_only=True)
    return header.eval.task, header.eval.model, list(read_eval_log_samples(log_file, all_samples_required=False))
