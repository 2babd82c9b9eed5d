"""One home for the facts of D (dtracepy.facts), one Dialect object, and per-tracer build state:
every reader agrees with the facts, and nothing one tracer does changes another's D."""

from __future__ import annotations

import threading

import attrs
import pytest

import dtracepy.dsl as dsl
from dtracepy.checks import CheckOptions, check_program
from dtracepy.dsl import Tracer, builtin, glob, macro, macro_str, printf, self, timestamp, trace
from dtracepy.errors import DSLError
from dtracepy.facts import conversions, functions, keywords, precedence, probes, variables
from dtracepy.facts.dialects import NAMES, Dialect, UnknownDialect, dialect_named
from dtracepy.parser import parse


def findings(text, **options):
    return [(f.check, f.severity) for f in check_program(parse(text), CheckOptions(**options), source=text)]


# --- the DSL's names are generated from the facts ------------------------------------------------

def test_dsl_exports_every_function_of_the_facts():
    for name, fn in functions.FUNCTIONS.items():
        exported = "raise_" if name == "raise" else name
        assert callable(getattr(dsl, exported)), name
        assert (fn.kind == functions.AGGREGATING) == (exported in dsl.actions.AGGREGATING)


def test_dsl_exports_every_builtin_variable_of_every_dialect():
    for name in variables.BUILTINS:
        assert name in dsl.BUILTIN_NAMES
        assert isinstance(getattr(dsl, name), dsl.D)


def test_subroutines_only_one_table_had_are_in_the_dsl_now():
    # ddi_pathname and mutex_type_* were known to the checks but missing from the DSL
    assert dsl.ddi_pathname(1, 2) is not None
    assert dsl.mutex_type_adaptive(1) is not None


def test_every_dsl_variable_is_a_name_the_checks_know():
    # the DSL's own `rootdir` used to be warned about as undefined-name
    for name in dsl.BUILTIN_NAMES:
        assert name in variables.KNOWN_NAMES, name
    assert findings("BEGIN { trace(rootdir); }") == []


def test_lexer_keywords_are_the_facts():
    from dtracepy.lexer import KEYWORDS

    assert set(KEYWORDS) == keywords.ALL_KEYWORDS


def test_parser_and_printer_share_one_precedence_table():
    from dtracepy import parser

    assert parser._PREC == {op: lvl for op, lvl in precedence.BINARY.items() if op != ","}


def test_record_columns_are_read_as_printf_reads_formats():
    t = Tracer()
    with pytest.raises(DSLError, match="exactly one printf conversion"):
        t.record(("A", "%*d"))  # the * takes a second value: not one column
    with pytest.raises(DSLError, match="exactly one printf conversion"):
        t.record(("A", "%q"))
    assert t.record(("A", "%lld"), ("B", "100%% %s"), header=False).format == "%lld,100%% %s\n"


def test_conversions_parse_format():
    assert [c.conv for c in conversions.parse_format("%d %-8s %@d %%")] == ["d", "s", "d"]


def test_probe_model():
    assert probes.split("read:entry") == ("", "", "read", "entry")
    assert probes.partner("syscall::read:entry") == "syscall::read:return"
    assert probes.partner("fbt:ip:f:return") == "fbt:ip:f:entry"
    assert probes.return_of("fbt:ip:f:return") is None
    assert probes.matches("syscall::read*:return", "syscall::read:return")
    assert probes.syntax_problem("a:b:c:d:e")
    assert probes.problem("profile:::tick-0")


# --- Dialect ----------------------------------------------------------------------------------------

def test_dialects_are_frozen_data():
    oracle = dialect_named("oracle")
    assert isinstance(oracle, Dialect) and oracle.name == "oracle" and str(oracle) == "oracle"
    assert not oracle.has_if_else
    assert all(dialect_named(n).has_if_else for n in NAMES if n != "oracle")
    assert "userland" in dialect_named("illumos").keywords and "userland" not in oracle.keywords
    assert "zonename" in dialect_named("freebsd").variables and "zonename" not in oracle.variables
    assert "d_path" in oracle.functions and "ddi_pathname" not in oracle.functions
    assert dialect_named(oracle) is oracle
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        oracle.has_if_else = True
    with pytest.raises(UnknownDialect, match="illumos, freebsd, macos, oracle"):
        dialect_named("solaris")


def test_tracer_and_check_options_resolve_the_dialect_once():
    assert Tracer(dialect="oracle").dialect is dialect_named("oracle")
    assert CheckOptions(dialect="macos").dialect is dialect_named("macos")
    assert CheckOptions().dialect is dialect_named("illumos")
    with pytest.raises(DSLError, match="unknown D dialect 'linux'"):
        Tracer(dialect="linux")


def test_keyword_check_follows_the_dialect_data():
    from dtracepy import tree as T

    program = T.Program((T.Clause((T.ProbeDesc("BEGIN"),), None, (
        T.ExprStmt(T.Call(T.Ident("trace"), (T.Ident("userland"),))),)),))

    def checks(dialect):
        return {f.check for f in check_program(program, CheckOptions(dialect=dialect))}

    assert "keyword-name" in checks("illumos")  # illumos reserves userland
    assert "keyword-name" not in checks("oracle")


# --- per-tracer state -------------------------------------------------------------------------

def test_a_macro_doc_of_one_tracer_is_not_in_another_header():
    a, b = Tracer(), Tracer()
    port = macro(1, "listening port")

    @a.probe("BEGIN")
    def _():
        trace(port)

    @b.probe("BEGIN")
    def _():
        trace(macro(1))
        trace(macro_str(2))

    assert "$1  listening port" in a.to_d()
    text = b.to_d()
    assert "listening port" not in text
    assert "$$2  argument 2, as a string" in text


def test_a_global_of_one_tracer_does_not_make_another_builtin_fail():
    a, c = Tracer(), Tracer()

    @a.probe("BEGIN")
    def _():
        glob.x = 1
        trace(glob.x)

    @c.probe("BEGIN")
    def _():
        trace(builtin("x"))  # a kernel variable, say: not this tracer's global

    assert "trace(x);" in a.to_d()
    assert "trace(x);" in c.compile(checks=False).text


def test_glob_read_never_assigned_is_still_refused():
    t = Tracer()

    @t.probe("BEGIN")
    def _():
        trace(glob.never_set)

    with pytest.raises(Exception, match="global never_set is read but never assigned"):
        t.compile(checks=False)


def test_a_failing_body_unwinds_only_its_own_statements():
    a, b = Tracer(), Tracer()
    seen = []

    @a.probe("BEGIN")
    def _():
        trace(1)

        with pytest.raises(ZeroDivisionError):
            @b.probe("END")
            def _():
                trace(2)
                1 / 0  # noqa: B018
        seen.append("after")
        trace(3)  # still recorded into a's body

    assert seen == ["after"]
    assert [str(s) for s in a.items[0].body] == [str(s) for s in (
        a.items[0].body[0], a.items[0].body[1])]
    assert len(a.items[0].body) == 2 and b.items == []


def test_tracers_built_in_two_threads_do_not_mix_statements():
    barrier = threading.Barrier(2)
    results = {}

    def build(name):
        t = Tracer()

        @t.probe("BEGIN")
        def _():
            for i in range(50):
                self.x = i
                if i == 0:
                    barrier.wait(timeout=10)
                printf(f"{name} %d\n", timestamp)

        results[name] = [s for s in t.items[0].body]

    threads = [threading.Thread(target=build, args=(n,)) for n in ("a", "b")]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert len(results["a"]) == len(results["b"]) == 100
