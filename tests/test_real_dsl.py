"""The real D compiler accepts the D of random, well-typed DSL programs (hypothesis).

The generator writes tracers as a user would: entry/return pairs whose thread-locals are set at
the entry and read at the return (dtracepy zeroes them), one-off clauses (BEGIN, END, profile,
tick, proc, sched, syscall), predicates, integer and string expressions (every operator, string
comparisons, strjoin, substr, lltostr, copyinstr), casts, typed reads at offsets, ``this``
and string thread-locals, globals and an associative array, printf with matching conversions
(and any text), aggregations of every function with keys (stacks too), printa/trunc/normalize/clear
at END, a macro argument.  Every program is well typed D for Oracle's D (no if/else), so the real compiler must
accept every one.

A few hundred programs per run (``DTRACEPY_DSL_PROGRAMS``, default 300) are compiled by the
hypothesis test and kept; the next test has the real compiler judge them all in one process
(tests/real_dtrace.py: ``judge_scripts``, each in isolation), without ``-Z``: every probe they
name exists on Linux.
"""

from __future__ import annotations

import os
import re
import string
import subprocess
import tempfile

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import REAL_EMITTED
from dtracepy import (
    Tracer, agg, and_, clear, copyinstr, glob, llquantize, lltostr, normalize, printa, stack, substr, trunc, arg0, arg1, at, avg, cast, cond, count, cpu, execname, htons, lquantize, macro,
    max_, min_, not_, ntohl, or_, pid, printf, probefunc, probename, quantize, self, strjoin, strlen,
    sum_, this, tid, timestamp, trace, uid, xor,
)
from real_dtrace import job_for_d, judge_scripts, need_dtrace

PROGRAMS = int(os.environ.get("DTRACEPY_DSL_PROGRAMS", "300"))
PAIRS = [("syscall::read:entry", "syscall::read:return"), ("syscall::write:entry", "syscall::write:return"),
         ("syscall::openat:entry", "syscall::openat:return"), ("syscall::ioctl:entry", "syscall::ioctl:return")]
SINGLES = ["BEGIN", "END", "profile-997", "tick-1s", "proc:::exec-success", "sched:::off-cpu",
           "syscall:::entry", "profile:::tick-10ms"]
SELF_NAMES = ["ts", "fd", "start", "n"]
STR_SELF_NAMES = ["path", "comm"]
THIS_NAMES = ["a", "b", "c"]
TEXT = st.text(alphabet=string.printable + "é€\x01", max_size=12)
BINOPS = ["+", "-", "*", "&", "|", "^", "<<", ">>", "==", "!=", "<", "<=", ">", ">="]
INT_TYPES = ["int", "uint64_t", "uint16_t", "long", "unsigned int", "int8_t"]

# Compiled D of the programs drawn in this session, judged by the next test.
DRAWN: list[tuple[str, str]] = []


class Gen:
    def __init__(self, data, macro_arg, globals_):
        self.data = data
        self.macro_arg = macro_arg
        self.globals = globals_       # int globals set in the first BEGIN: glob.limit, glob.hits[k]
        self.aggs: list[tuple[str, bool]] = []   # (name, keyed by a stack)

    def draw(self, strategy):
        return self.data.draw(strategy)

    def int_expr(self, selfs, thises, depth=0):
        leaves = [lambda: arg0, lambda: arg1, lambda: pid, lambda: tid, lambda: timestamp, lambda: cpu,
                  lambda: uid, lambda: self.draw(st.one_of(st.integers(-2**31, 2**32), st.integers(-2**63, 2**64 - 1)))]
        if self.macro_arg is not None:
            leaves.append(lambda: self.macro_arg)
        if thises:
            leaves.append(lambda: getattr(this, self.draw(st.sampled_from(sorted(thises)))))
        if self.globals:
            leaves.append(lambda: glob.limit)
            leaves.append(lambda: glob.hits[self.draw(st.sampled_from([arg0, pid, 3]))])
        ints = [n for n in selfs if n in SELF_NAMES]
        if ints:
            leaves.append(lambda: getattr(self_, self.draw(st.sampled_from(sorted(ints)))))
        if depth >= 3 or self.draw(st.integers(0, 2)) == 0:
            leaf = self.draw(st.sampled_from(leaves))()
            return leaf

        def sub():
            return self.int_expr(selfs, thises, depth + 1)

        kind = self.draw(st.integers(0, 10))
        if kind <= 3:
            op = self.draw(st.sampled_from(BINOPS))
            a, b = sub(), sub()
            if not hasattr(a, "_node"):        # a Python int: make the left side D
                a, b = b, a
            if not hasattr(a, "_node"):
                return a + b if op == "+" else a
            return {"+": a.__add__, "-": a.__sub__, "*": a.__mul__, "&": a.__and__, "|": a.__or__,
                    "^": a.__xor__, "<<": a.__lshift__, ">>": a.__rshift__, "==": a.__eq__,
                    "!=": a.__ne__, "<": a.__lt__, "<=": a.__le__, ">": a.__gt__, ">=": a.__ge__}[op](b)
        if kind == 4:
            divisor = self.draw(st.integers(1, 1000))
            a = sub()
            return (a / divisor) if hasattr(a, "_node") else (arg0 % divisor)
        if kind == 5:
            return self.draw(st.sampled_from([and_, or_, xor]))(sub(), sub())
        if kind == 6:
            return self.draw(st.sampled_from([lambda x: -cast(x, "long"), lambda x: ~cast(x, "long"), not_]))(sub())
        if kind == 7:
            return cond(sub(), sub(), sub())
        if kind == 8:
            return cast(sub(), self.draw(st.sampled_from(INT_TYPES)))
        if kind == 9:
            return self.draw(st.sampled_from([htons, ntohl]))(sub())
        choice = self.draw(st.integers(0, 2))
        if choice == 0:
            return strlen(self.str_expr(depth + 1))
        if choice == 1:
            a = self.str_expr(depth + 1)
            b = self.str_expr(depth + 1)
            if not hasattr(a, "_node"):
                a, b = b, a
            if not hasattr(a, "_node"):
                a = execname
            return self.draw(st.sampled_from([a.__eq__, a.__ne__, a.__lt__, a.__ge__]))(b)
        return at(self.draw(st.sampled_from([arg0, arg1])), self.draw(st.integers(0, 4096)),
                  self.draw(st.sampled_from(["uint32_t", "uint8_t", "int64_t"])))

    def str_expr(self, depth=0, selfs=frozenset()):
        strings = sorted(n for n in selfs if n in STR_SELF_NAMES)
        if strings and self.draw(st.integers(0, 2)) == 0:
            return getattr(self_, self.draw(st.sampled_from(strings)))
        kind = self.draw(st.integers(0, 7 if depth < 3 else 3))
        if kind == 5:
            return copyinstr(self.draw(st.sampled_from([arg0, arg1])))
        if kind == 6:
            return lltostr(self.int_expr(set(), set(), depth + 1))
        if kind == 7:
            return substr(self.str_expr(depth + 1), self.draw(st.integers(0, 8)))
        if kind == 0:
            return execname
        if kind == 1:
            return probefunc
        if kind == 2:
            return probename
        if kind == 3:
            return self.draw(TEXT)
        return strjoin(self.str_expr(depth + 1), self.str_expr(depth + 1))

    def body(self, selfs_set, selfs_readable, thises):
        for _ in range(self.draw(st.integers(0, 4))):
            kind = self.draw(st.integers(0, 5))
            if kind == 0 and selfs_set is not None:
                if self.draw(st.booleans()):
                    name = self.draw(st.sampled_from(SELF_NAMES))
                    setattr(self_, name, self.int_expr(selfs_readable, thises) | 1)
                else:
                    name = self.draw(st.sampled_from(STR_SELF_NAMES))
                    setattr(self_, name, self.str_expr(selfs=selfs_readable))
                selfs_set.add(name)
                selfs_readable = selfs_readable | {name}
            elif kind == 0 and self.globals:
                glob.hits[self.draw(st.sampled_from([arg0, pid, 3]))] = self.int_expr(selfs_readable, thises)
            elif kind == 1:
                name = self.draw(st.sampled_from(THIS_NAMES))
                setattr(this, name, self.int_expr(selfs_readable, thises))
                thises.add(name)
            elif kind == 2:
                values, fmt = [], self.draw(TEXT).replace("%", "%%")
                for _ in range(self.draw(st.integers(0, 3))):
                    if self.draw(st.booleans()):
                        values.append(self.int_expr(selfs_readable, thises))
                        fmt += " %d"
                    else:
                        values.append(self.str_expr(selfs=selfs_readable))
                        fmt += " %s"
                printf(fmt + "\n", *values)
            elif kind == 3:
                name = f"a{len(self.aggs) + 1}"
                keys = self.draw(st.sampled_from([(), ("s",), ("i",), ("s", "i"), ("k",)]))
                self.aggs.append((name, keys == ("k",)))
                key = tuple(stack() if k == "k" else self.str_expr(selfs=selfs_readable) if k == "s"
                            else self.int_expr(selfs_readable, thises) for k in keys)
                value = self.int_expr(selfs_readable, thises)
                func = self.draw(st.sampled_from([
                    lambda v: count(), sum_, max_, min_, avg, quantize, lambda v: lquantize(v, 0, 100, 10),
                    lambda v: llquantize(v, 10, 0, 6, 20)]))
                target = getattr(agg, name)
                if key:
                    target[key if len(key) > 1 else key[0]] = func(value)
                else:
                    setattr(agg, name, func(value))
            elif kind == 4:
                trace(self.int_expr(selfs_readable, thises))
            else:
                trace(self.str_expr(selfs=selfs_readable))

    def agg_actions(self):
        """What an END clause does with the aggregations: printa (with a format), trunc,
        normalize, clear."""
        for name, stacked in self.aggs:
            action = self.draw(st.integers(0, 4))
            target = getattr(agg, name)
            if action == 0:
                printa(target)
            elif action == 1:
                printa("%k %@d\n" if stacked else "%@d\n", target)
            elif action == 2:
                trunc(target, self.draw(st.integers(0, 10)))
            elif action == 3:
                normalize(target, self.draw(st.integers(1, 1000)))
            else:
                clear(target)


self_ = self


def gen_tracer(data) -> Tracer:
    t = Tracer(options={"quiet": True}, dialect="oracle")
    gen = Gen(data, macro(1, "a number") if data.draw(st.booleans()) else None, data.draw(st.booleans()))
    if gen.globals:
        @t.probe("BEGIN")
        def _():
            glob.limit = data.draw(st.integers(0, 2**31))
            glob.hits[0] = 1
    for _ in range(data.draw(st.integers(1, 4))):
        if data.draw(st.booleans()):
            entry, ret = data.draw(st.sampled_from(PAIRS))
            selfs: set = set()
            when = gen.int_expr(set(), set()) if data.draw(st.booleans()) else None
            t.probe(entry, when=when)(lambda: gen.body(selfs, set(), set()))
            if selfs:
                name = data.draw(st.sampled_from(sorted(selfs)))
                if not data.draw(st.booleans()):
                    when = gen.int_expr(selfs, set())
                elif name in STR_SELF_NAMES:
                    when = getattr(self_, name) != ""      # a string is no predicate by itself
                else:
                    when = getattr(self_, name)
                t.probe(ret, when=when)(lambda: gen.body(None, set(selfs), set()))
        else:
            probe = data.draw(st.sampled_from(SINGLES))
            when = gen.int_expr(set(), set()) if data.draw(st.booleans()) else None
            t.probe(probe, when=when)(lambda: gen.body(None, set(), set()))
    if gen.aggs and data.draw(st.booleans()):
        t.probe("END")(gen.agg_actions)
    return t


@settings(max_examples=PROGRAMS, deadline=None, database=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(st.data())
def test_random_programs_compile(data):
    t = gen_tracer(data)
    text = t.to_d()
    DRAWN.append((text, repr(data)))


def _libdtrace_asserts(text: str) -> bool:
    """Whether ``dtrace -e`` on ``text``, run as the judge runs it (job_for_d: its macro
    arguments, -Z, -C, options), aborts on an assertion inside libdtrace.  (Without the macro
    arguments dtrace stopped at "macro argument $1 is not defined", before the code generator
    whose assertion the judge had hit: a crash of libdtrace counted as a rejection, session 11.)"""
    job = job_for_d(text)
    with tempfile.NamedTemporaryFile("w", suffix=".d") as f:
        f.write(text)
        f.flush()
        argv = [need_dtrace(), "-e", *(f"-{flag}" for flag in job["flags"])]
        for name, value in job["options"].items():
            argv += ["-x", name if value is None else f"{name}={value}"]
        for prelude in job.get("preludes") or ():
            argv += ["-s", prelude]
        if job.get("target"):
            argv += ["-c", "/bin/true"]
        argv += ["-s", f.name, *job.get("args", ())]
        result = subprocess.run(argv, capture_output=True, text=True, timeout=120)
    return result.returncode in (134, -6) and re.search(r"libdtrace/\S+: .*Assertion .* failed", result.stderr) is not None


def test_a_libdtrace_assertion_is_confirmed_with_the_scripts_macro_arguments():
    """A random program that uses $1 and trips libdtrace's `i < DT_TSTRING_SLOTS` (too many
    temporary strings in one clause) is a crash of the real compiler, not a rejection."""
    need_dtrace()
    assert _libdtrace_asserts(
        "syscall::openat:entry\n{\n"
        "\t@a[copyinstr(arg0), copyinstr(arg0) == lltostr(timestamp) && cpu - 37 > cpu] = count();\n"
        "\t@b[strjoin(execname, strjoin(probefunc, probefunc)), tid] = max($1);\n}\n")
    assert not _libdtrace_asserts("BEGIN { trace($1); }\n")


def test_the_real_compiler_accepts_random_programs():
    if not DRAWN:
        test_random_programs_compile()
    programs = dict(enumerate(DRAWN))
    verdicts = judge_scripts({str(i): job_for_d(text) for i, (text, _) in programs.items()})
    rejected = {int(i): why for i, why in verdicts.items() if why is not None}
    # A judge child killed by SIGABRT is libdtrace failing one of its own assertions (seen:
    # dt_cg_tstring_xalloc's `i < DT_TSTRING_SLOTS`, too many temporary strings in one clause).
    # `dtrace -e` itself confirms each such case; it is a crash of the real compiler, counted
    # and shown apart, not a verdict on the D.
    crashed = {i: why for i, why in rejected.items() if why == "judge child died (wait status 6)"
               and _libdtrace_asserts(programs[i][0])}
    for i in crashed:
        del rejected[i]
    REAL_EMITTED["random DSL programs (hypothesis, dtrace -e)"] = (len(verdicts), len(verdicts) - len(rejected) - len(crashed))
    if crashed:
        REAL_EMITTED["random DSL programs that crash libdtrace (its own assertion)"] = (len(crashed), 0)
    assert len(verdicts) >= min(PROGRAMS, 100)
    shown = sorted(rejected)[:5]
    assert not rejected, f"{len(rejected)} of {len(verdicts)} rejected; the first:\n\n" + "\n\n".join(
        f"{rejected[i]}\n{programs[i][0]}" for i in shown)
