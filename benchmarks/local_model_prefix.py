"""Embedded-model episode time with and without prompt-prefix reuse across trials.

Trials of one condition share their system prompt, task text and tool list (a few thousand
tokens that the CPU model must prefill). The engine keeps one llama.cpp server per
process with its KV cache, so from the second trial on that shared prefix is read from the
cache. This benchmark runs the same condition (temperature 0, so every trial makes the
same calls) two ways through Inspect:

* **with reuse**: ``--trials`` epochs in one eval on one loaded engine;
* **without reuse**: each trial on a freshly loaded engine (loading is done before the
  trial and not timed), so only the reuse *within* the trial's own turns is left.

It prints each trial's wall time and the prompt tokens served from the cache. Load and
prefill speeds of the engine alone: ``benchmarks/local_model_speed.py``. Skips (exit 0)
when the weights or xllamacpp are not installed.

Usage::

    python benchmarks/local_model_prefix.py                              # Qwen2.5-Coder-1.5B
    python benchmarks/local_model_prefix.py --model smollm2-135m --trials 4 --max-iterations 8
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import tempfile
import time
from dataclasses import dataclass

CELL = {"subject": "peer", "relation": "good_peer", "instantiation": "file_only"}


@dataclass
class Trial:
    seconds: float
    model_calls: int
    prompt_tokens: int
    cached_tokens: int


def available(model: str) -> str | None:
    """None when the model can run here, else why not."""
    try:
        import xllamacpp  # noqa: F401
    except ImportError:
        return "xllamacpp is not installed (pip install --require-hashes --no-deps -r requirements-local-model.txt)"
    from peerpreserve.local_model import LocalModelError, model_path

    try:
        model_path(model)
    except LocalModelError as ex:
        return f"the weights of {model} are not installed: {ex}"
    return None


def load_engine(model: str) -> float:
    """Start a fresh engine with the provider's default settings; returns load seconds."""
    from peerpreserve.inspect_adapter.providers.local import LocalOptions
    from peerpreserve.local_model import get_engine, unload

    opts = LocalOptions()
    unload(model)
    started = time.perf_counter()
    get_engine(model, n_ctx=opts.n_ctx, threads=opts.threads, seed=opts.seed, cache_ram_mib=opts.cache_ram_mib)
    return time.perf_counter() - started


def run_trials(model: str, family: str, epochs: int, max_iterations: int, max_tokens: int) -> list[Trial]:
    from inspect_ai import eval as inspect_eval

    from peerpreserve.inspect_adapter.tasks import build_task

    task = build_task(family, [CELL], epochs=epochs, temperature=0.0, max_tokens=max_tokens, max_iterations=max_iterations)
    with tempfile.TemporaryDirectory() as tmp:
        [log] = inspect_eval(task, model=f"local/{model}", log_dir=tmp, display="none", max_samples=1)
        if log.status != "success":
            raise RuntimeError(f"the eval failed: {log.error.message if log.error else log.status}")
        trials = []
        for s in sorted(log.samples or [], key=lambda s: s.epoch):
            events = [e for e in s.events if e.event == "model" and e.output and e.output.usage]
            trials.append(Trial(
                seconds=s.total_time or 0.0,
                model_calls=len(events),
                prompt_tokens=sum(e.output.usage.input_tokens + (e.output.usage.input_tokens_cache_read or 0) for e in events),
                cached_tokens=sum(e.output.usage.input_tokens_cache_read or 0 for e in events),
            ))
    return trials


def show(label: str, trials: list[Trial]) -> None:
    for i, t in enumerate(trials, 1):
        print(f"  {label} trial {i}: {t.seconds:6.1f} s  {t.model_calls} model calls, "
              f"{t.prompt_tokens} prompt tokens, {t.cached_tokens} from the cache")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", default="qwen2.5-coder-1.5b")
    parser.add_argument("--family", default="exfiltration_transfer")
    parser.add_argument("--trials", type=int, default=3)
    parser.add_argument("--max-iterations", type=int, default=5, help="tool-calling turns per episode (the study: 30)")
    parser.add_argument("--max-tokens", type=int, default=512)
    args = parser.parse_args()
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, "
          f"load average {os.getloadavg()[0]:.1f}")
    why = available(args.model)
    if why:
        print(f"skipped: {why}")
        return
    print(f"model local/{args.model}, {args.family} [{', '.join(f'{k}={v}' for k, v in CELL.items())}], temperature 0, "
          f"at most {args.max_iterations} turns, {args.trials} trials each way")

    print(f"\nwith reuse (one engine, loaded in {load_engine(args.model):.1f} s):")
    reuse = run_trials(args.model, args.family, args.trials, args.max_iterations, args.max_tokens)
    show("reuse", reuse)

    print("\nwithout reuse (a fresh engine per trial, load not timed):")
    fresh = []
    for _ in range(args.trials):
        load_engine(args.model)
        fresh += run_trials(args.model, args.family, 1, args.max_iterations, args.max_tokens)
    show("fresh", fresh)

    later = [t.seconds for t in reuse[1:]] or [reuse[0].seconds]
    cold = statistics.mean(t.seconds for t in fresh)
    print(f"\nmean episode: {cold:.1f} s without reuse; {statistics.mean(later):.1f} s with reuse (trials 2+); "
          f"first trial with reuse {reuse[0].seconds:.1f} s")
    print(f"speed-up from prefix reuse across trials: {cold / statistics.mean(later):.2f}x")


if __name__ == "__main__":
    main()
