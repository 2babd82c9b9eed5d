"""The outputs the README shows are what the commands print today (they drifted once)."""

from __future__ import annotations

import re
import subprocess
import sys

from conftest import REPO
from test_real_emitted import readme_blocks

BAD_PY = '''from dtracepy import Tracer, self, timestamp
t = Tracer()

@t.probe("BEGIN")
def begin():
    self.start = timestamp
'''


def _shown(first_words: str) -> str:
    blocks = [text for _, lang, text in readme_blocks() if lang == "" and text.startswith(first_words)]
    assert len(blocks) == 1, f"the README's block that starts with {first_words!r} is gone"
    return blocks[0]


def _dtracepy(*argv: str, cwd) -> str:
    proc = subprocess.run([sys.executable, "-m", "dtracepy", *argv], cwd=cwd, capture_output=True,
                          text=True, env={"PYTHONPATH": str(REPO), "PATH": "/usr/bin:/bin"})
    assert proc.returncode == 1, proc.stderr
    return proc.stdout + proc.stderr


def test_the_check_of_the_seeds_final_script_is_as_shown():
    out = _dtracepy("check", "tcpq_ex11.d", cwd=REPO / "examples" / "imported")
    assert out == _shown("tcpq_ex11.d:")


def test_the_thread_local_without_a_return_probe_error_is_as_shown(tmp_path):
    (tmp_path / "bad.py").write_text(BAD_PY)
    out = _dtracepy("compile", "bad.py", cwd=tmp_path)
    assert out == _shown("bad.py:6:")


def test_the_lowered_if_else_is_as_shown(tmp_path):
    source = [text for _, lang, text in readme_blocks() if lang == "python" and 'dialect="oracle"' in text
              and "else_" in text]
    assert len(source) == 1, "the README's if/else lowering example is gone"
    (tmp_path / "t.py").write_text(source[0])
    proc = subprocess.run([sys.executable, "-m", "dtracepy", "compile", "t.py"], cwd=tmp_path,
                          capture_output=True, text=True, env={"PYTHONPATH": str(REPO)})
    assert proc.returncode == 0, proc.stderr
    assert _shown("/*\n * dtracepy: Oracle D has no if/else") in proc.stdout


def _block(first_line: str) -> str:
    blocks = [text for _, lang, text in readme_blocks() if lang == "python" and text.startswith(first_line)]
    assert len(blocks) == 1, f"the README's block that starts with {first_line!r} is gone"
    return blocks[0]


def test_the_layout_snippet_shows_what_it_returns(tmp_path, monkeypatch):
    # it showed D text beside read_expr(...), which returns a tree (its repr is no D)
    import ast

    text = _block("from dtracepy.layout import parse_layouts")
    monkeypatch.chdir(tmp_path)
    (tmp_path / "inc").mkdir()
    (tmp_path / "my.h").write_text("struct s { int a[N]; };\n")
    namespace: dict = {}
    lines = text.splitlines()
    shown = 0
    for i, line in enumerate(lines):
        code, _, comment = line.partition("  # ")
        if line.startswith("#"):
            continue
        exec(code, namespace)  # noqa: S102 - the README's own snippet
        if code.startswith(("read_expr(", "to_d(")):
            assert code.startswith("to_d("), f"README: {line!r} shows no D: read_expr returns a tree"
            if not comment.strip().startswith("'") and i + 1 < len(lines) and lines[i + 1].startswith("# '"):
                comment = lines[i + 1][2:]
            assert eval(code, namespace) == ast.literal_eval(comment.strip()), line  # noqa: S307
            shown += 1
    assert shown == 3


def test_to_d_is_the_clis_text_as_the_readme_says(tmp_path):
    from dtracepy.commands.compile_cmd import compile_path, load_module

    readme = (REPO / "README.md").read_text()
    assert 'Tracer(name="t", description=__doc__, ...)' in readme
    text = _block('# hello.py\n"""Who opens which files."""')
    (tmp_path / "hello.py").write_text(text)
    cli = compile_path(str(tmp_path / "hello.py")).text
    assert "Tracer(options=" in text
    (tmp_path / "hello_api.py").write_text(text.replace("Tracer(options=", 'Tracer(name="t", description=__doc__, options='))
    api = load_module(str(tmp_path / "hello_api.py")).t.to_d()
    assert api == cli.replace("from hello.py", "from hello_api.py")


def test_the_lab_plot_says_which_extra_it_needs():
    import re

    readme = (REPO / "README.md").read_text()
    pyproject = (REPO / "pyproject.toml").read_text()
    extra = re.search(r"^(\w+) = \[\"matplotlib", pyproject, re.M)
    assert extra, "pyproject.toml defines no extra with matplotlib"
    plot = readme.index("listen_queue_lab.py --plot")
    assert f"pip install '.[{extra[1]}]'" in readme[plot - 600:plot]


def test_the_tour_never_writes_over_a_file_it_started_from():
    # `dtracepy compile tcpq_ex11.py -o tcpq_ex11.d` replaced the imported original
    import re

    readme = (REPO / "README.md").read_text()
    inputs = set(re.findall(r"dtracepy (?:import|check|run)(?: --\w+)* (\S+\.d)\b", readme))
    assert "tcpq_ex11.d" in inputs
    outputs = re.findall(r"dtracepy compile \S+ -o (\S+\.d)\b", readme)
    assert outputs and not set(outputs) & inputs, set(outputs) & inputs


def _assign_expr_snippets() -> list:
    """The README's ``assign_expr`` snippets (the paragraph on variables): (Python, the D it is
    said to be, or None)."""
    readme = (REPO / "README.md").read_text()
    start = readme.index("`assign_expr(target,")
    paragraph = readme[start:readme.index("\n\n", start)]
    said = re.findall(r"`([^`]*assign_expr\([^`]*)`(?: is `([^`]*)`)?", paragraph)
    return [(python, d or None) for python, d in said if not python.startswith("assign_expr(target")]


def test_the_readmes_assign_expr_snippets_compile_to_what_it_says_without_a_warning(tmp_path):
    """Each snippet of the paragraph, in a tracer that gives its variables values to begin with,
    compiles to the D the README says it is, with no warning (session 23's newuser found the
    chained example warned that self->a and self->b are zeroed but never assigned)."""
    snippets = _assign_expr_snippets()
    assert len(snippets) == 3, snippets
    for number, (python, d) in enumerate(snippets):
        when, body = (python.removeprefix("when="), "trace(this.start)") if python.startswith("when=") else ("None", python)
        (tmp_path / f"s{number}.py").write_text(
            "from dtracepy import *\nt = Tracer()\n\n"
            "@t.probe('syscall::read:entry')\ndef start():\n    glob.start_time[arg0] = timestamp\n    this.n = 0\n\n"
            f"@t.probe('syscall::read:return', when={when})\ndef snippet():\n    {body}\n")
        proc = subprocess.run([sys.executable, "-m", "dtracepy", "compile", f"s{number}.py"], cwd=tmp_path,
                              capture_output=True, text=True, env={"PYTHONPATH": str(REPO), "PATH": "/usr/bin:/bin"})
        assert proc.returncode == 0 and proc.stderr == "", (python, proc.stderr)
        if d is not None:
            assert d in proc.stdout, (python, d, proc.stdout)


def test_the_first_tracers_warning_names_the_line_of_its_probe():
    # dtrace counts a faulting firing at its clause, which `run` names by the `@t.probe` line of
    # the module as the README writes it (its `# hello.py` line included): the README said
    # `hello.py:6`, the line of that decorator in a file without the comment (session 25's
    # newuser: the block saved as written gave `hello.py:7`).
    text = _block('# hello.py\n"""Who opens which files."""')
    line = text.splitlines().index('@t.probe("syscall::openat:entry")') + 1
    readme = (REPO / "README.md").read_text()
    said = re.findall(r"a warning like `hello\.py:(\d+): warning: \d+ error\(s\)", readme)
    assert said == [str(line)], (said, line)


def test_the_first_tracer_runs_as_a_program_with_the_wrappers_shebang(tmp_path):
    # README, section 1: where dtrace is the wrapper install.sh writes, `./hello.d` is made to run
    # with `Tracer(shebang="/usr/local/bin/dtrace -qs")`.
    from dtracepy.commands.compile_cmd import compile_path

    readme = (REPO / "README.md").read_text()
    shebang = re.search(r'`Tracer\(shebang="([^"]+)"\)`\), or `dtracepy run hello\.py', readme)
    assert shebang, "section 1 no longer says how ./hello.d runs through install.sh's wrapper"
    text = _block('# hello.py\n"""Who opens which files."""')
    (tmp_path / "hello.py").write_text(text.replace(
        "Tracer(options=", f"Tracer(shebang={shebang[1]!r}, options="))
    assert compile_path(str(tmp_path / "hello.py")).text.startswith(f"#!{shebang[1]}\n")


def test_the_cli_reference_names_every_option_of_every_subcommand():
    # Each option `dtracepy COMMAND --help` lists is in the README's CLI reference, under the
    # subcommand's heading (session 25's newuser: `--output`, the long form of `-o`, was not).
    import argparse

    from dtracepy.cli import _build_parser

    readme = (REPO / "README.md").read_text()
    reference = readme[readme.index("## CLI reference"):readme.index("## Conformance")]
    parser = _build_parser()
    commands = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction)).choices
    missing = []
    for name, sub in commands.items():
        start = reference.index(f"### `dtracepy {name} ")
        end = reference.find("\n### ", start + 1)
        section = reference[start:end if end >= 0 else None]
        for action in sub._actions:
            missing += [f"{name} {option}" for option in action.option_strings
                        if option not in ("-h", "--help") and f"`{option}" not in section
                        and f" {option} " not in section and f"[{option}" not in section]
    assert not missing, missing
