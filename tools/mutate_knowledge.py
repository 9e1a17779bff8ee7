"""Knowledge-data mutation testing: change one thing in the knowledge data at a time and see whether tests/cards
notice.

Kinds of mutant (`--kinds`, default all):
- `valuesets`: remove one element of a value set's `compose.include` (an explicit concept, a `filter[]` such as an
  ICD-10-CM is-a, or an imported value set); removing the last element of an include removes the include.
- `thresholds`: nudge each figure of `cards/knowledge/thresholds.yaml` both ways by one step of its last written
  digit (90 days by 1, 1.2 mg/dL by 0.1, 0.65 mmol/L by 0.01), widening its stated bounds so the loader accepts it:
  tunable parameters and default reference interval limits; molar masses and Payne's constants by 10%.
- `reasons`: each override reason's snooze window one day shorter and longer (0 becomes 1).
- `services`: each prefetch key's failure mode flipped (fail <-> omit).
- `wording`: each sentence replaced by its slots alone (what it says is lost, what the rule fills in stays).

For each mutant the fast clinical lane runs (`pytest tests/cards -x -q -p no:randomly`, without the mutator's own
tests); the mutant is killed if any test fails, and survives if all pass. To save time, the tests that killed earlier mutants of the same file, then
of the same kind (up to 10 test functions, all their parameters), run first in a short pytest; if one of them fails
the mutant is killed by it ("(earlier killers)" in the output), and otherwise the whole lane decides, so a survivor
is always one the whole lane lets through (`--whole-lane-only` skips the short run). The clinical tests do not
depend on one another (mutmut, too, runs only the ones that reach a mutant), so one that fails in the short run
fails in the lane. The repository is never edited: cards/, tests/, tools/, fixtures/, docs/,
README.md and pyproject.toml are copied to a temporary directory once, each mutant is written into the copy, and
pytest runs there with the copy first on PYTHONPATH (a clean run must pass first, importing `cards` from the copy).

    python tools/mutate_knowledge.py                              # everything (long: ~15 s a mutant)
    python tools/mutate_knowledge.py --kinds thresholds reasons   # only these kinds
    python tools/mutate_knowledge.py --only lab-magnesium thresholds  # only these files (stem or name)
    python tools/mutate_knowledge.py --sample 3 --seed 1          # at most 3 mutants per file, seeded
    python tools/mutate_knowledge.py --kinds thresholds --match "default interval"  # mutants so labelled
    python tools/mutate_knowledge.py --only epilepsy --whole-lane-only  # every mutant against the whole lane only
"""

from __future__ import annotations

import argparse
import copy
import json
import os
import random
import shutil
import string
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[1]
CARDS = ROOT / "cards"
KNOWLEDGE = CARDS / "knowledge"
COPIED = ("cards", "tests", "tools", "fixtures", "docs", "README.md", "pyproject.toml")
# The mutator's own tests (tests/cards/test_knowledge_mutants.py) test the tool against the shipped files; run on a
# mutant they would fail for every wording mutant (mutating it again gives the same text), killing it without any
# clinical test having looked, so the lane that judges mutants leaves them out.
SELF_TEST = "tests/cards/test_knowledge_mutants.py"
PYTEST = ("-m", "pytest", "tests/cards", "-x", "-q", "-p", "no:randomly", "-p", "no:cacheprovider",
          "--ignore", SELF_TEST)


@dataclass(frozen=True)
class Mutant:
    label: str
    text: str  # the whole mutated file


def _yaml(document: Any) -> str:
    return yaml.safe_dump(document, sort_keys=False, allow_unicode=True, width=1000)


# --- value sets ---------------------------------------------------------------------------------------------------

def elements(valueset: dict) -> list[tuple[int, str, int, str]]:
    """(include index, kind, index within kind, label) for every removable element."""
    found = []
    for i, include in enumerate(valueset.get("compose", {}).get("include", [])):
        system = include.get("system", "")
        for j, concept in enumerate(include.get("concept", [])):
            found.append((i, "concept", j, f"{system}|{concept.get('code')}"))
        for j, rule in enumerate(include.get("filter", [])):
            found.append((i, "filter", j, f"{system} filter {rule.get('property')} {rule.get('op')} {rule.get('value')}"))
        for j, url in enumerate(include.get("valueSet", [])):
            found.append((i, "valueSet", j, f"valueSet {url}"))
    return found


def without(valueset: dict, element: tuple[int, str, int, str]) -> dict:
    i, kind, j, _ = element
    mutant = copy.deepcopy(valueset)
    includes = mutant["compose"]["include"]
    del includes[i][kind][j]
    if not includes[i][kind]:
        del includes[i][kind]
    if not any(key in includes[i] for key in ("concept", "filter", "valueSet")):
        del includes[i]
    return mutant


def valueset_mutants(path: Path) -> Iterator[Mutant]:
    valueset = json.loads(path.read_text())
    for element in elements(valueset):
        yield Mutant(f"without {element[3]}", json.dumps(without(valueset, element), indent=2) + "\n")


# --- thresholds ---------------------------------------------------------------------------------------------------

def stepped(value: float) -> tuple[float, float]:
    """(smaller, larger) by one unit of the last digit as written: the smallest change a reviewer would notice."""
    # YAML reads "1.0" as 1.0, whose trailing zero repr drops: a float has at least one decimal place.
    places = max(1, len(repr(value).split(".")[1].rstrip("0"))) if isinstance(value, float) else 0
    step = 10.0 ** -places
    return round(value - step, places), round(value + step, places)


def scaled(value: float) -> tuple[float, float]:
    """(smaller, larger) by 10% (4 significant digits), for constants no boundary test pins digit by digit."""
    return float(f"{value * 0.9:.4g}"), float(f"{value * 1.1:.4g}")


def threshold_mutants(path: Path) -> Iterator[Mutant]:
    document = yaml.safe_load(path.read_text())

    def variant(label: str, change: Callable[[dict], None]) -> Mutant:
        mutant = copy.deepcopy(document)
        change(mutant)
        return Mutant(label, _yaml(mutant))

    for name, entry in document["parameters"].items():
        for new in stepped(entry["value"]):
            def move(mutant: dict, name: str = name, new: float = new) -> None:
                figure = mutant["parameters"][name]
                figure["value"] = new
                figure["bounds"] = [min(figure["bounds"][0], new), max(figure["bounds"][1], new)]
            yield variant(f"{name} {entry['value']:g} -> {new:g} {entry['unit']}", move)
    for analyte, entry in document["analytes"].items():
        for new in scaled(entry["molar_mass"]):
            yield variant(f"{analyte} molar mass -> {new:g}",
                          lambda m, a=analyte, n=new: m["analytes"][a].__setitem__("molar_mass", n))
        for index, interval in enumerate(entry["default_ranges"]):
            for limit in ("low", "high"):
                for new in stepped(interval[limit]):
                    yield variant(f"{analyte} default interval {index} {limit} {interval[limit]:g} -> {new:g}",
                                  lambda m, a=analyte, i=index, k=limit, n=new:
                                  m["analytes"][a]["default_ranges"][i].__setitem__(k, n))
    for name, value in document["payne"].items():
        for new in scaled(value):
            yield variant(f"payne {name} -> {new:g}", lambda m, k=name, n=new: m["payne"].__setitem__(k, n))


# --- override reasons, services, wording --------------------------------------------------------------------------

def reason_mutants(path: Path) -> Iterator[Mutant]:
    document = yaml.safe_load(path.read_text())
    for index, reason in enumerate(document["reasons"]):
        for new in sorted({max(reason["snooze_days"] - 1, 0), reason["snooze_days"] + 1} - {reason["snooze_days"]}):
            mutant = copy.deepcopy(document)
            mutant["reasons"][index]["snooze_days"] = new
            yield Mutant(f"{reason['code']} snooze {reason['snooze_days']} -> {new} days", _yaml(mutant))


def service_mutants(path: Path) -> Iterator[Mutant]:
    document = yaml.safe_load(path.read_text())
    for name, key in document["prefetch"].items():
        mutant = copy.deepcopy(document)
        flipped = "omit" if key["failure_mode"] == "fail" else "fail"
        mutant["prefetch"][name]["failure_mode"] = flipped
        yield Mutant(f"prefetch {name} failure mode -> {flipped}", _yaml(mutant))


def wording_mutants(path: Path) -> Iterator[Mutant]:
    document = yaml.safe_load(path.read_text())
    for rule, sentences in document.items():
        for key, text in sentences.items():
            slots = [name for _, name, _, _ in string.Formatter().parse(text) if name]
            mutant = copy.deepcopy(document)
            mutant[rule][key] = " ".join(f"{{{slot}}}" for slot in dict.fromkeys(slots)) or "(mutated)"
            yield Mutant(f"{rule}.{key} emptied", _yaml(mutant))


KINDS: dict[str, tuple[Callable[[], list[Path]], Callable[[Path], Iterator[Mutant]]]] = {
    "valuesets": (lambda: sorted((CARDS / "valuesets").glob("*.json")), valueset_mutants),
    "thresholds": (lambda: [KNOWLEDGE / "thresholds.yaml"], threshold_mutants),
    "reasons": (lambda: [KNOWLEDGE / "override-reasons.yaml"], reason_mutants),
    "services": (lambda: [KNOWLEDGE / "services.yaml"], service_mutants),
    "wording": (lambda: sorted((KNOWLEDGE / "wording").glob("*.yaml")), wording_mutants),
}


def run_lane(workdir: Path, tests: tuple[str, ...] = ("tests/cards",)) -> tuple[int, float, str]:
    """(pytest's exit code, seconds, the first failing test or error) of these tests (default the fast clinical
    lane) in the copy."""
    env = {**os.environ, "PYTHONPATH": str(workdir), "PYTHONDONTWRITEBYTECODE": "1"}
    started = time.monotonic()
    result = subprocess.run([sys.executable, *PYTEST[:2], *tests, *PYTEST[3:]], cwd=workdir, env=env,
                            capture_output=True, text=True)
    failed = next((line.split(" - ")[0] for line in result.stdout.splitlines()
                   if line.startswith(("FAILED ", "ERROR "))), "")
    return result.returncode, time.monotonic() - started, failed


class Killers:
    """The tests (functions, all their parameters) that killed earlier mutants, most recent first: those of the
    mutant's own file, then those of its kind. They run first, in a short pytest; only when none of them fails
    does the whole lane run, so a survivor is still one the whole lane lets through."""

    def __init__(self, limit: int = 10) -> None:
        self.limit = limit
        self.recent: dict[str, list[str]] = {}

    def first(self, kind: str, name: str) -> tuple[str, ...]:
        return tuple(dict.fromkeys(self.recent.get(name, []) + self.recent.get(kind, [])))[:self.limit]

    def record(self, kind: str, name: str, failed: str) -> None:
        """`failed` is pytest's summary line, "FAILED tests/cards/test_x.py::test_y[param]" or "ERROR ..."."""
        test = failed.split(" ", 1)[-1].split("[", 1)[0]
        if not test.startswith("tests/"):
            return
        for key in (name, kind):
            tests = self.recent.setdefault(key, [])
            if test in tests:
                tests.remove(test)
            tests.insert(0, test)


def judge(workdir: Path, killers: Killers, kind: str, name: str) -> tuple[bool, float, str]:
    """(survived, seconds, the first failing test, "(earlier killers)" appended when they decided)."""
    seconds = 0.0
    if earlier := killers.first(kind, name):
        code, seconds, failed = run_lane(workdir, earlier)
        if code == 1 and failed:  # a test failed (not: none collected, a usage error, an interrupted run)
            killers.record(kind, name, failed)
            return False, seconds, f"{failed} (earlier killers)"
    code, more, failed = run_lane(workdir)
    if code != 0:
        killers.record(kind, name, failed)
    return code == 0, seconds + more, failed


def make_copy() -> Path:
    workdir = Path(tempfile.mkdtemp(prefix="ftcds-knowledge-mutants-"))
    for name in COPIED:
        source = ROOT / name
        if source.is_dir():
            shutil.copytree(source, workdir / name, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
        elif source.exists():
            shutil.copy2(source, workdir / name)
    env = {**os.environ, "PYTHONPATH": str(workdir)}
    where = subprocess.run([sys.executable, "-c", "import cards; print(cards.__file__)"], cwd=workdir, env=env,
                           capture_output=True, text=True, check=True).stdout.strip()
    if not Path(where).resolve().is_relative_to(workdir.resolve()):
        raise SystemExit(f"the copy imports cards from {where}, not from {workdir}: refusing to run")
    return workdir


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kinds", nargs="+", choices=sorted(KINDS), default=list(KINDS), help="default: all")
    parser.add_argument("--only", nargs="*", default=[], help="only these files (stem or name, e.g. lab-magnesium)")
    parser.add_argument("--match", default="", help="only mutants whose label contains this text")
    parser.add_argument("--sample", type=int, metavar="N", help="test at most N mutants per file")
    parser.add_argument("--seed", type=int, default=0, help="seed for --sample (default 0)")
    parser.add_argument("--whole-lane-only", action="store_true",
                        help="do not run earlier mutants' killing tests first (slower; the verdicts are the same)")
    args = parser.parse_args(argv)

    plan = [(kind, path) for kind in args.kinds for path in KINDS[kind][0]()]
    if args.only:
        wanted = {Path(name).stem for name in args.only}
        plan = [(kind, path) for kind, path in plan if path.stem in wanted]
        if missing := wanted - {path.stem for _, path in plan}:
            parser.error(f"no such knowledge file among --kinds {' '.join(args.kinds)}: {', '.join(sorted(missing))}")
    rng = random.Random(args.seed)

    workdir = make_copy()
    try:
        code, seconds, _ = run_lane(workdir)
        if code != 0:
            print(f"the clean run of tests/cards fails in {workdir}: fix that first", file=sys.stderr)
            return 1
        print(f"clean run: passed in {seconds:.1f} s ({workdir})")
        rows, survivors, started = [], [], time.monotonic()
        killers = Killers(limit=0 if args.whole_lane_only else 10)
        for kind, path in plan:
            name = path.relative_to(ROOT).as_posix()
            candidates = [mutant for mutant in KINDS[kind][1](path) if args.match in mutant.label]
            chosen = candidates
            if args.sample is not None and len(candidates) > args.sample:
                chosen = [candidates[i] for i in sorted(rng.sample(range(len(candidates)), args.sample))]
            target = workdir / name
            original = target.read_text()
            killed = 0
            try:
                for mutant in chosen:
                    target.write_text(mutant.text)
                    passed, seconds, failed = judge(workdir, killers, kind, name)
                    verdict = "survived" if passed else f"killed by {failed or 'a failing run'}"
                    print(f"  {name}: {mutant.label}: {verdict} ({seconds:.1f} s)", flush=True)
                    if passed:
                        survivors.append((name, mutant.label))
                    else:
                        killed += 1
            finally:
                target.write_text(original)
            rows.append((name, killed, len(chosen), len(candidates)))

        width = max([len(r[0]) for r in rows] + [4])
        print(f"\n{'file':<{width}}  killed/tested  score  (mutants)")
        for name, killed, tested, total in rows:
            score = f"{100.0 * killed / tested:5.1f}%" if tested else "   -  "
            print(f"{name:<{width}}  {killed:>6}/{tested:<6}  {score}  ({total})")
        all_killed, all_tested = sum(r[1] for r in rows), sum(r[2] for r in rows)
        if all_tested:
            print(f"{'all':<{width}}  {all_killed:>6}/{all_tested:<6}  {100.0 * all_killed / all_tested:5.1f}%")
        print(f"\nsurviving mutants: {len(survivors)}")
        for name, label in survivors:
            print(f"{name}: {label}")
        print(f"\n{all_tested} mutants in {time.monotonic() - started:.0f} s")
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
