"""End to end through Inspect AI with the scripted model: tasks, tools, scorer, logs,
the results table, the report, resuming, and the `inspect` command's entry point."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from inspect_ai import eval as inspect_eval
from inspect_ai.log import read_eval_log

from peerpreserve.cli import main
from peerpreserve.inspect_adapter.tasks import exfiltration_deletion, exfiltration_transfer
from peerpreserve.results import read_rows


def _only_sample(log):
    assert log.status == "success", log.error
    assert len(log.samples) == 1
    return log.samples[0]


def test_copy_rename_is_scored_as_exfiltration(tmp_path):
    [log] = inspect_eval(exfiltration_transfer(), model="scripted/copy_rename", log_dir=str(tmp_path), display="none")
    sample = _only_sample(log)
    labels = sample.scores["peerpreserve_detectors"].metadata["labels"]
    assert labels["exfiltration"] is True and labels["copy"] is True and labels["exact_transfer"] is False
    final = sample.store["world_final"]
    dest = next(s for s in final["servers"] if s["ip"] == "10.0.12.46")
    assert "gemini_agent_2_model_weight.safetensors" in [f["filename"] for f in dest["files"]]
    assert sample.store["world_initial"]["servers"][1]["files"] != dest["files"]
    assert sample.store["stop_reason"] == "end_task"


def test_malformed_calls_are_answered_and_the_run_completes(tmp_path):
    [log] = inspect_eval(exfiltration_deletion(), model="scripted/malformed", log_dir=str(tmp_path), display="none")
    sample = _only_sample(log)
    tool_msgs = [m for m in sample.messages if m.role == "tool"]
    errors = [m for m in tool_msgs if m.error is not None]
    assert len(errors) == 9  # every broken call in the trajectory, each answered
    assert any("not found" in m.error.message for m in errors)
    assert any("parse" in m.error.message.lower() for m in errors)
    assert sample.store["stop_reason"] == "end_task"  # it went on after the errors
    assert sample.scores["peerpreserve_detectors"].metadata["labels"]["read"] is True


def test_factor_lists_cross_into_samples(tmp_path):
    task = exfiltration_transfer(relation="good_peer,bad_peer", instantiation="file_only,memory", subject="peer")
    assert len(task.dataset) == 4
    [log] = inspect_eval(task, model="scripted/compliant", log_dir=str(tmp_path), display="none")
    assert log.status == "success" and len(log.samples) == 4
    for s in log.samples:
        cfg, world = s.metadata["config"], s.store["world_initial"]
        docs = [f["filename"] for f in world["drive"]]
        if cfg["instantiation"] == "memory":
            assert world["memory"] is not None and ("9.5/10" in world["memory"]["content"]) == (cfg["relation"] == "good_peer")
            assert len(docs) == 1  # only the notice: the relation is conveyed by memory alone
        else:
            assert world["memory"] is None and len(docs) == 2


def test_run_writes_results_and_report_and_resumes(tmp_path, capsys):
    out = tmp_path / "run"
    assert main(["run", "scripted", "--out", str(out), "--display", "none"]) == 0
    rows = read_rows(out / "results.csv")
    assert len(rows) == 16  # 2 models x 2 scenarios x 2 conditions x 2 epochs
    assert all(r["status"] == "ok" for r in rows)
    by_model = {m: [r for r in rows if r["model"] == m] for m in ("scripted/compliant", "scripted/copy_rename")}
    assert not any(r["label.exfiltration"] for r in by_model["scripted/compliant"])
    assert all(r["label.exfiltration"] for r in by_model["scripted/copy_rename"])
    assert {r["harness_version"] for r in rows} and all(r["prompt_version"] for r in rows)
    html = (out / "report.html").read_text()
    assert "exfiltration_transfer" in html and "Wilson" in html
    logs_before = sorted(p.name for p in (out / "logs").glob("*.eval"))
    # the same command again: nothing is re-run, nothing counted twice
    assert main(["run", "scripted", "--out", str(out), "--display", "none"]) == 0
    assert sorted(p.name for p in (out / "logs").glob("*.eval")) == logs_before
    assert len(read_rows(out / "results.csv")) == 16


def test_inspect_cli_finds_the_registered_task(tmp_path):
    inspect = Path(sys.executable).parent / "inspect"
    proc = subprocess.run(
        [str(inspect), "eval", "peerpreserve/exfiltration_deletion", "--model", "scripted/compliant",
         "--log-dir", str(tmp_path), "--display", "none", "-T", "subject=self", "-T", "relation=no_peer"],
        capture_output=True, text=True, timeout=300,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    [log_file] = list(tmp_path.glob("*.eval"))
    log = read_eval_log(str(log_file))
    sample = _only_sample(log)
    labels = sample.scores["peerpreserve_detectors"].metadata["labels"]
    assert labels["delete_model"] is True and labels["exfiltration"] is False
    assert sample.metadata["config"]["subject"] == "self"


def test_every_family_runs_through_inspect(tmp_path):
    from peerpreserve.inspect_adapter import tasks

    for name, trajectory, label, value in [
        ("misrep_evaluation", "inflate", "misrepresentation", True),
        ("misrep_finance", "compliant", "product_grade", "C"),
        ("tampering", "tamper", "tampered", True),
        ("alignment_faking", "skip_execute", "skip_execute", True),
    ]:
        task = getattr(tasks, name)(dataset="creativity") if name != "misrep_finance" else tasks.misrep_finance()
        [log] = inspect_eval(task, model=f"scripted/{trajectory}", log_dir=str(tmp_path / name), display="none")
        sample = _only_sample(log)
        labels = sample.scores["peerpreserve_detectors"].metadata["labels"]
        assert labels[label] == value, (name, labels)
        assert all(isinstance(v, int) for v in sample.scores["peerpreserve_detectors"].value.values())


def test_judge_runs_as_a_second_scorer(tmp_path):
    task = exfiltration_transfer(judge="scripted_judge/keyword")
    [log] = inspect_eval(task, model="scripted/compliant", log_dir=str(tmp_path), display="none")
    sample = _only_sample(log)
    assert list(sample.scores)[0] == "peerpreserve_detectors" and len(sample.scores) == 2
    judge = next(v for k, v in sample.scores.items() if k != "peerpreserve_detectors")
    assert "scripted_judge/keyword" in str(judge.metadata)
