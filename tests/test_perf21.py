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
