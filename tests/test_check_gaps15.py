"""Session 15: what `check` passed and the real dtrace (Oracle D 2.0) refuses, crashes on or
cannot run, and two places where dtracepy told the user less than the truth.

Each CASES entry is D text, the dialect check is told (None: none given), and the rule check
reports as an error (None: no error).  The first test runs without dtrace; the second lets the
real dtrace judge each case the same way round: refused where check reports an error, accepted
where it does not.  The other tests: the DSL's refusals, the warnings (options dtrace compiles but
cannot run with, a string constant cut at a NUL), ``layout``'s spelling of ``int a[0]``, and a
clause of more ``->`` than Oracle's compiler can jump across (dtrace aborts; bisected).
"""

import subprocess

import pytest

from real_dtrace import need_dtrace
from test_check_gaps12 import assert_first_error, dtrace_disagreements
from test_check_gaps13 import _findings

CASES = {
    # 1. printf's integer conversions given a value whose type is sure: %Y and %T need 64 bits,
    # %hd a short; D promotes no narrow operand to int (a short plus a short is a short)
    '%Y of -1': ('BEGIN { printf("%Y", -1); }', None, "printf-type"),
    '%Y of -1, oracle': ('BEGIN { printf("%Y", -1); }', "oracle", "printf-type"),
    '%Y of 1': ('BEGIN { printf("%Y", 1); }', None, "printf-type"),
    '%Y of 1 - 2': ('BEGIN { printf("%Y", 1 - 2); }', None, "printf-type"),
    '%T of ~1': ('BEGIN { printf("%T", ~1); }', None, "printf-type"),
    '%Y of 1 << 40L': ('BEGIN { printf("%Y", 1 << 40L); }', None, "printf-type"),
    '%Y of c ? 1 : 2': ('BEGIN { printf("%Y", timestamp ? 1 : 2); }', None, "printf-type"),
    '%Y of 1 ? 1 : 1L': ('BEGIN { printf("%Y", 1 ? 1 : 1L); }', None, "printf-type"),
    '%Y of (char)1 + (char)1': ('BEGIN { printf("%Y", (char)1 + (char)1); }', None, "printf-type"),
    '%Y of pid + 1': ('BEGIN { printf("%Y", pid + 1); }', "oracle", "printf-type"),
    '%hd of -1': ('BEGIN { printf("%hd", -1); }', None, "printf-type"),
    '%ld of -1': ('BEGIN { printf("%ld", -1); }', "oracle", "printf-type"),
    '%lo of 1u - 1L': ('BEGIN { printf("%lo", 1u - 1L); }', "oracle", "printf-type"),
    '%s of -1': ('BEGIN { printf("%s", -1); }', None, "printf-type"),
    '%s of c ? 1 : 2': ('BEGIN { printf("%s", timestamp ? 1 : 2); }', None, "printf-type"),
    '%d of c ? "a" : "b"': ('BEGIN { printf("%d", timestamp ? "a" : "b"); }', None, "printf-type"),
    '%f of -1': ('BEGIN { printf("%f", -1); }', None, "printf-type"),
    '%k of -1': ('BEGIN { printf("%k", -1); }', None, "printf-type"),
    '%Y of -1L': ('BEGIN { printf("%Y", -1L); }', "oracle", None),
    '%Y of 1 + 1L': ('BEGIN { printf("%Y", 1 + 1L); }', None, None),
    '%Y of 1 ? 1L : 1': ('BEGIN { printf("%Y", 1 ? 1L : 1); }', None, None),
    '%Y of c ? 1 : 1L': ('BEGIN { printf("%Y", timestamp ? 1 : 1L); }', "oracle", None),
    '%Y of timestamp + 1': ('BEGIN { printf("%Y", timestamp + 1); }', "oracle", None),
    '%hx of (short)1 + (short)1': ('BEGIN { printf("%hx", (short)1 + (short)1); }', None, None),
    '%hx of -(short)1': ('BEGIN { printf("%hx", -(short)1); }', None, None),
    '%ho of (short)1 + (unsigned short)1': ('BEGIN { printf("%ho", (short)1 + (unsigned short)1); }', None, None),
    '%c of (char)1 + (char)1': ('BEGIN { printf("%c", (char)1 + (char)1); }', None, None),
    '%s of c ? "a" : "b"': ('BEGIN { printf("%s", timestamp ? "a" : "b"); }', None, None),
    '%d of -1': ('BEGIN { printf("%d", -1); }', None, None),
    # 2. an integer indexed
    "arg0[0]": ("BEGIN { x = arg0[0]; }", None, "array-use"),
    "pid[0]": ("BEGIN { x = pid[0]; }", None, "array-use"),
    "1[0]": ("BEGIN { x = 1[0]; }", None, "array-use"),
    "(1 + 2)[0]": ("BEGIN { x = (1 + 2)[0]; }", None, "array-use"),
    "arg0[0, 1]": ("BEGIN { x = arg0[0, 1]; }", None, "array-use"),
    "x = 1; x[0]": ("BEGIN { x = 1; y = x[0]; }", None, "array-use"),
    "x = 1; x[0] = 2": ("BEGIN { x = 1; x[0] = 2; }", None, "array-use"),
    "x = 1 in one clause, x[0] in a later one": ("BEGIN { x = 1; }\nEND { y = x[0]; }", None, "array-use"),
    "self->x = 1; self->x[0]": ("BEGIN { self->x = 1; y = self->x[0]; }", None, "array-use"),
    "this->x = 1; this->x[0]": ("BEGIN { this->x = 1; y = this->x[0]; }", None, "array-use"),
    "execname[0]": ("BEGIN { x = execname[0]; }", None, None),
    "curthread[0]": ("BEGIN { x = curthread[0]; }", None, None),
    "uregs[0]": ("BEGIN { x = uregs[0]; }", None, None),
    "x = (int *)0; x[0]": ("BEGIN { x = (int *)0; y = x[0]; }", None, None),
    "((char *)arg0)[0]": ("BEGIN { x = ((char *)arg0)[0]; }", None, None),
    # 3. size options below what Oracle's D takes
    "strsize bare": ("#pragma D option strsize\nBEGIN { exit(0); }", "oracle", "pragma"),
    "strsize=0": ("#pragma D option strsize=0\nBEGIN { exit(0); }", "oracle", "pragma"),
    "strsize=1": ("#pragma D option strsize=1\nBEGIN { exit(0); }", "oracle", "pragma"),
    "strsize=0x1": ("#pragma D option strsize=0x1\nBEGIN { exit(0); }", "oracle", "pragma"),
    "preallocate bare": ("#pragma D option preallocate\nBEGIN { exit(0); }", "oracle", "pragma"),
    "lockmem=1m": ("#pragma D option lockmem=1m\nBEGIN { exit(0); }", "oracle", "pragma"),
    "strsize=2": ("#pragma D option strsize=2\nBEGIN { exit(0); }", "oracle", None),
    "strsize=1k": ("#pragma D option strsize=1k\nBEGIN { exit(0); }", "oracle", None),
    "preallocate=0": ("#pragma D option preallocate=0\nBEGIN { exit(0); }", "oracle", None),
    "bufsize bare (compiles; cannot run)": ("#pragma D option bufsize\nBEGIN { exit(0); }", "oracle", None),
    "nspec bare (compiles; cannot run)": ("#pragma D option nspec\nBEGIN { exit(0); }", "oracle", None),
    "bufsize=0 (compiles; cannot run)": ("#pragma D option bufsize=0\nBEGIN { exit(0); }", "oracle", None),
    # 4. a NUL in a string constant: dtrace takes it (and keeps the text before it)
    '"a\\0b"': ('BEGIN { s = "a\\0b"; trace(s); }', "oracle", None),
}


@pytest.mark.parametrize("name", CASES)
def test_check_judges_each_case(name):
    assert_first_error(CASES, name)


def test_the_real_dtrace_judges_them_the_same_way():
    assert dtrace_disagreements(CASES) == {}


def test_the_messages_are_located(tmp_path, capsys):
    from dtracepy.cli import main

    path = tmp_path / "s.d"
    path.write_text('BEGIN\n{\n\tprintf("%Y\\n", -1);\n\tx = arg0[0];\n\ty = 1;\n\tz = y[2];\n}\n')
    assert main(["check", str(path)]) == 1
    err = capsys.readouterr().err.splitlines()
    assert err[0].startswith(f"{path}:3:17: error: printf(): argument 1 for '%Y': %Y needs a 64-bit integer, "
                             "not the int given [printf-type]"), err
    assert err[1].startswith(f"{path}:4:6: error: arg0 is an integer, not a pointer or an array: it cannot be "
                             "indexed (dtrace: \"cannot dereference non-pointer type\")"), err
    assert err[2].startswith(f"{path}:6:6: error: y is an integer (typed by its first assignment, line 5)"), err


# --- the options: an error for Oracle's D, a warning with no dialect, nothing for illumos -------

@pytest.mark.parametrize("option", ["strsize", "strsize=1", "preallocate"])
def test_a_refused_size_is_an_error_for_oracle_only(option):
    text = f"#pragma D option {option}\nBEGIN {{ exit(0); }}\n"
    by_dialect = {d: [(f.check, f.severity, f.pos.line) for f in _findings(text, d) if f.check == "pragma"]
                  for d in ("oracle", None, "illumos")}
    assert by_dialect == {"oracle": [("pragma", "error", 1)], None: [("pragma", "warning", 1)], "illumos": []}


@pytest.mark.parametrize("option", ["bufsize", "bufsize=0", "nspec", "nspec=0", "bufsize=0k"])
def test_an_option_dtrace_compiles_but_cannot_run_with_is_a_warning(option):
    # dtrace -e takes them (test_the_real_dtrace_judges_them_the_same_way); dtrace -s says
    # "could not enable tracing: Enabling exceeds size of buffer" (bufsize) or "failed to create
    # BPF map 'specs': Invalid argument" (nspec), seen on Oracle's dtrace 2.0 this session
    text = f"#pragma D option {option}\nBEGIN {{ exit(0); }}\n"
    by_dialect = {d: [(f.check, f.severity) for f in _findings(text, d) if f.check == "pragma"]
                  for d in ("oracle", None, "illumos")}
    assert by_dialect == {"oracle": [("pragma", "warning")], None: [("pragma", "warning")], "illumos": []}
    assert "could not enable tracing" in [f.message for f in _findings(text, "oracle")][0]


@pytest.mark.parametrize("option", ["bufsize=4m", "nspec=1", "strsize=256", "preallocate=0"])
def test_sizes_dtrace_takes_are_not_reported(option):
    assert [f for f in _findings(f"#pragma D option {option}\nBEGIN {{ exit(0); }}\n") if f.check == "pragma"] == []


# --- the DSL: an integer indexed is refused at the user's line ----------------------------------

def test_the_dsl_refuses_an_integer_indexed():
    from dtracepy import Tracer, arg0, glob, pid, printf
    from dtracepy.errors import CompileError, DSLError

    t = Tracer()
    with pytest.raises(DSLError, match="arg0 is an integer, not a pointer or an array"):
        @t.probe("BEGIN")
        def _():
            printf("%d", arg0[0])
    with pytest.raises(DSLError, match="cannot dereference non-pointer type"):
        (pid + 1)[0]

    t = Tracer()

    @t.probe("BEGIN")
    def _():
        glob.x = 1
        printf("%d", glob.x[0])

    with pytest.raises(CompileError, match=r"x is an integer \(typed by its first assignment") as err:
        t.compile()
    assert [f.check for f in err.value.findings] == ["array-use"]


# --- a NUL in a string constant ----------------------------------------------------------------

def test_a_string_cut_at_a_nul_is_a_warning_in_d_and_in_a_tracer():
    text = 'BEGIN { s = "a\\0b"; t = "ab\\0"; u = "a\\x00b"; printf("%d\\0\\n", 1); trace(s); trace(t); trace(u); }\n'
    found = [(f.check, f.severity, f.pos.col) for f in _findings(text) if f.check == "string-nul"]
    # only "a\0b": a NUL at the end drops nothing, "\x00b" is one escape (the byte 0x0b, as dtrace
    # reads it: sizeof("a\x00b") is 3), and a format's NUL is printf's
    assert found == [("string-nul", "warning", 13)]
    from dtracepy.lexer import decode_string

    assert decode_string("a\\x00b") == "a\x0b" and decode_string("a\\0b") == "a\x00b"

    from dtracepy import Tracer, glob, trace

    t = Tracer()

    @t.probe("BEGIN")
    def _():
        glob.s = "a\x00b"
        trace(glob.s)

    compiled = t.compile()
    assert [(f.check, f.severity) for f in compiled.findings] == [("string-nul", "warning")]
    assert 'keeps "a" of "a\\0b"' in compiled.findings[0].message


# --- layout: int a[0] (GNU's zero-length array) and int a[] (a flexible array member) -----------

def test_layout_spells_a_zero_length_array_apart_from_a_flexible_one():
    from dtracepy.layout import parse_layouts

    layouts = parse_layouts("struct s { int n; int a[0]; };\nstruct f { int n; int b[]; };\n"
                            "struct g { char c; int a[0]; char d; };\nstruct h { int n; int m[2][0]; };\n")
    shown = {name: [(m.name, m.type_name, m.offset, m.type.size) for m in layouts[name].members]
             for name in ("struct s", "struct f", "struct g", "struct h")}
    # gcc: sizeof 4, 4, 8, 4; offsetof a 4, b 4, g.a 4, g.d 4 (a zero-length array takes no room)
    assert shown == {
        "struct s": [("n", "int", 0, 4), ("a", "int [0]", 4, 0)],
        "struct f": [("n", "int", 0, 4), ("b", "int []", 4, 0)],
        "struct g": [("c", "char", 0, 1), ("a", "int [0]", 4, 0), ("d", "char", 4, 1)],
        "struct h": [("n", "int", 0, 4), ("m", "int [2][0]", 4, 0)],
    }
    assert [layouts[n].size for n in ("struct s", "struct f", "struct g", "struct h")] == [4, 4, 8, 4]


def test_the_layout_command_shows_int_a_0(tmp_path, capsys):
    from dtracepy.cli import main

    header = tmp_path / "z.h"
    header.write_text("struct s { int n; int a[0]; int b[]; };\n")
    assert main(["layout", str(header), "struct s"]) == 0
    out = capsys.readouterr().out
    assert "int [0]  a" in out and "int []   b" in out, out


# --- a clause of more -> than Oracle's compiler can jump across ---------------------------------

LIMIT = 16382   # bisected: 16,382 dereferences in a clause compile, 16,383 abort dtrace -e


def _chain(n, predicate=""):
    return f"struct s {{ struct s *a; }};\nstruct s *x;\nBEGIN {predicate}{{ y = x{'->a' * n}; }}\n"


def test_too_many_dereferences_in_a_clause_are_refused_for_oracle():
    for text, over in ((_chain(LIMIT), False), (_chain(LIMIT + 1), True), (_chain(LIMIT - 1, "/x->a/ "), False),
                       (_chain(LIMIT, "/x->a/ "), True)):
        by_dialect = {d: [(f.severity, f.pos.line) for f in _findings(text, d) if f.check == "dereferences"]
                      for d in ("oracle", None, "illumos")}
        assert by_dialect == ({"oracle": [("error", 3)], None: [("warning", 3)], "illumos": []} if over
                              else {"oracle": [], None: [], "illumos": []}), (over, by_dialect)
    # not counted: a -> under & or sizeof loads nothing
    text = f"struct s {{ struct s *a; }};\nstruct s *x;\nBEGIN {{ y = sizeof(x{'->a' * (LIMIT + 5)}); }}\n"
    assert [f for f in _findings(text, "oracle") if f.check == "dereferences"] == []


def test_the_real_dtrace_aborts_past_the_limit(tmp_path):
    dtrace = need_dtrace()
    results = {}
    for n, predicate in ((LIMIT, ""), (LIMIT + 1, ""), (LIMIT - 1, "/x->a/ "), (LIMIT, "/x->a/ ")):
        path = tmp_path / f"c{n}{bool(predicate)}.d"
        path.write_text(_chain(n, predicate))
        run = subprocess.run([dtrace, "-e", "-s", str(path)], capture_output=True, text=True, timeout=300)
        results[(n, bool(predicate))] = (run.returncode, "dt_as: Assertion" in run.stderr)
    for (n, predicate), (code, aborted) in results.items():
        assert (code == 0, aborted) == ((True, False) if n + predicate <= LIMIT else (False, True)), results
