"""The lead's mends of session 25 (issue 8): what the merged helpers' work broke together."""

import subprocess
import sys
from pathlib import Path

from dtracepy import parse
from dtracepy.checks import check_program

ROOT = Path(__file__).resolve().parents[1]


def _dtracepy(*args, cwd):
    return subprocess.run([sys.executable, "-m", "dtracepy", *args], cwd=cwd, capture_output=True,
                          text=True, env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"}, timeout=120)


def test_import_spells_a_scoped_name_first_seen(tmp_path):
    """mem26 made a name with a module or a backquote a hidden subclass of Ident; import looked its
    emitter up by type(node).__name__ and refused `max_pfn as "_ScopedIdent" (40 corpus files)."""
    (tmp_path / "x.d").write_text("BEGIN { trace(`max_pfn); exit(0); }\n")
    for mode in ([], ["--exact"]):
        done = _dtracepy("import", "x.d", *mode, cwd=tmp_path)
        assert done.returncode == 0, done.stderr
        assert 'ksym("max_pfn")' in done.stdout
        assert "_ScopedIdent" not in done.stdout + done.stderr


class _CountingItems(tuple):
    walks = 0

    def __iter__(self):
        _CountingItems.walks += 1
        return super().__iter__()


def test_the_first_stored_position_is_read_without_a_walk(monkeypatch):
    """leftovers26's Context._first_at went through the items to find the first with an offset:
    one walk more of every program (tests/test_check_work.py's bound); the first item holds it."""
    text = "BEGIN { x = 1; }\n" * 50
    program = parse(text, "x.d")
    counted = parse(text, "x.d")
    object.__setattr__(counted, "items", _CountingItems(counted.items))
    monkeypatch.setattr(_CountingItems, "walks", 0)
    from dtracepy.checks.context import Context
    from dtracepy.checks import CheckOptions
    ctx = Context(counted, CheckOptions())
    before = _CountingItems.walks
    assert ctx._first_at == counted.items[0]._at
    assert _CountingItems.walks == before
    assert check_program(counted, source=text) == check_program(program, source=text)
