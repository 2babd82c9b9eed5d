"""A bounded fuzz test (issue 8): random and mutated inputs to ``check``, ``check -C``, ``compile``
and ``layout`` never make dtracepy print a traceback or an internal error (exit 70), and every
rejection is a located ``file:line[:col]: error:``.

Inputs are mutations of real files (a seeded sample of the D corpus, the examples and their D,
the shipped C headers) and random token soup.  The CLI's ``main`` runs in-process (a few tens of
seconds in all); two cases run the real command.  The seed is fixed, so a failure reproduces;
``DTRACEPY_FUZZ_SEED=N`` tries other inputs and ``DTRACEPY_FUZZ_SCALE=K`` K times as many.
"""

from __future__ import annotations

import contextlib
import io
import os
import pathlib
import random
import re
import subprocess
import sys

import pytest
from tests.pythonpath import env_with

from conftest import REPO, corpus_dir
from dtracepy.cli import main

SEED = int(os.environ.get("DTRACEPY_FUZZ_SEED", "8"))
SCALE = float(os.environ.get("DTRACEPY_FUZZ_SCALE", "1"))
LOCATED = re.compile(r"^\S[^:\n]*:\d+(?::\d+)?: error: ", re.M)
LOCATED_WARNING = re.compile(r"^\S[^:\n]*:\d+(?::\d+)?: warning: ", re.M)  # fail only with --strict

D_TOKENS = ["BEGIN", "END", "syscall::read:entry", "fbt:ip:tcp_conn_request:return", "tick-1s",
            "profile-997", "{", "}", "(", ")", "[", "]", ";", ",", "/", "/self->ts/", "self->", "this->",
            "@a", "@", "$1", "$$2", "$target", "x", "=", "==", "+=", "++", "-", "*", "&", "->", ".", "?",
            ":", "printf", "printa", "trace", "count()", "quantize", "copyinstr", "stringof", "sizeof",
            "(char *)", "(uint64_t)", "\"%d %s\\n\"", "\"str\"", "'a'", "0x28", "0", "1", "4294967296",
            "18446744073709551616", "if", "else", "#pragma D option quiet", "#define X 1", "#include <x.h>",
            "#if 1", "#endif", "#error e", "/* c */", "/*", "*/", "\n", " ", "\t", "inline int x = 1;",
            "translator", "provider p { probe q(); };", "struct s { int a; };", "self int x;", "\\",
            "\"", "'", "`", "#", "exit(0)", "system(\"id\")", "speculate(x)", "commit(x)", "\u00a0", "\xff"]
C_TOKENS = ["struct", "union", "enum", "typedef", "int", "char", "short", "long", "unsigned", "_Bool",
            "uint8_t", "uint16_t", "uint32_t", "uint64_t", "void", "*", "a", "b", "s", "t", "{", "}", "[",
            "]", "(", ")", ";", ",", ":", "=", "1", "3", "8", "64", "0x10", "1ULL<<63", "-1",
            "__attribute__((packed))", "__attribute__((aligned(8)))", "__attribute__((aligned(3)))",
            "#pragma pack(1)", "#pragma pack(3)", "#pragma pack(push, 2)", "#pragma pack(pop)",
            "#define N 4", "N", "#if N", "#endif", "#include \"x.h\"", "\n", " ", "sizeof(int)", "/*", "*/"]


def _cli(argv):
    """Run the CLI in-process; (status, stderr)."""
    err = io.StringIO()
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(err):
        try:
            status = main([str(a) for a in argv])
        except SystemExit as exit_:
            status = exit_.code
    return status, err.getvalue()


#: A line that says "error:" as a severity, located or not (``x.d:3: error:``, ``x.d: error:``,
#: ``error:``); the line after a located one may be its source line, which is the input's text.
SAYS_ERROR = re.compile(r"^(?:\S[^\n]*?: )?error: ")
HEADER = re.compile(r"^\S[^:\n]*:\d+(?::\d+)?: (?:error|warning): ")


def unlocated_errors(err: str) -> list[str]:
    """The error lines of ``err`` that are not ``file:line[:col]: error:``, every one (not only the
    first), skipping each located message's source line."""
    found = []
    after_header = False
    for line in err.splitlines():
        if after_header and not SAYS_ERROR.match(line):
            after_header = False  # (the source line shown under a located message: the input's text)
            continue
        after_header = False
        if HEADER.match(line):
            after_header = True
        elif SAYS_ERROR.match(line):
            found.append(line)
    return found


def _judge(argv, status, err, what):
    assert "Traceback" not in err and "internal error" not in err, (what, err)
    assert status in (0, 1), (what, status, err)
    if status == 1:
        assert LOCATED.search(err) or ("--strict" in argv and LOCATED_WARNING.search(err)), (what, err)
    assert not unlocated_errors(err), (what, unlocated_errors(err), err)  # every error is located
    for line in err.splitlines():
        assert not line.startswith("dtracepy: "), (what, err)  # an unlocated error of dtracepy's own


def _mutate(rng: random.Random, data: bytes, tokens) -> bytes:
    """One to four random edits: delete, duplicate or move a slice, insert tokens, flip a byte,
    truncate, or nest."""
    for _ in range(rng.randint(1, 4)):
        n = len(data)
        i, j = sorted((rng.randint(0, n), rng.randint(0, n)))
        j = min(j, i + 200)
        kind = rng.randrange(8)
        if kind == 0:
            data = data[:i] + data[j:]
        elif kind == 1:
            data = data[:j] + data[i:j] + data[j:]
        elif kind == 2:
            piece = " ".join(rng.choice(tokens) for _ in range(rng.randint(1, 8))).encode("utf-8", "replace")
            data = data[:i] + piece + data[i:]
        elif kind == 3 and n:
            k = rng.randrange(n)
            data = data[:k] + bytes([rng.randrange(256)]) + data[k + 1:]
        elif kind == 4:
            data = data[:i]
        elif kind == 5:
            depth = rng.choice((3, 50, 300))
            data = data[:i] + b"(" * depth + b"x" + b")" * depth + data[i:]
        elif kind == 6:
            data = data[:i] + rng.choice((b"9" * rng.choice((25, 4301)), b"tick-" + b"1" * 4301 + b"s",
                                          b"\xed\xb0\x80", b"\x00", b"\r\n", b"\xef\xbb\xbf")) + data[i:]
        else:
            a, b = data[i:j], data[j:j + (j - i)]
            data = data[:i] + b + a + data[j + len(b):]
    return data


def _soup(rng, tokens, count) -> bytes:
    return " ".join(rng.choice(tokens) for _ in range(count)).encode("utf-8", "replace")


def _d_seeds(rng, count):
    seeds = [p.read_bytes() for p in sorted((REPO / "examples").glob("*.d"))]
    seeds += [p.read_bytes() for p in sorted((REPO / "tests" / "fixtures").rglob("*.d"))]
    root = corpus_dir()
    if root is not None:
        paths = [line.split("\t", 1)[0] for line in (root / "MANIFEST.tsv").read_text().splitlines()[1:]]
        for path in rng.sample(paths, min(count, len(paths))):
            data = (root / path).read_bytes()
            if len(data) < 20_000:
                seeds.append(data)
    return seeds


def test_check_and_check_cpp_on_mutated_and_random_d(tmp_path):
    rng = random.Random(SEED)
    seeds = _d_seeds(rng, int(60 * SCALE))
    cases = [_mutate(rng, rng.choice(seeds), D_TOKENS) for _ in range(int(260 * SCALE))]
    cases += [_soup(rng, D_TOKENS, rng.randint(1, 60)) for _ in range(int(60 * SCALE))]
    path = tmp_path / "fz.d"
    (tmp_path / "x.h").write_bytes(b"#define Y 2\nBEGIN { trace(Y); }\n")
    for n, data in enumerate(cases):
        path.write_bytes(data)
        argv = ["check", path]
        if n % 3 == 0:
            argv = ["check", "-C", "-I", tmp_path, path]
        elif n % 7 == 1:
            argv = ["check", "--strict", "--dialect", "oracle", "--macro-args", "1", "-w", path]
        status, err = _cli(argv)
        _judge(argv, status, err, data[:300])


def test_compile_on_mutated_tracers(tmp_path, monkeypatch):
    rng = random.Random(SEED + 1)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(sys, "path", list(sys.path))
    # tracer modules only: never a script that, mutated (its `if __name__` line deleted), could
    # start processes or open sockets at import
    sources = [text for text in (p.read_text() for p in sorted((REPO / "examples").glob("*.py")))
               if "Tracer(" in text and not re.search(r"subprocess|socket|\.run\(|__main__|os\.system", text)]
    assert sources
    dsl = ["self.x = 1", "this.y = arg0", "trace(self.x)", "printf('%d', 1, 2)", "printf(1)",
           "with if_(arg0):\n        trace(1)", "with else_():\n        pass", "with elif_(1):\n        pass",
           "agg.a[execname] = count()", "t.clear(self.x, at='syscall::exit:entry')", "t.keep(self.x)",
           "cast(arg0, 'int *')", "at(arg0, 0x28, 'tcp_t *')", "x = 10 ** 30", "macro(1, 'n')",
           "exit(0)", "raise SystemExit(3)", "raise BaseException('b')", "print('\\udc80')", "glob.g = 1",
           "t.option('bufsize', '8m')", "view('ip', arg0).ip_nope", "1 / 0", "import nonexistent_module"]
    for n in range(int(50 * SCALE)):
        lines = rng.choice(sources).splitlines()
        for _ in range(rng.randint(1, 3)):
            k = rng.randrange(len(lines) + 1)
            kind = rng.randrange(4)
            if kind == 0 and lines:
                del lines[min(k, len(lines) - 1)]
            elif kind == 1 and lines:
                lines.insert(k, lines[rng.randrange(len(lines))])
            elif kind == 2:
                indent = rng.choice(("", "    "))
                lines.insert(k, indent + rng.choice(dsl))
            elif lines:
                i = min(k, len(lines) - 1)
                lines[i] = re.sub(r"\d+", lambda m: rng.choice(("0", "4301", "1" * 30, m.group(0))), lines[i])
        path = tmp_path / f"fz{n}.py"
        path.write_text("\n".join(lines) + "\n", encoding="utf-8", errors="surrogatepass")
        argv = ["compile", path.name, "-o", f"fz{n}.d"] if n % 2 else ["compile", path.name, "--check"]
        status, err = _cli(argv)
        _judge(argv, status, err, "\n".join(lines))


PY_TOKENS = ["from dtracepy import *", "from dtracepy import Tracer, exit", "import sys", "t = Tracer()",
             "t = Tracer(", "@t.probe('BEGIN')", "@t.probe(", "def _():", "def f(x):", "    ", "\n", "\n    ",
             "trace(1)", "trace(", "printf('%d\\n', pid)", "self.x = arg0", "this.y", "glob.z[execname] = 1",
             "agg.a[execname] = count()", "with if_(pid == 1):", "with else_():", "exit_(0)", "exit(0)",
             "(", ")", "[", "]", "{", "}", ":", ",", "=", "==", "+", "*", "**", ".", "'", '"', '"""', "#", "\\",
             "lambda", "yield", "await", "async def g():", "class C:", "return", "pass", "None", "1", "0x10",
             "9" * 4301, "'\\ud800'", "execname", "arg0", "cast(arg0, 'int *')", "t.option('bufsize', '8m')",
             "t.clear(self.x)", "raise SystemExit(2)", "1 / 0", "\t", "\x00", "\xff", "\u2028", "\ufeff"]


def test_compile_on_random_bytes_and_random_python(tmp_path, monkeypatch):
    """``compile`` of what is no tracer: random bytes as a ``.py``, and random Python-ish text
    (review 9, §2.2): a located error (or a tracer, rarely), never a traceback or an unlocated line."""
    rng = random.Random(SEED + 3)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(sys, "path", list(sys.path))
    cases = [bytes(rng.randrange(256) for _ in range(rng.randint(0, 400))) for _ in range(int(30 * SCALE))]
    cases += [_soup(rng, PY_TOKENS, rng.randint(1, 40)).replace(b"\n ", b"\n") for _ in range(int(40 * SCALE))]
    cases += [b"from dtracepy import *\nt = Tracer()\n" + _soup(rng, PY_TOKENS, rng.randint(1, 30))
              for _ in range(int(30 * SCALE))]
    for n, data in enumerate(cases):
        path = tmp_path / f"rz{n}.py"
        path.write_bytes(data)
        argv = ["compile", path.name, "--check"] if n % 2 else ["compile", path.name, "-o", f"rz{n}.d"]
        status, err = _cli(argv)
        _judge(argv, status, err, data[:300])


ATOMS = ["pid", "execname", "arg0", "args[0]", "self.x", "this.y", "glob.z", "glob.a[execname]", "1", "0",
         "-1", "2**64", "'s'", '"a\\nb"', "curpsinfo.pr_psargs", "cast(arg0, 'int')", "stringof(arg1)",
         "None", "[]", "{}", "1.5", "True", "b'x'", "(1, 2)", "timestamp", "self", "glob", "agg", "lit(1)",
         "num('0777')", "charlit('a')", "copyinstr(arg0)", "count()", "macro(1)", "ksym('x')", "probefunc",
         "(arg0 ** 2)"]
BINARY = ["+", "-", "*", "/", "//", "%", "&", "|", "^", "<<", ">>", "==", "!=", "<", ">=", " and ", " or ",
          " in ", "@"]  # (no **: 2**64 ** 2**64 is computed by Python, for ever)
CALLS = ["trace", "printf('%d %s\\n', {})".replace("{}", "{0}"), "stmt", "len", "str", "int", "hash", "not_",
         "strlen", "cond({0}, 1, 2)".replace("{0}", "{0}"), "sizeof", "abs", "bool", "list", "iter", "min_", "max",
         "exit_", "copyinstr", "quantize", "sum"]


def _py_expr(rng, depth=0) -> str:
    roll = rng.randrange(6) if depth < 4 else 0
    if roll <= 1:
        return rng.choice(ATOMS)
    if roll <= 3:
        return f"({_py_expr(rng, depth + 1)}{rng.choice(BINARY)}{_py_expr(rng, depth + 1)})"
    if roll == 4:
        call = rng.choice(CALLS)
        return call.format(_py_expr(rng, depth + 1)) if "{0}" in call else f"{call}({_py_expr(rng, depth + 1)})"
    return rng.choice(("-", "~", "not ", "+")) + _py_expr(rng, depth + 1)


def _py_statement(rng) -> str:
    e = _py_expr(rng)
    return rng.choice((f"trace({e})", f"self.x = {e}", f"agg.a[{e}] = count()", f"stmt({e})",
                       f"printf('%d\\n', {e})", f"this.y += {e}", f"with if_({e}):\n        trace(1)",
                       f"glob.a[{e}] = {_py_expr(rng)}", f"x = {e}", e))


def test_compile_on_random_dsl_expressions(tmp_path, monkeypatch):
    """Random expressions of D values, Python values and the DSL's functions, in a probe body or
    in its predicate: each tracer compiles or is refused at a located line (review 9, §2.2)."""
    rng = random.Random(SEED + 4)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(sys, "path", list(sys.path))
    for n in range(int(300 * SCALE)):
        body = "\n".join("    " + _py_statement(rng) for _ in range(rng.randint(1, 4)))
        when = f", when={_py_expr(rng)}" if n % 4 == 0 else ""
        text = (f"from dtracepy import *\nt = Tracer()\n\n@t.probe('syscall::read:entry'{when})\n"
                f"def _():\n{body}\n")
        path = tmp_path / f"ex{n}.py"
        path.write_text(text)
        argv = ["compile", path.name, "--check"] if n % 2 else ["compile", path.name]
        status, err = _cli(argv)
        _judge(argv, status, err, text)


def test_every_error_line_must_be_located():
    """The judge's own rule: each error line, not only one; a located message's source line is
    the input's text, not an error line (unless it says "error:" as one does)."""
    assert unlocated_errors("x.d:1: error: a\nerror: b\nx.h: error: c\n") == ["error: b", "x.h: error: c"]
    assert unlocated_errors("x.d:1:2: error: a\n  trace(error: b)\n ^\nx.d:2: warning: w\nsource\n") == []


def test_layout_of_a_type_the_header_lacks_is_located(tmp_path):
    path = tmp_path / "t.h"
    path.write_text("struct a { int x; };\n")
    status, err = _cli(["layout", path, "nosuch"])
    assert status == 1 and err.startswith(f"{path}:1: error: unknown type 'nosuch'"), err


def test_layout_on_mutated_and_random_headers(tmp_path):
    rng = random.Random(SEED + 2)
    headers = sorted((REPO / "dtracepy" / "layout" / "headers").glob("*.h"))
    seeds = [(p.read_bytes(), ["ip", "tcphdr", "struct ip"]) for p in headers]
    nested = "struct s0 { int x; char c; };\n" + "".join(
        f"struct s{i} {{ struct s{i - 1} a; struct s{i - 1} b; }};\n" for i in range(1, 21))
    seeds.append((nested.encode(), ["s20", "s3"]))
    seeds.append((b"struct a { unsigned x:3; _Bool b:1; union { int i; char c; } u; char tail[]; };\n", ["a"]))
    path = tmp_path / "fz.h"
    for n in range(int(70 * SCALE)):
        if n % 5 == 4:
            data, types = _soup(rng, C_TOKENS, rng.randint(1, 80)), ["a", "s"]
        else:
            data, types = rng.choice(seeds)
            data = _mutate(rng, data, C_TOKENS)
        path.write_bytes(data)
        argv = ["layout", path, rng.choice(types), "--abi", rng.choice(("x86_64", "i386", "aarch64", "sparcv9"))]
        if n % 2:
            argv.append("--json")
        status, err = _cli(argv)
        _judge(argv, status, err, data[:300])


@pytest.mark.parametrize("seed", [0, 1])
def test_the_real_command_on_mutated_input(tmp_path, seed):
    rng = random.Random(SEED * 100 + seed)
    data = _mutate(rng, (REPO / "examples" / "tcpq.d").read_bytes(), D_TOKENS)
    path = tmp_path / "fz.d"
    path.write_bytes(data)
    env = env_with(REPO)
    for argv in (["check", path], ["check", "-C", path]):
        result = subprocess.run([sys.executable, "-m", "dtracepy", *map(str, argv)], capture_output=True,
                                timeout=120, env=env)
        _judge(argv, result.returncode, result.stderr.decode("utf-8", "replace"), data[:300])


def test_the_mutator_changes_its_input():
    rng = random.Random(1)
    seed = pathlib.Path(REPO / "examples" / "tcpq.d").read_bytes()
    assert sum(_mutate(rng, seed, D_TOKENS) != seed for _ in range(50)) >= 45
