"""A new user's walk through the README (session 10, /work/review10.md): the small mistakes a
first session makes, and what dtracepy says to them."""

from __future__ import annotations

import pytest

from dtracepy.cli import main

HELLO = '''# hello.py
"""Who opens which files."""
from dtracepy import Tracer, arg1, copyinstr, execname, printf

t = Tracer(options={"quiet": True})

@t.probe("syscall::openat:entry")
def opens():
    %s
'''


def test_run_alone_asks_for_the_script_only(capsys):
    """`dtracepy run` said "the following arguments are required: TRACER.py|SCRIPT.d, ARG",
    though macro arguments are optional."""
    with pytest.raises(SystemExit) as exit_:
        main(["run"])
    assert exit_.value.code == 2
    err = capsys.readouterr().err
    assert err.rstrip().endswith("dtracepy run: error: the following arguments are required: TRACER.py|SCRIPT.d")


@pytest.mark.parametrize("command, hint", [
    (["check"], "(hello.py is read as D: a tracer module is checked with `dtracepy compile --check hello.py`)"),
    (["import"], "(hello.py is read as D: a tracer module is Python already; `dtracepy compile hello.py` prints "
                 "its D)"),
])
def test_a_tracer_given_where_d_goes_says_so(tmp_path, capsys, monkeypatch, command, hint):
    """`check hello.py` said only "#hello is not a preprocessor directive" (its first comment)."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "hello.py").write_text(HELLO % 'printf("%s %s\\n", execname, copyinstr(arg1))')
    assert main([*command, "hello.py"]) == 1
    assert capsys.readouterr().err == f"hello.py:1:1: error: #hello is not a preprocessor directive {hint}\n"


def test_a_d_file_named_py_that_parses_is_checked_without_a_word(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "d.py").write_text("BEGIN { trace(1); }\n")
    assert main(["check", "d.py"]) == 0
    assert capsys.readouterr().err == ""


@pytest.mark.parametrize("body, line, said", [
    # a misspelt name of the module's own (what it imported from dtracepy) before a builtin's
    ('prinft("%s\\n", execname)', 9, "NameError: name 'prinft' is not defined; did you mean 'printf'?"),
    ("printf(lne([]))", 9, "NameError: name 'lne' is not defined; did you mean 'len'?"),
    ("printf(zzqqxxyy)", 9, "NameError: name 'zzqqxxyy' is not defined\n"),
    # a name of dtracepy's not imported: said so (not "did you mean 'Tracer'?")
    ("trace(1)", 9, "NameError: name 'trace' is not defined; it is dtracepy's: from dtracepy import trace\n"),
])
def test_a_misspelt_name_gets_a_did_you_mean(tmp_path, capsys, monkeypatch, body, line, said):
    """Python 3.11 says "Did you mean" only in its own traceback, which dtracepy does not print."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / f"nu{line}{len(body)}.py").write_text(HELLO % body)
    assert main(["compile", f"nu{line}{len(body)}.py"]) == 1
    err = capsys.readouterr().err
    assert err.startswith(f"nu{line}{len(body)}.py:{line}: error: {said}"), err


def test_a_misspelt_name_after_a_star_import_gets_the_swapped_letters_name(tmp_path, capsys, monkeypatch):
    """Review 11, finding 13: after ``from dtracepy import *``, difflib's ranking alone offered
    ``printm`` for ``prinft``; a name two swapped letters away comes first."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "star.py").write_text("from dtracepy import *\nt = Tracer()\n\n\n@t.probe('BEGIN')\n"
                                      "def b():\n    prinft('%s\\n', execname)\n")
    assert main(["compile", "star.py"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("star.py:7: error: NameError: name 'prinft' is not defined; did you mean 'printf'?"), err


@pytest.mark.parametrize("word, known, meant", [
    ("prinft", ["print", "printm", "printf", "printa"], ["printf"]),   # swapped before dropped
    ("execnam", ["execname", "exec", "exit"], ["execname"]),
    ("quite", ["quiet", "quit"], ["quiet"]),                           # swapped before changed
    ("bufsiz", ["bufsize", "aggsize"], ["bufsize"]),
    ("a", ["b", "ab"], ["ab"]),                                       # short: difflib's only
    ("xyzzy", ["printf"], []),
])
def test_close_matches_put_one_edit_first(word, known, meant):
    from dtracepy.errors import close_matches

    assert close_matches(word, known) == meant


def test_a_misspelt_import_from_dtracepy_gets_a_did_you_mean(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "nuimp.py").write_text((HELLO % "trace(1)").replace("execname,", "execnam,"))
    assert main(["compile", "nuimp.py"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("nuimp.py:3: error: ImportError: cannot import name 'execnam' from 'dtracepy' ("), err
    assert "); did you mean 'execname'?\n" in err


def test_run_without_root_says_how_sudo_finds_dtracepy(tmp_path, capsys, monkeypatch):
    """"run dtracepy with sudo" led a new user in a virtual environment to `sudo dtracepy`, which
    sudo's own PATH does not find (README, section 8)."""
    import os

    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(os, "geteuid", lambda: 1000)
    (tmp_path / "nuroot.py").write_text(HELLO % 'printf("%s %s\\n", execname, copyinstr(arg1))')
    assert main(["run", "nuroot.py"]) == 1
    err = capsys.readouterr().err
    assert err.startswith('dtracepy: error: running DTrace needs root here: run as root, e.g. sudo '
                          '"$(command -v dtracepy)" run ...'), err


@pytest.mark.parametrize("body", ['printf("%d\\n", printf("a"))', 'printf("%s\\n", copyinstr(printf("b")))'])
def test_an_action_used_as_a_value_says_it_returns_nothing(tmp_path, capsys, monkeypatch, body):
    """Review 10, finding 8: "cannot use a Python NoneType as a D value" did not say why a value was
    None (printf() returns nothing; ``check`` says the same of D: ``void-value``)."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "nu.py").write_text(HELLO % body)
    assert main(["compile", "nu.py"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("nu.py:9: error: TypeError: cannot use None as a D value: an action (printf(), "
                          "trace(), exit() ...) returns nothing, so it is a statement of its own"), err
