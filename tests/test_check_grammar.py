"""Messages that count say their noun in agreement (review 7, item 16): ``max() takes 1 argument``
(it said "1 arguments"), ``only oracle D has it`` (it said "have").  One place says an arity
(``facts.functions.arity_text``), for the DSL and ``check`` alike."""

from __future__ import annotations

import pytest

from dtracepy import DSLError, Tracer, max as max_
from dtracepy.checks import CheckOptions, check_program
from dtracepy.facts.functions import arity_text
from dtracepy.parser import parse


def messages(text: str, check: str, **options) -> list[str]:
    return [f.message for f in check_program(parse(text, "x.d"), CheckOptions(**options)) if f.check == check]


def test_arity_text_agrees_with_its_number():
    assert [arity_text(1, 1), arity_text(0, 0), arity_text(2, 2), arity_text(3, 4),
            arity_text(1, None), arity_text(2, None)] == [
        "1 argument", "0 arguments", "2 arguments", "3 to 4 arguments",
        "at least 1 argument", "at least 2 arguments"]


def test_the_dsl_says_one_argument():
    t = Tracer()
    with pytest.raises(DSLError, match=r"max\(\) takes 1 argument, not 0$"):
        @t.probe("BEGIN")
        def _():
            max_()


def test_check_says_one_argument():
    assert messages("BEGIN { @ = max(); }", "call-arity") == ["max() takes 1 argument, 0 given"]
    assert messages("BEGIN { printf(); }", "call-arity") == ["printf() takes at least 1 argument, 0 given"]


def test_one_dialect_has_it():
    text = "BEGIN { trace(d_path(0)); }"
    assert messages(text, "dialect-function", dialect="macos", dialect_given=True) == [
        "d_path() is not a function of macOS DTrace: only oracle D has it (--dialect)"]
    text = 'BEGIN { trace(strtoll("1")); }'
    [message] = messages(text, "dialect-function", dialect="oracle", dialect_given=True)
    assert message.endswith(" D have it (--dialect)") and " and " in message, message
