"""A variable of another dialect under a chosen dialect (review 7, item 15): ``check --dialect
oracle`` passed ``zonename``, ``jid``, ``jailname``, ``execargs``, which Oracle's dtrace refuses
("failed to resolve zonename: Unknown variable name").  The list is the facts'
(``facts.variables.DIALECT_VARIABLES`` -> ``Dialect.foreign_variables``); the real dtrace judges
every name of it both ways: read, refused and flagged; assigned first (a global of the program's
own), accepted and not flagged."""

from __future__ import annotations

import pytest

from dtracepy import CompileError, Tracer, trace, zonename
from dtracepy.checks import CheckOptions, check_program
from dtracepy.facts import variables as V
from dtracepy.facts.dialects import dialect_named
from dtracepy.parser import parse
from real_dtrace import job_for_d, judge_scripts

ORACLE = dialect_named("oracle")


def _read(name: str) -> str:
    return f"BEGIN {{ trace({name}{'[0]' if V.BUILTIN_TABLE.get(name, ('', ''))[1] == 'array' else ''}); }}\n"


def _assigned(name: str) -> str:
    ref = f"{name}[0]" if V.BUILTIN_TABLE.get(name, ('', ''))[1] == "array" else name
    return f"BEGIN {{ {ref} = 1; trace({ref}); }}\n"


def found(text: str, **options) -> list:
    return [(f.check, f.pos.line, f.pos.col) for f in
            check_program(parse(text, "x.d"), CheckOptions(**options), source=text)
            if f.check == "dialect-variable"]


def test_the_list_names_what_the_facts_say():
    assert {"zonename", "jid", "jailname", "execargs"} <= ORACLE.foreign_variables
    assert "cpu" not in ORACLE.foreign_variables  # (every dialect's sched.d defines cpu)
    assert "zonename" not in dialect_named("illumos").foreign_variables


@pytest.mark.parametrize("name", sorted(ORACLE.foreign_variables))
def test_a_variable_oracle_lacks_is_flagged_when_oracle_is_chosen(name):
    assert found(_read(name), dialect="oracle", dialect_given=True) == [("dialect-variable", 1, 15)]
    assert found(_read(name), dialect="oracle") == []  # assumed: the script may be for another platform
    assert found(_assigned(name), dialect="oracle", dialect_given=True) == []


def test_the_message_names_the_dialects_that_have_it():
    [finding] = [f for f in check_program(parse("BEGIN { trace(jid); }", "x.d"),
                                          CheckOptions(dialect="oracle", dialect_given=True))
                 if f.check == "dialect-variable"]
    assert finding.message == ("jid is not a variable of Oracle DTrace for Linux (D 2.0): only freebsd D "
                               "has it (--dialect)")


def test_the_real_dtrace_refuses_each_read_and_accepts_each_assigned():
    names = sorted(ORACLE.foreign_variables)
    jobs = {"read cpu": job_for_d(_read("cpu"))}  # (an inline of sched.d: read, not assigned)
    for name in names:
        jobs[f"read {name}"] = job_for_d(_read(name))
        jobs[f"assigned {name}"] = job_for_d(_assigned(name))
    verdicts = judge_scripts(jobs)
    assert verdicts["read cpu"] is None
    assert [n for n in names if verdicts[f"read {n}"] is None] == [], verdicts
    assert [n for n in names if verdicts[f"assigned {n}"] is not None] == [], verdicts
    assert found(_read("cpu"), dialect="oracle", dialect_given=True) == []


def test_a_tracer_compiled_for_oracle_is_held_to_its_variables():
    t = Tracer(dialect="oracle")

    @t.probe("BEGIN")
    def _():
        trace(zonename)

    with pytest.raises(CompileError, match=r"zonename is not a variable of Oracle.*\[dialect-variable\]"):
        t.compile()
    assumed = Tracer()

    @assumed.probe("BEGIN")
    def _():
        trace(zonename)

    assert "trace(zonename);" in assumed.compile().text
