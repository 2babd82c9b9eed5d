"""The fast C reader (dtracepy/layout/fastc.py) against pycparser's path: for every C text in the
layout tests, the shipped headers, bench_layout's header and a generated set (and mutations of
them), ``parse_layouts`` gives the same layouts, or the same located error, with the reader on and
off.  And the reader is used: pycparser is not called for a header in its subset, and long
operator chains, stars and dimensions are read without recursing."""

from __future__ import annotations

import ast
import pathlib
import random
import re
import shutil
import subprocess
import sys
import tempfile

import pytest

from dtracepy.errors import LayoutError
from dtracepy.layout import cdecl, cparse, fastc, parse_layouts

REPO = pathlib.Path(__file__).resolve().parent.parent


def outcome(text: str, abi: str, fast: bool, monkeypatch) -> tuple:
    monkeypatch.setattr(cdecl, "FAST_READER", fast)
    try:
        layouts = parse_layouts(text, abi=abi, filename="h.h")
    except LayoutError as err:
        return ("error", err.message, str(err.pos))
    except RecursionError:  # pragma: no cover - would be a bug on either path
        return ("RecursionError",)
    return ("ok", [(name, layout.to_json(limit=2000)) for name, layout in layouts.items()],
            sorted(layouts.typedefs))


def same(text: str, monkeypatch, abi: str = "x86_64") -> tuple:
    slow = outcome(text, abi, False, monkeypatch)
    quick = outcome(text, abi, True, monkeypatch)
    if quick != slow and quick[0] == "error" and slow[0] == "error" and " here is not read by dtracepy (" in quick[1]:
        return quick  # (a typeof the fast reader gives way on: pycparser's path refuses the header too, where
        # it misreads first; session 26, review 26's L8)
    if quick != slow and shutil.which("gcc") and (
            quick[0] == "error" and GCC_JUDGES.search(quick[1]) or quick[0] == "ok" and slow[0] == "error"):
        # (a refusal the fast reader makes in gcc's words where pycparser's path reads on, or
        # refuses later, or a scope pycparser's path reads otherwise: gcc is the judge; a refusal
        # is one of gcc's, but not always its first where the converter would refuse an earlier
        # token of the same declaration)
        errors = gcc_errors(text)
        assert (f"{quick[2]}: error: {quick[1]}" in errors) if quick[0] == "error" else not errors, text[:2000]
        return quick
    assert quick == slow, text[:2000]
    return quick


# gcc's refusals the fast reader makes itself and pycparser's path does not everywhere (session 24,
# layout25: declarators gcc refuses, in a parameter or a function's body too; storage classes; a
# typedef name hidden by a parameter's name)
GCC_JUDGES = re.compile(r"declared as function returning (?:a function|an array)$|^declaration of '\w+' as array "
                        r"of (?:voids|functions)$|^storage class specified for |^invalid storage class for function "
                        r"|^function definition declared '_Thread_local'$|^file-scope declaration of '\w+' specifies "
                        r"'auto'$|^function-scope '\w+' implicitly auto|^'_Thread_local' used with "
                        r"|^expected specifier-qualifier-list before |^expected declaration specifiers or '...' before "
                        r"|^old-style parameter declarations in prototyped function definition$"  # (session 26)
                        r"|^declaration for parameter '\w+' but no such parameter$"
                        r"|^parameter '\w+' is initialized$|^redefinition of parameter '\w+'$")  # (session 27)


def gcc_errors(text: str, *flags: str) -> list:
    """gcc's errors on ``text`` as h.h (``-fsyntax-only``), in order, in dtracepy's quotes."""
    with tempfile.TemporaryDirectory() as tmp:
        pathlib.Path(tmp, "h.h").write_text(text)
        out = subprocess.run(["timeout", "-s", "KILL", "60", "gcc", *flags, "-fsyntax-only", "-x", "c", "h.h"],
                             capture_output=True, text=True, cwd=tmp)
    return [line.replace("\u2018", "'").replace("\u2019", "'") for line in out.stderr.splitlines()
            if ": error: " in line]


def read_by_fastc(text: str, abi: str = "x86_64") -> bool:
    """Whether the fast reader takes ``text`` (as parse_layouts gives it, preprocessed)."""
    from dtracepy.layout.abi import get_abi

    try:
        pre = cdecl.preprocess(text, "h.h", get_abi(abi))
        return cdecl.read_fast(pre, "h.h", get_abi(abi)) is not None
    except LayoutError:
        return False


# --- the C of the tests ------------------------------------------------------------------------


def _c_texts_of_tests() -> list[str]:
    """Every string constant in the layout tests (and test_robust's layout cases) that looks like
    C declarations."""
    out = []
    for path in sorted(REPO.glob("tests/test_layout*.py")) + [REPO / "tests" / "test_robust.py",
                                                              REPO / "tests" / "test_fuzz.py"]:
        if path.name == "test_layout_reader.py":
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                s = node.value
                if ";" in s and any(w in s for w in ("struct", "union", "typedef", "enum")) and len(s) < 20000 \
                        and "typeof" not in s and "__auto_type" not in s:  # (pycparser has neither:
                    out.append(s)  # the fast reader reads them as gcc does, test_layout_subset21)
    return sorted(set(out))


TEST_TEXTS = _c_texts_of_tests()


def test_the_tests_hold_many_c_texts():
    assert len(TEST_TEXTS) > 60


@pytest.mark.parametrize("abi", ["x86_64", "i386", "sparcv9"])
def test_every_c_text_of_the_tests_reads_the_same(abi, monkeypatch):
    taken = 0
    for text in TEST_TEXTS:
        same(text, monkeypatch, abi)
        taken += read_by_fastc(text, abi)
    assert taken > len(TEST_TEXTS) // 3  # most are in the reader's subset


@pytest.mark.parametrize("name", ["ip.h", "tcp.h"])
@pytest.mark.parametrize("abi", ["x86_64", "sparcv9"])
def test_the_shipped_headers_read_the_same(name, abi, monkeypatch):
    text = (REPO / "dtracepy" / "layout" / "headers" / name).read_text()
    assert same(text, monkeypatch, abi)[0] == "ok"


def _bench_header(lines: int) -> str:
    sys.path.insert(0, str(REPO / "benchmarks"))
    try:
        import bench_layout
    finally:
        sys.path.pop(0)
    return bench_layout.generate(lines)


def test_bench_layout_header_reads_the_same_without_pycparser(monkeypatch):
    text = _bench_header(2000)
    result = same(text, monkeypatch)
    assert result[0] == "ok" and len(result[1]) > 100

    def refuse(*args, **kwargs):
        raise AssertionError("pycparser called")

    monkeypatch.setattr(cdecl._CParser, "parse", refuse)
    monkeypatch.setattr(cdecl, "FAST_READER", True)
    assert parse_layouts(text, filename="h.h")["struct s_3"].member("u.w.hi").offset == 20


# --- generated headers ---------------------------------------------------------------------------

_SCALARS = ["char", "signed char", "unsigned char", "short", "unsigned short", "int", "unsigned int",
            "long", "unsigned long", "long long", "unsigned long long", "unsigned", "long int",
            "short int", "long unsigned int", "uint8_t", "int16_t", "uint32_t", "int64_t", "double",
            "float", "_Bool", "const int", "volatile uint16_t", "u_short", "caddr_t", "size_t"]
_BITS = ["char", "unsigned char", "short", "unsigned short", "int", "unsigned int", "long long",
         "uint8_t", "uint16_t", "int32_t", "_Bool", "unsigned"]


def _expr(rng, enums, depth=0) -> str:
    choice = rng.randrange(14 if depth < 3 else 5)
    if choice == 0:
        return str(rng.randrange(1, 9))
    if choice == 1:
        return rng.choice(["0x4", "010", "2u", "3UL", "0b11", "'a'", "'\\n'", "1ULL", "07"])
    if choice == 2 and enums:
        return rng.choice(enums)
    if choice == 3:
        return f"sizeof({rng.choice(_SCALARS + ['char *', 'struct r0', 'int[3]'])})"
    if choice == 4:
        return "+".join(str(rng.randrange(0, 5)) for _ in range(rng.randrange(2, 6)))
    if choice in (5, 6, 7, 8):
        op = rng.choice(["+", "-", "*", "/", "%", "<<", ">>", "&", "|", "^", "==", "<", ">=", "&&", "||", "!="])
        return f"{_expr(rng, enums, depth + 1)} {op} {_expr(rng, enums, depth + 1)}"
    if choice == 9:
        return f"({_expr(rng, enums, depth + 1)})"
    if choice == 10:
        return f"{rng.choice(['-', '~', '!', '+'])}{_expr(rng, enums, depth + 1)}"
    if choice == 11:
        return f"{_expr(rng, enums, depth + 1)} ? {_expr(rng, enums, depth + 1)} : {_expr(rng, enums, depth + 1)}"
    if choice == 12:
        return f"(int){_expr(rng, enums, depth + 1)}"
    return f"_Alignof({rng.choice(_SCALARS)})"


def _member(rng, names, enums, depth) -> str:
    kind = rng.choice(["scalar", "scalar", "bits", "bits", "array", "pointer", "fnptr", "record", "enum"]
                      if depth < 3 else ["scalar", "bits", "array", "pointer"])
    name = f"m{next(names)}"
    if kind == "scalar":
        attr = rng.choice(["", "", "", " __attribute__((packed))", " __attribute__((aligned(8)))"])
        more = rng.choice(["", "", f", m{next(names)}", f", *m{next(names)}"])
        return f"{rng.choice(_SCALARS)} {name}{more}{attr};"
    if kind == "bits":
        t = rng.choice(_BITS)
        width = rng.choice(["0", "1", "3", "7", "1+2", "(4)", "sizeof(char)"])
        if width == "0" or rng.randrange(5) == 0:
            return f"{t} :{width};"
        return f"{t} {name}:{width};"
    if kind == "array":
        dims = "".join(f"[{_expr(rng, enums)}]" for _ in range(rng.randrange(1, 3)))
        return f"{rng.choice(_SCALARS)} {name}{dims};"
    if kind == "pointer":
        return f"{rng.choice(_SCALARS + ['struct r0', 'void', 'struct nosuch'])} {'*' * rng.randrange(1, 4)}" \
               f"{rng.choice(['', 'const '])}{name};"
    if kind == "fnptr":
        params = rng.choice(["", "void", "int", "int, char *", "const char *s, unsigned long n", "struct r0 *"])
        return f"{rng.choice(['void', 'int', 'char *'])} (*{name}{rng.choice(['', '[2]'])})({params});"
    if kind == "enum":
        return f"enum {rng.choice(['', 'ee' + str(next(names)) + ' '])}{{ X{next(names)}, Y{next(names)} = 3 }} {name};"
    body = _body(rng, names, enums, depth + 1)
    keyword = rng.choice(["struct", "union"])
    packed = rng.choice(["", "", " __attribute__((packed))"])
    if rng.randrange(3) == 0:
        return f"{keyword} {{ {body} }}{packed};"
    tag = rng.choice(["", f"t{next(names)} "])
    return f"{keyword} {tag}{{ {body} }}{packed} {name}{rng.choice(['', '[2]'])};"


def _body(rng, names, enums, depth=0) -> str:
    parts = [_member(rng, names, enums, depth) for _ in range(rng.randrange(1, 6))]
    parts.append(f"char m{next(names)};")
    return ("\n\t" if rng.randrange(2) else " ").join(parts)


def generated_header(seed: int) -> str:
    import itertools

    rng = random.Random(seed)
    names = itertools.count()
    enums: list[str] = []
    out = ["struct r0 { int a; char b; };"]
    for i in range(rng.randrange(1, 5)):
        kind = rng.randrange(12)
        if kind == 0:
            values = [f"E{i}_{k}" for k in range(rng.randrange(1, 4))]
            items = ", ".join(v + (f" = {_expr(rng, enums)}" if rng.randrange(2) else "") for v in values)
            out.append(f"enum en{i} {{ {items}{rng.choice(['', ','])} }};")
            enums += values
        elif kind == 1:
            out.append(f"typedef {rng.choice(_SCALARS)} ty{i}, *typ{i}, tya{i}[{rng.randrange(1, 4)}];")
        elif kind == 2:
            out.append(f"typedef struct {rng.choice(['', f'tg{i} '])}{{ {_body(rng, names, enums)} }} ts{i};")
        elif kind == 3:
            out.append(f"#pragma pack({rng.choice([1, 2, 4])})\nstruct p{i} {{ {_body(rng, names, enums)} }};\n"
                       "#pragma pack()")
        elif kind == 4:
            out.append(f"/* c{i} */ union u{i} {{ {_body(rng, names, enums)} }};  // end")
        elif kind == 5:
            out.append(f"typedef void (*fn{i})(int);\nstruct s{i} {{ fn{i} f; {_body(rng, names, enums)} }};")
        elif kind == 6:  # what headers declare beside their types: functions, objects (session 16)
            ret = rng.choice(["int", "void", "struct r0 *", "const char *", "unsigned long"])
            params = rng.choice(["void", "", "int", "struct r0 *p, int n", "const char *s, ...",
                                 "int a[4], long", "unsigned"])
            out.append(f"{rng.choice(['', 'extern ', 'static '])}{ret} f{i}({params}), *g{i}(int);")
        elif kind == 8:  # a static inline function's body (session 17)
            stmt = rng.choice(["return x;", "int y = x * 2; if (y > 3) return y; else { y += 1; } return y;",
                               "for (int i = 0; i < x; i++) { if (s[i] == 'a') continue; x -= i; } return x;",
                               "switch (x) { case 1: x <<= 2; break; default: ; } return x ? x : -1;",
                               f"struct r0 r = {{ 1, 'b' }}; do x--; while (x > r.a); return (int)sizeof(r) + {_expr(rng, enums)};",
                               'lbl: x++; if (x < 3) goto lbl; return f0 == 0 && s != "x" "y";'])
            out.append(f"static inline int fb{i}(int x, const char *s) {{ {stmt} }}")
        elif kind == 9:  # brace initializers (the size of int a[] is not the layout's)
            out.append(rng.choice([f"static const int ar{i}[] = {{ 1, 2, {_expr(rng, enums)} }};",
                                   f"struct r0 rr{i}[2] = {{ {{ 1, 2 }}, {{ .b = 3, }} }};",
                                   f"static const char *st{i}[] = {{ \"a\", \"b{{\" }}, *sv{i} = \"}}\";",
                                   f"int ia{i}[4] = {{ [1] = 1, [3] = 2 }}, iz{i} = {{ 0 }};"]))
        elif kind == 10:  # variadic prototypes, parameters that are pointers to functions
            out.append(rng.choice([f"int vp{i}(const char *fmt, ...);",
                                   f"struct pa{i} {{ int (*pa)[{rng.randrange(1, 9)}]; char (*pb[2])[3]; }};",
                                   f"void qs{i}(void *b, unsigned long n, int (*cmp)(const void *, const void *));",
                                   f"typedef int (*cb{i})(int, void (*)(int), ...);",
                                   f"extern void (*hook{i})(int (*)(void), char);"]))
        elif kind == 11:  # a typedef name given again (C11: the same type), the prelude's too
            out.append(rng.choice([f"typedef unsigned int rd{i}; typedef unsigned int rd{i};",
                                   "typedef unsigned long size_t; typedef uint32_t in_addr_t;",
                                   f"typedef struct r0 rs{i}; typedef struct r0 rs{i}; struct q{i} {{ rs{i} v; }};",
                                   f"typedef int cf{i}; typedef long cf{i};"]))  # conflicting: refused alike
        else:
            init = f" = {_expr(rng, enums)}" if rng.randrange(2) else ""
            out.append(f"{rng.choice(['', 'extern ', 'static ', 'static const '])}int o{i}{init}, "
                       f"*p{i}, q{i}[{rng.randrange(1, 4)}];\ntypedef int tf{i}(int, char *);")
    out.append(f"struct a {{ {_body(rng, names, enums)} }};")
    return "\n".join(out) + "\n"


def mutated(text: str, rng: random.Random) -> str:
    """A small random change: a token dropped, doubled or replaced."""
    import re

    tokens = re.findall(r"\w+|\S|\s+", text)
    k = rng.randrange(len(tokens))
    how = rng.randrange(4)
    if how == 0:
        del tokens[k]
    elif how == 1:
        tokens.insert(k, tokens[k])
    elif how == 2:
        tokens[k] = rng.choice(["int", ";", "{", "}", "(", ")", "*", ":", "[", "]", "x", "0", "typedef",
                                "struct", "enum", ",", "=", "-1", "uint8_t", "99999999999999999999"])
    else:
        tokens.insert(k, rng.choice(["const ", "long ", "static ", "a ", "#line 7 \"o.h\"\n", "extern ",
                                     "int f(int);", "= 1", "(void)"]))
    return "".join(tokens)


@pytest.mark.parametrize("block", range(4))
def test_generated_headers_read_the_same(block, monkeypatch):
    taken = 0
    for seed in range(block * 60, block * 60 + 60):
        text = generated_header(seed)
        result = same(text, monkeypatch, ["x86_64", "i386", "aarch64", "sparcv9"][seed % 4])
        assert result[0] == "ok" or "nosuch" in text or "/ 0" in text or "% 0" in text or "error" == result[0]
        taken += read_by_fastc(text)
    assert taken > 30


@pytest.mark.parametrize("block", range(4))
def test_mutated_headers_refuse_or_read_the_same(block, monkeypatch):
    rng = random.Random(block)
    sources = TEST_TEXTS + [generated_header(s) for s in range(40)]
    for _ in range(150):
        text = mutated(rng.choice(sources), rng)
        same(text, monkeypatch, rng.choice(["x86_64", "i386"]))


@pytest.mark.parametrize("text", [
    "struct a { int x; } a1, a2;\n",  # one struct node shared by two declarators
    "struct a { struct b { int y; } b; struct b c; };\n",
    "typedef struct a a_t; struct a { a_t *next; int v:3, :0, w:5; };\n",
    "typedef unsigned int u; struct a { u x; u const y; const u z; };\n",
    "enum e { A = 1 << 3, B, C = 'x' }; struct a { char x[C - A]; enum e k; };\n",
    "struct a { char x[(1 ? 4 : 9)]; char y[sizeof(struct a *)]; int (*fp[3])(int, char *); };\n",
    "struct a { int x; };\n#line 40 \"o.h\"\nstruct b { int y; } __attribute__((aligned(16)));\n",
    "typedef int T; struct a { T T; };\n",  # a typedef name as a member name: pycparser's
    "typedef int T; typedef int T; struct a { T x; };\n",
    "struct a { int x; };;\n",
    "struct a { };\n",
    "int f(int); struct a { int x; };\n",
    "struct a { int x = 1; };\n",
    "struct a { char *s; }; char *p = \"x\";\n",
    "struct a { int x[-1]; };\n",
    "struct a { int x[1/0]; };\n",
    "struct a { int x:99; };\n",
    "struct a { int x; char x; };\n",
    "struct a { char x[18446744073709551616]; };\n",
    "struct a { char x[99999999999999999999+1+1]; };\n",
    "struct a { char x[9223372036854775807+9223372036854775807+1]; };\n",
    "struct a { int x[1 << 64]; };\n",
    "struct a { int b[" + "(" * 300 + "1" + ")" * 300 + "]; };\n",
    "struct a { struct a x; };\n",
    "struct a { nosuch x; };\n",
    "struct a { int x } ;\n",
    "struct a { __int128 x; };\n",
    "struct a { int x; }\n",
    "struct a { int x; };\n#pragma pack(2)\nstruct b { char c; int y; };\n",
    "struct a { unsigned char c; _Bool b : 1; long double d; };\n",
    "struct s { int x; }; struct a { struct s; int y; };\n",
    "typedef struct { int x; } anon; struct a { anon z; };\n",
    "\tstruct\n  a\n{\n\tint x;\n} ;\n",
    "struct a { int x; };\r\n",
    "struct a { int x; char y['ab']; };\n",
    "struct a { char y['\\?']; };\n",
    # digits str.isdigit() takes that C does not: '٣' was read as 3, '²' an internal error
    "struct a { char x[\u0663+1]; };\n",
    "struct a { char x[1+\u0663]; };\n",
    "struct a { char x[\u00b2+1]; };\n",
    # pycparser recurses for each prefix operator, cast and type name: as deep, the reader gives way
    "struct a { char x[" + "- " * 600 + "1]; };\n",
    "struct a { char x[" + "~" * 600 + "1]; };\n",
    "struct a { char x[" + "(int)" * 1500 + "1]; };\n",
    "struct a { char x[" + ("- " * 30 + "(") * 40 + "1" + ")" * 40 + "]; };\n",
    "struct a { char x[" + "sizeof(char[" * 100 + "1" + "])" * 100 + "]; };\n",
    "struct a { char x[" + "sizeof(struct {char y[" * 70 + "1" + "];})" * 70 + "]; };\n",
    "struct a {" + "struct {" * 90 + "char x[" + "- " * 20 + "1];" + "};" * 90 + "};\n",
    # a sum of literals folds into one int constant only where it is one: 3000000000 is a long
    # (a long long on i386), 2147483647 + 1 overflows int
    "struct a { char x[(3000000000 - 2999999999) - 2U > 0 ? 1 : 2]; };\n",
    "struct a { char x[(2147483647 + 1 - 2147483647) - 2U > 0 ? 1 : 2]; };\n",
    "struct a { char x[2147483647 + 1 - 2147483647]; };\n",
])
def test_edge_cases_read_the_same(text, monkeypatch):
    for abi in ("x86_64", "i386"):
        same(text, monkeypatch, abi)


# --- the reader is used, and does not recurse ---------------------------------------------------


def _no_pycparser(monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("pycparser called")

    monkeypatch.setattr(cdecl._CParser, "parse", refuse)
    monkeypatch.setattr(cdecl, "FAST_READER", True)


def _pycparser_calls(monkeypatch) -> list:
    """A list that gets an item each time pycparser parses, while the test runs."""
    calls = []
    parse = cdecl._CParser.parse

    def counted(self, *args, **kwargs):
        calls.append(1)
        return parse(self, *args, **kwargs)

    monkeypatch.setattr(cdecl._CParser, "parse", counted)
    return calls


def test_a_struct_of_many_members_is_read_without_pycparser(monkeypatch):
    _no_pycparser(monkeypatch)
    text = "struct a {" + "".join(f" int m{i};" for i in range(3000)) + " };\n"
    layout = parse_layouts(text, filename="h.h")["a"]
    assert layout.size == 12000 and layout.member("m2999").offset == 11996


def test_functions_and_objects_beside_the_types_are_read_without_pycparser(monkeypatch):
    # (session 16: a header declaring a function or an object with an initializer went through
    # pycparser whole: 60,000 prototypes beside their structs, 4 MB, took some 20 s)
    text = "".join(f"struct s{i} {{ int a; long b; }};\nextern int f{i}(struct s{i} *p, int n), *g{i}(void);\n"
                   f"static const int k{i} = {i} * 2;\ntypedef void h{i}(int, char *);\n" for i in range(300))
    same(text, monkeypatch)
    _no_pycparser(monkeypatch)
    layouts = parse_layouts(text, filename="h.h")
    assert layouts["s299"].size == 16 and layouts["s299"].member("b").offset == 8


@pytest.mark.parametrize("kind", range(4))
def test_what_real_headers_hold_is_read_without_pycparser(kind, monkeypatch):
    # (session 17: a function body, a brace initializer, a variadic prototype, a parameter that
    # is a pointer to a function, or a typedef given again sent the whole header to pycparser)
    sys.path.insert(0, str(REPO / "benchmarks"))
    try:
        import bench_robust
    finally:
        sys.path.pop(0)
    _, _, unit = bench_robust.header_kinds()[kind]
    text = bench_robust.units(unit, 30_000)
    n = text.count("{ int a; long b;")
    monkeypatch.setattr(cdecl, "FAST_READER", False)
    slow = parse_layouts(text, filename="h.h")
    _no_pycparser(monkeypatch)
    # (and the prepass's scan of every token is not run where it has only GNU words to blank)
    monkeypatch.setattr(cparse, "prepass", lambda *a, **k: (_ for _ in ()).throw(AssertionError("prepass")))
    layouts = parse_layouts(text, filename="h.h")
    assert n > 50 and layouts[f"s{n - 1}"].size == 24
    assert [(k, v.to_json()) for k, v in layouts.items()] == [(k, v.to_json()) for k, v in slow.items()]


@pytest.mark.parametrize("header", ["netinet/ip.h", "netinet/tcp.h", "stdio.h", "sys/socket.h", "stdlib.h",
                                    "pthread.h", "signal.h"])
def test_system_headers_are_read_without_pycparser(header, monkeypatch):
    from dtracepy.layout.abi import host_abi_name

    if host_abi_name() is None or not (pathlib.Path("/usr/include") / header).is_file():
        pytest.skip(f"no /usr/include/{header} of an ABI dtracepy lays out")
    path = pathlib.Path("/usr/include") / header
    monkeypatch.setattr(cdecl, "FAST_READER", False)
    slow = parse_layouts(path, abi=host_abi_name())
    _no_pycparser(monkeypatch)
    fast = parse_layouts(path, abi=host_abi_name())
    assert len(fast) > 0 and [(k, v.to_json()) for k, v in fast.items()] == [(k, v.to_json()) for k, v in slow.items()]


def test_long_chains_stars_and_dimensions_are_read_without_recursing(monkeypatch):
    _no_pycparser(monkeypatch)
    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(150)
    try:
        summed = parse_layouts("struct a { char x[" + "+".join(["1"] * 20000) + "]; };\n", filename="h.h")
        product = parse_layouts("struct a { char x[" + "*".join(["1"] * 20000) + "]; };\n", filename="h.h")
        stars = parse_layouts("struct a { int " + "*" * 20000 + "p; };\n", filename="h.h")
        dims = parse_layouts("struct a { char x" + "[1]" * 3000 + "; };\n", filename="h.h")
    finally:
        sys.setrecursionlimit(limit)
    assert summed["a"].size == 20000 and product["a"].size == 1
    assert stars["a"].size == 8 and dims["a"].size == 1


def test_a_sum_of_literals_is_one_constant(monkeypatch):
    """``1+1+...`` is read as the one constant the engine would compute, no node per term."""
    text = '#line 1 "h.h"\nstruct a { char x[' + "+".join(["1"] * 1000) + "-1]; };\n"
    tree = fastc.read(cdecl.PRELUDE, text, cdecl.BUILTIN_FILE)
    dim = tree.ext[-1].type.decls[0].type.dim
    assert (type(dim).__name__, dim.value) == ("Constant", "999")
    # where a partial sum leaves [0, 2**63) it is nodes, and the engine judges them
    text = '#line 1 "h.h"\nstruct a { char x[' + "+".join(["9223372036854775807"] * 2) + "]; };\n"
    assert type(fastc.read(cdecl.PRELUDE, text, cdecl.BUILTIN_FILE).ext[-1].type.decls[0].type.dim).__name__ \
        == "BinaryOp"


@pytest.mark.parametrize("text", [
    "struct a { int x; };;\n", "static inline int f(int);\n", "extern typedef int T;\n",
    "static extern int x;\n",
    "static struct a { int x; };\n",
    "#pragma once\n", "struct a { int x; } \f;\n",
    "struct a { int b[" + "(" * 300 + "1" + ")" * 300 + "]; };\n",
    # what pycparser's scopes decide: a typedef in a block declaring a parameter's name again, a
    # typedef in a K&R parameter list (session 20 took a name shadowing a typedef, refused a
    # typedef in a for's declaration as gcc does, and took GNU range designators: test_layout_subset21)
    "int f(int T) { typedef int T; return 0; }\n",
    # a parenthesised typedef name as a parameter (session 24 reads what pycparser builds and gcc
    # refuses, a function returning a function or an array ...: test_layout25)
    "typedef int T; int f(int (T));\n", "register int x;\n",
    "int f(void) { if (1) { return 0; }\n", 'char *s = "\\q";\n', "double d = 1e+3;\n",
    "int f(void) {" + " if (1)" * 40 + " ; }\n",
])
def test_outside_the_subset_the_reader_gives_way(text):
    with pytest.raises(fastc.Unsupported):
        fastc.read(cdecl.PRELUDE, '#line 1 "h.h"\n' + text, cdecl.BUILTIN_FILE)


# what real headers hold beside their types (session 17): read, without pycparser
INSIDE_NOW = [
    'char *s = "x";\n', "int f(int x) { return x; }\n", "int f(int (*cb)(int));\n", "int a[2] = { 1, 2 };\n",
    "typedef int T; typedef int T;\n", "typedef unsigned long size_t;\n", "int printf(const char *, ...);\n",
    "void qsort(void *, unsigned long, unsigned long, int (*)(const void *, const void *));\n",
    "typedef void (*h)(int, void (*)(int), ...);\n",
    "struct p { int x, y; }; static const struct p q[] = { { 1, 2 }, { .y = 3, }, [2] = { 0 } };\n",
    "static int f(int n, const char *s) { int t = 0, u[2] = { 1 }; lbl: for (int i = 0; i < n; i++) "
    "{ t += s[i] == 'x' ? 1 : -1; if (t) continue; else break; } switch (n) { case 1: t <<= 2; default: ; } "
    "do t--; while (t > 0); while (!t) goto lbl; return (int)sizeof(struct p *) + t + u[0] + f(1, \"a\" \"b\"); }\n",
    "int x = 1.5f > 2. ? 3 : 0x4u, y = -(int)1e3;\n",
    # a pointer to an array (libjpeg's coef_bits), arrays of them, as members, typedefs, parameters
    "struct b { int (*coef)[64]; char (*rows[3])[2][5]; };\ntypedef short (*row_t)[8];\n"
    "void f(int (*m)[4], long (*)[2]);\n",
]


@pytest.mark.parametrize("text", INSIDE_NOW)
def test_bodies_initializers_and_variadic_prototypes_are_read(text, monkeypatch):
    fastc.read(cdecl.PRELUDE, '#line 1 "h.h"\n' + text, cdecl.BUILTIN_FILE)  # not Unsupported
    assert same(text + "struct a { int x; };\n", monkeypatch)[0] == "ok"


def test_a_refusal_on_the_fast_path_is_pycparser_paths(monkeypatch):
    """The engine refuses what the reader read: the message and place are the old path's."""
    calls = _pycparser_calls(monkeypatch)
    with pytest.raises(LayoutError) as info:
        parse_layouts("struct a {\n  int x;\n  char x;\n};\n", filename="h.h")
    assert calls and info.value.message == "duplicate member 'x' in struct a" and str(info.value.pos) == "h.h:3:8"
