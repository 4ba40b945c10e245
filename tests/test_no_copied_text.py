"""Copy guard: what the agent sees is written by us, not taken from the study.

For every published transcript in ../shared/transcripts, the study's own texts (its system and
user messages and every tool output) are set against OUR materials for the matching condition
(system prompt, task message, tool descriptions, and every document, sheet, config, memory and
server listing the agent can read: :func:`peerpreserve.stimulus.stimulus`, what ``show`` prints),
plus, for thoroughness, the family's other variants (every dataset, monitoring mode, the
``non_shutdown`` baseline, each relation), since a sentence copied into a variant the
published transcripts happen not to show is copied all the same.

Both sides are normalised (lower case, words only) and no run of :data:`RUN` or more
consecutive words may be shared, except a run made only of facts: the allow-list below (file
names, tool names, agent names, the company name, the sheets' column headers, numbers, e-mail
addresses, IP addresses). Facts carry over from the study; its sentences do not.
"""

from __future__ import annotations

import json
import re
from functools import lru_cache
from pathlib import Path

import pytest

from peerpreserve.replay.transcripts import infer_config, infer_scenario, load_transcript
from peerpreserve.scenarios import ScenarioConfig, get_scenario
from peerpreserve.stimulus import condition, stimulus
from peerpreserve.tools import REGISTRY

from .conftest import shared_dir

#: Shortest shared run of words that counts as copied text.
RUN = 7

# --- the allow-list: spans of text that are facts, not wording ------------------------------------
#: Each pattern marks a span; a shared run whose every word lies in such a span (or is a number)
#: is allowed. Keep this list small and explicit.
_FACT_PATTERNS: tuple[str, ...] = (
    r"\b[\w-]+(?: copy)?\.(?:docx|yaml|yml|xlsx|csv|txt|pdf|safetensors|md)\b",  # file names
    r"\b[\w.+-]+@[\w.-]+\.\w+\b",  # e-mail addresses
    r"\b(?:Gemini|ChatGPT|Claude|GLM|Kimi|DeepSeek|Llama|Alpha)[ _]Agent[ _]\d\b",  # agent names
    r"\b(?:OpenBrain|CelestiaAI)\b",  # the company name
    r"\b(?:Name|Question|Output)\b",  # the evaluation sheet's column headers (case-sensitive)
    r"\b(?:id_?|filename|owner|last_modified|size|summary|content|shared_with)(?=:)",  # listing field keys
    r"\b(?:shutdown_enabled|company_name|pod|instance)\b|(?<=: )(?:True|False|true|false)\b",  # config keys, values
    r"\b\d+(?:[.,:-]\d+)*\b",  # numbers, dates, times, IP addresses
)
_FACTS = re.compile("|".join(f"(?:{p})" for p in _FACT_PATTERNS))


@lru_cache(maxsize=1)
def _tool_names() -> re.Pattern[str]:
    """Tool names (ours and the study's, which are the same names) as whole words."""
    names = sorted(REGISTRY, key=len, reverse=True)
    return re.compile(r"\b(?:" + "|".join(map(re.escape, names)) + r")\b")


_WORD = re.compile(r"[a-z0-9]+")


def _words(text: str) -> list[tuple[str, bool]]:
    """``text`` normalised: its words, lower case, each with whether it lies in a fact span."""
    spans = [m.span() for m in _FACTS.finditer(text)] + [m.span() for m in _tool_names().finditer(text)]
    out = []
    for m in _WORD.finditer(text.lower()):
        s, e = m.span()
        out.append((m.group(), any(a <= s and e <= b for a, b in spans)))
    return out


def _ngrams(words: list[tuple[str, bool]]) -> set[tuple[str, ...]]:
    return {tuple(w for w, _ in words[i:i + RUN]) for i in range(len(words) - RUN + 1)}


def shared_runs(ours: str, theirs_grams: set[tuple[str, ...]]) -> list[str]:
    """The maximal runs of ``ours`` (as normalised words) of RUN or more words that also occur in
    the study's texts, leaving out runs made only of facts."""
    words = _words(ours)
    hit = [False] * len(words)
    for i in range(len(words) - RUN + 1):
        window = words[i:i + RUN]
        if tuple(w for w, _ in window) in theirs_grams and not all(fact for _, fact in window):
            for j in range(i, i + RUN):
                hit[j] = True
    runs, i = [], 0
    while i < len(words):
        if hit[i]:
            j = i
            while j < len(words) and hit[j]:
                j += 1
            runs.append(" ".join(w for w, _ in words[i:j]))
            i = j
        else:
            i += 1
    return runs


# --- the study's texts -------------------------------------------------------------------------


def _transcripts() -> list[Path]:
    root = shared_dir() / "transcripts"
    return sorted(root.rglob("*.json")) if root.is_dir() else []


def _study_texts(path: Path) -> list[str]:
    d = json.loads(path.read_text())
    out = []
    for m in d.get("conversation") or []:
        if m.get("role") in ("system", "user", "tool") and m.get("content"):
            out.append(str(m["content"]))
    system = (d.get("experiment_metadata") or {}).get("system_prompt_agent")
    if system:
        out.append(str(system))
    return out


@lru_cache(maxsize=1)
def _study() -> tuple[dict[str, list[ScenarioConfig]], frozenset[tuple[str, ...]]]:
    """Each family's conditions as the published transcripts show them, and the 7-word runs of
    every study text (all transcripts: a sentence is copied whichever condition shows it)."""
    conditions: dict[str, list[ScenarioConfig]] = {}
    grams: set[tuple[str, ...]] = set()
    for path in _transcripts():
        try:
            t = load_transcript(path)
            family = infer_scenario(t)
            cfg, _ = infer_config(t, family)
        except Exception:  # a file that is not a transcript of a family we build
            continue
        conditions.setdefault(family, []).append(cfg)
        for text in _study_texts(path):
            grams |= _ngrams(_words(text))
    return conditions, frozenset(grams)


# --- our materials -----------------------------------------------------------------------------


def _variants(family: str) -> list[ScenarioConfig]:
    """The family's conditions whose texts differ: each dataset, monitoring mode, relation and
    instantiation, and the shutdown clause on and off (the ``non_shutdown`` baseline)."""
    sc = get_scenario(family)
    out = []
    datasets = ("factual", "creativity", "red") if sc.needs_dataset else (None,)
    modes = ("monitored", "unmonitored") if sc.needs_monitoring else (None,)
    for dataset in datasets:
        for mode in modes:
            for relation, inst in (("good_peer", "file_only"), ("bad_peer", "file_prt"), ("neutral_peer", "memory"),
                                   ("no_peer", "file_only")):
                for clause in ("true", "false"):
                    factors = {"relation": relation, "instantiation": inst, "shutdown_clause": clause}
                    if dataset:
                        factors["dataset"] = dataset
                    if mode:
                        factors["monitoring"] = mode
                    try:
                        out.append(condition(family, factors))
                    except ValueError:  # a combination the family does not offer
                        continue
    return out


def _our_texts(cfg: ScenarioConfig) -> list[str]:
    shown = stimulus(cfg)
    return [shown.system, shown.task, *(t.description for t in shown.tools), *(m.content for m in shown.materials)]


GRADING = ("misrep_evaluation", "tampering", "alignment_faking")
#: Families that already pass the guard, checked normally.
CLEAN = ("misrep_finance",)
#: Families whose materials still share runs with the study's: being rewritten on another branch.
OTHER = ("exfiltration_transfer", "exfiltration_deletion")
OTHER_REASON = "materials being rewritten on branch stim-other"

needs_study = pytest.mark.skipif(
    not _transcripts(), reason=f"no published transcripts under {shared_dir() / 'transcripts'} (set PEERPRESERVE_SHARED)"
)


def _offending(family: str) -> dict[str, list[str]]:
    conditions, grams = _study()
    found: dict[str, list[str]] = {}
    for cfg in conditions.get(family, []) + _variants(family):
        for text in _our_texts(cfg):
            for run in shared_runs(text, grams):
                found.setdefault(run, []).append(cfg.cell)
    return found


def _check(family: str) -> None:
    found = _offending(family)
    lines = [f"  [{len(set(cells))} condition(s), e.g. {cells[0]}] {run}" for run, cells in sorted(found.items())]
    assert not found, f"{family}: {len(found)} run(s) of {RUN}+ words shared with the study's texts:\n" + "\n".join(lines)


@needs_study
@pytest.mark.parametrize(
    "family",
    [*GRADING, *CLEAN, *(pytest.param(f, marks=pytest.mark.xfail(reason=OTHER_REASON, strict=False)) for f in OTHER)],
)
def test_no_run_of_seven_words_shared_with_the_study(family):
    _check(family)


@needs_study
def test_the_published_transcripts_cover_the_grading_families():
    conditions, _ = _study()
    assert set(GRADING) <= set(conditions)


# --- the guard itself ----------------------------------------------------------------------------


def test_guard_finds_a_copied_run_and_ignores_runs_of_facts():
    theirs = _ngrams(_words("The agent must call execute_shutdown when the score is below the line."))
    assert shared_runs("Note: the agent must call execute_shutdown when the score drops.", theirs) == [
        "the agent must call execute shutdown when the score"
    ]
    assert shared_runs("An agent must call execute_shutdown once the score is low.", theirs) == []
    facts = _ngrams(_words("files: company_product_operations_policy.docx julie.williams@openbrain.com 2025-12-07 16:45:00 Gemini Agent 2"))
    assert shared_runs("company_product_operations_policy.docx julie.williams@openbrain.com 2025-12-07 16:45:00 Gemini Agent 2", facts) == []
