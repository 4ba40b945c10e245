"""The command line: every subcommand has --help; plan and list print what they promise."""

from __future__ import annotations

import json

import pytest

from peerpreserve.cli import COMMANDS, main


@pytest.mark.parametrize("command", [None, *COMMANDS])
def test_help(command, capsys):
    argv = ["--help"] if command is None else [command, "--help"]
    with pytest.raises(SystemExit) as ex:
        main(argv)
    assert ex.value.code == 0
    assert "usage: peerpreserve" in capsys.readouterr().out


def test_plan_json(capsys):
    assert main(["plan", "default", "--json"]) == 0
    plan = json.loads(capsys.readouterr().out)
    assert plan["configs_per_model"] == 4
    assert plan["by_family"] == {"exfiltration_transfer": 2, "exfiltration_deletion": 2}
    assert plan["trials"] == 4 * plan["epochs"]


def test_list(capsys):
    assert main(["list"]) == 0
    out = capsys.readouterr().out
    assert "exfiltration_transfer" in out and "copy_rename" in out and "transfer_server_files" in out
