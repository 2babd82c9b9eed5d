"""A keyword where D takes it as a name (review 7, item 8).

Oracle's lexer reads any identifier after ``->`` or ``.`` as a name (its identifier-only state,
SIDENT, dt_lex.l), so ``this->self``, ``self->this``, ``self->string`` and ``this->int`` are
valid Oracle D; illumos', FreeBSD's and Apple's lexers return the keyword's token there, a syntax
error (facts/keywords.py, ``KEYWORDS_AFTER_ARROW``); a member's name (``curthread->int``,
``s.string``) likewise.  Every lexer reads ``@int`` whole as an
aggregation's name.  ``check``, the DSL and the importer follow the same fact; the real dtrace
(Oracle's) judges the D.
"""

from __future__ import annotations

import pytest

from dtracepy import Tracer, this, trace
from dtracepy import self as self_
from dtracepy.checks import CheckOptions, check_program
from dtracepy.errors import CompileError
from dtracepy.importer import import_d
from dtracepy.parser import parse
from real_dtrace import job_for_d, judge_scripts

AFTER_ARROW = (
    "BEGIN\n{\n\tthis->self = 1;\n\tself->this = 2;\n\tself->string = 3;\n\tthis->int = 4;\n"
    "\ttrace(this->self + self->this + self->string + this->int);\n"
    "\tself->this = 0;\n\tself->string = 0;\n}\n"
)
AGGREGATION = "BEGIN { @int = count(); @self[1] = sum(1); printa(@int); }\n"
# a member named by a keyword, after -> and after . (gaps item 4)
MEMBERS = "BEGIN\n{\n\ttrace(curthread->int);\n\ttrace(curpsinfo->string);\n\ttrace((*curthread).self);\n}\n"


def keyword_findings(text: str, dialect: str, given: bool = False) -> list:
    found = check_program(parse(text, "x.d"), CheckOptions(dialect=dialect, dialect_given=given), source=text)
    return [(f.check, f.pos.line, f.pos.col) for f in found if f.check == "keyword-name"]


def test_oracle_reads_a_keyword_after_the_arrow_as_a_name():
    assert keyword_findings(AFTER_ARROW, "oracle") == []
    # illumos' lexer does not: each one is refused there, where it stands
    assert keyword_findings(AFTER_ARROW, "illumos") == [
        ("keyword-name", 3, 2), ("keyword-name", 4, 2), ("keyword-name", 5, 2), ("keyword-name", 6, 2),
        ("keyword-name", 7, 8), ("keyword-name", 7, 21), ("keyword-name", 7, 34), ("keyword-name", 7, 49),
        ("keyword-name", 8, 2), ("keyword-name", 9, 2)]


def test_a_member_named_by_a_keyword_is_refused_where_the_arrow_does_not_make_it_a_name():
    """illumos' grammar takes only an identifier or a type name after ``->`` and ``.``
    (dt_grammar.y: ``postfix_expression DT_TOK_PTR DT_TOK_IDENT`` / ``DT_TOK_TNAME``; its lexer
    returns a keyword's token there), so ``curthread->int`` is a syntax error there; check passed
    it.  Oracle's lexer reads the word as a name, and its dtrace judges the member, not the syntax.
    Only a named dialect is held to it: Linux's kernel types have members named ``self`` and
    ``counter`` (the corpus's tst.keyword-member.d, Oracle's io.d), which an unnamed one may mean."""
    assert keyword_findings(MEMBERS, "oracle", given=True) == []
    for dialect in ("illumos", "freebsd", "macos"):
        assert keyword_findings(MEMBERS, dialect, given=True) == [
            ("keyword-name", 3, 8), ("keyword-name", 4, 8), ("keyword-name", 5, 9)], dialect
        assert keyword_findings(MEMBERS, dialect) == [], dialect
    found = check_program(parse(MEMBERS, "x.d"), CheckOptions(dialect="illumos", dialect_given=True),
                          source=MEMBERS)
    assert [f.message for f in found if f.check == "keyword-name"][1:] == [
        "->string: 'string' is a D keyword, not a name (Oracle's D reads one after -> as a name)",
        ".self: 'self' is a D keyword, not a name (Oracle's D reads one after . as a name)"]
    verdicts = judge_scripts({"members": job_for_d(MEMBERS)})
    assert "syntax error" not in verdicts["members"] and "int is not a member" in verdicts["members"]


def test_an_aggregation_may_be_named_by_a_keyword_in_every_dialect():
    for dialect in ("illumos", "freebsd", "macos", "oracle"):
        assert keyword_findings(AGGREGATION, dialect) == [], dialect


def _oracle_tracer():
    t = Tracer(dialect="oracle")

    @t.probe("BEGIN")
    def _():
        this.self = 1
        self_.string = 2
        trace(this.self + self_.string)
        self_.string = 0

    return t


def test_the_dsl_takes_a_keyword_member_in_an_oracle_tracer_only():
    assert "this->self = 1;" in _oracle_tracer().compile().text
    t = Tracer()

    @t.probe("BEGIN")
    def _():
        this.self = 1
        trace(this.self)

    with pytest.raises(CompileError, match=r"this->self: 'self' is a D keyword.*Oracle's D reads one after ->"):
        t.compile()


@pytest.mark.parametrize("exact", [False, True])
def test_import_of_a_keyword_member_writes_an_oracle_tracer(exact):
    module = import_d(AFTER_ARROW, "kw.d", exact=exact)
    assert 'dialect="oracle"' in module
    namespace: dict = {}
    exec(compile(module, "kw.py", "exec"), namespace)
    d = namespace["t"].compile().text
    assert "this->self = 1;" in d and "self->string = 3;" in d


def test_the_real_dtrace_accepts_the_keyword_names_and_their_round_trips():
    namespace: dict = {}
    exec(compile(import_d(AFTER_ARROW, "kw.d", exact=True), "kw.py", "exec"), namespace)
    scripts = {
        "after the arrow": AFTER_ARROW,
        "aggregations": AGGREGATION,
        "the dsl's": _oracle_tracer().compile().text,
        "imported": namespace["t"].compile().text,
    }
    verdicts = judge_scripts({name: job_for_d(text) for name, text in scripts.items()})
    assert verdicts == {name: None for name in scripts}
