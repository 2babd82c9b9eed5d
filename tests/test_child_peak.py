"""tests/child_peak.py measures a child's own peak memory, not the peak of the process that started
it: the CI run of session 25 failed a 200 MB bound on a 47 MB child because ``ru_maxrss`` began
at pytest's 291 MB (tests/test_hostile_review26.py)."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from tests.pythonpath import env_with

from conftest import REPO

# A parent of 400 MB (every page touched) that starts ``dtracepy --version`` through
# tests/child_peak.py and prints the peak it read, then the child's ru_maxrss from os.wait4.
_BIG_PARENT = '''
import os, subprocess, sys
from tests.child_peak import dtracepy_argv, read_peak_kb
big = bytearray(400 * 1024 * 1024)
for i in range(0, len(big), 4096):
    big[i] = 1
peak_file = sys.argv[1]
child = subprocess.Popen(dtracepy_argv(peak_file, "--version"), stdout=subprocess.DEVNULL)
_, status, usage = os.wait4(child.pid, 0)
print(read_peak_kb(peak_file), usage.ru_maxrss, os.waitstatus_to_exitcode(status))
'''


@pytest.mark.skipif(not os.path.exists("/proc/self/status"), reason="no /proc here: ru_maxrss is all there is")
def test_the_peak_is_the_childs_own_under_a_big_parent(tmp_path):
    result = subprocess.run([sys.executable, "-c", _BIG_PARENT, str(tmp_path / "peak")], capture_output=True,
                            text=True, env=env_with(REPO), cwd=REPO, timeout=120)
    assert result.returncode == 0, result.stderr
    own, maxrss, status = map(int, result.stdout.split())
    assert status == 0
    assert own < 150 * 1024, f"the child's own peak read {own} KB under a 400 MB parent (ru_maxrss {maxrss} KB)"
