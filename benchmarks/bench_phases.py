"""Where a ``dtracepy check`` of a large file spends its time, phase by phase (run by hand:
``python3 benchmarks/bench_phases.py [--clauses N | FILE.d] [--callgrind]``).

The phases are those of ``dtracepy check`` (``commands/check_cmd.py``, ``checks.check_program``),
run one at a time in one process: reading the file, lexing it alone (the parse lexes it again:
lexing is part of the parse's figure too), the parse, then the checks' shared analyses
(``checks/context.py``: the index of the tree by node class, each clause's accesses of
thread-locals and clause-locals) and each family's rules in ``check_program``'s order, then
rendering the findings.  A rule's figure holds only what it computes itself: what it reads of the
shared analyses was computed in the phases before.  The default input is ``bench_robust.py``'s
``clauses(100_000)`` (50,000 entry/return pairs), whose ``check`` issue 8 wants within 5 s.

Figures: CPU seconds of each phase (``time.process_time``); with ``--callgrind``, instructions,
from the same script run under ``valgrind --tool=callgrind --dump-before=math_gamma`` (each phase
ends with a call of ``math.gamma``, which nothing else here calls, so each dump holds one phase),
``PYTHONHASHSEED=0``.  Run with the bytecode cached (``env -u PYTHONDONTWRITEBYTECODE``).
"""

from __future__ import annotations

import argparse
import gc
import glob
import math
import os
import pathlib
import re
import subprocess
import sys
import tempfile
import time

REPO = pathlib.Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "benchmarks"))


def phases(path: str):
    """(label, function) for each phase of a check of ``path``, in order."""
    from dtracepy import tree as t
    from dtracepy.checks import CheckOptions, Directives, declarations, hidden, keys, lifecycle, names, \
        operands, preprocessor, printf, rules, safety
    from dtracepy.checks.context import Context
    from dtracepy.inputs import read_input
    from dtracepy.lexer import Lexer
    from dtracepy.parser import parse_bytes

    state: dict = {}

    def read():
        state["name"], state["data"] = read_input(path)

    def lex():
        text = state["data"].decode("utf-8", "surrogateescape")
        for _ in Lexer(text, state["name"]).items():
            pass

    def parse():
        gc.disable()  # (as check_cmd does)
        state["program"] = parse_bytes(state["data"], filename=state["name"])
        gc.freeze()

    def directives():
        source = state["data"].decode("utf-8", "surrogateescape")
        state["lines"] = lines = source.split("\n")
        Directives.scan(enumerate(lines, start=1) if "dtracepy:" in source else ())  # (as check_program)
        state["ctx"] = Context(state["program"], CheckOptions(), lines)

    def ctx():
        return state["ctx"]

    def family(module):
        return lambda: state.setdefault("findings", []).extend(module.run(ctx()))

    def render():
        for finding in state.get("findings", ()):
            finding.render()

    yield "read", read
    yield "lex (alone)", lex
    yield "parse (lexing included)", parse
    yield "lines, directives", directives
    yield "index of the tree", lambda: ctx()._by_class
    yield "accesses: self->", lambda: ctx().clause_accesses(t.SelfVar)
    yield "accesses: this->", lambda: ctx().clause_accesses(t.ThisVar)
    yield "call and identifier names", lambda: (ctx().call_names, ctx().ident_names)
    yield "#!, pragmas, options", lambda: (ctx().uses_cpp, ctx().options_set)
    yield "lifecycle", family(lifecycle)
    yield "printf", family(printf)
    yield "names", family(names)
    yield "safety", family(safety)

    def refusals():
        c = ctx()
        includes = ("",) if c.uses_cpp or "empty" in c.options_set else ()
        state.setdefault("findings", []).extend(rules.refusals(
            c.program.items, c.options.dialect, c.first_pos, includes, hand_written=True,
            judge_globals=not c.uses_cpp, of=c.of, per_clause=c.clause_accesses, call_names=c.call_names))

    yield "rules: refusals", refusals
    for module in (preprocessor, hidden, declarations, operands, keys):
        yield f"rules: {module.__name__.rsplit('.', 1)[-1]}", family(module)
    yield "render findings", render


def measure(path: str, marks: bool):
    figures = []
    for label, function in phases(path):
        start = time.process_time()
        function()
        figures.append((label, time.process_time() - start))
        if marks:
            math.gamma(1.5)  # (callgrind dumps its counts before each call)
    return figures


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("file", nargs="?", help="a .d file (default: --clauses N generated clauses)")
    ap.add_argument("--clauses", type=int, default=100_000)
    ap.add_argument("--callgrind", action="store_true", help="instructions, under valgrind")
    ap.add_argument("--marks", action="store_true", help=argparse.SUPPRESS)  # (the run under valgrind)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        path = args.file
        if path is None:
            import bench_robust

            path = os.path.join(tmp, "x.d")
            pathlib.Path(path).write_text(bench_robust.clauses(args.clauses))
        if args.marks:
            for label, seconds in measure(path, True):
                print(f"{label}\t{seconds}")
            return
        if not args.callgrind:
            figures = measure(path, False)
            total = sum(s for _, s in figures)
            for label, seconds in figures:
                print(f"{label:28s} {seconds:7.3f} s {100 * seconds / total:5.1f} %")
            print(f"{'total':28s} {total:7.3f} s")
            return
        out = os.path.join(tmp, "cg.out")
        env = dict(os.environ, PYTHONHASHSEED="0")
        proc = subprocess.run(["valgrind", "--tool=callgrind", "--dump-before=math_gamma",
                               f"--callgrind-out-file={out}", sys.executable, __file__, "--marks", path],
                              env=env, capture_output=True, text=True, check=True)
        labels = [line.split("\t")[0] for line in proc.stdout.splitlines()]
        parts = sorted(glob.glob(out + ".*"), key=lambda p: int(p.rsplit(".", 1)[1]))
        counts = []
        for part in parts:
            match = re.search(r"^summary: (\d+)", pathlib.Path(part).read_text(errors="replace"), re.M)
            counts.append(int(match[1]))
        # parts: start-up to the first mark (start-up and "read"), then one per phase
        startup = counts[0]
        phase_counts = counts[1:]
        assert len(phase_counts) == len(labels) - 1, (len(counts), labels)
        print(f"{'start-up + read':28s} {startup / 1e6:10.1f} M")
        rows = list(zip(labels[1:], phase_counts))
        checks = sum(c for label, c in rows if label not in ("lex (alone)", "parse (lexing included)",
                                                              "render findings"))
        for label, count in rows:
            print(f"{label:28s} {count / 1e6:10.1f} M")
        print(f"{'checks (lines .. rules)':28s} {checks / 1e6:10.1f} M")


if __name__ == "__main__":
    main()
