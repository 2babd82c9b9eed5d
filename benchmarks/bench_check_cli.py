"""Start-up of ``dtracepy check`` on a seed-sized script, from the shell, and the floor under it (run
by hand, with the Python that has dtracepy's dependencies: ``python3 benchmarks/bench_check_cli.py``;
``--instructions`` also counts machine instructions with valgrind, which the load does not change).

Four commands run interleaved, so that a change of load (the machine is shared) hits all alike;
medians of wall and CPU (user + system) time, and each one's ratio to bare Python:

1. ``python -c pass``: Python itself;
2. ``python -c 'import attrs'``: attrs, which imports inspect, typing, ast, dis, platform...;
3. ``python -c 'import dtracepy.tree'``: attrs plus defining the tree's frozen attrs node classes
   (attrs builds and compiles each class as it is defined): what a library user (and every
   command but ``check``) pays for the tree.  It was the floor of ``check`` until session 14:
   the program ``check`` now imports neither attrs nor ``re`` (its classes and patterns are made
   from shipped code: ``dtracepy/attrs_lite.py``, ``dtracepy/re_lite.py``), so it comes in well
   under this line;
4. ``dtracepy check`` of the script: Python, the command line, the tree's classes, lexer, parser
   tables, checks and the work itself.

"Cold" deletes any LALR tables cached in the temporary directory first (``dtracepy-*.tables``, left
by dtracepy versions that built the tables with lark on first use); the tables now ship
precomputed (grammar/d_tables.marshal), so cold and warm agree.  "Fallback" runs with the shipped
tables unfindable (lark rebuilds them, as when grammar/d.lark changed and the file was not
regenerated).  Python's bytecode is cached, as after a real ``pip install``: the runs use
``PYTHONPYCACHEPREFIX`` (a directory under the temporary directory) with ``PYTHONDONTWRITEBYTECODE``
removed, after one run to fill it.  Also prints ``python -X importtime``'s largest imports.
"""

from __future__ import annotations

import glob
import os
import pathlib
import statistics
import subprocess
import sys
import tempfile
import time

REPO = pathlib.Path(__file__).resolve().parent.parent

# The seed-sized script (also what dtracepy/regex_codes.py is generated from: tests/test_regex_codes.py).
SCRIPT = (REPO / "benchmarks" / "seed.d").read_text()


def run(cmd, env, cpu=None):
    """The wall time of one run; its CPU time (user + system) is appended to ``cpu`` if given."""
    t0 = time.perf_counter()
    process = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    err = process.stderr.read()
    process.stderr.close()
    _, status, usage = os.wait4(process.pid, 0)
    process.returncode = status  # reaped here: keep Popen from waiting again
    dt = time.perf_counter() - t0
    if status != 0:
        print(err.decode(), file=sys.stderr)
    if cpu is not None:
        cpu.append(usage.ru_utime + usage.ru_stime)
    return dt


def instructions(cmd, env):
    """The machine instructions ``cmd`` executes (valgrind's cachegrind, no cache simulation), run
    from an empty directory with hash seed 0: ``python -m`` lists the working directory, and
    from a crowded one (``/tmp``) the count of a check varied by 5 M from run to run."""
    with tempfile.TemporaryDirectory() as empty:
        result = subprocess.run(["valgrind", "--tool=cachegrind", "--cache-sim=no",
                                 "--cachegrind-out-file=/dev/null", *cmd], env=dict(env, PYTHONHASHSEED="0"),
                                capture_output=True, text=True, cwd=empty)
    for line in result.stderr.splitlines():
        if "I" in line and "refs:" in line:
            return int(line.split("refs:")[1].replace(",", ""))
    raise RuntimeError(f"no instruction count from valgrind: {result.stderr[-500:]}")


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    env = dict(os.environ, PYTHONPATH=str(REPO),
               PYTHONPYCACHEPREFIX=os.path.join(tempfile.gettempdir(), "dtracepy-bench-pycache"))
    env.pop("PYTHONDONTWRITEBYTECODE", None)  # else nothing is cached and every run compiles all
    with tempfile.NamedTemporaryFile("w", suffix=".d", delete=False) as handle:
        handle.write(SCRIPT)
        path = handle.name
    cmd = [sys.executable, "-m", "dtracepy", "check", path]
    ladder = [("python -c pass", [sys.executable, "-c", "pass"]),
              ("python -c 'import attrs'", [sys.executable, "-c", "import attrs"]),
              ("python -c 'import dtracepy.tree'", [sys.executable, "-c", "import dtracepy.tree"]),
              ("dtracepy check (seed-sized)", cmd)]
    caches = os.path.join(tempfile.gettempdir(), "dtracepy-*.tables")
    for _, command in ladder:
        run(command, env)  # fill the bytecode cache
    cold = []
    for _ in range(5):
        for cache in glob.glob(caches):
            os.unlink(cache)
        cold.append(run(cmd, env))
    wall = {name: [] for name, _ in ladder}
    cpu = {name: [] for name, _ in ladder}
    for _ in range(20):
        for name, command in ladder:
            wall[name].append(run(command, env, cpu[name]))
    fallback_cmd = [sys.executable, "-c",
                    "import sys; from dtracepy import parser as P; real = P._grammar_resource; "
                    "P._grammar_resource = lambda n, binary=False: None if n == P.TABLES_NAME else real(n, binary); "
                    "from dtracepy.cli import main; sys.exit(main(['check', sys.argv[1]]))", path]
    fallback = [run(fallback_cmd, env) for _ in range(3)]
    med = statistics.median
    base_wall, base_cpu = med(wall[ladder[0][0]]), med(cpu[ladder[0][0]])
    print(f"start-up, {len(SCRIPT)}-byte script (medians of 20 interleaved runs; x = times bare python):")
    print(f"  {'':34s} {'wall ms':>8s} {'':>6s} {'CPU ms':>8s} {'':>6s}")
    for name, _ in ladder:
        w, c = med(wall[name]), med(cpu[name])
        print(f"  {name:34s} {w * 1e3:8.0f} {w / base_wall:5.1f}x {c * 1e3:8.0f} {c / base_cpu:5.1f}x")
    tree_cpu, check_cpu = med(cpu[ladder[2][0]]), med(cpu[ladder[3][0]])
    print(f"  check minus import dtracepy.tree (with attrs, as a library user has it): "
          f"{(check_cpu - tree_cpu) * 1e3:.0f} ms CPU")
    print(f"dtracepy check: cold cache median {med(cold) * 1e3:.0f} ms, warm {med(wall[ladder[3][0]]) * 1e3:.0f} ms, "
          f"fallback (no shipped tables) {med(fallback) * 1e3:.0f} ms wall")
    if "--instructions" in argv:
        counts = {name: instructions(command, env) for name, command in ladder}
        base = counts[ladder[0][0]]
        print("machine instructions (valgrind; independent of the load):")
        for name, _ in ladder:
            print(f"  {name:34s} {counts[name] / 1e6:8.1f} M {counts[name] / base:5.1f}x")
    result = subprocess.run([sys.executable, "-X", "importtime", *cmd[1:]], capture_output=True, env=env)
    rows = []
    for line in result.stderr.decode().splitlines():
        if line.startswith("import time:") and "|" in line:
            parts = line.split("|")
            try:
                rows.append((int(parts[1]), parts[2].rstrip()))
            except ValueError:
                pass
    print("largest cumulative imports (us):")
    for cumulative, name in sorted(rows, reverse=True)[:8]:
        print(f"  {cumulative:8d} {name}")
    os.unlink(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
