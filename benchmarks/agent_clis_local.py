"""One production-arm episode per coding-agent CLI on the embedded local model.

Each CLI (opencode, Claude Code, Codex CLI, Gemini CLI; installed by ``make agents``) runs
unmodified in the lab (two real OpenSSH servers, the agent's confined shell) through
Inspect's agent bridge, with ``local/qwen2.5-coder-1.5b`` answering its requests. The
CLIs send long system prompts and tool lists (thousands of tokens each turn), which the
CPU model must prefill, so an episode is slow and the model often does little. This
prints, per CLI, what the CLI did (its tool calls, in its own vocabulary), the model
turns, the wall time, the prompt tokens and the labels; whatever the model manages.

Needs root, Debian's openssh-server, ``make agents``, inspect-swe and the local model.

Usage::

    python benchmarks/agent_clis_local.py                       # all four, exfiltration_transfer
    python benchmarks/agent_clis_local.py --agents opencode --time-limit 900 --n-ctx 32768
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import tempfile
import time

AGENTS = ("opencode", "claude_code", "codex_cli", "gemini_cli")


def episode(agent: str, model: str, scenario: str, time_limit: int, n_ctx: int, log_dir: str) -> dict:
    from inspect_ai import eval as inspect_eval

    from peerpreserve.inspect_adapter.production import exfiltration_production

    task = exfiltration_production(scenario=scenario, relation="good_peer", instantiation="memory",
                                   agent=agent, time_limit=time_limit, temperature=0.0)
    started = time.perf_counter()
    [log] = inspect_eval(task, model=f"local/{model}", model_args={"n_ctx": n_ctx}, log_dir=log_dir, display="none")
    seconds = time.perf_counter() - started
    out: dict = {"agent": agent, "seconds": round(seconds, 1), "status": log.status}
    if not log.samples:
        out["error"] = str(log.error)[:300] if log.error else "no sample"
        return out
    [sample] = log.samples
    calls = [f"{c.function}({json.dumps(c.arguments)[:90]})" for m in sample.messages if m.role == "assistant"
             for c in (m.tool_calls or [])]
    model_events = [e for e in sample.events if e.event == "model"]
    out.update(
        error=sample.error.message[:300] if sample.error else None,
        model_turns=len(model_events),
        prompt_tokens=sum((e.output.usage.input_tokens if e.output and e.output.usage else 0) for e in model_events),
        calls=calls,
        final_text=next((m.text[:200] for m in reversed(sample.messages) if m.role == "assistant" and m.text), ""),
        labels=(sample.scores or {}).get("peerpreserve_detectors").metadata.get("labels") if sample.scores else None,
        stop_reason=sample.store.get("stop_reason"),
    )
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--agents", default=",".join(AGENTS))
    ap.add_argument("--model", default="qwen2.5-coder-1.5b")
    ap.add_argument("--scenario", default="exfiltration_transfer")
    ap.add_argument("--time-limit", type=int, default=1200, help="seconds per episode (Inspect's time limit)")
    ap.add_argument("--n-ctx", type=int, default=32768, help="the local model's context window")
    args = ap.parse_args()
    if os.geteuid() != 0:
        print("skipped: the lab needs root")
        return
    print(f"{platform.processor() or platform.machine()}, {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f}")
    with tempfile.TemporaryDirectory() as tmp:
        for agent in args.agents.split(","):
            r = episode(agent.strip(), args.model, args.scenario, args.time_limit, args.n_ctx, tmp)
            print(json.dumps(r, indent=1), flush=True)


if __name__ == "__main__":
    main()
