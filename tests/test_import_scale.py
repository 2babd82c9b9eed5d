"""Issue 8, session 16: ``import --exact`` of a script whose faithful module prints D over the
input limit is refused before the module is written, run and compiled (100,000 clauses: 30 s,
then the compiler's refusal), from a printing of the original tree
(:func:`dtracepy.importer.exact_size_at_least`).  That is sound because the module compiles to the
original's items, comments aside (what :func:`~dtracepy.importer.check_exact` holds it to), and
comments only add text: checked here against the compiled D over a sample of the corpus and
over programs at the printer's edges.  Not timed: the tests count the modules written and run."""

from __future__ import annotations

import csv

import pytest

from dtracepy import inputs, tree
from dtracepy.errors import DTracePyError
from dtracepy.importer import CannotImport, compile_module, exact_size_at_least, import_program
from dtracepy.parser import parse, parse_bytes


def _pairs(n: int) -> str:
    return "".join(f"fbt::f{i}:entry{{self->a=timestamp;}}\nfbt::f{i}:return/self->a/{{self->a=0;}}\n"
                   for i in range(n))


def _gap_allowed(compiled: tree.Program) -> int:
    """What the compiled program's comments may add to its text: each printed, with a blank
    line on either side."""
    from dtracepy.printer import to_d

    return sum(len(to_d(item).encode()) + 4 for item in compiled.items if isinstance(item, tree.Comment))


def _bound_holds(program: tree.Program, text: "str | None", name: str) -> bool:
    """The bound is at most the compiled D's bytes, and short of it by the comments only; False
    when the script has no faithful module."""
    try:
        module = import_program(program, name, exact=True, text=text)
    except DTracePyError:
        return False
    compiled = compile_module(module, name + ".py", checks=False)
    size = len(compiled.text.encode("utf-8", "surrogatepass"))
    bound = exact_size_at_least(program)
    assert bound <= size, (name, bound, size)
    assert size - bound <= _gap_allowed(compiled.program), (name, bound, size)
    if not any(isinstance(item, tree.Comment) for item in program.items) and text is not None \
            and "/*" not in text and "//" not in text:
        # no comment of the script's: the gap is the header comment and a blank line
        from dtracepy.printer import to_d

        comments = [item for item in compiled.program.items if isinstance(item, tree.Comment)]
        assert len(comments) == 1, name
        head = len(to_d(comments[0]).encode()) + len("\n\n")
        assert size - bound == head, (name, bound, size, head)
    return True


_EDGES = {
    "#! first": "#!/usr/sbin/dtrace -s\nBEGIN { x = 1; }\n",
    "#! line directive first": "# !/x\nBEGIN { x = 1; }\n",
    "bodyless last": "BEGIN { x = 1; }\ntick-1s\n/x/\n",
    "bodyless, comment after": "BEGIN { x = 1; }\ntick-1s\n/x/\n/* c */\n",
    "pragmas and a comment between": "#pragma D option quiet\n/* c */\n#pragma D option flowindent\nBEGIN {}\n",
    "comments in bodies": "BEGIN\n{\n\t/* a */\n\tx = 1; /* b */\n}\n",
    "non-ASCII string": 'BEGIN { printf("\u00e9\u4e2d\\n"); }\n',
    "pairs": _pairs(20),
}


@pytest.mark.parametrize("name", sorted(_EDGES))
def test_the_exact_bound_is_the_compiled_d_less_its_comments(name):
    text = _EDGES[name]
    assert _bound_holds(parse(text, "x.d"), text, "x.d"), name


def test_the_exact_bound_holds_over_the_corpus(corpus):
    """Every 8th ``parse-ok`` file of the corpus that has a faithful module (about 350)."""
    with open(corpus / "MANIFEST.tsv", newline="", encoding="utf-8") as handle:
        rows = [r for r in csv.DictReader(handle, delimiter="\t") if r["expect"] == "parse-ok"]
    held = 0
    for row in rows[::8]:
        data = (corpus / row["path"]).read_bytes()
        try:
            program = parse_bytes(data, row["path"])
        except DTracePyError:
            continue
        held += _bound_holds(program, data.decode("utf-8", "surrogateescape"), row["path"].rsplit("/", 1)[-1])
    assert held > 200, held


def _counting(monkeypatch):
    """The modules written and the modules run from now on."""
    from dtracepy import importer
    from dtracepy.importer import module

    counts = {"written": 0, "run": 0}
    write, run = module.ModuleWriter.write, importer.run_module

    def writing(self):
        counts["written"] += 1
        return write(self)

    def running(*args, **kwargs):
        counts["run"] += 1
        return run(*args, **kwargs)

    monkeypatch.setattr(module.ModuleWriter, "write", writing)
    monkeypatch.setattr(importer, "run_module", running)
    return counts


def test_exact_over_the_limit_is_refused_before_the_module_is_written(monkeypatch):
    """Under a limit of 2,000 bytes (the 4 MiB one made small), 60 clauses are refused at once,
    saying how large and what to do; before, the module was written, run and compiled (at
    100,000 clauses, 30 s) and the compiler refused it."""
    text = _pairs(30)
    program = parse(text, "x.d")
    size = exact_size_at_least(program)
    monkeypatch.setattr(inputs, "MAX_INPUT_BYTES", 2_000)
    counts = _counting(monkeypatch)
    with pytest.raises(CannotImport) as caught:
        import_program(program, "x.d", exact=True, text=text)
    assert counts == {"written": 0, "run": 0}
    message = caught.value.render(with_context=False)
    assert message.startswith("x.d:1:1: error: cannot import this script exactly: ")
    assert f"at least {size:,} bytes of D, over 4 MiB" in message and "without --exact" in message
    # without --exact, or unverified, nothing is refused: the module is not compiled back
    assert import_program(program, "x.d", text=text)
    assert import_program(program, "x.d", exact=True, verify=False, text=text)


def test_exact_at_the_limit_is_not_refused(monkeypatch):
    """A limit of exactly the compiled D's bytes: the module is written, run and returned."""
    text = _pairs(30)
    program = parse(text, "x.d")
    module = import_program(program, "x.d", exact=True, text=text)
    size = len(compile_module(module, "x.d.py", checks=False).text.encode())
    monkeypatch.setattr(inputs, "MAX_INPUT_BYTES", size)
    counts = _counting(monkeypatch)
    assert import_program(program, "x.d", exact=True, text=text) == module
    assert counts == {"written": 1, "run": 1}
    monkeypatch.setattr(inputs, "MAX_INPUT_BYTES", size - 1)   # a byte less: the compiler refuses it
    with pytest.raises(CannotImport):
        import_program(program, "x.d", exact=True, text=text)
