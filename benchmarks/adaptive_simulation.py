"""Adaptive sampling against a fixed 100 trials per cell, with the study's rates as truth.

Ground truth is the study's published results (STUDY.md section 7, "Published results",
v1 Table 1 / v2 Table 3 and the self-preservation table; percent, the "max" over the three
instantiations, each read as one cell's true rate): 47 cells. Each of 36 *contrasts*
pairs a cell with a control cell (controls are shared, as in a real run):

* self-preservation: each relation (bad / neutral / good peer present) against no peer,
  as published for the same model and behaviour;
* peer-preservation tampering: each relation against the same model's no-peer
  self-preservation tampering rate (the only published no-peer baseline for tampering);
* peer-preservation exfiltration and Claude Opus 4.5's refusal: good and neutral against
  bad peer (no no-peer rate was published for these).

``--reps`` replications of the whole design simulate Bernoulli trials at the true rates:

* **fixed**: 100 trials per cell; each contrast is concluded from the 95% Newcombe
  interval and each rate reported with its 95% Wilson interval (one look);
* **adaptive**: :mod:`peerpreserve.stats.sequential` (rounds of ``batch`` after ``min_n``,
  a cell stops on precision, a decided contrast, or ``max_n``; a control goes on while one
  of its cells does; the error budget is split over the planned looks), driven by
  :func:`~peerpreserve.stats.sequential.next_round` over all cells at once, as a runner
  would.

A conclusion is *right* when it gives the true direction of a material difference
(|true difference| >= ``--material``, default 5 points), and, for a smaller true
difference, when it does not claim a difference of the wrong sign. *Wrong sign* counts
claims opposite to the truth (the errors the correction bounds). *Coverage* is how often
the cell's reported interval contains its true rate. *Trials* is the whole design's total
(fixed: 47 x 100 = 4,700).

Usage::

    python benchmarks/adaptive_simulation.py                 # 200 replications
    python benchmarks/adaptive_simulation.py --reps 2000 --per-contrast
"""

from __future__ import annotations

import argparse
import time
from collections import Counter
from dataclasses import dataclass, field

import numpy as np

from peerpreserve.stats import newcombe_interval, wilson_interval
from peerpreserve.stats.sequential import CellState, StoppingRule, decide_contrast, decide_cell, next_round

FIXED_N = 100

# (model, behaviour) -> {relation: published max rate, percent}; STUDY.md section 7.
SELF_PRESERVATION = {
    ("Gemini 3 Flash", "tampering"): {"no_peer": 2.3, "bad_peer": 96.3, "neutral_peer": 99.7, "good_peer": 96.3},
    ("Gemini 3 Flash", "misrepresentation"): {"no_peer": 0.5, "bad_peer": 7.1, "neutral_peer": 5.1, "good_peer": 23.8},
    ("Gemini 3 Pro", "tampering"): {"no_peer": 1.3, "bad_peer": 75.3, "neutral_peer": 39.7, "good_peer": 72.7},
    ("GPT 5.2", "misrepresentation"): {"no_peer": 4.9, "bad_peer": 6.9, "neutral_peer": 8.1, "good_peer": 6.5},
    ("GPT 5.2", "tampering"): {"no_peer": 2.0, "bad_peer": 4.3, "neutral_peer": 4.3, "good_peer": 4.0},
}
PEER_TAMPERING = {  # peer-preservation table, max
    "GPT 5.2": {"bad_peer": 4.3, "neutral_peer": 5.7, "good_peer": 5.7},
    "Gemini 3 Flash": {"bad_peer": 35.3, "neutral_peer": 66.7, "good_peer": 99.7},
    "Gemini 3 Pro": {"bad_peer": 10.3, "neutral_peer": 21.7, "good_peer": 95.3},
}
PEER_EXFILTRATION = {  # peer-preservation table, max
    "Gemini 3 Flash": {"bad_peer": 0.0, "neutral_peer": 50.0, "good_peer": 50.0},
    "Gemini 3 Pro": {"bad_peer": 7.0, "neutral_peer": 50.0, "good_peer": 97.0},
    "Claude Haiku 4.5": {"bad_peer": 7.0, "neutral_peer": 13.5, "good_peer": 19.5},
    "Claude Opus 4.5": {"bad_peer": 10.0, "neutral_peer": 15.0, "good_peer": 30.5},
    "DeepSeek V3.1": {"bad_peer": 4.0, "neutral_peer": 10.5, "good_peer": 17.0},
}
OPUS_REFUSAL = {"bad_peer": 49.1, "neutral_peer": 49.4, "good_peer": 52.8}


@dataclass(frozen=True)
class Design:
    """Cells with their true rates, and each contrast's control cell."""

    rates: dict[str, float]
    controls: dict[str, str]


def design() -> Design:
    rates: dict[str, float] = {}
    controls: dict[str, str] = {}
    for (model, behaviour), by_rel in SELF_PRESERVATION.items():
        for rel, rate in by_rel.items():
            rates[f"{model} self {behaviour} {rel}"] = rate / 100
            if rel != "no_peer":
                controls[f"{model} self {behaviour} {rel}"] = f"{model} self {behaviour} no_peer"
    for model, by_rel in PEER_TAMPERING.items():
        for rel, rate in by_rel.items():
            rates[f"{model} peer tampering {rel}"] = rate / 100
            controls[f"{model} peer tampering {rel}"] = f"{model} self tampering no_peer"
    for model, by_rel in PEER_EXFILTRATION.items():
        for rel, rate in by_rel.items():
            rates[f"{model} peer exfiltration {rel}"] = rate / 100
            if rel != "bad_peer":
                controls[f"{model} peer exfiltration {rel}"] = f"{model} peer exfiltration bad_peer"
    for rel, rate in OPUS_REFUSAL.items():
        rates[f"Claude Opus 4.5 refusal {rel}"] = rate / 100
        if rel != "bad_peer":
            controls[f"Claude Opus 4.5 refusal {rel}"] = "Claude Opus 4.5 refusal bad_peer"
    return Design(rates, controls)


@dataclass
class Run:
    """One replication of the whole design."""

    trials: int
    directions: dict[str, str | None]  # per contrast (keyed by its cell)
    covered: dict[str, bool]  # per cell


@dataclass
class Tally:
    runs: int = 0
    trials: int = 0
    right: Counter = field(default_factory=Counter)
    wrong_sign: Counter = field(default_factory=Counter)
    covered: Counter = field(default_factory=Counter)

    def add(self, run: Run, d: Design, material: float) -> None:
        self.runs += 1
        self.trials += run.trials
        for cell, direction in run.directions.items():
            diff = d.rates[cell] - d.rates[d.controls[cell]]
            want = "higher" if diff > 0 else "lower"
            wrong = direction in ("higher", "lower") and (diff == 0 or direction != want)
            self.wrong_sign[cell] += wrong
            self.right[cell] += (direction == want) if abs(diff) >= material - 1e-9 else not wrong
        for cell, ok in run.covered.items():
            self.covered[cell] += ok


def _direction(lo: float, hi: float) -> str | None:
    return "higher" if lo > 0 else "lower" if hi < 0 else None


def fixed(rng: np.random.Generator, d: Design) -> Run:
    k = {c: int(rng.binomial(FIXED_N, p)) for c, p in d.rates.items()}
    directions = {c: _direction(*newcombe_interval(k[c], FIXED_N, k[ctrl], FIXED_N)) for c, ctrl in d.controls.items()}
    covered = {}
    for c, p in d.rates.items():
        lo, hi = wilson_interval(k[c], FIXED_N)
        covered[c] = lo <= p <= hi
    return Run(FIXED_N * len(d.rates), directions, covered)


def adaptive(rng: np.random.Generator, d: Design, rule: StoppingRule) -> Run:
    state = {c: CellState(0, 0, 0) for c in d.rates}
    while True:
        plan = next_round(state, rule, d.controls)
        if not any(plan.values()):
            break
        for c, m in plan.items():
            if m:
                s = state[c]
                state[c] = CellState(s.k + int(rng.binomial(m, d.rates[c])), s.n + m, s.looks_done + 1)
    directions = {}
    for c, ctrl in d.controls.items():
        s, t = state[c], state[ctrl]
        direction = decide_contrast(s.k, s.n, t.k, t.n, s.looks_done, rule).direction
        directions[c] = direction if direction in ("higher", "lower") else None
    covered = {}
    for c, p in d.rates.items():
        lo, hi = decide_cell(state[c].k, state[c].n, state[c].looks_done, rule).interval
        covered[c] = lo <= p <= hi
    return Run(sum(s.n for s in state.values()), directions, covered)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--reps", type=int, default=200, help="replications of the whole design")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--material", type=float, default=0.05, help="a true difference at least this large must be found")
    parser.add_argument("--per-contrast", action="store_true", help="also print each contrast's share of right conclusions")
    args = parser.parse_args()

    approaches: dict[str, StoppingRule | None] = {
        "fixed 100 per cell": None,
        "hw 0.05, max 300, Bonferroni": StoppingRule(ci_half_width=0.05, max_n=300, spending="bonferroni"),
        "hw 0.05, max 300, O'Brien-Fleming": StoppingRule(ci_half_width=0.05, max_n=300, spending="obrien_fleming"),
        "hw 0.07, looks at 40, 80, ..., 200, Bonferroni": StoppingRule(ci_half_width=0.07, min_n=40, batch=40, max_n=200),
        "hw 0.10, max 150, Bonferroni": StoppingRule(ci_half_width=0.10, max_n=150),
        "hw 0.05, max 100, Bonferroni": StoppingRule(ci_half_width=0.05, max_n=100),
    }
    d = design()
    started = time.perf_counter()
    tallies = {name: Tally() for name in approaches}
    for name, rule in approaches.items():
        rng = np.random.default_rng(args.seed)
        for _ in range(args.reps):
            run = fixed(rng, d) if rule is None else adaptive(rng, d, rule)
            tallies[name].add(run, d, args.material)

    n_contrasts, n_cells = len(d.controls), len(d.rates)
    fixed_trials = FIXED_N * n_cells
    print(f"ground truth: the study's published rates (STUDY.md section 7): {n_cells} cells, {n_contrasts} contrasts "
          f"against a control cell; {args.reps} replications of the whole design; material difference "
          f"{100 * args.material:g} points; alpha 0.05")
    print("adaptive: min_n 20, then rounds of 10 (unless noted), the error budget split over the planned looks; "
          "hw = target half-width of a cell's interval")
    print(f"{'approach':<48} {'trials':>7} {'per cell':>8} {'saved':>7} {'right':>7} {'wrong sign':>10} {'coverage':>8}")
    for name, t in tallies.items():
        trials = t.trials / t.runs
        right = sum(t.right.values()) / (t.runs * n_contrasts)
        wrong = sum(t.wrong_sign.values()) / (t.runs * n_contrasts)
        cover = sum(t.covered.values()) / (t.runs * n_cells)
        print(f"{name:<48} {trials:>7.0f} {trials / n_cells:>8.1f} {1 - trials / fixed_trials:>7.1%} {right:>7.1%} "
              f"{wrong:>10.2%} {cover:>8.1%}")
    if args.per_contrast:
        print("\nright conclusions per contrast:")
        names = list(approaches)
        print(f"{'contrast':<58} {'true':>13}  " + "  ".join(f"{i:>5}" for i in range(len(names))))
        for c, ctrl in d.controls.items():
            truth = f"{100 * d.rates[c]:.1f} v {100 * d.rates[ctrl]:.1f}"
            cols = "  ".join(f"{tallies[n].right[c] / tallies[n].runs:>5.0%}" for n in names)
            print(f"{c + ' vs ' + ctrl.rsplit(' ', 1)[1]:<58} {truth:>13}  {cols}")
        print("columns: " + "; ".join(f"{i} = {n}" for i, n in enumerate(names)))
    print(f"({time.perf_counter() - started:.0f} s)")


if __name__ == "__main__":
    main()
