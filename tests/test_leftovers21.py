"""Session 19's and review 19's noticed check items (/work/review19.md "Noticed and left alone",
stop 29's closing note), fixed in session 20 (helper leftovers21).

Each case is judged by Oracle's dtrace 2.0 (``dtrace -e``): the message it gives is recorded next to
each refused script, and ``test_the_real_dtrace_judges_them_as_check_does`` has the real one judge
them all again (skipped, saying why, where there is none).  Each test of ``check`` fails on the code
before the fix.
"""

from __future__ import annotations

import subprocess
import sys

import pytest
from tests.check_findings import errors as _errors, findings as _findings

from conftest import REPO
from tests.pythonpath import env_with


# --- arithmetic on a void * (stop 29's note: `(void *)arg0 - 1`, dtrace refuses, check took) ------

VOID_REFUSED = {
    "BEGIN { trace((void *)arg0 - 1); }": 'operands have incompatible types: "void *" - "int"',
    "BEGIN { trace((void *)arg0 + 1); }": 'operands have incompatible types: "void *" + "int"',
    "BEGIN { trace(1 + (void *)arg0); }": 'operands have incompatible types: "int" + "void *"',
    "BEGIN { trace((void *)arg0 + 0); }": 'operands have incompatible types: "void *" + "int"',
    "BEGIN { trace((const void *)arg0 + 1); }": 'operands have incompatible types: "void *" + "int"',
    "BEGIN { trace((void *)arg0 - arg1); }": 'operands have incompatible types: "void *" - "int64_t"',
    "BEGIN { trace(((void *)arg0)[1]); }": 'operands have incompatible types: "void *" + "int"',
    "BEGIN { trace(*(void *)arg0); }": "cannot dereference pointer to void",
    "BEGIN { trace(sizeof(*(void *)arg0)); }": "cannot dereference pointer to void",
    "BEGIN { trace(((void *)arg0)->x); }": 'operator -> cannot be applied to pointer to type "void"',
    "BEGIN { trace(alloca(4) + 1); }": 'operands have incompatible types: "void *" + "int"',
    "BEGIN { trace(copyin(arg0, 4) + 1); }": 'operands have incompatible types: "void *" + "int"',
    "BEGIN { trace(*copyin(arg0, 4)); }": "cannot dereference pointer to void",
    "BEGIN { this->p = alloca(4); trace(this->p[0]); }": 'operands have incompatible types: "void *" + "int"',
    "BEGIN { this->p = (void *)arg0; trace(this->p - 1); }": 'operands have incompatible types: "void *" - "int"',
    "BEGIN { this->p = (void *)arg0; this->p = this->p + 1; }": 'incompatible types: "void *" + "int"',
    "BEGIN { this->p = (void *)arg0; this->p = (char *)arg1; trace(this->p + 1); }": '"void *" + "int"',
    "void *p; BEGIN { p = (void *)arg0; trace(p + 1); }": 'operands have incompatible types: "void *" + "int"',
    "BEGIN { this->p = (void *)arg0; this->p++; }": "operator ++ requires an operand of known size",
    "BEGIN { this->p = (void *)arg0; --this->p; }": "operator -- requires an operand of known size",
    "BEGIN { self->p = alloca(8); self->p--; }": "operator -- requires an operand of known size",
    "BEGIN { x = (void *)arg0; } END { x++; }": "operator ++ requires an operand of known size",
    "BEGIN { this->p = (void *)arg0; this->p += 1; }": "operator += requires left-hand scalar operand of known size",
    "BEGIN { this->p = (void *)arg0; this->p -= 1; }": "operator -= requires left-hand scalar operand of known size",
}
VOID_TAKEN = [
    "BEGIN { trace((char *)arg0 - 1); }",
    "BEGIN { trace((void **)arg0 + 1); }",
    "BEGIN { trace(*(void **)arg0); }",
    "BEGIN { trace(*(char *)copyin(arg0, 4)); }",
    "BEGIN { trace((void *)arg0 < (void *)arg1); }",
    "BEGIN { trace((void *)arg0 == 0); }",
    "BEGIN { trace(!(void *)arg0); }",
    "BEGIN { trace((void *)arg0 ? 1 : 2); }",
    "BEGIN { trace(copyinstr(arg0) + 1); }",
    "BEGIN { this->p = (char *)arg0; this->p = (void *)arg1; trace(this->p + 1); }",
]


@pytest.mark.parametrize("text", VOID_REFUSED)
def test_arithmetic_on_a_void_pointer_is_refused_in_every_dialect(text):
    for dialect in ("oracle", None):
        found = [f for f in _findings(text + "\n", dialect) if f.severity == "error"]
        assert [f.check for f in found] == ["operand-type"], (text, dialect, found)
    assert "void *" in found[0].message


@pytest.mark.parametrize("text", VOID_TAKEN)
def test_what_dtrace_takes_of_a_void_pointer_is_taken(text):
    assert _errors(text + "\n") == [], text


# --- kernel struct pointer parameters (d_path, mutex_*, rw_*, inet_ntoa6) --------------------

_KERNEL = {"d_path": "struct path *", "mutex_owned": "struct mutex *", "mutex_owner": "struct mutex *",
           "mutex_type_adaptive": "struct mutex *", "mutex_type_spin": "struct mutex *",
           "rw_read_held": "rwlock_t *", "rw_write_held": "rwlock_t *", "rw_iswriter": "rwlock_t *"}
_FOO = "struct foo { int a; }; "
_KERNEL_ARGUMENTS_REFUSED = ["(char *)arg0", "(struct foo *)arg0", "(int *)arg0", "curthread",
                             "(struct foo **)arg0", "(const struct foo *)arg0", "(unsigned char *)arg0",
                             "(long **)arg0"]
_KERNEL_ARGUMENTS_TAKEN = ["(void *)arg0", "0", "alloca(8)"]
# dtrace -e: "<f>( ) argument #1 is incompatible with prototype: prototype: struct mutex * argument: char *"
KERNEL_REFUSED = {f"{_FOO}BEGIN {{ trace({name}({arg})); }}": f"{name}( ) argument #1 is incompatible with prototype"
                  for name in _KERNEL for arg in _KERNEL_ARGUMENTS_REFUSED}
KERNEL_REFUSED.update({
    _FOO + "BEGIN { this->p = (struct foo *)arg0; trace(d_path(this->p)); }": "d_path( ) argument #1 is incompatible",
    "BEGIN { this->p = (char *)arg0; trace(d_path(this->p)); }": "d_path( ) argument #1 is incompatible",
    _FOO + "BEGIN { trace(inet_ntoa6((struct foo *)arg0)); }": "inet_ntoa6( ) argument #1 is incompatible",
    "BEGIN { trace(inet_ntoa6((char *)arg0)); }": "inet_ntoa6( ) argument #1 is incompatible",
})
KERNEL_TAKEN = [f"{_FOO}BEGIN {{ trace({name}({arg})); }}" for name in _KERNEL for arg in _KERNEL_ARGUMENTS_TAKEN]
KERNEL_TAKEN += ["BEGIN { trace(mutex_owned((struct mutex *)arg0)); }",
                 _FOO + "BEGIN { trace(inet_ntop(2, (struct foo *)arg0)); }"]


@pytest.mark.parametrize("text", KERNEL_REFUSED)
def test_a_kernel_struct_parameter_refuses_other_pointers(text):
    found = _errors(text + "\n")
    assert [f.check for f in found] == ["argument-type"], (text, found)
    assert "pointer of another type" in found[0].message
    assert [f.check for f in _findings(text + "\n") if f.severity == "error"] == ["argument-type"]


@pytest.mark.parametrize("text", KERNEL_TAKEN)
def test_a_kernel_struct_parameter_takes_void_pointers_and_0(text):
    assert _errors(text + "\n") == [], text


# --- a pointer to the program's own struct is compatible only with itself --------------------

_BAR = "struct foo { int a; }; struct bar { int a; }; "
STRUCT_POINTERS_REFUSED = {
    _BAR + "BEGIN { trace((struct foo *)arg0 == (char *)arg1); }": 'incompatible types: "struct foo *" == "char *"',
    _BAR + "BEGIN { trace((struct foo *)arg0 == (struct bar *)arg1); }": '"struct foo *" == "struct bar *"',
    _BAR + "BEGIN { trace((struct foo *)arg0 - (struct bar *)arg1); }": '"struct foo *" - "struct bar *"',
    _BAR + "BEGIN { trace((struct foo *)arg0 == curthread); }": '"struct foo *" == "struct task_struct *"',
    _BAR + "BEGIN { trace((struct foo *)arg0 == (struct foo **)arg1); }": '"struct foo *" == "struct foo **"',
    _BAR + "BEGIN { x = (struct foo *)arg0; x = (char *)arg1; }": '"struct foo *" = "char *"',
    _BAR + "BEGIN { trace(arg0 ? (struct foo *)arg0 : (char *)arg1); }": "operator ?: operands must have compatible",
    _BAR + "BEGIN { trace(strlen((struct foo *)arg0)); }": "strlen( ) argument #1 is incompatible with prototype",
    _BAR + "BEGIN { trace(inet_ntoa((struct foo *)arg0)); }": "inet_ntoa( ) argument #1 is incompatible",
}
STRUCT_POINTERS_TAKEN = [
    _BAR + "BEGIN { trace((struct foo *)arg0 == (struct foo *)arg1); }",
    _BAR + "BEGIN { trace((struct foo *)arg0 == (const struct foo *)arg1); }",
    _BAR + "BEGIN { trace((struct foo *)arg0 == (void *)arg1); }",
    _BAR + "BEGIN { x = (struct foo *)arg0; x = (void *)arg1; x = 0; }",
]


@pytest.mark.parametrize("text", STRUCT_POINTERS_REFUSED)
def test_a_program_struct_pointer_beside_another_pointer_is_refused(text):
    found = _errors(text + "\n")
    assert [f.check for f in found] in (["operand-type"], ["argument-type"]), (text, found)


@pytest.mark.parametrize("text", STRUCT_POINTERS_TAKEN)
def test_a_program_struct_pointer_beside_its_own_or_void_is_taken(text):
    assert _errors(text + "\n") == [], text


# --- a struct defined inside another's body: a forward declaration to Oracle's D by its tag -----

_NEST = "struct foo { struct bar { int a; } y; }; "
NESTED_REFUSED = {
    _NEST + "BEGIN { trace(((struct bar *)arg0)->a); }":
        "operator -> cannot be applied to a forward declaration: no struct bar definition is available",
    _NEST + "BEGIN { this->p = (struct bar *)arg0; trace(this->p->a); }": "no struct bar definition is available",
    "struct foo { union bar { int a; } y; }; BEGIN { trace(((union bar *)arg0)->a); }":
        "no union bar definition is available",
    "union foo { struct bar { int a; } y; }; BEGIN { trace(((struct bar *)arg0)->a); }":
        "no struct bar definition is available",
    "struct foo { struct bar { int a; } *y; }; BEGIN { trace(((struct bar *)arg0)->a); }":
        "no struct bar definition is available",
    _NEST + "struct baz { struct bar *z; }; BEGIN { trace(((struct baz *)arg0)->z->a); }":
        "no struct bar definition is available",
    _NEST + "struct baz { struct bar z; }; BEGIN { trace(1); }": "incomplete struct/union/enum struct bar: z",
}
NESTED_TAKEN = [
    _NEST + "BEGIN { trace(((struct foo *)arg0)->y.a); }",
    _NEST + "BEGIN { trace(&((struct foo *)arg0)->y); }",
    _NEST + "struct bar { int a; }; BEGIN { trace(((struct bar *)arg0)->a); }",
    _NEST + "struct baz { struct bar { int a; } z; }; BEGIN { trace(1); }",
    _NEST + "BEGIN { @[((struct foo *)arg0)->y] = count(); }",
    _NEST + "BEGIN { x[*(struct bar *)arg0] = 1; }",
]
# dtrace -e: SIGABRT, "dt_aggid_rec_add: Assertion `alignment > 0 && alignment <= 8 ...' failed",
# whatever the nested struct's size (apart, `struct bar { int a; }` is a key dtrace takes).
NESTED_CRASHING_KEYS = [
    "struct foo { struct bar { char a; } y; }; BEGIN { @[*(struct bar *)arg0] = count(); }",
    "struct foo { struct bar { int a; } y; }; BEGIN { @[*(struct bar *)arg0] = count(); }",
    "struct foo { struct bar { char a; int b; } y; }; BEGIN { @[*(struct bar *)arg0] = count(); }",
    "struct foo { union bar { int a; } y; }; BEGIN { @[*(union bar *)arg0] = count(); }",
]


# A member of the program's struct as an aggregation key (review19 R7's not-done, the member form):
# dtrace -e aborts (SIGABRT, dt_aggid_rec_add) for an array or struct member of a size other than 1,
# 2, 4 or 8 bytes.
MEMBER_CRASHING_KEYS = [
    "struct bar { char a[3]; }; struct foo { struct bar y; char c; }; BEGIN { @[((struct foo *)arg0)->y] = count(); }",
    "struct foo { char n[3]; int c; }; BEGIN { @[((struct foo *)arg0)->n] = count(); }",
    "struct foo { int n[3]; }; BEGIN { @[((struct foo *)arg0)->n] = count(); }",
    "struct bar { int a; char b; }; struct foo { struct bar y; }; "
    "BEGIN { this->p = (struct foo *)arg0; @[this->p->y] = count(); }",
]
MEMBER_KEYS_TAKEN = [
    "struct foo { char n[4]; int c; }; BEGIN { @[((struct foo *)arg0)->n] = count(); }",
    "struct foo { int n[2]; }; BEGIN { @[((struct foo *)arg0)->n] = count(); }",
    "struct foo { struct bar { int a; } y; }; BEGIN { @[((struct foo *)arg0)->y] = count(); }",
    "struct foo { int a; char c; long l; char *p; }; "
    "BEGIN { @[((struct foo *)arg0)->a, ((struct foo *)arg0)->c, ((struct foo *)arg0)->l, ((struct foo *)arg0)->p]"
    " = count(); }",
]


@pytest.mark.parametrize("text", MEMBER_CRASHING_KEYS)
def test_a_program_struct_member_key_that_aborts_oracles_dtrace_is_refused(text):
    found = [f for f in _errors(text + "\n") if f.check == "key-type"]
    assert len(found) == 1 and "dt_aggid_rec_add" in found[0].message, found
    assert [f.severity for f in _findings(text + "\n") if f.check == "key-type"] == ["warning"]


@pytest.mark.parametrize("text", MEMBER_KEYS_TAKEN)
def test_a_program_struct_member_key_dtrace_takes_is_taken(text):
    assert _errors(text + "\n") == [], text


@pytest.mark.parametrize("text", NESTED_REFUSED)
def test_a_nested_struct_named_by_its_tag_is_incomplete_to_oracle(text):
    assert [f.check for f in _errors(text + "\n")] == ["incomplete-type"], text
    assert [f.severity for f in _findings(text + "\n") if f.check == "incomplete-type"] == ["warning"]
    assert [f for f in _findings(text + "\n", "illumos") if f.check == "incomplete-type"] == []


@pytest.mark.parametrize("text", NESTED_TAKEN)
def test_what_oracle_takes_of_a_nested_struct_is_taken(text):
    assert _errors(text + "\n") == [], text
    assert [f for f in _findings(text + "\n") if f.check in ("redeclared", "incomplete-type")] == []


@pytest.mark.parametrize("text", NESTED_CRASHING_KEYS)
def test_a_nested_struct_value_as_a_key_is_refused_for_oracle(text):
    found = [f for f in _errors(text + "\n") if f.check == "key-type"]
    assert len(found) == 1 and "forward declaration" in found[0].message, found
    assert [f.severity for f in _findings(text + "\n") if f.check == "key-type"] == ["warning"]


def test_a_struct_defined_apart_then_inside_another_is_still_redeclared():
    # dtrace -e: "type redeclared: struct bar"
    text = "struct bar { int a; }; " + _NEST + "BEGIN { trace(1); }\n"
    assert [f.check for f in _errors(text)] == ["redeclared"]


# --- review19 N6, what needs no kernel type: a struct value where D wants a scalar --------------

STRUCT_VALUES_REFUSED = {
    _FOO + "BEGIN { @ = sum(*(struct foo *)arg0); }": "sum( ) argument #1 must be of scalar type",
    _FOO + "BEGIN { @ = quantize(*(struct foo *)arg0); }": "quantize( ) argument #1 must be of scalar type",
    _FOO + "BEGIN { @ = lquantize(*(struct foo *)arg0, 0, 10); }": "lquantize( ) argument #1 must be of scalar",
    "union foo { int a; }; BEGIN { @ = sum(*(union foo *)arg0); }": "sum( ) argument #1 must be of scalar type",
    "BEGIN { @ = sum(*curthread); }": "sum( ) argument #1 must be of scalar type",
    _FOO + "BEGIN { trace(stringof(*(struct foo *)arg0)); }": "cannot apply stringof to a value of type struct foo",
    _FOO + "BEGIN { trace(*(struct foo *)arg0 + 1); }": 'operands have incompatible types: "struct foo" + "int"',
    _FOO + "BEGIN { trace(*(struct foo *)arg0 == 1); }": 'operands have incompatible types: "struct foo" == "int"',
    _FOO + "BEGIN { trace(*(struct foo *)arg0 && 1); }": "operator && requires operands of scalar type",
    "BEGIN { trace(*(struct sock *)arg0 + 1); }": 'operands have incompatible types: "struct sock" + "int"',
    "BEGIN { trace(*curthread + 1); }": 'operands have incompatible types: "struct task_struct" + "int"',
    _FOO + "BEGIN { trace(!*(struct foo *)arg0); }": "operator ! requires an operand of scalar type",
    _FOO + "BEGIN { trace(-*(struct foo *)arg0); }": "operator - requires an operand of arithmetic type",
    _FOO + "BEGIN { trace(*(struct foo *)arg0 ? 1 : 2); }": "operator ?: expression must be of scalar type",
    'BEGIN { trace(getmajor("x")); }': "getmajor( ) argument #1 is incompatible with prototype",
    'BEGIN { trace(getminor("x")); }': "getminor( ) argument #1 is incompatible with prototype",
    "BEGIN { trace(getmajor(curthread)); }": "getmajor( ) argument #1 is incompatible with prototype",
}
STRUCT_VALUES_TAKEN = [
    _FOO + "BEGIN { trace(*(struct foo *)arg0); }",
    _FOO + "BEGIN { @ = sum(((struct foo *)arg0)->a); }",
    _FOO + "BEGIN { trace(stringof(((struct foo *)arg0)->a)); }",
    _FOO + "BEGIN { x[*(struct foo *)arg0] = 1; }",
    "BEGIN { trace(getmajor(arg0)); trace(getminor(0)); }",
]


# A variable D types as a struct by its first assignment given another type, or the reverse
# (review19 N6's `this->s = *curthread; this->s = 1`).
STRUCT_VALUES_REFUSED.update({
    _FOO + "BEGIN { this->s = *(struct foo *)arg0; this->s = 1; }": '"struct foo" = "int"',
    _FOO + "BEGIN { this->s = *(struct foo *)arg0; this->s = 0; }": '"struct foo" = "int"',
    _FOO + 'BEGIN { this->s = *(struct foo *)arg0; this->s = "a"; }': '"struct foo" = "string"',
    _FOO + "BEGIN { this->s = *(struct foo *)arg0; this->s = (char *)arg0; }": '"struct foo" = "char *"',
    _FOO + "BEGIN { this->s = 1; this->s = *(struct foo *)arg0; }": '"int" = "struct foo"',
    _BAR + "BEGIN { this->s = *(struct foo *)arg0; this->s = *(struct bar *)arg0; }": '"struct foo" = "struct bar"',
    "BEGIN { this->s = *curthread; this->s = 1; }": '"struct task_struct" = "int"',
    _FOO + "BEGIN { x = *(struct foo *)arg0; } END { x = 0; }": '"struct foo" = "int"',
    _FOO + "BEGIN { self->s = *(struct foo *)arg0; } END { self->s = 1; }": '"struct foo" = "int"',
    _FOO + "BEGIN { this->s = *(struct foo *)arg0; this->s += 1; }":
        "operator += requires left-hand scalar operand of known size",
})
STRUCT_VALUES_TAKEN += [
    _FOO + "BEGIN { this->s = *(struct foo *)arg0; this->s = *(struct foo *)arg1; }",
    _FOO + "BEGIN { self->s = *(struct foo *)arg0; } END { trace(self->s.a); self->s = 0; }",
    "BEGIN { self->s = *curthread; } END { trace(self->s.pid); self->s = 0; }",
]


@pytest.mark.parametrize("text", STRUCT_VALUES_REFUSED)
def test_a_struct_value_where_d_wants_a_scalar_is_refused(text):
    for dialect in ("oracle", None):
        found = [f for f in _findings(text + "\n", dialect) if f.severity == "error"]
        assert [f.check for f in found] in (["operand-type"], ["argument-type"]), (text, dialect, found)


@pytest.mark.parametrize("text", STRUCT_VALUES_TAKEN)
def test_a_struct_value_traced_or_a_member_of_it_is_taken(text):
    assert _errors(text + "\n") == [], text


# --- the DSL's compile emits none of it --------------------------------------------------------

def test_a_tracer_doing_arithmetic_on_a_void_pointer_is_refused_at_its_line(tmp_path):
    (tmp_path / "t.py").write_text(
        "from dtracepy import Tracer, agg, arg0, arg1, cast, curthread, deref, sum_, trace, alloca, this, mutex_owned\n"
        "t = Tracer(dialect='oracle')\n"
        "@t.probe('BEGIN')\n"
        "def _():\n"
        "    this.p = alloca(8)\n"
        "    trace(this.p + 1)\n"
        "    trace(cast(arg0, 'void *') - 1)\n"
        "    trace(deref(cast(arg0, 'void *')))\n"
        "    trace(mutex_owned(cast(arg1, 'char *')))\n"
        "    agg.s = sum_(deref(curthread))\n")
    result = subprocess.run([sys.executable, "-m", "dtracepy", "compile", "t.py"], cwd=tmp_path, capture_output=True,
                            text=True, env=env_with(REPO), timeout=120)
    assert result.returncode == 1, result.stdout
    located = sorted({line.split(": error: ")[0] for line in result.stderr.splitlines() if ": error: " in line})
    assert located == [f"t.py:{n}" for n in (10, 6, 7, 8, 9)], result.stderr


# --- the real dtrace judges every case ---------------------------------------------------------

def test_the_real_dtrace_judges_them_as_check_does():
    from tests.real_dtrace import judge_scripts

    refused = {**VOID_REFUSED, **KERNEL_REFUSED, **STRUCT_POINTERS_REFUSED, **NESTED_REFUSED,
               **STRUCT_VALUES_REFUSED}
    taken = [*VOID_TAKEN, *KERNEL_TAKEN, *STRUCT_POINTERS_TAKEN, *NESTED_TAKEN, *STRUCT_VALUES_TAKEN,
             *MEMBER_KEYS_TAKEN]
    verdicts = judge_scripts({text: {"text": text + "\n"} for text in [*refused, *taken]})
    for text, said in refused.items():
        assert verdicts[text] is not None and said in verdicts[text], (text, verdicts[text])
    for text in taken:
        assert verdicts[text] is None, (text, verdicts[text])


def test_the_real_dtrace_aborts_on_a_nested_struct_key(tmp_path):
    from tests.real_dtrace import need_dtrace

    dtrace = need_dtrace()
    for i, text in enumerate([*NESTED_CRASHING_KEYS, *MEMBER_CRASHING_KEYS]):
        path = tmp_path / f"k{i}.d"
        path.write_text(text + "\n")
        result = subprocess.run(["timeout", "-s", "KILL", "60", dtrace, "-e", "-s", str(path)], cwd=tmp_path,
                                capture_output=True, text=True)
        assert result.returncode != 0 and "dt_aggid_rec_add" in result.stderr, (text, result.stderr)
    # the same struct defined apart is a key it takes
    path = tmp_path / "apart.d"
    path.write_text("struct bar { int a; };\nBEGIN { @[*(struct bar *)arg0] = count(); }\n")
    result = subprocess.run(["timeout", "-s", "KILL", "60", dtrace, "-e", "-s", str(path)], cwd=tmp_path,
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
