"""Compile-time benchmark (run by hand, not a test):

    python benchmarks/bench_compile.py            # tcpq wall time, then 1k/10k/100k clauses
    python benchmarks/bench_compile.py --quick    # 1k and 10k only

1. `dtracepy compile examples/tcpq.py` (and the other examples) from the shell, best of 5 runs,
   wall-clock time of the whole process, next to `python -c pass` for Python's own start-up.
2. A generated tracer with N clauses (a Python loop making N/2 function entry/return pairs, each
   entry clause setting thread-locals that the return clause reads and the cleanup zeroes),
   compiled in-process: time per phase (build = running the probe bodies; compile = reads check,
   cleanup pass, checks, printing) and microseconds per clause, which stay flat if time is linear.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

GENERATED = '''\
from dtracepy import Tracer, self, timestamp, arg0, printf, agg, quantize, macro

t = Tracer(options={{"quiet": True}})
limit = macro(1, "latency threshold, ns")

for i in range({pairs}):
    @t.probe(f"fbt::func_{{i}}:entry", when=arg0 != 0)
    def _():
        self.ts = timestamp
        self.arg = arg0

    @t.probe(f"fbt::func_{{i}}:return", when=timestamp - self.ts > limit)
    def _():
        printf("func_{{i}} %d %d\\n", self.arg, timestamp - self.ts)
        agg.lat[self.arg] = quantize(timestamp - self.ts)
'''


def shell_time(argv, runs=5) -> float:
    best = float("inf")
    env = {**os.environ, "PYTHONPATH": ROOT}
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(argv, cwd=ROOT, env=env, check=True, stdout=subprocess.DEVNULL)
        best = min(best, time.perf_counter() - start)
    return best


def bench_examples():
    base = shell_time([sys.executable, "-c", "pass"])
    print(f"python -c pass                              {base * 1000:7.1f} ms (Python start-up)")
    for name in ("tcpq.py", "tcpq_part1.py", "tcpq_part3.py"):
        wall = shell_time([sys.executable, "-m", "dtracepy", "compile", f"examples/{name}"])
        print(f"dtracepy compile examples/{name:16s}  {wall * 1000:7.1f} ms wall")


def bench_generated(sizes):
    sys.path.insert(0, ROOT)
    from dtracepy.commands.compile_cmd import load_module

    print(f"{'clauses':>8} {'build s':>9} {'compile s':>10} {'total s':>9} {'us/clause':>10} {'D lines':>9}")
    for clauses in sizes:
        with tempfile.TemporaryDirectory() as tmp:
            path = os.path.join(tmp, f"gen_{clauses}.py")
            with open(path, "w") as handle:
                handle.write(GENERATED.format(pairs=clauses // 2))
            start = time.perf_counter()
            module = load_module(path)
            built = time.perf_counter()
            text = module.t.compile().text
            done = time.perf_counter()
        build, comp, total = built - start, done - built, done - start
        print(f"{clauses:>8} {build:>9.2f} {comp:>10.2f} {total:>9.2f} {total / clauses * 1e6:>10.1f} "
              f"{text.count(chr(10)):>9}")


if __name__ == "__main__":
    quick = "--quick" in sys.argv
    bench_examples()
    print()
    bench_generated([1_000, 10_000] if quick else [1_000, 10_000, 100_000])
