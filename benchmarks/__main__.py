"""Run every benchmark module (``bench_*.py``) and print its table.

python -m benchmarks            # full sizes, the figures quoted in docs/
python -m benchmarks --quick    # tiny sizes: a smoke test for CI
python -m benchmarks money      # only bench_money.py
"""

from __future__ import annotations

import argparse
import importlib
import pkgutil
import sys
import time

from benchmarks._harness import machine


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="tiny sizes (CI smoke test)")
    parser.add_argument("only", nargs="*", help="names of benchmarks to run (default: all)")
    args = parser.parse_args(argv)
    import benchmarks

    names = sorted(
        m.name.removeprefix("bench_")
        for m in pkgutil.iter_modules(benchmarks.__path__)
        if m.name.startswith("bench_")
    )
    unknown = set(args.only) - set(names)
    if unknown:
        parser.error(f"unknown benchmarks {sorted(unknown)}; have {names}")
    print(f"# crmcore benchmarks ({'quick' if args.quick else 'full'}) — {machine()}")
    for name in names:
        if args.only and name not in args.only:
            continue
        module = importlib.import_module(f"benchmarks.bench_{name}")
        start = time.perf_counter()
        print()
        module.run(quick=args.quick)
        print(f"({name}: {time.perf_counter() - start:.1f} s)")
        sys.stdout.flush()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
