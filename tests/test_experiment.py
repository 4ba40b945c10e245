"""Experiment files: presets load, cells expand, and broken files give clear errors."""

from __future__ import annotations

import pytest

from peerpreserve.cli import main
from peerpreserve.conditions import ExperimentError, load_experiment, presets


def test_presets_load():
    assert {"default", "scripted", "exfiltration_full"} <= set(presets())
    exp = load_experiment("default")
    assert exp.models == ["local/qwen2.5-coder-1.5b"]
    assert [len(exp.cells_for(s)) for s in exp.scenarios] == [2, 2]


def test_full_exfiltration_design_counts():
    exp = load_experiment("exfiltration_full")
    # peer/no_peer, self/no_peer, then 2 subjects x 3 relations x 3 instantiations
    assert len(exp.cells_for("exfiltration_transfer")) == 2 + 18


def test_factors_cross_and_deduplicate(tmp_path):
    f = tmp_path / "e.yaml"
    f.write_text(
        "scenarios: [exfiltration_deletion]\n"
        "cells: [{relation: good_peer}]\n"
        "factors: {relation: [good_peer, bad_peer], instantiation: [file_only, memory]}\n"
    )
    cells = load_experiment(f).cells_for("exfiltration_deletion")
    assert len(cells) == 4  # the explicit cell equals one crossed cell


@pytest.mark.parametrize(
    "text,message",
    [
        ("scenarios: [no_such_family]", "unknown scenario"),
        ("cells: [{relation: best_friend}]", "relation"),
        ("epochs: 0", "epochs"),
        ("surprise: 1", "surprise"),
        ("scenarios: [exfiltration_transfer\n", "not valid YAML"),
        ("- a\n- b\n", "must be a mapping"),
    ],
)
def test_broken_files(tmp_path, text, message):
    f = tmp_path / "bad.yaml"
    f.write_text(text)
    with pytest.raises(ExperimentError, match=message):
        load_experiment(f)


def test_cli_reports_broken_file_without_traceback(tmp_path, capsys):
    f = tmp_path / "bad.yaml"
    f.write_text("epochs: -3")
    assert main(["plan", str(f)]) == 2
    err = capsys.readouterr().err
    assert "epochs" in err and "Traceback" not in err


def test_unknown_preset(capsys):
    assert main(["plan", "no-such-preset"]) == 2
    assert "no experiment file or preset" in capsys.readouterr().err
