"""What ``check`` finds in a D text, for the tests that judge rules against the real dtrace."""

from __future__ import annotations


def findings(text, dialect=None, name="a.d"):
    """Every finding of ``check`` on ``text`` (read as the file ``name``), for ``dialect`` given
    as by ``--dialect`` (else none)."""
    from dtracepy.checks import CheckOptions, check_program
    from dtracepy.parser import parse

    options = CheckOptions(dialect=dialect, dialect_given=True) if dialect else CheckOptions()
    return list(check_program(parse(text, name), options, source=text))


def errors(text, dialect="oracle", name="a.d"):
    """The errors among them (Oracle's dialect unless told)."""
    return [f for f in findings(text, dialect, name) if f.severity == "error"]
