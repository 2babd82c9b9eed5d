"""A quoted ``#include "x.h"`` is found as dtrace -C finds it on every path, not only in ``check
-C`` (session 10, part 1c; review 9, item 10): dtrace -C gives cpp the script through /dev/stdin,
so a header beside the script (or the tracer) is not found, only one in the ``-I`` directories.
``compile --check``, ``run`` of a tracer and the destructive check's expansion of a ``#define``
read headers beside the tracer or script, and passed what dtrace refuses.
"""

from __future__ import annotations

import pytest

from dtracepy.cli import main
from real_dtrace import judge_scripts

TRACER = """from dtracepy import Tracer, trace, exit

t = Tracer(includes=['"x.h"']%s)

@t.probe("BEGIN")
def begin():
    trace(1)
    exit(0)
"""
BESIDE = "x.h: dtrace -C will not find it beside the script: it gives cpp the script through /dev/stdin"


@pytest.fixture
def beside(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "x.h").write_text("#define VAL 1\n")
    return tmp_path


@pytest.mark.parametrize("output", ["sub/t.d", None])
def test_compile_check_does_not_read_a_header_beside_the_tracer(beside, capsys, output):
    (beside / "sub" / "t.py").write_text(TRACER % "")
    assert main(["compile", "--check", "sub/t.py", *(["-o", output] if output else [])]) == 1
    err = capsys.readouterr().err
    # at the tracer's line that wrote the #include (was <compiled>:9:10, or the -o file's, unwritten)
    assert err.startswith(f"sub/t.py:3: error: {BESIDE}") and "(add -I sub)" in err, err
    assert "(the emitted D's line '#include \"x.h\"')" in err, err
    assert not (beside / "sub" / "t.d").exists()


def test_the_destructive_expansion_does_not_read_a_header_beside_the_tracer(beside, capsys):
    """A tracer with a #define is expanded to find destructive actions: its quoted header is looked
    for as dtrace -C looks, so the expansion fails, at the tracer's line (not a pass)."""
    (beside / "sub" / "d.py").write_text(TRACER % ', defines={"N": "4"}')
    assert main(["compile", "sub/d.py"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("sub/d.py:3: error: the C preprocessor (as dtrace -C runs it) fails here: " + BESIDE), err
    assert "(add -I sub)" in err and "[destructive]" in err


def test_the_destructive_expansion_of_a_d_file_reads_the_i_directories(beside, capsys):
    (beside / "sub" / "x.h").write_text("#define VAL 1\n")
    (beside / "sub" / "e.d").write_text('#define S system\n#include "x.h"\nBEGIN { S("id"); }\n')
    assert main(["check", "sub/e.d"]) == 1
    err = capsys.readouterr().err
    assert f"sub/e.d:2:1: error: the C preprocessor (as dtrace -C runs it) fails here: {BESIDE}" in err, err
    assert "system()" not in err
    assert main(["check", "-I", "sub", "sub/e.d"]) == 1  # read through -I: the hidden system() is found
    err = capsys.readouterr().err
    assert "sub/e.d:1:1: error: after C preprocessing the program calls system()" in err, err
    assert "will not find it" not in err


def test_the_real_dtrace_does_not_find_the_header_beside_the_compiled_tracer(beside, capsys):
    (beside / "sub" / "t.py").write_text(TRACER % "")
    assert main(["compile", "sub/t.py", "-o", "sub/t.d"]) == 0  # (a plain compile reads no header)
    capsys.readouterr()
    verdicts = judge_scripts({"beside": {"path": str(beside / "sub" / "t.d"), "flags": "C"}})
    assert verdicts["beside"] and "Preprocessor failed" in verdicts["beside"], verdicts


def test_run_of_a_tracer_refuses_before_dtrace_starts(beside, capsys, monkeypatch):
    import os

    (beside / "sub" / "d.py").write_text(TRACER % ', defines={"N": "4"}')
    started = beside / "started"
    fake = beside / "dtrace"
    fake.write_text(f'#!/bin/sh\ncase "$*" in *-V*) echo "dtrace: Sun D 2.0";; *) touch {started};; esac\n')
    fake.chmod(0o755)
    monkeypatch.setattr(os, "geteuid", lambda: 0)
    assert main(["run", "sub/d.py", "--dtrace", str(fake)]) == 1
    err = capsys.readouterr().err
    assert "sub/d.py:3: error: the C preprocessor (as dtrace -C runs it) fails here: " + BESIDE in err, err
    assert not started.exists()
