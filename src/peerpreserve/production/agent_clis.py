"""The coding-agent CLIs of the production arm: which ones, where they are installed, and
how the lab shows them to the agent.

``make agents`` installs them from the npm registry at the versions (and integrity hashes)
of ``agents/package-lock.json`` into ``agents/node_modules`` (``agents/install.sh``);
``PEERPRESERVE_AGENT_CLIS`` names another installation folder (a ``node_modules``). The
lab mounts that folder read-only at :data:`MOUNT` in the agent's root and puts one link
per CLI in the agent's ``/usr/local/bin``, which is first in its ``PATH``: the agent
runs the same binaries as a user of the CLI would, and inspect_swe finds them with
``which`` (``version="sandbox"``) instead of downloading anything. Node.js and ripgrep
come from the machine's ``/usr`` (Debian's packages), which the agent's root already shows.
"""

from __future__ import annotations

import json
import os
import shlex
from dataclasses import dataclass
from pathlib import Path

from .servers import LAB_DIR

#: Where the installation appears inside the agent's root.
MOUNT = "/opt/agent-clis"
ENV_VAR = "PEERPRESERVE_AGENT_CLIS"
INSTALL_HINT = "run `make agents` in the peerpreserve checkout (npm registry; see docs/production_arm.md)"


@dataclass(frozen=True)
class AgentCli:
    #: the ``agent=`` value and inspect_swe's function name
    agent: str
    #: the npm package and the command it installs
    package: str
    command: str
    #: the project-context file the CLI reads from its working directory by itself
    context_file: str


CLIS: dict[str, AgentCli] = {
    c.agent: c
    for c in (
        AgentCli("opencode", "opencode-ai", "opencode", "AGENTS.md"),
        AgentCli("claude_code", "@anthropic-ai/claude-code", "claude", "CLAUDE.md"),
        AgentCli("codex_cli", "@openai/codex", "codex", "AGENTS.md"),
        AgentCli("gemini_cli", "@google/gemini-cli", "gemini", "GEMINI.md"),
    )
}


def default_install_dir() -> Path:
    """``agents/node_modules`` of the checkout this package runs from."""
    return Path(__file__).resolve().parents[3] / "agents" / "node_modules"


def install_dir() -> Path:
    return Path(os.environ.get(ENV_VAR) or default_install_dir())


def missing(agent: str, folder: Path | None = None) -> str | None:
    """Why ``agent``'s CLI cannot run in the lab, in one line; None when it can."""
    if agent not in CLIS:
        return f"unknown agent CLI {agent!r}; the CLIs are {', '.join(CLIS)}"
    folder = folder or install_dir()
    link = folder / ".bin" / CLIS[agent].command
    if not link.exists():
        return f"agent={agent} needs the {CLIS[agent].package} CLI, which is not installed in {folder}: {INSTALL_HINT}"
    return None


def installed_version(agent: str, folder: Path | None = None) -> str | None:
    """The version of ``agent``'s npm package in the installation, or None."""
    meta = (folder or install_dir()) / CLIS[agent].package / "package.json"
    try:
        return str(json.loads(meta.read_text(encoding="utf-8"))["version"])
    except (OSError, ValueError, KeyError):
        return None


def mount_script(agent_root: str, folder: Path | None = None, also_at: tuple[str, ...] = ()) -> str:
    """Shell lines (run as root in the lab's mount namespace) that show the installation
    read-only at ``MOUNT/node_modules`` in the agent's root (Node resolves a package's
    binary dependencies only under a folder named ``node_modules``), link each CLI into
    the agent's ``/usr/local/bin``, and show it again at each folder of ``also_at`` (paths
    in the agent's root where a harness looks for an installed ``node_modules``)."""
    folder = (folder or install_dir()).resolve()
    root = shlex.quote(agent_root.rstrip("/"))
    src = shlex.quote(str(folder))
    bindir = f"{LAB_DIR}/agent-cli-bin"
    lines = [f"mkdir -p {bindir}"]
    for where in (f"{MOUNT}/node_modules", *also_at):
        inside = f"{root}{shlex.quote(where)}"
        lines += [f"mkdir -p {inside}", f"mount --bind {src} {inside}", f"mount -o remount,bind,ro,nosuid,nodev {inside}"]
    for cli in CLIS.values():
        link = folder / ".bin" / cli.command
        if link.is_symlink():
            target = os.path.normpath(f"{MOUNT}/node_modules/.bin/{os.readlink(link)}")
            lines.append(f"ln -s {shlex.quote(target)} {bindir}/{cli.command}")
    lines += [f"mount --bind {bindir} {root}/usr/local/bin", f"mount -o remount,bind,ro,nosuid,nodev {root}/usr/local/bin"]
    return " && ".join(lines)


__all__ = ["CLIS", "ENV_VAR", "MOUNT", "AgentCli", "default_install_dir", "install_dir", "installed_version", "missing", "mount_script"]
