"""`python -m bench` (`make bench`): measure the service, print the table, write the results as JSON."""

from __future__ import annotations

import argparse
from pathlib import Path

from .healthchain import interpreter
from .report import render, targets, write_json
from .suite import Plan, run_suite

DEFAULT_OUT = Path(__file__).parent / "results" / "latest.json"
FULL_SOAK = 10_000
QUICK_SOAK = 500


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="few samples, medium chart only under load: a smoke run")
    parser.add_argument("--soak", type=int, metavar="N", help=f"requests in the memory soak ({FULL_SOAK}; "
                        f"{QUICK_SOAK} with --quick)")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help=f"JSON results file ({DEFAULT_OUT})")
    parser.add_argument("--healthchain", type=Path, metavar="PYTHON",
                        help="the HealthChain peer's interpreter (`make bench-healthchain` builds .venv-healthchain, "
                             "used by default when present)")
    args = parser.parse_args(argv)
    if args.soak is not None and args.soak < 1:
        parser.error("--soak needs at least one request")

    soak = args.soak if args.soak is not None else QUICK_SOAK if args.quick else FULL_SOAK
    results = run_suite(Plan.for_run(quick=args.quick, soak_requests=soak,
                                       healthchain=interpreter(args.healthchain)))
    results["targets"] = [target.as_dict() for target in targets(results)]
    write_json(results, args.out)
    print(render(results))
    print(f"results: {args.out}")


main()
