"""A hostile new user's walk (session 19, /work/review19.md): what got through, fixed.

Each test fails on the code before its fix; the real dtrace judges the same cases (skipped where
there is none).
"""

from __future__ import annotations

import subprocess
import sys

import pytest
from tests.check_findings import errors as _errors, findings as _findings
from tests.pythonpath import env_with

from conftest import REPO


def _cli(*args, cwd, timeout=120):
    return subprocess.run([sys.executable, "-m", "dtracepy", *args], cwd=cwd, capture_output=True,
                          text=True, env=env_with(REPO), timeout=timeout)


# --- R1..R6: D that every D compiler refuses, which check took and compile emitted ------------
# Each was `dtracepy check --dialect oracle` exit 0 and dtrace -e "failed to compile script".

REFUSED = {
    # R1: no pointer dereferenced, no struct given a member
    "BEGIN { trace(*arg0); }": "cannot dereference non-pointer type",
    "BEGIN { trace(*1); }": "cannot dereference non-pointer type",
    "BEGIN { trace(*(uintptr_t)arg0); }": "cannot dereference non-pointer type",
    "BEGIN { x = 1; trace(*x); }": "cannot dereference non-pointer type",
    "BEGIN { this->x = 1; trace(this->x->y); }": "operator -> must be applied to a pointer",
    "BEGIN { self->x = 0; trace(self->x->y); }": "operator -> must be applied to a pointer",
    "BEGIN { x = 1; } END { trace(x->y); }": "operator -> must be applied to a pointer",
    "BEGIN { trace(arg0->foo); }": "operator -> must be applied to a pointer",
    "BEGIN { trace(pid->x); }": "operator -> must be applied to a pointer",
    "BEGIN { trace(execname->foo); }": "operator -> must be applied to a pointer",
    "BEGIN { trace(\"abc\"->x); }": "operator -> must be applied to a pointer",
    "BEGIN { trace(execname.foo); }": "must be applied to a struct or union",
    "BEGIN { trace(arg0.x); }": "must be applied to a struct or union",
    "BEGIN { trace(timestamp.x); }": "must be applied to a struct or union",
    "BEGIN { this->x = 1; trace(this->x.y); }": "must be applied to a struct or union",
    # R2: an aggregation given no aggregating function
    "BEGIN { @a1 = 1; }": "must be assigned the result of an aggregating function",
    "BEGIN { @a2 = arg0; }": "must be assigned the result of an aggregating function",
    "BEGIN { @a3 = execname; }": "must be assigned the result of an aggregating function",
    "BEGIN { @a4[1] = 1; }": "must be assigned the result of an aggregating function",
    "BEGIN { @ = strlen(\"x\"); }": "must be assigned the result of an aggregating function",
    # R3: two pointers of incompatible types compared or subtracted
    "BEGIN { trace((char *)arg0 - (int *)arg1); }": "operands have incompatible types",
    "BEGIN { trace((int *)arg0 < (char *)arg1); }": "operands have incompatible types",
    "BEGIN { trace((char *)arg0 == (int *)arg1); }": "operands have incompatible types",
    "BEGIN { trace((char **)arg0 == (char *)arg1); }": "operands have incompatible types",
    "BEGIN { trace((int *)arg0 != (unsigned *)arg1); }": "operands have incompatible types",
    "BEGIN { trace(curthread == (char *)arg1); }": "operands have incompatible types",
    # R4: the address of a value
    "BEGIN { trace(&1); }": "unacceptable operand for unary & operator",
    "BEGIN { trace(&(arg0 + 1)); }": "unacceptable operand for unary & operator",
    "BEGIN { trace(&-arg0); }": "unacceptable operand for unary & operator",
    "BEGIN { trace(&(int)arg0); }": "unacceptable operand for unary & operator",
    "BEGIN { trace(&copyin(arg0, 1)); }": "unacceptable operand for unary & operator",
    "BEGIN { trace(&\"abc\"); }": "unacceptable operand for unary & operator",
    "BEGIN { trace(&'a'); }": "unacceptable operand for unary & operator",
    "BEGIN { trace(&sizeof(int)); }": "unacceptable operand for unary & operator",
    "BEGIN { trace(&stringof(arg0)); }": "unacceptable operand for unary & operator",
    "BEGIN { trace(&(pid ? curpsinfo->pr_pid : curpsinfo->pr_ppid)); }": "unacceptable operand",
    # R5: a cast to an array, a function, a struct of a scalar; sizeof of a type of no size
    "BEGIN { trace((int [3])arg0); }": "invalid cast expression",
    "BEGIN { trace((int *[3])arg0); }": "invalid cast expression",
    "BEGIN { trace((int ())arg0); }": "invalid cast expression",
    "BEGIN { trace((struct foo)arg0); }": "invalid cast expression",
    "BEGIN { trace((union foo)arg0); }": "invalid cast expression",
    "struct foo { int a; }; BEGIN { trace((struct foo)1); }": "invalid cast expression",
    "BEGIN { trace(sizeof (void)); }": "cannot apply sizeof to an operand of unknown size",
    "BEGIN { trace(sizeof (const void)); }": "cannot apply sizeof to an operand of unknown size",
    "BEGIN { trace(sizeof (int [])); }": "cannot apply sizeof to an operand of unknown size",
    "BEGIN { trace(sizeof (int ())); }": "cannot apply sizeof to an operand of unknown size",
    "BEGIN { trace(sizeof (char [0])); }": "positive integral constant expression",
    # R6: printa given a value that is no aggregation and no format constant
    "BEGIN { x = 1; printa(x); }": "incompatible with prototype",
    "BEGIN { self->x = 1; printa(self->x); }": "incompatible with prototype",
    "BEGIN { a[1] = 1; printa(a[1]); }": "incompatible with prototype",
    "BEGIN { printa(curthread); }": "incompatible with prototype",
    "BEGIN { @p = count(); x = \"%@d\\n\"; printa(x, @p); }": "incompatible with prototype",
    "inline string f = \"%@d\\n\"; BEGIN { @p = count(); printa(f, @p); }": "incompatible with prototype",
}

TAKEN = [  # each compiled by Oracle's dtrace -e: none of the rules above may refuse it
    "BEGIN { trace(*curthread); trace((*curthread).pid); trace(curthread->pid); }",
    "BEGIN { trace(*curpsinfo->pr_fname); trace(*\"abc\"); trace(\"abc\"[1]); trace(execname[1]); }",
    "BEGIN { this->p = (int *)arg0; trace(*this->p); trace(*(0 ? (char *)arg0 : (char *)arg1)); }",
    "BEGIN { this->q = (int *)alloca(8); *this->q = 5; trace(*this->q); }",
    "BEGIN { @b1 = count(); @b2[1] = sum(arg0); @b3 = quantize(1); @ = count(); printa(@b2[1]); }",
    "BEGIN { trace((char *)arg0 - (const char *)arg1); trace((char *)arg0 - (char *)arg1); }",
    "BEGIN { trace((char *)arg0 == (void *)arg1); trace((int *)arg0 && (unsigned *)arg1); }",
    "BEGIN { trace(&*(int *)arg0); trace(&((int *)arg0)[1]); trace(&curthread->pid); }",
    "struct foo { int a; }; BEGIN { this->s = (struct foo)*(struct foo *)arg0; }",
    "BEGIN { trace((struct task_struct)*curthread); trace((int (*)())arg0); trace((void *)arg0); }",
    "BEGIN { trace(sizeof (void *)); trace(sizeof (int [3])); trace(sizeof (int *[3])); }",
    "BEGIN { trace(sizeof (int (*)())); trace(sizeof (void **)); trace(sizeof (struct task_struct)); }",
    "BEGIN { @p1 = count(); printa(@p1); printa(\"%@d\\n\", @p1); printa(1 ? \"%@d\\n\" : \"x\", @p1); }",
]


@pytest.mark.parametrize("text", list(REFUSED))
def test_check_refuses_what_dtrace_refuses(text):
    assert _errors(text + "\n"), text


@pytest.mark.parametrize("text", TAKEN)
def test_check_takes_what_dtrace_takes(text):
    assert _errors(text + "\n") == [], text


def test_the_findings_are_located_at_what_is_wrong(tmp_path):
    (tmp_path / "a.d").write_text("BEGIN\n{\n\ttrace(*arg0);\n\t@a = 1;\n\ttrace(&(arg0 + 1));\n"
                                  "\ttrace((char *)arg0 == (int *)arg1);\n\ttrace(sizeof (void));\n}\n")
    result = _cli("check", "a.d", cwd=tmp_path)
    assert result.returncode == 1 and "Traceback" not in result.stderr, result.stderr
    located = [line.split(": error: ")[0] for line in result.stderr.splitlines() if ": error: " in line]
    assert located == ["a.d:3:8", "a.d:4:7", "a.d:5:10", "a.d:6:24", "a.d:7:8"], result.stderr


def test_a_tracer_doing_the_same_is_refused_at_its_lines(tmp_path):
    (tmp_path / "t.py").write_text(
        "from dtracepy import Tracer, trace, printa, deref, addr, cast, sizeof, arg0, arg1, glob, execname\n"
        "t = Tracer(dialect='oracle')\n"
        "@t.probe('BEGIN')\n"
        "def _():\n"
        "    trace(deref(arg0))\n"
        "    trace(arg0.foo)\n"
        "    trace(execname.foo)\n"
        "    trace(addr(1))\n"
        "    trace(cast(arg0, 'char *') - cast(arg1, 'int *'))\n"
        "    trace(cast(arg0, 'struct foo'))\n"
        "    trace(sizeof('void'))\n"
        "    glob.x = 1\n"
        "    printa(glob.x)\n")
    result = _cli("compile", "t.py", cwd=tmp_path)
    assert result.returncode == 1, result.stdout
    located = sorted({line.split(": error: ")[0] for line in result.stderr.splitlines() if ": error: " in line})
    assert located == [f"t.py:{n}" for n in (10, 11, 13, 5, 6, 7, 8, 9)], result.stderr


def test_the_real_dtrace_judges_them_as_check_does():
    from tests.real_dtrace import compile_scripts

    scripts = {text: text + "\n" for text in [*REFUSED, *TAKEN]}
    verdicts = compile_scripts(scripts)
    for text, said in REFUSED.items():
        assert verdicts[text] is not None and said in verdicts[text], (text, verdicts[text])
    for text in TAKEN:
        assert verdicts[text] is None, (text, verdicts[text])


# --- R7: a char array of the kernel's types as an aggregation key: Oracle's dtrace aborts ------

CRASHING_KEYS = [
    "BEGIN { @k1[curthread->comm] = count(); }",
    "BEGIN { @k2[curpsinfo->pr_fname, pid] = count(); }",
    "BEGIN { @k3[execname, curthread->comm] = count(); }",
]


@pytest.mark.parametrize("text", CRASHING_KEYS)
def test_check_refuses_a_key_oracles_dtrace_aborts_on(text):
    assert [f.check for f in _errors(text + "\n")] == ["key-type"], text
    assert [f.severity for f in _findings(text + "\n", None) if f.check == "key-type"] == ["warning"]


def test_check_takes_the_key_as_a_string():
    text = "BEGIN { @k[stringof(curthread->comm)] = count(); a[curthread->comm] = 1; }\n"
    assert _errors(text) == []


def test_an_oracle_tracer_keyed_by_a_process_name_array_is_refused_at_its_line(tmp_path):
    (tmp_path / "t.py").write_text(
        "from dtracepy import Tracer, agg, count, curpsinfo\n"
        "t = Tracer(dialect='oracle')\n"
        "@t.probe('BEGIN')\n"
        "def _():\n"
        "    agg.a[curpsinfo.pr_fname] = count()\n")
    result = _cli("compile", "t.py", cwd=tmp_path)
    assert result.returncode == 1, result.stdout
    assert "t.py:5: error: curpsinfo->pr_fname (char [16]) as an aggregation key" in result.stderr, result.stderr


def test_the_real_dtrace_aborts_on_those_keys(tmp_path):
    from tests.real_dtrace import need_dtrace

    dtrace = need_dtrace()
    for i, text in enumerate(CRASHING_KEYS):
        path = tmp_path / f"k{i}.d"
        path.write_text(text + "\n")
        result = subprocess.run(["timeout", "-s", "KILL", "60", dtrace, "-e", "-s", str(path)], cwd=tmp_path,
                                capture_output=True, text=True)
        assert result.returncode != 0 and "dt_aggid_rec_add" in result.stderr, (text, result.stderr)
