"""Time and memory of dtracepy on large and hostile inputs (issue 8), from the shell (run by hand:
``python3 benchmarks/bench_robust.py [--quick] [--only NAME]``).

Each case writes a generated input, runs the real command (``python -m dtracepy ...``) once and
reports its wall time, its CPU time (user + system) and its peak memory (the child's own VmHWM:
see ``run``).  The targets (issue 8): any input under the 4 MiB limit answered in at most 5 s and
300 MB; ``check`` linear in clauses and probe descriptions; ``compile`` of 10,000 entry/return
pairs within 5 s; ``-C`` output capped; ``layout`` linear in the header.  CPU time is the steadier
figure on a shared machine: wall time includes waiting for a core.
"""

from __future__ import annotations

import argparse
import os
import pathlib
import subprocess
import sys
import tempfile
import time

REPO = pathlib.Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from tests.child_peak import dtracepy_argv, read_peak_kb  # noqa: E402


def run(argv, cwd):
    """(wall s, cpu s, peak MB, exit status) of ``python -m dtracepy ARGV``.  The peak is the
    child's own (its VmHWM, which it writes as it ends: tests/child_peak.py): the ``ru_maxrss``
    that ``os.wait4`` gives starts, on Linux, at this process's peak, which the 4 MB inputs it
    makes raise above the small cases' own."""
    env = dict(os.environ, PYTHONPATH=str(REPO) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    start = time.perf_counter()
    # (standard error to a file: a pipe nobody reads until the end blocks the command once it
    # holds 64 KB of warnings)
    with tempfile.TemporaryFile() as stderr, tempfile.TemporaryDirectory() as peak_dir:
        peak_file = os.path.join(peak_dir, "peak")
        proc = subprocess.Popen(dtracepy_argv(peak_file, *argv), cwd=cwd, env=env,
                                stdout=subprocess.DEVNULL, stderr=stderr)
        _, status, usage = os.wait4(proc.pid, 0)
        peak_mb = read_peak_kb(peak_file) / 1024 if os.path.exists(peak_file) else usage.ru_maxrss / 1024
    wall = time.perf_counter() - start
    return wall, usage.ru_utime + usage.ru_stime, peak_mb, os.waitstatus_to_exitcode(status)


# --- inputs ---------------------------------------------------------------------------------------

def clauses(n: int) -> str:
    """n clauses, half :entry setting a thread-local, half the matching :return zeroing it."""
    return "".join(f"fbt::f{i}:entry{{self->a=timestamp;}}\nfbt::f{i}:return/self->a/{{self->a=0;}}\n"
                   for i in range(n // 2))


def descriptions(n: int) -> str:
    """One clause naming n :entry probes, one naming their n :return probes."""
    entries = ",\n".join(f"fbt::f{i}:entry" for i in range(n))
    returns = ",\n".join(f"fbt::f{i}:return" for i in range(n))
    return (f"{entries}\n{{\n\tself->ts = timestamp;\n}}\n\n{returns}\n/self->ts/\n"
            f"{{\n\ttrace(timestamp - self->ts);\n\tself->ts = 0;\n}}\n")


def dense(size: int) -> str:
    clause = ('syscall::read:entry\n/pid == $target && self->ts == 0/\n{\n\tself->ts = timestamp;\n'
              '\t@a[execname, probefunc] = count();\n\tprintf("%d %s\\n", pid, copyinstr(arg0));\n}\n\n')
    return clause * (size // len(clause))


def exponential_macros(n: int) -> str:
    return "#define A0 x\n" + "".join(f"#define A{i} A{i - 1} A{i - 1}\n" for i in range(1, n + 1)) + \
        f"BEGIN {{ y = A{n}; }}\n"


def nested_ifs(n: int) -> str:
    return "BEGIN\n{\n" + "if (x)\n" * n + "y = 1;\n}\n"


def else_ifs(n: int) -> str:
    return "BEGIN\n{\n\tif (x == 0) { y = 0; }\n" + "".join(
        f"\telse if (x == {i}) {{ y = {i}; }}\n" for i in range(1, n)) + "}\n"


def chain_structs(n: int) -> str:
    """n structs, each holding the one before and a bit-field: a header of n records."""
    return "struct s0 { int x; unsigned f:3; };\n" + "".join(
        f"struct s{i} {{ struct s{i - 1} prev; unsigned f:3; char c; }};\n" for i in range(1, n))


def doubly_nested(n: int) -> str:
    return "struct s0 { int x; char c; };\n" + "".join(
        f"struct s{i} {{ struct s{i - 1} a; struct s{i - 1} b; }};\n" for i in range(1, n + 1))


def random_bytes(n: int) -> bytes:
    import random

    return random.Random(8).randbytes(n)


def pairs_tracer(n: int) -> str:
    """n entry/return clause pairs, each entry setting a thread-local its return reads."""
    return ("from dtracepy import Tracer, self, timestamp, trace\nt = Tracer()\n"
            f"for i in range({n}):\n"
            "    @t.probe(f'syscall::f{i}:entry')\n    def _():\n        self.ts = timestamp\n"
            "    @t.probe(f'syscall::f{i}:return', when=self.ts)\n    def _():\n        trace(timestamp - self.ts)\n")


def elif_tracer(n: int) -> str:
    return ("from dtracepy import Tracer, arg0, elif_, if_, trace\nt = Tracer()\n\n@t.probe('BEGIN')\ndef b():\n"
            "    with if_(arg0 == 0):\n        trace(0)\n"
            f"    for i in range(1, {n}):\n        with elif_(arg0 == i):\n            trace(i)\n")


def deep_tracer(n: int) -> str:
    return ("from dtracepy import Tracer, arg0, trace\nt = Tracer()\n\n@t.probe('BEGIN')\ndef b():\n"
            f"    x = arg0\n    for i in range({n}):\n        x = x + 1\n    trace(x)\n")


# --- review 8's super-linear inputs (docs/PERFORMANCE.md, "sixth round") --------------------------

def distinct_pairs(n: int) -> str:
    """n entry/return pairs, each with its own thread-local (review 8's q5)."""
    return "".join(f"syscall::f{i}:entry\n{{\n\tself->t{i} = timestamp;\n}}\n"
                   f"syscall::f{i}:return\n{{\n\ttrace(self->t{i});\n\tself->t{i} = 0;\n}}\n" for i in range(n))


def one_line_entries(n: int) -> str:
    """n one-line :entry clauses, each setting its own thread-local (review 8's q3)."""
    return "".join(f"syscall::f{i}:entry{{self->t{i} = timestamp;}}\n" for i in range(n))


def assignment_chain(n: int) -> str:
    return "BEGIN\n{\n\t" + " = ".join(f"x{i}" for i in range(n)) + " = 1;\n}\n"


def stars(n: int) -> str:
    return "int " + "*" * n + "p;\nBEGIN\n{\n\ttrace(1);\n}\n"


def include_bomb(n: int) -> dict:
    """n empty headers, each including the one before it twice; the script includes the last."""
    files = {"h0.h": ""}
    files.update({f"h{i}.h": f'#include "h{i - 1}.h"\n#include "h{i - 1}.h"\n' for i in range(1, n + 1)})
    files["x.d"] = f'#include "h{n}.h"\nBEGIN\n{{\n\ttrace(1);\n}}\n'
    return files


# --- inputs under the 4 MiB limit that once cost too much memory (session 9) ------------------------

def empty_statements(n: int) -> str:
    """One clause of n empty statements: ``BEGIN{;;;...;}``."""
    return "BEGIN{" + ";" * n + "}\n"


def lone_operands(n: int) -> str:
    """One clause of n statements of a lone name, ``BEGIN{x;x;...;}`` (dtrace accepts it): two
    tokens and two nodes a statement, all of them kept (session 10)."""
    return "BEGIN{" + "x;" * n + "}"


def lone_assignments(n: int) -> str:
    """One clause of n statements ``x=y;`` (3 MB for 750,000): four tokens and four nodes a
    statement, more reading per byte than :func:`lone_operands` (session 12: 14.8 CPU s and 521 MB
    before that session's changes, 9.4 s after; the memory is still over issue 8's 300 MB)."""
    return "BEGIN{" + "x=y;" * n + "}"


def long_sum(size: int) -> str:
    """``BEGIN{trace(x+x+...+x);}`` of about SIZE bytes: one expression of size/2 operands."""
    return "BEGIN{trace(x" + "+x" * (size // 2) + ");}\n"


def long_arguments(size: int) -> str:
    """``BEGIN{printf("%d", x,x,...);}`` of about SIZE bytes: one call of size/2 arguments."""
    return 'BEGIN{printf("%d", x' + ",x" * (size // 2) + ");}\n"


def declarators(n: int) -> str:
    """``int x,x,...,x;`` of N declarators, and a clause."""
    return "int " + ",".join(["x"] * n) + ";\nBEGIN { exit(0); }\n"


def dimension_terms(n: int) -> str:
    """``int x[1+1+...+1];`` of N terms, and a clause."""
    return "int x[" + "+".join(["1"] * n) + "];\nBEGIN { exit(0); }\n"


def tracer_body(body: str) -> str:
    return "from dtracepy import *\nimport contextlib\nt = Tracer()\n\n@t.probe('BEGIN')\ndef b():\n" + body


def header_kinds():
    """(name, label, unit(i)): a struct and what real headers declare beside it."""
    return [
        ("bodies", "structs, each with a static inline function", lambda i: (
            f"struct s{i} {{ int a; long b; char c[4]; }};\nstatic inline int f{i}(struct s{i} *p, int n) {{\n"
            f"\tint t = 0;\n\tfor (int k = 0; k < n; k++) {{ if (p->c[k & 3] == 'x') t += k; else t -= 1; }}\n"
            f"\tswitch (n) {{ case 1: return t; default: break; }}\n\treturn t ? (int)p->b : p->a;\n}}\n")),
        ("inits", "structs, each with a brace-initialised array", lambda i: (
            f"struct s{i} {{ int a; long b; char c[4]; }};\n"
            f"static const struct s{i} v{i}[] = {{ {{ 1, 2, \"ab\" }}, {{ .a = 3, .c = {{ 'x' }} }}, [3] = {{ 0 }} }};\n")),
        ("variadic", "structs, each with variadic and callback prototypes", lambda i: (
            f"struct s{i} {{ int a; long b; char c[4]; }};\nint f{i}(struct s{i} *p, const char *fmt, ...);\n"
            f"void g{i}(void *b, unsigned long n, int (*cmp)(const void *, const void *), void (*)(int));\n")),
        ("redeclared", "structs, each with a typedef given again", lambda i: (
            f"struct s{i} {{ int a; long b; char c[4]; }};\ntypedef struct s{i} t{i};\n"
            f"typedef struct s{i} t{i};\ntypedef unsigned long size_t;\n")),
        # (session 19: each of these sent the whole header to pycparser before)
        ("gnu", "structs, each with statement expressions and compound literals", lambda i: (
            f"struct s{i} {{ int a; long b; char c[4]; }};\nstatic int f{i}(struct s{i} *p) {{\n"
            f"\treturn ({{ struct s{i} q = *p; q.a; }}) + (int)sizeof (int [2]){{ 1, 2 }} + (struct s{i}){{ .a = 1 }}.a;\n}}\n")),
        ("kr", "structs, each with a K&R definition, register and a typedef in its body", lambda i: (
            f"struct s{i} {{ int a; long b; char c[4]; }};\nint f{i}(p, n) struct s{i} *p; register int n; {{\n"
            f"\ttypedef long L{i}; register L{i} t = n;\n\treturn (int)t + p->a;\n}}\n")),
        ("declarators", "structs of parenthesised declarators, and signal()'s", lambda i: (
            f"struct s{i} {{ int a; long b; char c[4]; int (x); char (*(y))[3]; int (*(*g)(int))[4]; }};\n"
            f"void (*h{i}(int, void (*)(int)))(int);\n")),
        # (session 20, layout21: each of these sent the whole header to pycparser before)
        ("ranges", "structs, each with GNU range designators", lambda i: (
            f"struct s{i} {{ int a; long b; char c[4]; }};\n"
            f"static const struct s{i} v{i}[8] = {{ [0 ... 3] = {{ .a = 1, .c = {{ [1 ... 2] = 'x' }} }}, [4 ... 7] = {{ 2 }} }};\n")),
        ("labels", "structs, each with labels as values and a computed goto", lambda i: (
            f"struct s{i} {{ int a; long b; char c[4]; }};\nstatic int f{i}(struct s{i} *p, int n) {{\n"
            f"\tstatic void *t[] = {{ &&one, &&two }};\n\tgoto *t[n & 1];\none:\n\treturn p->a;\ntwo:\n"
            f"\treturn (int)p->b;\n}}\n")),
        ("shadowed", "structs, each with locals and parameters named as typedefs", lambda i: (
            f"typedef long T{i};\nstruct s{i} {{ int a; long b; char c[4]; T{i} d; }};\n"
            f"static int f{i}(int T{i}) {{ {{ int t = T{i}; return t; }} }}\n"
            f"static T{i} g{i}(struct s{i} *p) {{ int T{i} = p->a; {{ char T{i} = 1; T{i}++; }} return T{i}; }}\n")),
        ("for", "structs, each with declarations in for loops, one named as a typedef", lambda i: (
            f"typedef int K{i};\nstruct s{i} {{ int a; long b; char c[4]; struct s{i} *n; }};\n"
            f"static int f{i}(struct s{i} *h) {{\n\tK{i} t = 0;\n\tfor (struct s{i} *p = h; p; p = p->n)\n"
            f"\t\tfor (int K{i} = 0, m = 4; K{i} < m; K{i}++) t += p->c[K{i}];\n\treturn t;\n}}\n")),
        ("words", "structs, each with typeof, __auto_type and C23's words as names", lambda i: (
            f"typedef _Bool bool;\nenum {{ false{i}, true{i} }};\n"
            f"struct s{i} {{ int a; long b; char c[4]; bool nullptr, constexpr; }};\nstatic int f{i}(struct s{i} *p) {{\n"
            f"\ttypeof(p->a) x = p->a; __typeof__(int *) q = &x; __auto_type y = *q + 1;\n"
            f"\treturn (__typeof(x))y + sizeof(typeof(p->b));\n}}\n")),
        # (session 24, layout25: each was refused past pycparser's bound before)
        ("typeof", "structs, each with typeof where a type is laid out", lambda i: (
            f"struct s{i} {{ int a; long b; char c[4]; }};\nlong g{i};\n"
            f"struct t{i} {{ typeof(int) m; typeof(struct s{i} *) p; typeof(g{i}) y; typeof(char [3]) z; }};\n")),
        ("scopes", "structs, each with a typedef name declared again in an inner scope and a _Static_assert "
         "in a function's body", lambda i: (
            f"typedef int T{i};\nstruct s{i} {{ int a; long b; char c[4]; }};\nstatic int f{i}(int n) {{\n"
            f"\tint T{i} = sizeof(T{i});\n\t_Static_assert(sizeof(struct s{i}) == 24, \"s{i}\");\n"
            f"\treturn T{i} + n;\n}}\nint g{i}(int T{i}, int x);\n")),
    ]


def refused25():
    """(label, tail) of each shape gcc refuses that the fast reader refused as outside its subset
    before session 24 (layout25): after 4 MB of inline functions, the costliest place for it."""
    return [("a function returning a function", "int f(void)(int);\n"),
            ("an array of voids", "struct m { void v[2]; };\n"),
            ("a typedef name hidden by a parameter", "typedef int T;\nint g(int T, T x);\n"),
            ("a typedef in a K&R parameter list", "int k(a) typedef int Q; int a; { return 0; }\n"),
            ("_Alignas on a typedef", "typedef _Alignas(8) int A;\n"),
            ("a false _Static_assert in a function's body", 'int h(void) { _Static_assert(0, "x"); return 0; }\n'),
            ("_Thread_local on a function", "_Thread_local int t(void);\n"),
            ("auto in a member", "struct n { auto int x; };\n")]


def units(unit, size: int) -> str:
    """unit(0), unit(1) ... while they fit in ``size`` bytes."""
    out, total, i = [], 0, 0
    while True:
        text = unit(i)
        if total + len(text) > size:
            return "".join(out)
        out.append(text)
        total += len(text)
        i += 1


# --- at the size limit, shapes of review 21 (M1): one kind of item repeated up to 4 MiB ------------

LIMIT = 4 * 1024 * 1024 - 1024


def limit_shapes():
    """(case, label, text, argv) of each shape review 21 found past issue 8's targets."""
    body = units(lambda i: f"self->v{i} = 1;\n", LIMIT - 16)
    yield "thread-locals", "4 MiB of self->vN = 1; in one clause", "BEGIN\n{\n" + body + "}\n", ["check", "x.d"]
    yield "speculations", "110,000 speculate clauses", "".join(
        f"BEGIN {{ speculate(s); trace({i}); }}\n" for i in range(110_000)), ["check", "x.d"]
    yield "identifier", "a 4 MiB identifier", "BEGIN { x = " + "a" * (LIMIT - 32) + "; }\n", ["check", "x.d"]
    yield "typedefs", "4 MiB of typedef int tN;", units(lambda i: f"typedef int t{i};\n", LIMIT), ["check", "x.d"]
    yield "structs", "4 MiB of struct sN { int a; char b; };", units(
        lambda i: f"struct s{i} {{ int a; char b; }};\n", LIMIT), ["check", "x.d"]
    yield "translators", "4 MiB of structs and a translator each", units(
        lambda i: f"struct o{i} {{ int a; }};\ntranslator struct o{i} < int *p > {{ a = *p; }};\n", LIMIT), \
        ["check", "x.d"]
    yield "lines", "4 MiB of #line 5", units(lambda i: "#line 5\n", LIMIT - 16) + "BEGIN {}\n", ["check", "x.d"]
    yield "pragmas", "4 MiB of #pragma D option bufsize=8m", units(
        lambda i: "#pragma D option bufsize=8m\n", LIMIT - 16) + "BEGIN {}\n", ["check", "x.d"]
    yield "import-dense", "import, dense D, 4 MiB", dense(LIMIT), ["import", "x.d", "-o", "x.py"]
    yield "formats", "a printf of 4 MiB of %d", 'BEGIN { printf("' + "%d" * ((LIMIT - 32) // 2) + '", 1); }\n', \
        ["check", "x.d"]
    yield "formats-printa", "a printa of 4 MiB of %@d", 'BEGIN { @a[1] = count(); printa("' + \
        "%@d" * ((LIMIT - 64) // 3) + '", @a); }\n', ["check", "x.d"]
    yield "defines", "4 MiB of #define MN N", units(lambda i: f"#define M{i} {i}\n", LIMIT), ["check", "x.d"]


def cases(quick: bool):
    big = (1_000, 10_000) if quick else (1_000, 10_000, 100_000)
    for n in big:
        yield "check-clauses", f"{n:,} clauses", "x.d", clauses(n), ["check", "x.d"]
    for n in big:
        yield "check-descriptions", f"{n:,} descriptions in one clause", "x.d", descriptions(n), ["check", "x.d"]
    for mb in ((1,) if quick else (1, 4)):
        size = mb * 1024 * 1024 - (1024 if mb == 4 else 0)
        yield "check-dense", f"dense D, {mb} MiB", "x.d", dense(size), ["check", "x.d"]
    for mb in ((1,) if quick else (1, 4)):
        size = mb * 1024 * 1024 - (1024 if mb == 4 else 0)
        yield "check-cpp-dense", f"-C, dense D, {mb} MiB", "x.d", dense(size), ["check", "-C", "x.d"]
    big = 4 * 1024 * 1024 - 4096
    yield "check-cpp-comment", "-C, a 4 MB comment", "x.d", "/*" + "a" * big + "*/\nBEGIN {}\n", \
        ["check", "-C", "x.d"]
    yield "check-cpp-string", "-C, a 4 MB string", "x.d", 'BEGIN { x = "' + "a" * big + '"; }\n', \
        ["check", "-C", "x.d"]
    # (review 26's M5: what pcpp's lexer reads, not held out of its sight, a frame per character)
    yield "check-cpp-pieces", "-C, a 4 MB string, _Pragma in a comment", "x.d", \
        'BEGIN { x = "' + "a" * big + '"; } /* _Pragma */\n', ["check", "-C", "x.d"]
    yield "check-cpp-pieces", "-C, a 4 MB comment, and a _Pragma", "x.d", \
        "/*" + "a" * big + '*/\nBEGIN { _Pragma("D option quiet") }\n', ["check", "-C", "x.d"]
    yield "check-cpp-pieces", "-C, a #define's 4 MB string with an escape", "x.d", \
        '#define S "\\n' + "a" * big + '"\nBEGIN { x = S; }\n', ["check", "-C", "x.d"]
    yield "check-cpp-pieces", "-C, a 4 MB comment left open", "x.d", \
        "BEGIN { x = 1; } /*" + "a" * big + "\n__x\n", ["check", "-C", "x.d"]
    yield "check-cpp-pieces", "-C, a header's 4 MB comment", "x.d", \
        {"x.d": '#include "h.h"\nBEGIN { x = 1; }\n', "h.h": "/*" + "a" * big + "*/\n"}, ["check", "-C", "-I.", "x.d"]
    yield "check-cpp-lines", "-C, 4 million empty lines, and a __", "x.d", \
        "BEGIN { x = 1; } /* __ */\n" + "\n" * (big - 100) + "BEGIN {}\n", ["check", "-C", "x.d"]
    yield "check-cpp-lines", "-C, a name spliced over 1.4 million lines", "x.d", \
        "BEGIN { x = 1; }\n" + "a\\\n" * (big // 3) + ";/* __ */\n", ["check", "-C", "x.d"]
    # (cpp28: splices pcpp's write() cuts a blank with, or keeps as a blank)
    yield "check-cpp-lines", "-C, a name spliced over a million lines, a blank before each", "x.d", \
        "BEGIN { x = 1; }\n" + "a \\\n" * (big // 4) + ";/* __ */\n", ["check", "-C", "x.d"]
    yield "check-cpp-lines", "-C, a name spliced, a splice alone on every other line", "x.d", \
        "BEGIN { x = 1; }\n" + "a\\\n\\\n" * (big // 5) + ";/* __ */\n", ["check", "-C", "x.d"]
    # (lines27: the tables of a text's lines, a list of Python integers each, and the lexer's
    # string pattern, a backtracking frame per escape)
    yield "check-cpp-lines", "4 million empty lines (check without -C)", "x.d", \
        "\n" * 4_000_000 + "BEGIN { exit(0); }\n", ["check", "x.d"]
    yield "check-cpp-lines", "a string of 2 million escapes (check without -C)", "x.d", \
        'BEGIN { x = "' + "\\n" * 2_000_000 + '"; }\n', ["check", "x.d"]
    yield "check-cpp-lines", "-C, a string of 2 million escapes", "x.d", \
        'BEGIN { x = "' + "\\n" * 2_000_000 + '"; }\n', ["check", "-C", "x.d"]
    yield "check-cpp-lines", "-C, 2 million lines of x, and a __", "x.d", \
        "BEGIN { x = 1; } /* __ */\n" + "x\n" * (big // 2 - 100) + ";\n", ["check", "-C", "x.d"]
    # (cppmacro28: lines pcpp must read, each naming a macro, refused past MAX_CPP_LINES; a
    # #define spliced over lines; the tokens of lines naming a macro, refused past MAX_CPP_TOKENS;
    # and, answered, the most of each under the bounds, with 4 MB of lines pcpp is spared)
    yield "check-cpp-lines", "-C, #define N 1 and 1.4 million lines of N; (refused)", "x.d", \
        "#define N 1\nBEGIN { x = 1; }\n" + "N;\n" * (big // 3 - 20), ["check", "-C", "x.d"]
    yield "check-cpp-lines", "-C, a #define spliced over 1.4 million lines (refused)", "x.d", \
        "#define N 1 \\\n" + "a\\\n" * (big // 3 - 10) + "\nBEGIN { x = N; }\n", ["check", "-C", "x.d"]
    yield "check-cpp-lines", "-C, #define N 1 and N\\ on 1.4 million lines (refused)", "x.d", \
        "#define N 1\nBEGIN { x = 1; }\n" + "N\\\n" * (big // 3 - 20) + ";\n", ["check", "-C", "x.d"]
    yield "check-cpp-lines", "-C, #define N 1 and 100,000 lines of N x ... x; (refused)", "x.d", \
        "#define N 1\nBEGIN {\n" + ("N" + " x" * 19 + ";\n") * (big // 41) + "}\n", ["check", "-C", "x.d"]
    text = "#define N 1\nBEGIN { x = 1; } /* __ */\n" + "N x;\n" * 49_990
    yield "check-cpp-lines", "-C, 49,990 lines of N x; and 1.9 million of x", "x.d", \
        text + "x\n" * ((big - len(text)) // 2) + ";\n", ["check", "-C", "x.d"]
    text = "#define N 1\nBEGIN { x = 1; } /* __ */\nBEGIN {\n" + ("N" + " x" * 40 + ";\n") * 2_990
    yield "check-cpp-lines", "-C, 248,000 tokens of N x ... x; and 1.9 million lines of x", "x.d", \
        text + "}\n" + "x\n" * ((big - len(text)) // 2) + ";\n", ["check", "-C", "x.d"]
    yield "check-cpp-nested", "-C, F(F(...)) 100,000 deep (refused)", "x.d", "#define F(x) (x)\nBEGIN { y = " + \
        "F(" * 100_000 + "1" + ")" * 100_000 + "; }\n", ["check", "-C", "x.d"]
    yield "check-cpp-macros", "-C, dense D, 1 MiB, and one #define", "x.d", \
        "#define N 1\n" + dense(1024 * 1024 - 1024), ["check", "-C", "x.d"]
    yield "check-cpp-cap", "-C, 20 nested exponential macros", "x.d", exponential_macros(20), ["check", "-C", "x.d"]
    yield "check-nesting", "989 nested unbraced ifs", "x.d", nested_ifs(989), ["check", "x.d"]
    yield "check-nesting", "1,000 chained else-ifs", "x.d", else_ifs(1000), ["check", "x.d"]
    for n in ((1_000, 10_000) if quick else (1_000, 4_000, 10_000)):
        yield "compile-pairs", f"compile, {n:,} entry/return pairs", "x.py", pairs_tracer(n), ["compile", "x.py"]
    for n in (1_000, 4_000):
        yield "compile-elif", f"compile, {n:,} elif_", "x.py", elif_tracer(n), ["compile", "x.py"]
    yield "compile-deep", "compile, a 100,000-deep expression (refused)", "x.py", deep_tracer(100_000), ["compile", "x.py"]
    for n in (100, 1_000, 10_000):
        yield "layout-linear", f"layout, a header of {n:,} structs", "x.h", chain_structs(n), \
            ["layout", "x.h", f"s{n - 1}"]
    # what real headers hold beside their types (session 16: read by pycparser whole before)
    yield "layout-functions", "layout, 50,000 structs, and a prototype each (4 MB)", "x.h", "".join(
        f"struct s{i} {{ int a; long b; char c[4]; }};\nint f{i}(struct s{i} *p, int n);\n" for i in range(50_000)), \
        ["layout", "x.h", "s49999"]
    yield "layout-functions", "layout, 50,000 structs, each with an initialised constant", "x.h", "".join(
        f"struct s{i} {{ int a; long b; char c[4]; }};\nstatic const int k{i} = {i};\n" for i in range(50_000)), \
        ["layout", "x.h", "s49999"]
    # what real headers hold (session 17, and the last three session 19: pycparser read each of
    # these whole before)
    for kind, label, unit in header_kinds():
        text = units(unit, 4_000_000)
        yield "layout-" + kind, f"layout, {label} (4 MB)", "x.h", text, ["layout", "x.h", f"s{text.count('{ int a; long b;') - 1}"]
    # past the fast reader's subset in a header too large for pycparser: refused where it gave way
    text = units(header_kinds()[0][2], 4_000_000)
    yield "layout-refused", "layout, 4 MB of inline functions, then typeof of an expression at file scope (refused)", \
        "x.h", text + "typeof(1 + 1) last;\n", ["layout", "x.h", "s0"]
    for label, tail in refused25():  # (gcc's refusal, in its words)
        yield "layout-refused25", f"layout, 4 MB of inline functions, then {label} (refused)", "x.h", \
            text + tail, ["layout", "x.h", "s0"]
    for header, type_name in (("netinet/tcp.h", "tcphdr"), ("stdio.h", "_IO_FILE"), ("stdlib.h", "div_t")):
        if os.path.isfile(f"/usr/include/{header}"):
            yield "layout-real", f"layout /usr/include/{header} {type_name}", "x.h", {}, \
                ["layout", f"/usr/include/{header}", type_name]
    yield "layout-nested", "layout, 20 doubly nested structs", "x.h", doubly_nested(20), ["layout", "x.h", "s20"]
    # review 9, finding 4
    yield "layout-macros", "layout, 20 nested exponential macros", "x.h", \
        exponential_macros(20).rsplit("\n", 2)[0] + "\nstruct a { int A20; };\n", ["layout", "x.h", "a"]
    for n in ((5_000,) if quick else (5_000, 20_000)):
        yield "layout-dims", f"layout, char x[1][1]... {n:,} dimensions", "x.h", \
            "struct a { char x" + "[1]" * n + "; };\n", ["layout", "x.h", "a"]
    for n in ((100_000,) if quick else (100_000, 1_000_000)):
        yield "layout-sum", f"layout, char x[1+1+...] {n:,} terms", "x.h", \
            "struct a { char x[" + "+".join(["1"] * n) + "]; };\n", ["layout", "x.h", "a"]
    yield "layout-stars", "layout, int *...*p, 1,000,000 stars", "x.h", \
        "struct a { int " + "*" * 1_000_000 + "p; };\n", ["layout", "x.h", "a"]
    yield "layout-binary", "layout, 4 MB of random bytes", "x.h", random_bytes(4_000_000), ["layout", "x.h", "a"]
    for n in ((30_000,) if quick else (30_000, 300_000)):
        yield "layout-members", f"layout, a struct of {n:,} members", "x.h", \
            "struct a {" + "".join(f" int m{i};" for i in range(n)) + " };\n", ["layout", "x.h", "a"]
    for n in ((10_000,) if quick else (10_000, 20_000)):
        yield "superlinear-pairs", f"{n:,} pairs, a thread-local each", "x.d", distinct_pairs(n), ["check", "x.d"]
    for n in ((20_000,) if quick else (20_000, 50_000)):
        yield "superlinear-entries", f"{n:,} one-line :entry clauses", "x.d", one_line_entries(n), ["check", "x.d"]
    yield "superlinear-chain", "x0 = x1 = ... = x7999 = 1", "x.d", assignment_chain(8_000), ["check", "x.d"]
    yield "superlinear-stars", "int *...*p, 32,000 stars", "x.d", stars(32_000), ["check", "x.d"]
    yield "superlinear-include", "-C, 40 empty headers each including 2x", "x.d", include_bomb(40), \
        ["check", "-C", "-I", ".", "x.d"]
    yield "memory-empty", "BEGIN{ 3,000,000 ';' }", "x.d", empty_statements(3_000_000), ["check", "x.d"]
    yield "memory-statements", "BEGIN{ 'x;' x 1,500,000 }", "x.d", lone_operands(1_500_000), ["check", "x.d"]
    yield "memory-assignments", "BEGIN{ 'x=y;' x 750,000 }", "x.d", lone_assignments(750_000), ["check", "x.d"]
    yield "memory-sum", "trace(x+x+...+x), 3 MB", "x.d", long_sum(3_000_000), ["check", "x.d"]
    yield "memory-arguments", "printf(\"%d\", x,x,...), 3 MB", "x.d", long_arguments(3_000_000), ["check", "x.d"]
    # (one declaration of millions of declarators or operators: session 27, margins28 and decl28;
    # refused past lexer.MAX_DECL_ITEMS and MAX_DECL_OPERATORS, bounds of dtracepy's own)
    yield "check-decl-declarators", "int x,x,...,x; 2 million declarators (4 MB)", "x.d", \
        declarators(2_000_000), ["check", "x.d"]
    yield "check-decl-declarators", "int x,x,...,x; 250,000 declarators (at the bound)", "x.d", \
        declarators(250_000), ["check", "x.d"]
    yield "check-decl-terms", "int x[1+1+...+1]; 2 million terms (4 MB)", "x.d", dimension_terms(2_000_000), \
        ["check", "x.d"]
    yield "check-decl-terms", "int x[1+1+...+1]; 100,001 terms (at the bound)", "x.d", \
        dimension_terms(100_001), ["check", "x.d"]
    # `dtracepy import` (session 11: quadratic in clauses, in descriptions, in clauses of one name,
    # and --exact in statements of one function)
    for n in ((10_000,) if quick else (10_000, 100_000)):
        yield "import-clauses", f"import, {n:,} clauses", "x.d", clauses(n), ["import", "x.d", "-o", "x.py"]
    yield "import-descriptions", "import, 40,000 descriptions in one clause", "x.d", descriptions(40_000), \
        ["import", "x.d", "-o", "x.py"]
    yield "import-dense", "import, dense D, 4 MiB", "x.d", dense(4 * 1024 * 1024 - 1024), ["import", "x.d", "-o", "x.py"]
    # (--exact proves at most 151,000 nodes of D, a clause counting one more and another item three,
    # session 25 (145,000 in session 24, 133,500 in session 21, 185,000 nodes alone in session 19):
    # 20,100 clauses count 150,750, 75,400 'x;' 150,803, 786 KiB of dense D 150,900, 50,300 empty
    # clauses 150,900 and 8,380 statements `x = a+b+...+h;` 150,843 (the costliest shapes a count measured:
    # docs/PERFORMANCE.md)
    for n in ((10_000,) if quick else (10_000, 20_100)):
        yield "import-exact", f"import --exact, {n:,} clauses", "x.d", clauses(n), \
            ["import", "--exact", "x.d", "-o", "x.py"]
    yield "import-exact", "import --exact, BEGIN{ 'x;' x 75,400 }", "x.d", lone_operands(75_400), \
        ["import", "--exact", "x.d", "-o", "x.py"]
    yield "import-exact", "import --exact, dense D, 786 KiB", "x.d", dense(786 * 1024), \
        ["import", "--exact", "x.d", "-o", "x.py"]
    yield "import-exact", "import --exact, 50,300 empty clauses", "x.d", \
        "".join(f"fbt::f{i}:entry{{}}\n" for i in range(50_300)), ["import", "--exact", "x.d", "-o", "x.py"]
    yield "import-exact", "import --exact, BEGIN{ 'x = a+b+c+d+e+f+g+h;' x 8,380 }", "x.d", \
        "BEGIN{\n" + "x = a+b+c+d+e+f+g+h;\n" * 8_380 + "}\n", ["import", "--exact", "x.d", "-o", "x.py"]
    # at the size limit (session 16): the largest of each kind of input under 4 MiB, with a
    # finding or two a clause (each clause its own thread-local) and no clause equal to another
    yield "limit-check", "85,000 one-line :entry clauses (4.1 MB)", "x.d", one_line_entries(85_000), ["check", "x.d"]
    yield "limit-check", "34,000 pairs, a thread-local each (4.1 MB)", "x.d", distinct_pairs(34_000), \
        ["check", "x.d"]
    yield "limit-import", "import, 85,000 one-line :entry clauses", "x.d", one_line_entries(85_000), \
        ["import", "x.d", "-o", "x.py"]
    yield "limit-import", "import, 34,000 pairs, a thread-local each", "x.d", distinct_pairs(34_000), \
        ["import", "x.d", "-o", "x.py"]
    yield "limit-import", "import --exact, 100,000 clauses (3.9 MB)", "x.d", clauses(100_000), \
        ["import", "--exact", "x.d", "-o", "x.py"]
    # (under 4 MiB of D, but 585,000 nodes: refused since session 17, when it took 9.3 s; the
    # largest it proves, 20,100 clauses since session 25, is the row after it)
    yield "limit-import", "import --exact, 90,000 clauses (3.5 MB)", "x.d", clauses(90_000), \
        ["import", "--exact", "x.d", "-o", "x.py"]
    yield "limit-import", "import --exact, 20,100 clauses (0.8 MB, 150,750 counted: about the most it proves)", "x.d", \
        clauses(20_100), ["import", "--exact", "x.d", "-o", "x.py"]
    yield "superlinear-dag", "compile, x = x + x 22 times (refused)", "x.py", tracer_body(
        "    x = arg0\n    for i in range(22):\n        x = x + x\n    trace(x)\n"), ["compile", "x.py"]
    yield "superlinear-if", "compile, 1,000 nested if_ (refused)", "x.py", tracer_body(
        "    with contextlib.ExitStack() as s:\n        for i in range(1000):\n"
        "            s.enter_context(if_(arg0 == i))\n        trace(1)\n"), ["compile", "x.py"]
    yield "superlinear-parens", "compile, x = (x + 1) * 2 20,000 times (refused)", "x.py", tracer_body(
        "    x = arg0\n    for i in range(20000):\n        x = (x + 1) * 2\n    trace(x)\n"), ["compile", "x.py"]
    if not quick:  # (review 21's shapes at the size limit: --only limit-shapes)
        for case, label, text, argv in limit_shapes():
            yield f"limit-shapes-{case}", label, "x.d", text, argv


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="skip the largest sizes")
    parser.add_argument("--only", help="run only the cases whose name starts with this")
    args = parser.parse_args()
    print(f"{'case':<45} {'bytes':>10} {'wall s':>7} {'cpu s':>7} {'peak MB':>8} {'exit':>4}")
    with tempfile.TemporaryDirectory() as tmp:
        for name, label, filename, text, argv in cases(args.quick):
            if args.only and not name.startswith(args.only):
                continue
            files = text if isinstance(text, dict) else {filename: text}  # (a script and its headers)
            for name_, text_ in files.items():
                path = pathlib.Path(tmp) / name_
                path.write_bytes(text_) if isinstance(text_, bytes) else path.write_text(text_)
            wall, cpu, peak, status = run(argv, tmp)
            size = sum(len(text_ if isinstance(text_, bytes) else text_.encode()) for text_ in files.values())
            print(f"{label:<45} {size:>10,} {wall:>7.2f} {cpu:>7.2f} {peak:>8.0f} {status:>4}", flush=True)
    with open("/proc/loadavg") if os.path.exists("/proc/loadavg") else open(os.devnull) as handle:
        load = handle.read().split()[:3]
    if load:
        print(f"(load average during the run: {' '.join(load)}; {os.cpu_count()} CPUs)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
