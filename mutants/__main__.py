"""`python -m mutants` (`make mutants`): how many planted bugs the scenario library finds.

Every mutant of `mutants/catalogue.yaml` is applied to an isolated copy of the package and
judged by `hooksim run` on the bundled library: killed when it exits non-zero. Prints every
mutant's fate and the kill rate (equivalent mutants left out), names each survivor with the
reason the catalogue gives (or says none is given), and writes the same as JSON.

Exit status: 0 the kill rate reaches --min-kill-rate and every equivalent mutant survived;
1 it does not; 2 the catalogue is malformed or stale (nothing is run), or the machinery
failed (the baseline does not pass, or a run imported code from outside its copy).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

from ._catalogue import CATALOGUE, CatalogueError, check_targets, load_catalogue
from ._run import ROOT, IsolationError, Outcome, RunSettings, run_mutants

DEFAULT_JSON = "mutants-results.json"


def _arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m mutants", description=__doc__.split("\n")[0])
    parser.add_argument("ids", nargs="*", help="only these mutants (default: all)")
    parser.add_argument("--catalogue", type=Path, default=CATALOGUE)
    parser.add_argument("-k", dest="keyword", help="only library scenarios matching (hooksim -k)")
    parser.add_argument("--jobs", type=int, default=2, help="mutants run at once (default 2)")
    parser.add_argument("--timeout", type=float, default=120.0, help="seconds per run")
    parser.add_argument("--json", dest="json_path", type=Path, default=Path(DEFAULT_JSON))
    parser.add_argument("--min-kill-rate", type=float, default=95.0, help="percent (default 95)")
    parser.add_argument("--check", action="store_true", help="only check the catalogue")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = _arguments(argv)
    try:
        mutants = load_catalogue(args.catalogue)
        check_targets(mutants, ROOT)
    except CatalogueError as exc:
        for problem in exc.problems:
            print(problem, file=sys.stderr)
        print(f"{len(exc.problems)} catalogue problem(s); no mutant was run.", file=sys.stderr)
        return 2
    if args.ids:
        unknown = sorted(set(args.ids) - {m.id for m in mutants})
        if unknown:
            print(f"unknown mutant id(s): {', '.join(unknown)}", file=sys.stderr)
            return 2
        mutants = [m for m in mutants if m.id in args.ids]
    if args.check:
        print(f"{len(mutants)} mutants, every one on target.")
        return 0
    settings = RunSettings(keyword=args.keyword, timeout=args.timeout, jobs=args.jobs)
    scope = f"-k {args.keyword!r}" if args.keyword else "on the whole library"
    print(f"{len(mutants)} mutants, {settings.jobs} at a time, judged by `hooksim run` {scope}")
    started = time.perf_counter()
    try:
        baseline, outcomes = run_mutants(mutants, settings, progress=_progress)
    except (IsolationError, RuntimeError) as exc:
        print(f"\nmutation run stopped: {exc}", file=sys.stderr)
        return 2
    summary = _summary(outcomes, args.min_kill_rate)
    summary["wall_seconds"] = round(time.perf_counter() - started, 1)
    summary["baseline_seconds"] = round(baseline.seconds, 2)
    summary["keyword"] = args.keyword
    args.json_path.write_text(json.dumps(summary, indent=2) + "\n", encoding="utf-8")
    _print_summary(summary)
    print(f"Results: {args.json_path}")
    return 0 if summary["passed"] else 1


def _progress(outcome: Outcome) -> None:
    mark = {"killed": "x", "timeout": "T", "crashed": "C", "survived": "."}[outcome.status]
    if outcome.mutant is not None and outcome.mutant.equivalent is not None:
        mark = "=" if outcome.status == "survived" else "!"
    print(mark, end="", flush=True)


def _summary(outcomes: list[Outcome], minimum: float) -> dict[str, Any]:
    judged = [o for o in outcomes if o.mutant is not None and o.mutant.equivalent is None]
    equivalent = [o for o in outcomes if o.mutant is not None and o.mutant.equivalent]
    killed = [o for o in judged if o.killed]
    rate = 100.0 * len(killed) / len(judged) if judged else 100.0
    wrongly_equivalent = [o for o in equivalent if o.killed]
    return {
        "mutants": len(outcomes),
        "judged": len(judged),
        "killed": len(killed),
        "kill_rate": round(rate, 1),
        "min_kill_rate": minimum,
        "survivors": [o.to_dict() for o in judged if not o.killed],
        "equivalent": [o.to_dict() for o in equivalent],
        "killed_equivalent": [o.to_dict()["id"] for o in wrongly_equivalent],
        "passed": rate >= minimum and not wrongly_equivalent,
        "outcomes": [o.to_dict() for o in outcomes],
    }


def _print_summary(summary: dict[str, Any]) -> None:
    print("\n")
    for outcome in summary["outcomes"]:
        status = outcome["status"]
        if outcome["equivalent"]:
            status = "equivalent" if status == "survived" else f"{status} (NOT equivalent)"
        killers = ", ".join(s.removeprefix("library/") for s in outcome["failed_scenarios"][:3])
        more = len(outcome["failed_scenarios"]) - 3
        if more > 0:
            killers += f" +{more}"
        why = killers or outcome["detail"]
        print(f"  {status:<10} {outcome['id']:<40} {outcome['clause']:<22} {why}")
    print()
    for survivor in summary["survivors"]:
        reason = survivor["survives"] or "NO REASON RECORDED: add a scenario that kills it"
        print(f"SURVIVED {survivor['id']} ({survivor['clause']}): {survivor['description']}")
        print(f"         why: {reason}")
    for equivalent in summary["equivalent"]:
        print(f"EQUIVALENT {equivalent['id']}: {equivalent['equivalent']}")
    for name in summary["killed_equivalent"]:
        print(f"KILLED BUT MARKED EQUIVALENT: {name} (fix its entry in the catalogue)")
    print(
        f"\nKill rate: {summary['killed']}/{summary['judged']} = {summary['kill_rate']}% "
        f"(minimum {summary['min_kill_rate']:g}%; {len(summary['equivalent'])} equivalent "
        f"mutants left out) in {summary.get('wall_seconds', 0)} s"
    )


if __name__ == "__main__":
    sys.exit(main())
