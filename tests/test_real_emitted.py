"""The real D compiler (Oracle DTrace 2.0 for Linux, ``dtrace -e``) accepts the D dtracepy emits:

* every example (examples/*.py compiled now, and its golden examples/*.d);
* every snippet of the README: each ```d block, and each ```python block that is a tracer (it
  defines probes), compiled as a module (a snippet without ``Tracer(`` gets ``from dtracepy import
  *`` and ``t = Tracer()`` in front of it; one that runs its tracer is cut where it starts to).  The README is read by the test, so a new snippet is
  judged as soon as it is written; a block that is neither D nor a tracer must be listed in
  NOT_TRACERS with the reason.

Each script is judged in isolation (tests/real_dtrace.py: ``judge_scripts``), with the flags
``job_for_d`` derives from it: the Solaris type stand-ins of tests/fixtures/solaris_standins.d where
the script names tcp_t, conn_t, mblk_t ..., ``-Z`` for fbt and pid probes, a value for each macro
argument, ``-c /bin/true`` for ``$target``.
"""

from __future__ import annotations

import pathlib
import re
import tempfile

import pytest

from conftest import REAL_EMITTED, REPO, example_tracers
from dtracepy.commands.compile_cmd import compile_path
from real_dtrace import job_for_d, judge_scripts

EXAMPLES = REPO / "examples"

#: README ```python blocks that are not tracers (first line -> why they are not judged).
NOT_TRACERS = {
    "from dtracepy.layout import parse_layouts, shipped, read_expr, define, Field, pointer_to":
        "the layout API: builds read expressions, emits no script",
    "ip = view(\"ip\", this.iphdr)                  # dtracepy's shipped struct ip":
        "lines of a probe body (the SYN decode of examples/tcpq.py, which is judged whole)",
    "row = t.record((\"TS\", \"%d\"), (\"Date\", \"%Y\"), (\"Action\", \"%s\"), (\"Source IP\", \"0x%08x\"))":
        "lines of a tracer around an elision (`...`): examples/tcpq.py uses t.record whole",
    'Tracer(options={"bufsize": \'8m\\nBEGIN { system("id"); }\'})     # error: not an option value':
        "lines that are each refused (issue 8): tests/test_injection.py runs them",
    "\"\"\"Imported from tcpq_ex11.d by `dtracepy import`.":
        "the head of an imported module (its first clause follows, judged); the whole reads Solaris's "
        "struct tcphdr (th_sport), which Linux's D libraries lack, as the blog's original does",
    "import sys":
        "runs a tracer (the Tracer.run API): tests/test_readme_run.py runs this block itself, and "
        "examples/readlat.py, the tracer it runs, is judged whole",
}

PREAMBLE = "from dtracepy import *\nt = Tracer()\n"


def readme_blocks() -> list[tuple[int, str, str]]:
    """(line, language, text) of every fenced block of README.md."""
    blocks, lines = [], (REPO / "README.md").read_text().splitlines()
    i = 0
    while i < len(lines):
        match = re.match(r"^```(\w*)\s*$", lines[i])
        if match:
            end = i + 1
            while end < len(lines) and not lines[end].startswith("```"):
                end += 1
            blocks.append((i + 1, match[1], "\n".join(lines[i + 1:end]) + "\n"))
            i = end
        i += 1
    return blocks


_RUNS = re.compile(r"^\S.*\.run\(|^if __name__")


def _tracer_snippet(text: str) -> str | None:
    """The module a ```python block compiles as, or None when it is not a tracer.  A snippet that
    goes on to run its tracer (``with t.run(...)`` at top level, ``if __name__ ...``) is cut there:
    the D is what is judged here; running is tests/test_live_smoke.py's business."""
    if "t.probe(" not in text and "t.clause(" not in text:
        return None
    lines = text.splitlines()
    for i, line in enumerate(lines):
        if _RUNS.match(line):
            text = "\n".join(lines[:i]) + "\n"
            break
    return text if "Tracer(" in text else PREAMBLE + text


def emitted_scripts() -> dict[str, str]:
    """name -> D text: the examples (compiled and golden) and the README's D and tracers."""
    scripts = {}
    for source in example_tracers():
        scripts[f"examples/{source.name} (compiled)"] = compile_path(str(source)).text
        scripts[f"examples/{source.stem}.d (golden)"] = source.with_suffix(".d").read_text()
    with tempfile.TemporaryDirectory(prefix="dtracepy-readme-") as tmp:
        for line, lang, text in readme_blocks():
            name = f"README.md:{line} ({lang})"
            if lang == "d":
                # `...` alone on a line elides part of the script (the header comment).
                scripts[name] = "\n".join(x for x in text.splitlines() if x.strip() != "...") + "\n"
            elif lang == "python":
                module = _tracer_snippet(text)
                if module is None:
                    first = text.splitlines()[0]
                    assert first in NOT_TRACERS, (
                        f"README.md:{line}: a python block that is not a tracer (no t.probe): judge it or "
                        f"list it in NOT_TRACERS with the reason:\n{text}")
                    continue
                path = pathlib.Path(tmp) / f"readme_{line}.py"
                path.write_text(module)
                scripts[name] = compile_path(str(path)).text
    return scripts


def test_a_snippet_that_runs_its_tracer_is_cut_where_it_runs():
    text = ('t = Tracer()\n\n@t.probe("BEGIN")\ndef _():\n    trace(1)\n\n'
            'with t.run(duration=1) as run:\n    print(run.aggregations)\n')
    module = _tracer_snippet(text)
    assert "run(" not in module and module.endswith("trace(1)\n\n")
    assert _tracer_snippet('t = Tracer()\nt.probe("BEGIN")(lambda: None)\nif __name__ == "__main__":\n    t.run()\n') \
        == 't = Tracer()\nt.probe("BEGIN")(lambda: None)\n'


def test_every_listed_non_tracer_is_in_the_readme():
    firsts = {text.splitlines()[0] for _line, lang, text in readme_blocks() if lang == "python" and text.strip()}
    assert not set(NOT_TRACERS) - firsts, set(NOT_TRACERS) - firsts


def test_the_readme_has_tracers_and_d_to_judge():
    names = list(emitted_scripts())
    assert sum("(python)" in n for n in names) >= 3 and sum("(d)" in n for n in names) >= 2, names


def test_the_real_compiler_accepts_every_example_and_readme_snippet():
    scripts = emitted_scripts()
    verdicts = judge_scripts({name: job_for_d(text) for name, text in scripts.items()})
    rejected = {name: why for name, why in verdicts.items() if why is not None}
    REAL_EMITTED["examples and README snippets (dtrace -e)"] = (len(verdicts), len(verdicts) - len(rejected))
    assert not rejected, "\n\n".join(f"{name}: {why}\n{scripts[name]}" for name, why in rejected.items())


@pytest.mark.parametrize("bad, why", [
    ("BEGIN\n{\n\tx = ;\n}\n", "syntax error"),
    ("BEGIN\n{\n\tx = 1;\n}\n\nBEGIN\n{\n\tx = \"s\";\n}\n", "incompatible types"),
    ("syscall::nosuchcall:entry\n{\n}\n", "does not match any probes"),
])
def test_the_judge_rejects_what_dtrace_rejects(bad, why):
    """The judge is no rubber stamp: bad D is rejected with dtrace's message, and a script does not
    see the declarations of the one judged before it (each is compiled in isolation)."""
    verdicts = judge_scripts({"good": {"text": "BEGIN\n{\n\tx = 1;\n}\n"}, "bad": job_for_d(bad),
                              "again": {"text": "BEGIN\n{\n\tx = \"s\";\n}\n"}})
    assert verdicts["good"] is None and verdicts["again"] is None
    assert why in verdicts["bad"], verdicts["bad"]
