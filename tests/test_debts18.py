"""Session 18, debts: the architecture's two declared debts paid (the escape decoder in
facts/escapes.py; the destructive check handed the #define expansion, CheckOptions.expand), and
Oracle's dtrace crashing on a provider definition outside ``dtrace -h`` (``dialect-provider``)."""

from __future__ import annotations

import pathlib
import subprocess
import sys

from dtracepy.checks import CheckOptions, check_program
from dtracepy.parser import expanded, parse
from tests.pythonpath import env_with

ROOT = pathlib.Path(__file__).resolve().parent.parent

HIDDEN = '#define go system\nBEGIN\n{\n\tgo("id");\n}\n'


def _python(code: str) -> str:
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                          env=env_with(ROOT)).stdout


def test_a_character_constant_is_measured_without_the_lexer():
    """CharLit's invariant read the lexer's decoder (tree imported the text layer)."""
    out = _python("import sys\nfrom dtracepy import tree\n"
                  "try:\n    tree.CharLit(\"\\\\'\" * 5)\nexcept Exception as err:\n    print(err)\n"
                  "tree.CharLit(\"\\\\047\" * 8)\nprint('dtracepy.lexer' in sys.modules)")
    assert "holds at most 8 bytes" in out and out.endswith("False\n"), out


def test_the_destructive_check_looks_past_macros_only_through_what_it_is_handed():
    program = parse(HIDDEN, "x.d")
    assert not [f for f in check_program(program, source=HIDDEN) if f.check == "destructive"]
    found = [(f.pos.line, f.message) for f in check_program(program, CheckOptions(expand=expanded), source=HIDDEN)
             if f.check == "destructive"]
    assert found == [(1, "after C preprocessing the program calls system(), a destructive action spelled through "
                         "#define: add #pragma D option destructive (or run dtrace -w)")]


def test_the_commands_hand_the_expansion(tmp_path):
    script = tmp_path / "x.d"
    script.write_text(HIDDEN)
    run = subprocess.run([sys.executable, "-m", "dtracepy", "check", str(script)], capture_output=True,
                         text=True, env=env_with(ROOT))
    assert run.returncode == 1 and f"{script}:1:1: error: after C preprocessing the program calls system()" in run.stderr


# --- Oracle's dtrace crashes on a provider definition outside dtrace -h ---------------------------

PROVIDERS = {
    "alone": "provider foo { probe bar(); };\n",
    "with a clause": "BEGIN { exit(0); }\n\n  provider foo { probe bar(int, char *); };\n",
    "empty": "/* usdt */ provider foo { };\n",
}
CLEAN = "BEGIN { exit(0); }\n"


def _check(tmp_path, text, *flags):
    script = tmp_path / "p.d"
    script.write_text(text)
    run = subprocess.run([sys.executable, "-m", "dtracepy", "check", *flags, str(script)], capture_output=True,
                         text=True, env=env_with(ROOT))
    return run.returncode, [line.replace(f"{script}:", "") for line in run.stderr.splitlines()]


def test_check_for_oracle_refuses_a_provider_definition_at_its_keyword(tmp_path):
    where = {"alone": "1:1", "with a clause": "3:3", "empty": "1:12"}
    for name, text in PROVIDERS.items():
        status, lines = _check(tmp_path, text, "--dialect", "oracle")
        assert status == 1 and lines == [
            f"{where[name]}: error: Oracle DTrace for Linux (D 2.0): dtrace crashes (a segmentation fault, "
            "exit 139) compiling a provider definition with -s or -e: only dtrace -h (or -G) reads one, from a "
            "file of provider definitions alone; keep provider foo in a file of its own, for dtrace -h "
            "[dialect-provider]"], (name, lines)
        assert _check(tmp_path, text) == (0, [])  # (illumos' dtrace -h and -G read them; the dialect says)


def test_an_oracle_tracer_with_a_provider_is_refused_before_dtrace_runs():
    """`run` compiles a tracer for the dtrace it runs (its dialect, detected): the refusal comes
    before dtrace starts, at the tracer's provider() line."""
    from dtracepy import Tracer, exit_
    from dtracepy.errors import CompileError
    from dtracepy.run.script import prepare

    t = Tracer()
    t.provider("foo", "bar()")
    line = sys._getframe().f_lineno - 1

    @t.probe("BEGIN")
    def b():
        exit_(0)

    prepare(t, detected="illumos")
    try:
        prepare(t, detected="oracle")
    except CompileError as err:
        found = [(f.check, f.pos.line) for f in err.findings]
    else:
        found = None
    assert found == [("dialect-provider", line)], found


def test_the_real_dtrace_crashes_on_a_provider_definition_but_with_h(tmp_path):
    """What the rule says, asked of the dtrace here when it is Oracle's: ``dtrace -e -s`` dies of
    SIGSEGV on each provider definition (and compiles the clean script); ``dtrace -h -s`` writes
    the header of a file of provider definitions alone, and dies too of one with a clause (hence
    "a file of its own")."""
    import pytest

    from tests.real_dtrace import need_dtrace, need_root

    dtrace = need_dtrace()
    need_root()
    from dtracepy.run.dtrace_binary import detect_dialect

    if detect_dialect(dtrace) != "oracle":
        pytest.skip(f"{dtrace} is not Oracle's dtrace (dtrace -V), whose crash this judges")

    def dtrace_run(*argv):  # bounded: a dtrace that hangs is killed
        return subprocess.run(["timeout", "-s", "KILL", "20", dtrace, *argv], capture_output=True,
                              text=True, stdin=subprocess.DEVNULL).returncode

    for name, text in {**PROVIDERS, "clean": CLEAN}.items():
        script = tmp_path / "p.d"
        script.write_text(text)
        crashed = dtrace_run("-e", "-s", str(script)) in (139, -11)  # SIGSEGV (timeout dies of it too)
        said = _check(tmp_path, text, "--dialect", "oracle")[0] == 1
        assert crashed == said == (name != "clean"), (name, crashed, said)
        if name != "clean":
            header = dtrace_run("-h", "-s", str(script), "-o", str(tmp_path / "p.h"))
            assert header == 0 if "BEGIN" not in text else header in (139, -11), (name, header)
