"""Write requirements.lock: every distribution that facial-twitch-cds[test] needs, pinned to what is installed.

The closure is walked from the project's own metadata (its requirements, the extras it asks for, environment
markers evaluated on this interpreter), so tools that merely sit in the venv (pip, setuptools) stay out.
Fails if a requirement is missing or installed outside its bounds: the lock must be an environment that works.

    .venv/bin/python tools/lock.py > requirements.lock      # what `make lock` runs
"""

from __future__ import annotations

import platform
import sys
from importlib import metadata

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

PROJECT = "facial-twitch-cds"
EXTRAS = ("test",)


def closure() -> dict[str, metadata.Distribution]:
    found: dict[str, metadata.Distribution] = {}
    pending: list[tuple[str, frozenset[str]]] = [(PROJECT, frozenset(EXTRAS))]
    seen: set[tuple[str, frozenset[str]]] = set()
    problems: list[str] = []
    while pending:
        name, extras = pending.pop()
        key = canonicalize_name(name)
        if (key, extras) in seen:
            continue
        seen.add((key, extras))
        dist = metadata.distribution(name)
        found[key] = dist
        for line in dist.requires or ():
            requirement = Requirement(line)
            wanted = [{"extra": extra} for extra in extras] or [{"extra": ""}]
            if requirement.marker and not any(requirement.marker.evaluate(env) for env in wanted):
                continue
            try:
                installed = metadata.version(requirement.name)
            except metadata.PackageNotFoundError:
                problems.append(f"{dist.metadata['Name']} needs {requirement}, which is not installed")
                continue
            if not requirement.specifier.contains(installed, prereleases=True):
                problems.append(f"{dist.metadata['Name']} needs {requirement}, installed {installed}")
            pending.append((requirement.name, frozenset(requirement.extras)))
    if problems:
        sys.exit("cannot lock an inconsistent environment:\n  " + "\n  ".join(problems))
    del found[canonicalize_name(PROJECT)]
    return found


def main() -> None:
    pins = sorted((canonicalize_name(d.metadata["Name"]), d.version) for d in closure().values())
    print("# requirements.lock: the exact set facial-twitch-cds[test] was last tested with; do not edit by hand.")
    print(f"# Made by tools/lock.py (`make lock`) from the installed .venv, on {platform.python_implementation()} "
          f"{platform.python_version()} / {sys.platform}")
    print("# (environment markers were evaluated there: uvloop, for one, is a Linux/macOS-only dependency).")
    print("# Install exactly this set:  pip install -r requirements.lock -e . --no-deps")
    print("# Regenerate: `make lock` (after `.venv/bin/pip install --upgrade -e '.[test]'` to move to newer releases")
    print("# within pyproject.toml's bounds).")
    for name, version in pins:
        print(f"{name}=={version}")


if __name__ == "__main__":
    main()
