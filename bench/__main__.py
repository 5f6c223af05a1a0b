"""`make bench`: run every benchmark (or those named) against PostgreSQL; write bench/results.json.

Each benchmark is a module bench/bench_<name>.py with a `run() -> Result` function. Its ratio is
always higher-is-better and compares against an anchor measured in the same run.
"""

import argparse
import importlib
import os
import pkgutil
import sys
import time

import django

from bench.harness import ROOT, Result, database_url, ensure_database, print_table, write_results


def available() -> list[str]:
    return sorted(
        m.name[len("bench_") :]
        for m in pkgutil.iter_modules([str(ROOT / "bench")])
        if m.name.startswith("bench_")
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument(
        "names", nargs="*", help=f"benchmarks to run (default: all of {', '.join(available())})"
    )
    args = parser.parse_args()
    url = database_url()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.settings")
    ensure_database(url)
    django.setup()
    results: dict[str, Result] = {}
    for name in args.names or available():
        if name not in available():
            sys.exit(f"unknown benchmark {name!r}; known: {', '.join(available())}")
        started = time.monotonic()
        print(f"== {name}", flush=True)
        results[name] = importlib.import_module(f"bench.bench_{name}").run()
        print(
            f"   {results[name].value:,.1f} {results[name].unit} (ratio {results[name].ratio:.2f}) "
            f"in {time.monotonic() - started:.0f} s",
            flush=True,
        )
    write_results(results)
    print()
    print_table(results)


if __name__ == "__main__":
    main()
