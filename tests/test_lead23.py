"""The lead's fixes of session 23 (each test fails on the code before it)."""

from __future__ import annotations

import pytest

from dtracepy import Tracer
from dtracepy.cli import main
from dtracepy.errors import DSLError

EXAMPLE = "examples/tcpq.py"


@pytest.mark.parametrize("command", [["compile", EXAMPLE], ["check", "examples/tcpq.d"],
                                     ["run", EXAMPLE]])
@pytest.mark.parametrize(("given", "meant"), [("solaris", "illumos"), ("Darwin", "macos"),
                                              ("linux", "oracle"), ("ilumos", "illumos")])
def test_a_dialect_named_by_its_system_is_answered_with_the_dialect(command, given, meant, capsys):
    # newuser23 (item 11): the README speaks of "illumos (and Solaris)", and --dialect solaris
    # listed the choices without saying which one a Solaris user means
    with pytest.raises(SystemExit) as exit_:
        main([command[0], "--dialect", given, *command[1:]])
    assert exit_.value.code == 2
    err = capsys.readouterr().err
    assert f"invalid choice: '{given}' (did you mean '{meant}'?" in err, err
    assert "Traceback" not in err


def test_a_tracer_for_a_system_s_name_says_which_dialect_it_means():
    with pytest.raises(DSLError, match=r"unknown D dialect 'solaris' \(did you mean 'illumos'\?\)"):
        Tracer(dialect="solaris")


def test_an_unknown_dialect_that_is_no_system_gets_no_guess():
    with pytest.raises(DSLError) as err:
        Tracer(dialect="plan9")
    assert "did you mean" not in str(err.value)
    assert "illumos, freebsd, macos, oracle" in str(err.value)
