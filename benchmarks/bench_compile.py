"""Compile-time benchmark (run by hand, not a test):

    python benchmarks/bench_compile.py            # tcpq wall time, then 1k/10k/100k clauses
    python benchmarks/bench_compile.py --quick    # 1k and 10k only
    python benchmarks/bench_compile.py --quick --instructions  # also tcpq's machine instructions (valgrind)

1. `dtracepy compile examples/tcpq.py` (and the other examples) from the shell, best of 5 runs,
   wall-clock time of the whole process, next to `python -c pass` for Python's own start-up.
   Bytecode is cached, as after a real `pip install` (PYTHONPYCACHEPREFIX under the temporary
   directory, PYTHONDONTWRITEBYTECODE removed; the first of the runs fills it).
2. A generated tracer with N clauses (a Python loop making N/2 function entry/return pairs, each
   entry clause setting thread-locals that the return clause reads and the cleanup zeroes),
   compiled in-process: seconds per phase (build = importing the module, which runs the probe
   bodies, and building the program; passes = dtracepy.passes (the cleanup pass first);
   checks = dtracepy.checks, the compiler's rules among them;
   print = the printer; CPU seconds) and microseconds per clause, which stay flat when time is
   linear.  Building the program, the passes, checks and printer run with the cyclic collector
   off, as compile_tracer runs them (the module's import does not).  (``compile`` runs these
   phases: :func:`dtracepy.compiler.compile_tracer`.)
"""

from __future__ import annotations

import gc
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
    env = {**os.environ, "PYTHONPATH": ROOT,
           "PYTHONPYCACHEPREFIX": os.path.join(tempfile.gettempdir(), "dtracepy-bench-pycache")}
    env.pop("PYTHONDONTWRITEBYTECODE", None)  # else nothing is cached and every run compiles all
    subprocess.run(argv, cwd=ROOT, env=env, check=True, stdout=subprocess.DEVNULL)  # fill the cache
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(argv, cwd=ROOT, env=env, check=True, stdout=subprocess.DEVNULL)
        best = min(best, time.perf_counter() - start)
    return best


def bench_examples(count_instructions=False):
    base = shell_time([sys.executable, "-c", "pass"])
    print(f"python -c pass                              {base * 1000:7.1f} ms (Python start-up)")
    for name in ("tcpq.py", "tcpq_part1.py", "tcpq_part3.py"):
        wall = shell_time([sys.executable, "-m", "dtracepy", "compile", f"examples/{name}"])
        print(f"dtracepy compile examples/{name:16s}  {wall * 1000:7.1f} ms wall")
    if count_instructions:  # (bench_check_cli.py's count: the same setting, from an empty directory)
        sys.path.insert(0, os.path.join(ROOT, "benchmarks"))
        from bench_check_cli import instructions

        env = {**os.environ, "PYTHONPATH": ROOT,
               "PYTHONPYCACHEPREFIX": os.path.join(tempfile.gettempdir(), "dtracepy-bench-pycache")}
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        for argv in ([sys.executable, "-c", "pass"],
                     [sys.executable, "-m", "dtracepy", "compile", os.path.join(ROOT, "examples", "tcpq.py")]):
            print(f"{' '.join(argv[1:]):60s} {instructions(argv, env) / 1e6:8.1f} M instructions")


def bench_generated(sizes):
    sys.path.insert(0, ROOT)
    from dtracepy.commands.compile_cmd import load_module
    from dtracepy.compiler import _clear_points, build_program, run_checks
    from dtracepy.passes import PassContext, run_passes
    from dtracepy.printer import to_d

    print(f"{'clauses':>8} {'build':>7} {'passes':>7} {'checks':>7} {'print':>7} {'total s':>8} "
          f"{'us/clause':>10} {'D lines':>8}  (CPU seconds)")
    clock = time.process_time  # CPU time: the steadier figure on a shared machine
    for clauses in sizes:
        with tempfile.TemporaryDirectory() as tmp:
            path = os.path.join(tmp, f"gen_{clauses}.py")
            with open(path, "w") as handle:
                handle.write(GENERATED.format(pairs=clauses // 2))
            t0 = clock()
            tracer = load_module(path).t                      # run the probe bodies
            gc.disable()  # (compile_tracer runs with the cyclic collector off from here on)
            try:
                program = build_program(tracer)
                t1 = clock()
                program = run_passes(program, PassContext(dict(tracer.clear_points), tracer.dialect))
                t2 = clock()
                findings = [f for f in run_checks(program, tracer.dialect, clear_points=_clear_points(tracer))
                            if f.severity == "error"]
                t3 = clock()
                text = to_d(program)
                t4 = clock()
            finally:
                gc.enable()
        assert not findings, findings[:3]
        total = t4 - t0
        print(f"{clauses:>8} {t1 - t0:>7.2f} {t2 - t1:>7.2f} {t3 - t2:>7.2f} {t4 - t3:>7.2f} {total:>8.2f} "
              f"{total / clauses * 1e6:>10.1f} {text.count(chr(10)):>8}", flush=True)


if __name__ == "__main__":
    quick = "--quick" in sys.argv
    bench_examples("--instructions" in sys.argv)
    print()
    bench_generated([1_000, 10_000] if quick else [1_000, 10_000, 100_000])
