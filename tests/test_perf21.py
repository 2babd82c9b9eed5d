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
