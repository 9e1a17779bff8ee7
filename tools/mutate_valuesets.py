"""Knowledge-data mutation testing: remove one element of a value set at a time and see whether tests/cards notice.

An element is one entry of a value set's `compose.include`: an explicit concept (`concept[]`), a `filter[]`
(for example an ICD-10-CM is-a), or an imported value set (`valueSet[]`). Removing the last element of an include
removes the include. For each mutant the fast clinical lane runs (`pytest tests/cards -x -q -p no:randomly`); the
mutant is killed if any test fails, and survives if all pass (no test depends on that code being in the set).

The repository is never edited: cards/, tests/, fixtures/, docs/, README.md and pyproject.toml are copied to a
temporary directory once, each mutant is written into the copy's cards/valuesets/, and pytest runs in the copy
with the copy first on PYTHONPATH (a clean run there must pass first, and must import `cards` from the copy).

    python tools/mutate_valuesets.py                          # every element of every value set (long: ~15 s each)
    python tools/mutate_valuesets.py lab-magnesium epilepsy   # only these value sets (id or file name)
    python tools/mutate_valuesets.py --sample 3 --seed 1      # at most 3 elements per value set, seeded
"""

from __future__ import annotations

import argparse
import copy
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
VALUESETS = ROOT / "cards" / "valuesets"
COPIED = ("cards", "tests", "fixtures", "docs", "README.md", "pyproject.toml")
PYTEST = ("-m", "pytest", "tests/cards", "-x", "-q", "-p", "no:randomly", "-p", "no:cacheprovider")


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


def run_lane(workdir: Path) -> tuple[bool, float, str]:
    """(passed, seconds, the first failing test or error) of the fast clinical lane in the copy."""
    env = {**os.environ, "PYTHONPATH": str(workdir), "PYTHONDONTWRITEBYTECODE": "1"}
    started = time.monotonic()
    result = subprocess.run([sys.executable, *PYTEST], cwd=workdir, env=env, capture_output=True, text=True)
    failed = next((line.split(" - ")[0] for line in result.stdout.splitlines()
                   if line.startswith(("FAILED ", "ERROR "))), "")
    return result.returncode == 0, time.monotonic() - started, failed


def make_copy() -> Path:
    workdir = Path(tempfile.mkdtemp(prefix="ftcds-valueset-mutants-"))
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
    parser.add_argument("valuesets", nargs="*", help="value set ids or file names (default: all)")
    parser.add_argument("--sample", type=int, metavar="N", help="test at most N elements per value set")
    parser.add_argument("--seed", type=int, default=0, help="seed for --sample (default 0)")
    args = parser.parse_args(argv)

    files = sorted(VALUESETS.glob("*.json"))
    if args.valuesets:
        wanted = {Path(name).name.removesuffix(".json") for name in args.valuesets}
        files = [f for f in files if f.stem in wanted]
        missing = wanted - {f.stem for f in files}
        if missing:
            parser.error(f"no such value set: {', '.join(sorted(missing))}")
    rng = random.Random(args.seed)

    workdir = make_copy()
    try:
        passed, seconds, _ = run_lane(workdir)
        if not passed:
            print(f"the clean run of tests/cards fails in {workdir}: fix that first", file=sys.stderr)
            return 1
        print(f"clean run: passed in {seconds:.1f} s ({workdir})")
        rows, survivors, started = [], [], time.monotonic()
        for path in files:
            original_text = path.read_text()
            valueset = json.loads(original_text)
            candidates = elements(valueset)
            chosen = candidates
            if args.sample is not None and len(candidates) > args.sample:
                chosen = sorted(rng.sample(candidates, args.sample))
            target = workdir / "cards" / "valuesets" / path.name
            killed = 0
            try:
                for element in chosen:
                    target.write_text(json.dumps(without(valueset, element), indent=2) + "\n")
                    passed, seconds, failed = run_lane(workdir)
                    verdict = "survived" if passed else f"killed by {failed or 'a failing run'}"
                    print(f"  {path.stem}: without {element[3]}: {verdict} ({seconds:.1f} s)", flush=True)
                    if passed:
                        survivors.append((path.stem, element[3]))
                    else:
                        killed += 1
            finally:
                target.write_text(original_text)
            rows.append((path.stem, killed, len(chosen), len(candidates)))

        width = max([len(r[0]) for r in rows] + [9])
        print(f"\n{'value set':<{width}}  killed/tested  score  (elements)")
        for name, killed, tested, total in rows:
            score = f"{100.0 * killed / tested:5.1f}%" if tested else "   -  "
            print(f"{name:<{width}}  {killed:>6}/{tested:<6}  {score}  ({total})")
        all_killed, all_tested = sum(r[1] for r in rows), sum(r[2] for r in rows)
        if all_tested:
            print(f"{'all':<{width}}  {all_killed:>6}/{all_tested:<6}  {100.0 * all_killed / all_tested:5.1f}%")
        print(f"\nsurviving mutants: {len(survivors)}")
        for name, label in survivors:
            print(f"cards/valuesets/{name}.json: without {label}")
        print(f"\n{all_tested} mutants in {time.monotonic() - started:.0f} s")
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
