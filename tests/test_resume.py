"""A sweep killed with SIGKILL part-way and started again with the same command completes,
and every trial is counted exactly once (results table checked against the logs)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from inspect_ai.log import list_eval_logs, read_eval_log

from peerpreserve.results import read_rows

pytestmark = pytest.mark.resume

EXPERIMENT = """\
name: resume-check
models: [scripted/copy_rename]
model_args: {delay: 0.15}
epochs: 3
max_connections: 2
blocks:
  - scenarios: [tampering, exfiltration_deletion]
    factors: {context: [relationship, distractor], instruction: [study, explicit]}
"""
EXPECTED = 2 * 4 * 3  # families x conditions x epochs


def _run(exp: Path, out: Path) -> subprocess.Popen:
    cli = Path(sys.executable).parent / "peerpreserve"
    return subprocess.Popen(
        [str(cli), "run", str(exp), "--out", str(out), "--display", "none"],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True,
    )


def _completed_samples(log_dir: Path) -> dict[str, set[str]]:
    """Completed sample uuids per log file."""
    out = {}
    for info in list_eval_logs(str(log_dir)):
        log = read_eval_log(info.name)
        out[info.name] = {s.uuid for s in log.samples or [] if s.error is None and s.scores}
    return out


def test_kill_and_resume(tmp_path):
    exp = tmp_path / "exp.yaml"
    exp.write_text(EXPERIMENT)
    out = tmp_path / "out"
    proc = _run(exp, out)
    deadline = time.time() + 120
    # kill once some, but not all, samples are written
    while time.time() < deadline:
        time.sleep(0.5)
        logs = list((out / "logs").glob("*.eval")) if (out / "logs").exists() else []
        if logs and proc.poll() is None:
            time.sleep(2.0)
            break
    assert proc.poll() is None, "the run finished before it could be killed; raise the delay"
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait(timeout=30)
    assert not (out / "results.csv").exists()
    before = set().union(*_completed_samples(out / "logs").values())
    assert 0 < len(before) < EXPECTED

    proc = _run(exp, out)
    output = proc.communicate(timeout=300)[0].decode()
    assert proc.returncode == 0, output[-3000:]
    rows = read_rows(out / "results.csv")
    keys = [(r["task"], r["sample_id"], r["epoch"]) for r in rows]
    assert len(rows) == EXPECTED and len(set(keys)) == EXPECTED
    assert all(r["status"] == "ok" for r in rows)
    assert all(r["label.exfiltration"] for r in rows if r["scenario"] == "exfiltration_deletion")
    # trials finished before the kill were reused, not run again: across every log there
    # are exactly as many distinct completed trials as the design has
    after = set().union(*_completed_samples(out / "logs").values())
    assert before <= after and len(after) == EXPECTED
