"""The LALR tables ship precomputed (grammar/d_tables.marshal) and equal what lark builds from d.lark.

Regenerate the file after changing the grammar:
``DTRACEPY_REGEN=1 python3 -m pytest tests/test_parser_tables.py``.
"""

from __future__ import annotations

import marshal
import os
import pathlib
import subprocess
import sys

import pytest

from dtracepy import parser as P

ROOT = pathlib.Path(__file__).resolve().parent.parent
TABLES = ROOT / "grammar" / P.TABLES_NAME
EXAMPLES = sorted((ROOT / "examples").glob("*.d"))


@pytest.fixture(scope="module")
def fresh():
    return P.build_table_data()


def test_shipped_tables_equal_a_fresh_build(fresh):
    if os.environ.get("DTRACEPY_REGEN"):
        P.write_table_data(str(TABLES))
    assert TABLES.is_file(), f"grammar/{P.TABLES_NAME} is missing; make it with {P.REGEN_COMMAND}"
    stored = P.unpack_table_data(P.load_table_data(TABLES.read_bytes()))
    assert stored["grammar"] == P._grammar_text(), (
        f"grammar/{P.TABLES_NAME} was made from another grammar; regenerate it with {P.REGEN_COMMAND}")
    assert stored == fresh, f"grammar/{P.TABLES_NAME} is stale; regenerate it with {P.REGEN_COMMAND}"
    assert P.unpack_table_data(P.load_table_data(P.dump_table_data(fresh))) == fresh
    assert P.unpack_table_data(P.pack_table_data(fresh)) == fresh


def test_the_build_does_not_depend_on_string_hashing():
    # lark numbers its states in set order; build_table_data renumbers them canonically
    code = "from dtracepy import parser as P; print(repr(P.build_table_data()))"
    outs = set()
    for seed in ("1", "2"):
        env = dict(os.environ, PYTHONHASHSEED=seed, PYTHONPATH=str(ROOT))
        result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env,
                                cwd=str(ROOT))
        assert result.returncode == 0, result.stderr
        outs.add(result.stdout)
    assert outs == {repr(P.build_table_data()) + "\n"}


def test_tables_are_well_formed():
    data = P.unpack_table_data(P.load_table_data(TABLES.read_bytes()))
    n_states, n_rules = len(data["states"]), len(data["rules"])
    assert data["start"] == 0 and 0 <= data["end"] < n_states
    for row in data["states"]:
        for act in row.values():
            assert -n_rules <= act < n_states


def test_parsing_does_not_import_lark(tmp_path):
    code = ("import sys\nfrom dtracepy.parser import parse\n"
            "parse('syscall::read:entry /pid == $target/ { self->ts = timestamp; }')\n"
            "print(sorted(m for m in sys.modules if m == 'lark' or m.startswith('lark.')))")
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, cwd=str(tmp_path))
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"


def _resource_with_tables(monkeypatch, tables_text):
    real = P._grammar_resource
    monkeypatch.setattr(P, "_grammar_resource",
                        lambda name, binary=False: tables_text if name == P.TABLES_NAME else real(name, binary))


@pytest.mark.parametrize("case", ["missing", "stale", "damaged"])
def test_missing_stale_or_damaged_tables_fall_back_to_lark(monkeypatch, fresh, case):
    data = P.unpack_table_data(P.load_table_data(TABLES.read_bytes()))
    if case == "missing":
        text = None
    elif case == "stale":
        data["grammar"] = P._grammar_text() + "\n"  # as if d.lark changed since the file was made
        data["states"] = [{} for _ in data["states"]]  # wrong tables that must not be used
        text = P.dump_table_data(data)
    else:
        text = TABLES.read_bytes()[:1000]
    _resource_with_tables(monkeypatch, text)
    assert P.unpack_table_data(P._load_tables()) == fresh


def test_shipped_and_lark_built_tables_parse_alike(monkeypatch):
    sources = [p.read_text(encoding="utf-8") for p in EXAMPLES]
    sources.append("BEGIN { x = a ? b : c + d * -e; @h[probefunc] = quantize(x); }\n"
                   "struct s { int a : 3; char b[4]; };\ninline int N = 4;\n")
    assert len(sources) > 1

    def parse_all():
        monkeypatch.setattr(P, "_parser", None)
        return [P.parse(src) for src in sources]

    shipped = parse_all()
    _resource_with_tables(monkeypatch, None)
    built = parse_all()
    monkeypatch.setattr(P, "_parser", None)  # leave no lark-built parser behind
    assert shipped == built


@pytest.mark.parametrize("damage", [
    lambda b: b[:-1], lambda b: b[:len(b) // 2], lambda b: b"", lambda b: b"not marshal data",
    lambda b: marshal.dumps([1, 2]),
    lambda b: marshal.dumps({**P.load_table_data(b), "end": "41"}),
    lambda b: marshal.dumps({**P.load_table_data(b), "states": {}}),
    lambda b: marshal.dumps({k: v for k, v in P.load_table_data(b).items() if k != "rules"}),
])
def test_a_damaged_tables_file_is_refused(damage):
    with pytest.raises(ValueError, match="damaged"):
        P.load_table_data(damage(TABLES.read_bytes()))


def test_check_does_not_import_json(tmp_path):
    # (importing json and decoding the tables as JSON cost every check some 7 ms)
    script = tmp_path / "x.d"
    script.write_text("BEGIN { this->x = (int)1; exit(0); }\n")  # (a cast: the automaton runs)
    code = ("import sys\nfrom dtracepy.cli import main\n"
            f"assert main(['check', {str(script)!r}]) == 0\n"
            "from dtracepy import parser\nassert parser._parser is not None\n"
            "print(sorted(m for m in sys.modules if m == 'json' or m.startswith('json.')))")
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, cwd=str(tmp_path))
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"
