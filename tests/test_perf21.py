"""Session 20, perf21 (docs/PERFORMANCE.md): work counted, never timed.

1. ``dtracepy check`` of the seed-sized script (benchmarks/seed.d) loads no module it does not use:
   session 19's aggregation-key rule loaded facts/translated (a 2 M-instruction table) for any
   aggregation; the tables' grammar check loaded zlib for a CRC; the hidden-character check
   unicodedata for any file; the positions bisect.py (which only imports ``_bisect``).  Together
   6.4 M of the check's 149.5 M machine instructions (issue 8: within 4x of ``python -c pass``).
"""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.pythonpath import env_with

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SEED = os.path.join(ROOT, "benchmarks", "seed.d")


def _imported_by_the_program(*argv) -> list[str]:
    """The modules ``python -X importtime -m dtracepy ARGV`` imports (the program itself)."""
    result = subprocess.run([sys.executable, "-X", "importtime", "-m", "dtracepy", *argv], capture_output=True,
                            text=True, cwd=ROOT, env=env_with(ROOT))
    assert result.returncode == 0, result.stderr
    return [line.rsplit("|", 1)[1].strip() for line in result.stderr.splitlines()
            if line.startswith("import time:") and line.count("|") == 2]


def test_the_seed_check_loads_no_module_it_does_not_use():
    imported = set(_imported_by_the_program("check", SEED))
    assert "dtracepy.checks.keys" in imported  # (the script has aggregations with keys)
    assert not {"dtracepy.facts.translated", "zlib", "unicodedata", "bisect"} & imported


def test_the_aggregation_key_rule_still_loads_the_kernels_types_when_a_key_needs_them(tmp_path):
    script = tmp_path / "k.d"
    script.write_text("BEGIN\n{\n\t@a[curpsinfo->pr_psargs] = count();\n}\n")
    imported = set(_imported_by_the_program("check", str(script)))
    assert "dtracepy.facts.translated" in imported


# -- 2. `import` ends as `check` does: its output out, the tree and the modules left unfreed ----


def _ended(tmp_path, *argv):
    """(exit status, standard output, standard error) of the program ``dtracepy ARGV`` run with an
    exit handler that says ``finalized`` if the interpreter finalizes."""
    program = ("import atexit, sys\n"
               "atexit.register(lambda: print('finalized', file=sys.stderr))\n"
               f"sys.argv = ['dtracepy', *{list(argv)!r}]\n"
               "from dtracepy.cli import main\n"
               "sys.exit(main())\n")
    result = subprocess.run([sys.executable, "-c", program], capture_output=True, text=True,
                            env=env_with(ROOT), cwd=str(tmp_path))
    return result.returncode, result.stdout, result.stderr


def test_import_ends_without_finalizing_once_its_module_is_written(tmp_path):
    """Freeing the tree of 85,000 one-line clauses, the modules and their objects one by one was
    work nobody needs (1.7 % of the import of 20,000 of them): ``import`` ends with ``os._exit``
    as ``check`` does, after its module is written, to a file or to standard output in full."""
    script = tmp_path / "x.d"
    script.write_text("".join(f"syscall::f{i}:entry{{self->t{i} = timestamp;}}\n" for i in range(2000)))
    status, out, err = _ended(tmp_path, "import", str(script), "-o", str(tmp_path / "x.py"))
    assert (status, out, err) == (0, "", "")
    written = (tmp_path / "x.py").read_text()
    assert written.count("@t.probe(") == 2000 and written.endswith("\n")
    status, out, err = _ended(tmp_path, "import", str(script))
    assert (status, out, err) == (0, written, "")


def test_a_failed_import_still_ends_as_usual(tmp_path):
    script = tmp_path / "x.d"
    script.write_text("BEGIN { x = ; }\n")
    status, out, err = _ended(tmp_path, "import", str(script))
    assert status == 1 and out == "" and "error" in err and err.rstrip().endswith("finalized")


# -- 3. memory at the size limit: what `check` and `import` hold for each thread-local, the module's text once --


def _entries(n: int) -> str:
    return "".join(f"syscall::f{i}:entry{{self->t{i} = timestamp;}}\n" for i in range(n))


def test_a_thread_local_holds_a_list_for_each_kind_of_use_it_has_only():
    """``VarUses`` held five lists for each thread-local, four of them empty for a thread-local
    set once (85,000 of them: 22 MB of a ``check`` of 4 MiB); an unused kind is now one shared
    empty tuple."""
    from dtracepy.checks import CheckOptions
    from dtracepy.checks.context import Context
    from dtracepy.checks.lifecycle import collect
    from dtracepy.parser import parse

    text = _entries(300) + "syscall::f0:return/self->t0/{self->t0 = 0;}\n"
    uses, _ = collect(Context(parse(text, "x.d"), CheckOptions(), None))
    lists = sum(getattr(u, kind).__class__ is list for u in uses.values()
                for kind in ("reads", "writes", "zeros", "updates", "partials"))
    assert len(uses) == 300 and lists == 300 + 2  # t0 is read and zeroed too
    u = uses["t0"]
    assert [len(u.reads), len(u.writes), len(u.zeros), len(u.updates), len(u.partials)] == [1, 1, 1, 0, 0]
    assert u.all_assignments() == [*u.writes, *u.zeros] and uses["t5"].all_assignments() == list(uses["t5"].writes)


def test_the_module_text_is_made_without_a_second_copy():
    """The module's lines joined, then a line end added to the text, made it twice at the peak of
    an import (18 MB more for 85,000 one-line clauses); it is made once (tracemalloc's peak while
    the writer assembles the text: the text and the list of its lines, not twice the text)."""
    import tracemalloc

    from dtracepy.importer.idioms import idiomatic
    from dtracepy.importer.module import ModuleWriter
    from dtracepy.parser import parse

    # (entry/return pairs, zeroed: no note on a leak, so the lines are the blocks' as written)
    text = "".join(f"syscall::f{i}:entry{{self->t{i} = timestamp;}}\n"
                   f"syscall::f{i}:return/self->t{i}/{{trace(timestamp - self->t{i}); self->t{i} = 0;}}\n"
                   for i in range(2000))
    program, plan = idiomatic(parse(text, "x.d"))
    writer = ModuleWriter(program, "x.d", exact=False, plan=plan, text=text)
    assembled = writer._assemble
    peaks = []

    def measured():
        tracemalloc.start()
        try:
            out = assembled()
            peaks.append(tracemalloc.get_traced_memory()[1])
        finally:
            tracemalloc.stop()
        return out

    writer._assemble = measured
    source = writer.write()
    assert source.count("@t.probe(") == 4000 and source.endswith("\n") and not source.endswith("\n\n")
    assert peaks[0] < 1.6 * len(source), (peaks[0], len(source))


@pytest.mark.parametrize("lines", [
    [], [""], ["  ", "\t"], ["a"], ["a  "], ["a", "", " ", ""], ["a", "b \n  \n"], ["a\n", "\u2028", "\x1c"],
    ["x", "# c  ", "", "  \t", ""], ["\n"], ["a", " b", "  c  \r"],
])
def test_the_module_text_ends_as_before(lines):
    from dtracepy.importer.pyfmt import text_of

    assert text_of(list(lines)) == "\n".join(lines).rstrip() + "\n"


@settings(max_examples=300, deadline=None)
@given(st.lists(st.text(alphabet=st.sampled_from("ab \t\n\r\x0b\x0c\x1c\x85\u2028\u3000#"), max_size=6), max_size=6))
def test_the_module_text_ends_as_before_whatever_the_lines(lines):
    from dtracepy.importer.pyfmt import text_of

    assert text_of(list(lines)) == "\n".join(lines).rstrip() + "\n"


# -- 1 (continued): a node compared with a string compiles nothing ------------------------------


def test_the_seed_check_compiles_no_node_methods():
    """A node's ``__eq__`` is compiled for its class at its first use; a cast's specifiers compared
    with ``("void",)`` (printf's void-value rule) or looked up in ``("const", "volatile")`` (the
    operands' rules) compiled ``TypeRef``'s for a comparison whose answer is NotImplemented (the
    other is no node): the first ``compile()`` of a check, 10 M of its 143 M machine
    instructions.  Now nothing is compiled for the seed-sized check."""
    program = ("import sys\n"
               "compiled = []\n"
               "sys.addaudithook(lambda event, args: compiled.append(args[1]) if event == 'compile' "
               "and str(args[1]).startswith('<dtracepy.tree') else None)\n"
               f"sys.argv = ['dtracepy', 'check', {SEED!r}]\n"
               "from dtracepy import cli\n"
               "cli._end_now = lambda status: None\n"
               "status = cli.main()\n"
               "print(status, compiled)\n")
    result = subprocess.run([sys.executable, "-c", program], capture_output=True, text=True,
                            env=env_with(ROOT), cwd=ROOT)
    assert result.stdout == "0 []\n", result.stderr


def test_a_node_compared_with_another_kind_answers_as_its_compiled_methods_do():
    from dtracepy import tree as t

    ref, other = t.TypeRef("tcp_t"), t.TypeRef("tcp_t")
    assert ref.__eq__("void") is NotImplemented and ref.__ne__("void") is NotImplemented
    assert ref != "void" and not (ref == "void") and ref not in ("const", "volatile")
    assert ("void",) != (ref,) and (ref,) == (other,) and not (ref != other)
    assert ref.__eq__("void") is NotImplemented and ref.__ne__(1) is NotImplemented  # (compiled now)
    assert t.TypeRef("a") != t.TypeRef("b") and hash(ref) == hash(other)
