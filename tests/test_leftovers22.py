"""Session 20's check items left decidable, fixed in session 21 (helper leftovers22).

Each case is judged by Oracle's dtrace 2.0 (``dtrace -e``): the message it gives is recorded next to
each refused script, and ``test_the_real_dtrace_judges_them_as_check_does`` has the real one judge
them all again (skipped, saying why, where there is none).  Each test of ``check`` fails on the code
before the fix.
"""

from __future__ import annotations

import subprocess

import pytest
from tests.check_findings import errors as _errors, findings as _findings


# --- a void ** or a library variable's pointer given to a typed pointer parameter --------------

# dtrace -e: "mutex_owned( ) argument #1 is incompatible with prototype: prototype: struct mutex *
# argument: void **" ("argument: pointer to translated data" for curpsinfo, "cpuinfo_t *" for curcpu)
POINTER_ARGUMENTS_REFUSED = {
    f"BEGIN {{ trace({name}({arg})); }}": f"{name}( ) argument #1 is incompatible with prototype"
    for name in ("d_path", "mutex_owned", "rw_read_held", "inet_ntoa6", "strlen", "inet_ntoa")
    for arg in ("(void **)arg0", "(const void **)arg0", "(void ***)arg0", "curpsinfo", "curlwpsinfo", "curcpu")
}
POINTER_ARGUMENTS_REFUSED.update({
    "BEGIN { trace(d_path((struct path **)arg0)); }": "d_path( ) argument #1 is incompatible with prototype",
    "BEGIN { trace(mutex_owned((struct mutex **)arg0)); }": "mutex_owned( ) argument #1 is incompatible",
    "BEGIN { this->p = (void **)arg0; trace(mutex_owned(this->p)); }": "mutex_owned( ) argument #1 is incompatible",
    "BEGIN { trace((char **)arg0 == (void **)arg1); }": 'operands have incompatible types: "char **" == "void **"',
    "BEGIN { trace((void **)arg0 == (char *)arg1); }": 'operands have incompatible types: "void **" == "char *"',
    "BEGIN { trace((void **)arg0 == curthread); }": '"void **" == "struct task_struct *"',
    "BEGIN { trace((void **)arg0 - (char **)arg1); }": 'operands have incompatible types: "void **" - "char **"',
    "BEGIN { x = (void **)arg0; x = (char **)arg1; }": 'operands have incompatible types: "void **" = "char **"',
    "BEGIN { x = (char *)arg0; x = (void **)arg1; }": 'operands have incompatible types: "char *" = "void **"',
    "BEGIN { trace(arg0 ? (void **)arg0 : (char **)arg1); }": "operator ?: operands must have compatible types",
})
POINTER_ARGUMENTS_TAKEN = [
    "BEGIN { trace(mutex_owned((const void *)arg0)); }",
    "BEGIN { trace(d_path((struct path *)arg0)); }",
    "BEGIN { trace((void **)arg0 == (void *)arg1); }",
    "BEGIN { trace((void **)arg0 == (void **)arg1); }",
    "BEGIN { trace((void **)arg0 - (void **)arg1); }",
    "BEGIN { x = (void **)arg0; x = (void *)arg1; x = (void **)arg1; }",
    "BEGIN { trace(*(void **)arg0); }",
]


@pytest.mark.parametrize("text", POINTER_ARGUMENTS_REFUSED)
def test_a_void_pointer_pointer_or_a_library_pointer_where_dtrace_wants_another_is_refused(text):
    for dialect in ("oracle", None):
        found = [f for f in _findings(text + "\n", dialect) if f.severity == "error"]
        assert [f.check for f in found] in (["argument-type"], ["operand-type"]), (text, dialect, found)


@pytest.mark.parametrize("text", POINTER_ARGUMENTS_TAKEN)
def test_a_void_pointer_pointer_dtrace_takes_is_taken(text):
    assert _errors(text + "\n") == [], text


# --- a struct value given to a printf conversion -------------------------------------------

_FOO = "struct foo { int a; }; "
# dtrace -e: "printf( ) argument #2 is incompatible with conversion #1 prototype: conversion: %d
# prototype: char, short, int, long, or long long" (each conversion its own prototype)
PRINTF_REFUSED = {
    _FOO + f'BEGIN {{ printf("{conv}", *(struct foo *)arg0); }}': "argument #2 is incompatible with conversion #1"
    for conv in ("%d", "%s", "%p", "%x", "%c", "%u", "%ld", "%lld", "%S", "%Y", "%k", "%f", "%a")
}
PRINTF_REFUSED.update({
    _FOO + 'BEGIN { printf("%x %d", 1, *(struct foo *)arg0); }': "argument #3 is incompatible with conversion #2",
    "union foo { int a; }; BEGIN { printf(\"%d\", *(union foo *)arg0); }": "argument #2 is incompatible",
    'BEGIN { printf("%d", *curthread); }': "argument #2 is incompatible with conversion #1",
    'BEGIN { printf("%s", *curthread); }': "argument #2 is incompatible with conversion #1",
    _FOO + 'BEGIN { this->s = *(struct foo *)arg0; printf("%d", this->s); }': "argument #2 is incompatible",
    _FOO + 'BEGIN { printf("%*d", *(struct foo *)arg0, 1); }': "argument #2 is incompatible with conversion #1",
    _FOO + 'BEGIN { @a[*(struct foo *)arg0] = count(); printa("%d %@d", @a); }':
        "printa( ) argument #2 is incompatible with conversion #1",
})
PRINTF_TAKEN = [
    _FOO + 'BEGIN { printf("%d", ((struct foo *)arg0)->a); }',
    _FOO + 'BEGIN { trace(*(struct foo *)arg0); printf("%d", 1); }',
    _FOO + 'BEGIN { this->s = ((struct foo *)arg0)->a; printf("%d", this->s); }',
    _FOO + 'BEGIN { @a[((struct foo *)arg0)->a] = count(); printa("%d %@d", @a); }',
]


@pytest.mark.parametrize("text", PRINTF_REFUSED)
def test_a_struct_value_given_to_a_conversion_is_refused(text):
    for dialect in ("oracle", None):
        found = [f for f in _findings(text + "\n", dialect) if f.severity == "error"]
        assert [f.check for f in found] == ["printf-type"], (text, dialect, found)


@pytest.mark.parametrize("text", PRINTF_TAKEN)
def test_a_member_of_a_struct_given_to_a_conversion_is_taken(text):
    assert _errors(text + "\n") == [], text


# --- offsetof and sizeof of a struct defined inside another ---------------------------------

_NEST = "struct foo { struct bar { int a; } y; }; "
NESTED_REFUSED = {
    _NEST + "BEGIN { trace(offsetof(struct bar, a)); }": "offsetof operand must be a struct or union type",
    "struct foo { union bar { int a; } y; }; BEGIN { trace(offsetof(union bar, a)); }":
        "offsetof operand must be a struct or union type",
}
# dtrace compiles these, to -1 (measured live: 18446744073709551615): a warning
NESTED_SIZES = [
    _NEST + "BEGIN { trace(sizeof(struct bar)); }",
    _NEST + "BEGIN { trace(sizeof(*(struct bar *)arg0)); }",
    "struct foo { union bar { int a; } y; }; BEGIN { trace(sizeof(union bar)); }",
]
NESTED_TAKEN = [
    _NEST + "BEGIN { trace(offsetof(struct foo, y)); }",
    _NEST + "BEGIN { trace(sizeof(struct foo)); }",
    _NEST + "BEGIN { trace(sizeof(struct bar *)); }",
    _NEST + "BEGIN { trace(sizeof(((struct foo *)arg0)->y)); }",
    *NESTED_SIZES,
]


@pytest.mark.parametrize("text", NESTED_REFUSED)
def test_offsetof_a_nested_struct_is_refused_for_oracle(text):
    assert [f.check for f in _errors(text + "\n")] == ["incomplete-type"], text
    assert [f.severity for f in _findings(text + "\n") if f.check == "incomplete-type"] == ["warning"]
    assert [f for f in _findings(text + "\n", "illumos") if f.check == "incomplete-type"] == []


@pytest.mark.parametrize("text", NESTED_SIZES)
def test_sizeof_a_nested_struct_warns_that_it_is_minus_one(text):
    found = [f for f in _findings(text + "\n", "oracle") if f.check == "incomplete-type"]
    assert [f.severity for f in found] == ["warning"] and "-1" in found[0].message, found
    assert [f for f in _findings(text + "\n", "illumos") if f.check == "incomplete-type"] == []


@pytest.mark.parametrize("text", NESTED_TAKEN)
def test_what_oracle_takes_of_a_nested_struct_size_is_no_error(text):
    assert _errors(text + "\n") == [], text


# --- a union (alone, or inside a struct) as an aggregation key -----------------------------

# dtrace -e aborts (SIGABRT, "dt_aggid_rec_add: Assertion `alignment > 0 && alignment <= 8 ...'
# failed") for a key of a size other than 1, 2, 4 or 8 bytes: a union's is its largest member's,
# unpadded, and a struct's ends at its last member.
UNION_CRASHING_KEYS = [
    "union u { char a[3]; }; BEGIN { @[*(union u *)arg0] = count(); }",
    "union u { char a[3]; char b; }; BEGIN { @[*(union u *)arg0] = count(); }",
    "union u { char b; char a[3]; }; BEGIN { @[*(union u *)arg0] = count(); }",
    "union u { char a[5]; short b; }; BEGIN { @[*(union u *)arg0] = count(); }",
    "union u { int a; char b[12]; }; BEGIN { @[*(union u *)arg0] = count(); }",
    "union u { char a[3]; }; struct foo { union u y; int c; }; BEGIN { @[((struct foo *)arg0)->y] = count(); }",
    "struct foo { union { char a[3]; } y; int c; }; BEGIN { @[((struct foo *)arg0)->y] = count(); }",
    "struct foo { union u { char a[3]; char b; } y; }; BEGIN { @[((struct foo *)arg0)->y] = count(); }",
    "struct foo { int c; union { int a; long b; } y; }; BEGIN { @[*(struct foo *)arg0] = count(); }",
    "struct foo { int c; union { char b; char a[3]; } y; }; BEGIN { @[*(struct foo *)arg0] = count(); }",
]
UNION_KEYS_TAKEN = [
    "union u { int a; long b; }; BEGIN { @[*(union u *)arg0] = count(); }",
    "union u { char a[3]; int b; }; BEGIN { @[*(union u *)arg0] = count(); }",
    "union u { long b; char a[3]; }; BEGIN { @[*(union u *)arg0] = count(); }",
    "union u { int a; long b; }; struct foo { union u y; int c; }; BEGIN { @[((struct foo *)arg0)->y] = count(); }",
    "struct foo { union u { int a; } y; int c; }; BEGIN { @[((struct foo *)arg0)->y] = count(); }",
    "struct foo { int c; union { int a; } y; }; BEGIN { @[*(struct foo *)arg0] = count(); }",
    "struct foo { char c; union { char b; int a; } y; }; BEGIN { @[*(struct foo *)arg0] = count(); }",
]


@pytest.mark.parametrize("text", UNION_CRASHING_KEYS)
def test_a_union_key_that_aborts_oracles_dtrace_is_refused(text):
    found = [f for f in _errors(text + "\n") if f.check == "key-type"]
    assert len(found) == 1 and "dt_aggid_rec_add" in found[0].message, found
    assert [f.severity for f in _findings(text + "\n") if f.check == "key-type"] == ["warning"]


@pytest.mark.parametrize("text", UNION_KEYS_TAKEN)
def test_a_union_key_dtrace_takes_is_taken(text):
    assert _errors(text + "\n") == [], text


# --- the real dtrace judges every case ---------------------------------------------------------

def test_the_real_dtrace_judges_them_as_check_does():
    from tests.real_dtrace import judge_scripts

    refused = {**POINTER_ARGUMENTS_REFUSED, **PRINTF_REFUSED, **NESTED_REFUSED}
    taken = [*POINTER_ARGUMENTS_TAKEN, *PRINTF_TAKEN, *NESTED_TAKEN, *UNION_KEYS_TAKEN]
    verdicts = judge_scripts({text: {"text": text + "\n"} for text in [*refused, *taken]})
    for text, said in refused.items():
        assert verdicts[text] is not None and said in verdicts[text], (text, verdicts[text])
    for text in taken:
        assert verdicts[text] is None, (text, verdicts[text])


def test_the_real_dtrace_aborts_on_a_union_key_of_an_odd_size(tmp_path):
    from tests.real_dtrace import need_dtrace

    dtrace = need_dtrace()
    for i, text in enumerate(UNION_CRASHING_KEYS):
        path = tmp_path / f"k{i}.d"
        path.write_text(text + "\n")
        result = subprocess.run(["timeout", "-s", "KILL", "60", dtrace, "-e", "-s", str(path)], cwd=tmp_path,
                                capture_output=True, text=True)
        assert result.returncode != 0 and "dt_aggid_rec_add" in result.stderr, (text, result.stderr)


# --- run's table reads a column's conversion with facts/conversions.parse_format -------------

def test_the_table_reads_a_columns_base_conversion_with_parse_format(monkeypatch):
    from dtracepy.facts import conversions
    from dtracepy.run import output

    assert not hasattr(output, "_BASE_CONVERSION")  # (no reader of its own beside parse_format)
    read = []
    monkeypatch.setattr(output, "parse_format", lambda fmt: read.append(fmt) or conversions.parse_format(fmt))
    assert output._in_base("0x%08x", 0x0100007f) == "0x0100007f"
    assert read == ["0x%08x"]


# dtrace 2.0, live: printf("[%?p] [%?x] [%p] [%#?x] [%-?p]", 255, ...) printed
# "[              ff] [              ff] [ff] [            0xff] [ff              ]"
BASE_CELLS = {("%?p", 255): " " * 14 + "ff", ("%?x", 255): " " * 14 + "ff", ("%#?x", 255): " " * 12 + "0xff",
              ("%-?p", 255): "ff" + " " * 14, ("%p", 255): "ff", ("%x", 255): "ff", ("0x%08x", 0x0100007f): "0x0100007f",
              ("%-16lx", 255): "ff" + " " * 14, ("%#o", 8): "010", ("%#x", 0): "0", ("%%x %x", 255): "%x ff",
              ("%5.3x", 10): "  00a", ("%X", -1): "F" * 16, ("%'x", 255): "ff", ("%d", 3): "3"}


@pytest.mark.parametrize("fmt,value", BASE_CELLS)
def test_a_base_column_is_shown_as_dtrace_prints_it(fmt, value):
    from dtracepy.run.output import _in_base

    assert _in_base(fmt, value) == BASE_CELLS[fmt, value]


def test_parse_format_says_where_each_conversion_starts():
    from dtracepy.facts.conversions import parse_format

    fmt = "a %%x %-8lx b %s %@d"
    assert [(c.start, fmt[c.start:c.start + len(c.text)]) for c in parse_format(fmt)] == [
        (6, "%-8lx"), (14, "%s"), (17, "%@d")]


# --- run's table shows a printa %x/%o/%p key as dtrace printed it ------------------------------

def test_an_aggregation_key_printed_in_hex_is_shown_in_hex():
    """``printa("%x %o %d %@d\\n", @a)``: dtrace 2.0 printed ``ff 10 3 1`` (live, this session), and
    the table showed ``255  8  3  1``; the keys stay ints in the data."""
    import io

    import attrs

    from dtracepy.run import framing
    from dtracepy.run.decode import Decoder, Printed
    from dtracepy.run.output import TableWriter

    fmt = "%x %08o %d %@d\n"
    fields, _ = framing.framed_user(fmt, 1)
    plan = framing.Plan(printas=(framing.PrintaSpec(0, ("a",), fmt, fields),),
                        aggs=(framing.AggInfo("a", "count", 3, (), ("int", "int", "int")),))
    plan = attrs.evolve(plan, token="")
    decoder = Decoder(plan)
    events = decoder.feed(b"\x1eA\x1f0\n\x1eK\x1fff\x1f10\x1f3\x1f1\n\x1eK\x1f10\x1f11\x1f4\x1f2\n\x1eZ\n")
    events += decoder.close()  # (framed: the keys bare, %x, %o, %d)
    assert dict(decoder.aggregations["a"]) == {(255, 8, 3): 1, (16, 9, 4): 2}
    out = io.StringIO()
    writer = TableWriter(out)
    for event in events:
        for agg in (event.aggregations.values() if isinstance(event, Printed) else ()):
            writer.aggregation(agg)
    assert out.getvalue() == "\n@a (count)\n  ff  00000010  3  1\n  10  00000011  4  2\n"


def test_key_formats_reads_printas_conversions():
    from dtracepy.run.aggregations import key_formats

    assert key_formats("%x %o %d %@d\n") == ("%x", "%o", None)
    assert key_formats("%-8p %s %@8d %%x\n") == ("%-8p", None)
    assert key_formats("%d %s %@d\n") == ()
    assert key_formats("%*x %@d\n") == ()


# --- layout's type column spells a type as C does -------------------------------------------

_SPELLED = """struct s { char (*a)[3]; void (*f)(int, char *); int *b[4]; int (*c[2])[5]; char **d;
int (*(*g)(int))[4]; char (**e)[3]; void (*h)(void); int (*k)(); void (*v)(const char *, ...);
void (*r)(int a[]); };
"""
# gcc's own words (its diagnostics of these members, less its spaces after a comma and inside
# "(* (*)"): "char (*)[3]", "void (*)(int, char *)", "int (*(*)(int))[4]" ...
SPELLED = {"a": "char (*)[3]", "f": "void (*)(int, char *)", "b": "int *[4]", "c": "int (*[2])[5]", "d": "char **",
           "g": "int (*(*)(int))[4]", "e": "char (**)[3]", "h": "void (*)(void)", "k": "int (*)()",
           "v": "void (*)(const char *, ...)", "r": "void (*)(int *)"}


def test_the_layout_type_column_spells_pointers_to_arrays_and_functions_as_c_does():
    from dtracepy.layout import parse_layouts

    layout = parse_layouts(_SPELLED, filename="s.h")["struct s"]
    assert {m.name: m.type_name for m in layout.members} == SPELLED


def test_gcc_spells_the_pointers_so(tmp_path):
    import re
    import shutil

    if shutil.which("gcc") is None:
        pytest.skip("no gcc here")
    # (not b and c, arrays gcc's diagnostic shows decayed; v's const kept since layout23)
    pointers = ["a", "f", "d", "g", "e", "h", "k", "v", "r"]
    source = tmp_path / "g.c"
    source.write_text(_SPELLED + "".join(f"void f_{m}(void) {{ double v = ((struct s *)0)->{m}; }}\n" for m in pointers))
    result = subprocess.run(["timeout", "-s", "KILL", "60", "gcc", "-fsyntax-only", "-fno-diagnostics-show-caret",
                             "-fno-diagnostics-color", str(source)], capture_output=True, text=True)
    said = re.findall(r"using type .([^\n]*?).$", result.stderr, re.M)
    said = [re.sub(r"\(\* \(", "(*(", re.sub(r",\s+", ", ", s)) for s in said]
    assert said == [SPELLED[m] for m in pointers], result.stderr


# --- a probe prefix dtrace broke off after shows nothing of dtrace's -------------------------

def test_a_bare_probe_prefix_dtrace_broke_off_after_is_not_text():
    """review20 N8: a .d without -q whose printa dtrace aborts ("processing aborted: Data record
    list does not match statement") ended its output with dtracepy's END's probe prefix and no
    newline, no mark: the prefix came out as text, and dtrace's held "CPU ID FUNCTION:NAME" header
    with it."""
    import attrs

    from dtracepy.run import framing
    from dtracepy.run.decode import STARTED, Decoder, Text

    plan = attrs.evolve(framing.Plan(), token="")
    decoder = Decoder(plan)
    events = decoder.feed(b"CPU     ID                    FUNCTION:NAME\n"
                          b"  1      1                           :BEGIN \x1eB\n\n")
    events += decoder.feed(b"  0      2                             :END ")
    assert decoder.unfinished_text() == []
    events += decoder.close()
    assert events == [STARTED]
    # what the script printed itself still shows, and the header before it
    decoder = Decoder(plan)
    events = decoder.feed(b"CPU     ID                    FUNCTION:NAME\n"
                          b"  1      1                           :BEGIN \x1eB\n\n  0  2  :END hi")
    events += decoder.close()
    assert [e for e in events if isinstance(e, Text)] == [
        "CPU     ID                    FUNCTION:NAME\n", "  0  2  :END hi"]
