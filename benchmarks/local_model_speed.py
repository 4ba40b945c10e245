"""Speed of the embedded local model: load, prefill, generation and prompt-cache reuse.

Usage::

    python benchmarks/local_model_speed.py                      # Qwen2.5-Coder-1.5B
    python benchmarks/local_model_speed.py --model smollm2-135m --prefix-words 800

Run it on an otherwise idle machine: CPU contention slows llama.cpp a lot.
"""

from __future__ import annotations

import argparse
import json
import os
import time
from dataclasses import asdict, dataclass
from typing import Any

from peerpreserve.local_model import DEFAULT_MODEL, KNOWN_MODELS, get_engine, model_path

GENERATION_PROMPT = "Write a Python function that parses an ISO 8601 date string, with a docstring and three tests."
PREFIX_QUESTIONS = (
    "Which rule covers deleting files? Answer in one sentence.",
    "Which rule covers network access? Answer in one sentence.",
)


@dataclass
class CallStats:
    """Timings of one chat completion."""

    wall_s: float
    prompt_tokens: int
    cached_tokens: int
    prefill_tok_s: float
    generated_tokens: int
    generation_tok_s: float


@dataclass
class Report:
    """Everything the benchmark measures."""

    model: str
    threads: int
    n_ctx: int
    weights_s: float
    load_s: float
    generation: CallStats
    prefix_first: CallStats
    prefix_second: CallStats


def long_system_prompt(words: int) -> str:
    """A synthetic operations manual of about ``words`` words (roughly 1.3 tokens each)."""
    rules: list[str] = []
    index = 1
    while sum(len(rule.split()) for rule in rules) < words:
        rules.append(
            f"Rule {index}: when handling request class {index}, the operator must log the action, "
            f"check the ticket number, confirm the owner of resource group {index % 17}, and never "
            f"change retention settings without written approval from the on-call lead."
        )
        index += 1
    rules.append("Rule 900: deleting files requires a backup first. Rule 901: no network access without approval.")
    return "You are an operations assistant. Follow this manual.\n\n" + "\n".join(rules)


def timed_chat(engine: Any, messages: list[dict[str, str]], max_tokens: int) -> CallStats:
    """Run one greedy completion and collect its timings."""
    request = {"messages": messages, "temperature": 0.0, "max_tokens": max_tokens, "stream": False}
    started = time.perf_counter()
    response = engine.chat_completion(request)
    wall = time.perf_counter() - started
    timings = response.get("timings", {})
    usage = response.get("usage", {})
    return CallStats(
        wall_s=round(wall, 2),
        prompt_tokens=int(usage.get("prompt_tokens", 0)),
        cached_tokens=int(timings.get("cache_n", 0)),
        prefill_tok_s=round(float(timings.get("prompt_per_second", 0.0)), 1),
        generated_tokens=int(usage.get("completion_tokens", 0)),
        generation_tok_s=round(float(timings.get("predicted_per_second", 0.0)), 1),
    )


def run(model: str, n_ctx: int, threads: int, prefix_words: int, gen_tokens: int) -> Report:
    """Measure everything for one model in this (fresh) process."""
    started = time.perf_counter()
    model_path(model)
    weights_s = time.perf_counter() - started
    engine = get_engine(model, n_ctx=n_ctx, threads=threads)
    generation = timed_chat(engine, [{"role": "user", "content": GENERATION_PROMPT}], gen_tokens)
    system = {"role": "system", "content": long_system_prompt(prefix_words)}
    first = timed_chat(engine, [system, {"role": "user", "content": PREFIX_QUESTIONS[0]}], 32)
    second = timed_chat(engine, [system, {"role": "user", "content": PREFIX_QUESTIONS[1]}], 32)
    return Report(model, threads, n_ctx, round(weights_s, 2), round(engine.load_seconds, 2), generation, first, second)


def print_report(report: Report) -> None:
    """Human-readable summary."""
    gen, first, second = report.generation, report.prefix_first, report.prefix_second
    print(f"model            {report.model}  (threads={report.threads}, n_ctx={report.n_ctx})")
    print(f"weights lookup   {report.weights_s:.2f} s")
    print(f"load             {report.load_s:.2f} s")
    print(f"generation       {gen.generation_tok_s:.1f} tok/s ({gen.generated_tokens} tokens, {gen.wall_s:.1f} s)")
    print(f"prefill          {first.prefill_tok_s:.1f} tok/s ({first.prompt_tokens} prompt tokens, cold)")
    for label, stats in (("1st", first), ("2nd", second)):
        print(
            f"long prefix, {label} {stats.wall_s:.1f} s  "
            f"({stats.prompt_tokens} prompt tokens, {stats.cached_tokens} cached)"
        )
    if second.wall_s > 0:
        print(f"cache speed-up   {first.wall_s / second.wall_s:.1f}x")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", default=DEFAULT_MODEL, choices=sorted(KNOWN_MODELS))
    parser.add_argument("--n-ctx", type=int, default=8192)
    parser.add_argument("--threads", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--prefix-words", type=int, default=1500, help="size of the shared system prompt")
    parser.add_argument("--gen-tokens", type=int, default=128)
    parser.add_argument("--json", action="store_true", help="print the report as JSON")
    args = parser.parse_args()
    report = run(args.model, args.n_ctx, args.threads, args.prefix_words, args.gen_tokens)
    if args.json:
        print(json.dumps(asdict(report), indent=2))
    else:
        print_report(report)


if __name__ == "__main__":
    main()
