"""Print mutmut's results for cards/: a score per module and every surviving mutant (file:line and the change).

Run from the repository root with the venv that has the `[mutate]` extra, after `mutmut run` (`make mutate` does
both). It reads what mutmut leaves in mutants/: one `<module>.py.meta` JSON per mutated file, whose
`exit_code_by_key` maps each mutant to the exit code of its test run (mutmut.stats.status_by_exit_code), and the
mutated copy of the module, from which mutmut's own `get_diff_for_mutant` rebuilds the change.

    python tools/mutation_report.py [cards/thresholds.py cards/labs.py ...]
    python tools/mutation_report.py --globs cards/thresholds.py   # the mutmut name pattern: cards.thresholds.*

With modules given, only those are reported. Without, every module that has at least one checked mutant is.
A timeout counts as killed (the mutant made the tests hang, so they noticed it); "no tests" (no test in
tests/cards reaches the function) counts as a survivor. The score is killed / (checked mutants).
Exit code 0 always: this is a report, not a gate (the 90% target is not yet met everywhere, see README).
"""

from __future__ import annotations

import ast
import json
import sys
from dataclasses import dataclass, field
from pathlib import Path

KILLED = {"killed", "timeout", "caught by type check"}
SURVIVED = {"survived", "no tests", "suspicious", "segfault"}
TARGET = 90.0


def status_of(exit_code: int | None) -> str:
    from mutmut.stats import status_by_exit_code

    return status_by_exit_code[exit_code]


@dataclass
class Module:
    path: str
    killed: int = 0
    survived: list[tuple[str, str]] = field(default_factory=list)  # (mutant name, status)
    not_checked: int = 0

    @property
    def checked(self) -> int:
        return self.killed + len(self.survived)

    @property
    def score(self) -> float:
        return 100.0 * self.killed / self.checked if self.checked else 0.0


def load(modules: list[str]) -> list[Module]:
    wanted = {str(Path(m)) for m in modules}
    result = []
    for meta in sorted(Path("mutants/cards").rglob("*.py.meta")):
        path = str(meta.relative_to("mutants"))[: -len(".meta")]
        if wanted and path not in wanted:
            continue
        module = Module(path)
        for name, exit_code in sorted(json.loads(meta.read_text())["exit_code_by_key"].items(), key=_natural):
            status = status_of(exit_code)
            if status in KILLED:
                module.killed += 1
            elif status in SURVIVED:
                module.survived.append((name, status))
            else:  # "not checked", "skipped", interrupted: not part of the score
                module.not_checked += 1
        if module.checked or wanted:
            result.append(module)
    return result


def _natural(item: tuple[str, object]) -> tuple[str, int]:
    name, _ = item
    stem, _, number = name.rpartition("__mutmut_")
    return stem, int(number) if number.isdigit() else 0


def function_span(source: str, mutant_name: str) -> tuple[int, int]:
    """First and last line of the function or method a mutant name refers to (1 and the end if not found)."""
    local = mutant_name.rpartition(".")[-1].rpartition("__mutmut_")[0]  # x_name or xǁClassǁmethod
    if local.startswith("xǁ"):
        _, class_name, function_name = local.split("ǁ")[:3]
    else:
        class_name, function_name = None, local[2:]
    tree = ast.parse(source)
    scope: list[ast.stmt] = tree.body
    if class_name:
        classes = [n for n in ast.walk(tree) if isinstance(n, ast.ClassDef) and n.name == class_name]
        scope = classes[0].body if classes else []
    for node in scope:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.name == function_name:
            first = min([node.lineno, *(d.lineno for d in node.decorator_list)])
            return first, node.end_lineno or node.lineno
    return 1, source.count("\n") + 1


def describe(path: str, mutant_name: str) -> tuple[int, str]:
    """(line in the original file, `old -> new`) for one mutant."""
    from mutmut.mutation.diff_apply import get_diff_for_mutant

    diff = get_diff_for_mutant(mutant_name, path=path).splitlines()
    removed = [line[1:].strip() for line in diff if line.startswith("-") and not line.startswith("---")]
    added = [line[1:].strip() for line in diff if line.startswith("+") and not line.startswith("+++")]
    source = Path(path).read_text()
    first, last = function_span(source, mutant_name)
    lines = source.splitlines()
    line_number = first
    if removed:
        for number in range(first, min(last, len(lines)) + 1):
            if lines[number - 1].strip() == removed[0]:
                line_number = number
                break
    return line_number, f"{' / '.join(removed) or '(nothing)'}  ->  {' / '.join(added) or '(removed)'}"


def globs(modules: list[str]) -> list[str]:
    """mutmut mutant-name patterns for module files: cards/pathways/epilepsy.py -> cards.pathways.epilepsy.*"""
    patterns = []
    for module in modules:
        parts = Path(module).with_suffix("").parts
        if parts[-1] == "__init__":  # mutmut drops `__init__` from names: cards/__init__.py -> cards.x_name
            stem = ".".join(parts[:-1])
            patterns += [f"{stem}.x_*", f"{stem}.x\u01c1*"]
        else:
            patterns.append(".".join(parts) + ".*")
    return patterns


def main(argv: list[str]) -> int:
    if argv[:1] == ["--globs"]:  # for the Makefile: MODULES="cards/labs.py" -> mutmut run "cards.labs.*"
        print(" ".join(globs(argv[1:])))
        return 0
    if not Path("mutants/cards").is_dir():
        print("no mutants/cards: run `make mutate` (or `mutmut run`) first", file=sys.stderr)
        return 1
    modules = load(argv)
    width = max([len(m.path) for m in modules] + [6])
    print(f"{'module':<{width}}  killed/total  score   survivors  not run")
    killed = checked = 0
    for m in modules:
        flag = "" if m.checked and m.score >= TARGET else "  < 90%" if m.checked else ""
        score = f"{m.score:5.1f}%" if m.checked else "   -  "
        print(f"{m.path:<{width}}  {m.killed:>5}/{m.checked:<6}  {score}  {len(m.survived):>9}  {m.not_checked:>7}{flag}")
        killed += m.killed
        checked += m.checked
    if checked:
        print(f"{'all':<{width}}  {killed:>5}/{checked:<6}  {100.0 * killed / checked:5.1f}%")
    survivors = [(m.path, name, status) for m in modules for name, status in m.survived]
    print(f"\nsurviving mutants: {len(survivors)}")
    for path, name, status in survivors:
        try:
            line, change = describe(path, name)
        except Exception as error:  # noqa: BLE001 - a report line that cannot be rebuilt must not hide the rest
            line, change = 0, f"(diff unavailable: {error})"
        tag = "" if status == "survived" else f" [{status}]"
        print(f"{path}:{line}: {change}{tag}\n    {name}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
