"""Review 26's L4 (helper cpp27): a ``#line`` (a line marker, ``#ident``, the null directive) at a
line's start within a clause, a predicate or a list of probes is read by dtrace, which names the
lines after it so; check refused it ("preprocessor directive inside a clause").  ``#line 5"x"``
(no blank before the name) dtrace and cpp read as line 5 of ``x``; check ignored the mark, and
under -C refused the line.  Each expected place is the real dtrace's (``dtrace -e -s``, and
``-C``, 2026-12-04); each test fails on the code before it (09cf76d) but the controls."""

from __future__ import annotations

import pytest

from dtracepy.cli import main

_SAID = [
    # (script, -C, where dtrace says its error; None: it takes the script)
    ("BEGIN\n{\n#line 50\n\tx = 1;\n\ty = ;\n}\n", False, "c.d:52:"),
    ("BEGIN\n{\n  #line 50\n\ty = ;\n}\n", False, "c.d:51:"),
    ('BEGIN\n{\n#line 50 "g.d"\n\ty = ;\n}\n', False, "g.d:51:"),
    ("BEGIN\n/ 1\n#line 30\n/\n{\n\tx = ;\n}\n", False, "c.d:33:"),
    ("BEGIN,\n#line 50\nEND\n{\n\tx = ;\n}\n", False, "c.d:53:"),
    ("BEGIN\n{\n\tx = 1 +\n#line 50\n\t;\n}\n", False, "c.d:51:"),
    ("BEGIN\n{\n#line 50\n\tx = 1;\n}\nBEGIN\n{\n\tz = ;\n}\n", False, "c.d:55:"),
    ('BEGIN\n{\n# 40 "f.d"\n\tx = ;\n}\n', False, "f.d:40:"),
    ("BEGIN\n{\n#\n\ty = ;\n}\n", False, "c.d:4:"),
    ("BEGIN\n{\n#line 50\n\tx = 1;\n}\n", False, None),
    ('BEGIN\n{\n#ident "x"\n\tx = 1;\n}\n', False, None),
    ("BEGIN\n{\n#line 5x\n\tx = 1;\n}\n", False, "c.d:3:1: error: #line is malformed"),
    ("BEGIN\n{\n#line\n\tx = 1;\n}\n", False, "c.d:3:1: error: #line is malformed"),
    ('BEGIN\n{\n#line 5"x" junk\n\texit(0);\n}\n', False, "c.d:3:1: error: #line is malformed"),
    # a name right after the number
    ('#line 5"x"\nBEGIN\n{\n\tx = ;\n}\n', False, "x:8:"),
    ('BEGIN\n{\n#line 5"x"\n\tx = ;\n}\n', False, "x:6:"),
    ('#line 5"x"3\nBEGIN\n{\n\ty = ;\n}\n', False, "x:8:"),
    ('# 5"x"\nBEGIN\n{\n\ty = ;\n}\n', False, "x:7:"),
    ('#line 5"x"\n#line 9\nBEGIN\n{\n\ty = ;\n}\n', False, "x:12:"),
    ('#line 5"x"junk\nBEGIN\n{\n\texit(0);\n}\n', False, "c.d:1:1: error: #line is malformed"),
    ('#line 5"x"\nBEGIN\n{\n\tx = ;\n}\n', True, "x:7:"),
    ('BEGIN\n{\n#line 5"x"\n\tx = ;\n}\n', True, "x:5:"),
    ('#line 5"x"junk\nBEGIN\n{\n\ty = ;\n}\n', True, "x:7:"),  # (cpp warns of the extra tokens)
    # a line marker read before (the lexer's fast path kept its fields, and named no line by it)
    ("BEGIN { x = 1; }\n# 5\nBEGIN { x = 1; }\n# 5\nBEGIN\n{\n\ty = ;\n}\n", False, "c.d:7:"),
    # controls: what both refuse
    ("BEGIN\n{\n#define X 1\n\tx = 1;\n}\n", False, "c.d:3:1: error: preprocessor directive inside a clause"),
    ("BEGIN\n{\n\tx = 1; #line 50\n\ty = ;\n}\n", False, "c.d:3:9: error: invalid character '#'"),
]


@pytest.mark.parametrize("text, cpp, said", _SAID)
def test_a_line_directive_names_the_lines_after_it_as_dtrace_does(tmp_path, monkeypatch, capsys, text, cpp, said):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "c.d").write_text(text)
    status = main(["check", *(["-C"] if cpp else []), "c.d"])
    err = capsys.readouterr().err
    if said is None:
        assert status == 0 and "error" not in err, err
    else:
        assert status == 1 and err.startswith(said), err
