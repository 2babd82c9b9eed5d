"""Issue 8, session 17: ``import --exact`` of a large script runs its module with less work.

Not timed: these count the line tables the DSL reads and the text Python's compile is given.

* Top-level statements are compiled a kilobyte at a time (``pieces.TOP_PIECE``): the line of each
  node a decorator's arguments make (the probe, its predicate) is found by CPython in a short line
  table, not in a table of all the lines of 64 KB of code read with ``co_lines`` (~1,200
  instructions a line: a sixth of running the module of 10,000 clauses).
* A piece that does not compile (cut inside a string) runs on to a cut at least twice as far, so
  that a long docstring cut at each of its lines is not compiled again and again.
"""

from __future__ import annotations

import pytest


def _pairs(n: int) -> str:
    return "".join(f"fbt::f{i}:entry{{self->a=timestamp;}}\nfbt::f{i}:return/self->a/{{self->a=0;}}\n"
                   for i in range(n))


def test_no_line_table_of_top_level_code_is_read(monkeypatch):
    """``import --exact`` of 2,000 entry/return pairs: the DSL finds the line of each node made at
    the top level of the module without reading a table of all the lines of the code it runs in
    (``source._line_of`` reads one only for code whose line table is long: before, each piece of
    64 KB, 60,000 lines of it for 30,000 clauses)."""
    from dtracepy import source
    from dtracepy.importer import import_d, pieces

    read = []

    class Counting(dict):
        def __setitem__(self, key, value):
            read.append(value[0].co_name)
            super().__setitem__(key, value)

    monkeypatch.setattr(source, "_LINE_TABLES", Counting())
    module = import_d(_pairs(2_000), "x.d", exact=True)
    assert len(module) > 2 * pieces.PIECE
    assert read == []


def test_the_positions_are_the_lines_of_the_module(monkeypatch):
    """Run in pieces, every node of the module of 300 pairs is at the line exec of the whole
    module puts it (the probe and predicate at the decorator's line, the statement at its own)."""
    from dtracepy.importer import pieces, run_module
    from dtracepy.importer import import_d

    module = import_d(_pairs(300), "x.d", exact=True)

    def positions():
        program = run_module(module, "m.py").compile(checks=False).program
        return [(type(node).__name__, node.pos) for item in program.items for node in item.walk()]

    monkeypatch.setattr(pieces, "PIECE", 1 << 30)  # (a module of at most PIECE: run whole)
    whole = positions()
    monkeypatch.setattr(pieces, "PIECE", 1 << 12)
    assert positions() == whole
    lines = module.split("\n")
    probes = [pos for kind, pos in whole if kind == "ProbeDesc"]
    assert len(probes) == 600 and all(lines[pos.line - 1].startswith("@t.probe(") for pos in probes)


def test_a_long_string_is_compiled_a_few_times():
    """A module whose docstring is 1 MB of lines starting with a letter (each a place to cut):
    Python's compile is given at most about three times the module's text in all (the pieces that
    cut the string, each twice as long as the last, then the rest), not the string again at each
    PIECE of it (8.5 times the text for 1 MB)."""
    import builtins

    from dtracepy.importer import pieces

    source = ('"""' + "word after word\n" * 65_000 + '"""\n\nfrom dtracepy import Tracer\nt = Tracer()\n'
              + "".join(f"\n\n@t.probe('fbt::f{i}:entry')\ndef e{i}():\n    pass\n" for i in range(2_000)))
    given = []
    real = builtins.compile

    def counting(text, *args, **kwargs):
        given.append(len(text))
        return real(text, *args, **kwargs)

    builtins.compile = counting
    try:
        steps = pieces._steps(source, "m.py")
    finally:
        builtins.compile = real
    assert steps is not None and len(steps) > 2
    assert sum(given) < 3.2 * len(source), (sum(given), len(source))


@pytest.mark.parametrize("filler", [0, 40_000])
def test_a_run_module_does_not_inherit_the_runners_future_imports(filler):
    """pieces compiled the module with the flags of its own `from __future__ import annotations`:
    annotations in a run module became strings, unlike the file run directly (exactspeed, noticed).
    Small and large (in pieces) alike."""
    from dtracepy.importer import pieces

    source = "x: int = 1\ndef f(a: int) -> int:\n    return a\n" + "y = 1\n" * filler
    namespace: dict = {}
    pieces.run(source, "m.py", namespace)
    assert namespace["__annotations__"] == {"x": int}
    assert namespace["f"].__annotations__ == {"a": int, "return": int}
