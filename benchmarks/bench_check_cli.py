"""Wall time of ``dtracepy check`` on a seed-sized script, from the shell (run by hand, with the
Python that has dtracepy's dependencies: ``python3 benchmarks/bench_check_cli.py``).

"Cold" deletes any LALR tables cached in the temporary directory first (``dtracepy-*.tables``,
left by dtracepy versions that built the tables with lark on first use), as on the first run after
installing; "warm" repeats the runs.  The tables now ship precomputed (grammar/d_tables.marshal), so
the two should agree; "fallback" runs with the shipped tables unfindable (lark rebuilds them, as
when grammar/d.lark changed and the file was not regenerated).  In both, Python's bytecode is cached
(as after a real ``pip install``): the runs use ``PYTHONPYCACHEPREFIX`` (a directory under the
temporary directory) with ``PYTHONDONTWRITEBYTECODE`` removed, after one run to fill it.  Also
prints ``python -X importtime``'s top imports for the command, since start-up is most of the time,
and the floor under it: importing :mod:`dtracepy.tree` (attrs, and the tree's frozen attrs node
classes) costs most of a ``check`` and no change to the rest can take that away.
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

SCRIPT = """#!/usr/sbin/dtrace -qs
#pragma D option quiet
#pragma D option dynvarsize=16m

/* How long does each read take, per process? */

syscall::read:entry
/pid == $target/
{
	self->ts = timestamp;
	self->fd = arg0;
}

syscall::read:return
/self->ts/
{
	this->delta = timestamp - self->ts;
	@lat[execname] = quantize(this->delta);
	@bytes[execname, self->fd] = sum(arg1 > 0 ? arg1 : 0);
	self->ts = 0;
	self->fd = 0;
}

fbt:ip:tcp_conn_request:entry
{
	this->tcp = (tcp_t *)arg0;
	this->port = *(uint16_t *)((char *)this->tcp + 0x28);
	printf("%d\\n", ntohs(this->port));
}

tick-10sec
{
	printa("%-20s %@d\\n", @bytes);
	exit(0);
}
"""


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


def main() -> int:
    env = dict(os.environ, PYTHONPATH=str(REPO),
               PYTHONPYCACHEPREFIX=os.path.join(tempfile.gettempdir(), "dtracepy-bench-pycache"))
    env.pop("PYTHONDONTWRITEBYTECODE", None)  # else nothing is cached and every run compiles all
    with tempfile.NamedTemporaryFile("w", suffix=".d", delete=False) as handle:
        handle.write(SCRIPT)
        path = handle.name
    cmd = [sys.executable, "-m", "dtracepy", "check", path]
    caches = os.path.join(tempfile.gettempdir(), "dtracepy-*.tables")
    run(cmd, env)  # fill the bytecode cache
    cold = []
    for _ in range(5):
        for cache in glob.glob(caches):
            os.unlink(cache)
        cold.append(run(cmd, env))
    # Warm runs interleaved with bare Python and the floor, so that a change of load (the machine
    # is shared) hits all three alike; wall and CPU medians.
    warm, base, floor = [], [], []
    warm_cpu, base_cpu, floor_cpu = [], [], []
    for _ in range(20):
        warm.append(run(cmd, env, warm_cpu))
        base.append(run([sys.executable, "-c", "pass"], env, base_cpu))
        floor.append(run([sys.executable, "-c", "import dtracepy.tree"], env, floor_cpu))
    fallback_cmd = [sys.executable, "-c",
                    "import sys; from dtracepy import parser as P; real = P._grammar_resource; "
                    "P._grammar_resource = lambda n, binary=False: None if n == P.TABLES_NAME else real(n, binary); "
                    "from dtracepy.cli import main; sys.exit(main(['check', sys.argv[1]]))", path]
    fallback = [run(fallback_cmd, env) for _ in range(3)]
    med = statistics.median
    print(f"dtracepy check ({len(SCRIPT)} bytes): cold cache median {med(cold) * 1e3:.0f} ms, "
          f"warm cache median {med(warm) * 1e3:.0f} ms, "
          f"fallback (no shipped tables) median {med(fallback) * 1e3:.0f} ms "
          f"(bare python start-up {med(base) * 1e3:.0f} ms)")
    print(f"warm / bare python: {med(warm) / med(base):.1f}x wall, {med(warm_cpu) / med(base_cpu):.1f}x CPU "
          f"(CPU medians {med(warm_cpu) * 1e3:.0f} and {med(base_cpu) * 1e3:.0f} ms)")
    print(f"floor: python -c 'import dtracepy.tree' (attrs and the tree's node classes, which check "
          f"cannot skip) median {med(floor) * 1e3:.0f} ms wall, {med(floor_cpu) * 1e3:.0f} ms CPU: "
          f"{med(floor) / med(base):.1f}x and {med(floor_cpu) / med(base_cpu):.1f}x bare python")
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
