"""The program ``dtracepy check`` makes its classes without attrs and its patterns without ``re``
(``dtracepy/attrs_lite.py``, ``dtracepy/re_lite.py``, ``cli._ship_classes``); every other command,
and a library user, gets attrs' classes and Python's ``re``.  The two must not be told apart:
the classes a check makes are compared field by field and method by method, their instances
behave alike (equality, hash, repr, frozen-ness, evolve, pickling), and a check of the whole
corpus says the same either way."""

from __future__ import annotations

import json
import os
import pathlib
import subprocess
import sys

import pytest

from tests.pythonpath import env_with

from dtracepy import attrs_lite, re_lite, regex_codes

ROOT = pathlib.Path(__file__).resolve().parent.parent
SEED = ROOT / "benchmarks" / "seed.d"


def _corpus() -> pathlib.Path | None:
    found = os.environ.get("DTRACEPY_CORPUS")
    path = pathlib.Path(found) if found else ROOT.parent / "shared" / "corpus"
    return path if path.is_dir() else None


def _python() -> tuple[list[str], dict]:
    """A fresh interpreter as an installed ``dtracepy`` program starts, and its environment:
    ``-S`` with this checkout and the site directories on PYTHONPATH, so that no ``.pth`` file
    runs first.  An editable install's (``pip install -e``, as .ci/run does) imports pathlib,
    and with it ``re``, ``enum`` ... before any program starts: a check then keeps the real
    ``re`` (as it should), and these tests would see the editable finder's imports, not the
    check's."""
    import site

    paths = [str(ROOT), *site.getsitepackages()]
    return [sys.executable, "-S"], dict(env_with(ROOT), PYTHONPATH=os.pathsep.join(paths))


def _run(code: str, *args, lite: bool) -> str:
    """What ``code`` prints, run in a fresh interpreter (string hash seed 0: a hashable attrs
    class's ``__hash__`` holds a number drawn from it), after the program's start-up for a
    check (``lite``) or with attrs and re as every other command has them."""
    prelude = "import sys\nfrom dtracepy import cli\n"
    if lite:
        prelude += "assert cli._ship_classes(['check'])\nassert sys.modules['attrs'].__name__ == 'dtracepy.attrs_lite'\n"
    else:  # (as many lines: the DSL's errors name the caller's line)
        prelude += "pass\npass\n"
    python, env = _python()
    result = subprocess.run([*python, "-c", prelude + code, *map(str, args)], capture_output=True,
                            text=True, env=dict(env, PYTHONHASHSEED="0"), cwd=ROOT)
    assert result.returncode == 0, result.stderr
    return result.stdout


# Describes every class a check defines, as JSON: its fields, slots, methods (their code), and
# whatever else attrs puts on it.
_DESCRIBE = r'''
import json, types
import dtracepy.commands.check_cmd, dtracepy.tree as t, dtracepy.checks as c, dtracepy.checks.context
import dtracepy.checks.registry, dtracepy.facts.dialects, dtracepy.facts.options
import attrs

def consts(code):
    return repr(tuple(("code", c.co_name, c.co_code.hex(), consts(c)) if hasattr(c, "co_code") else c
                      for c in code.co_consts))

def code_of(f):
    code = f.__code__
    return [code.co_code.hex(), consts(code), code.co_names, code.co_varnames, code.co_freevars,
            f.__qualname__, f.__module__, f.__doc__, repr(f.__defaults__), repr(f.__kwdefaults__),
            repr(f.__annotations__), code.co_name, code.co_qualname]

def describe(cls):
    out = {"mro": [k.__qualname__ for k in cls.__mro__], "slots": repr(cls.__dict__.get("__slots__")),
           "weakref": "__weakref__" in dir(cls), "match": repr(getattr(cls, "__match_args__", None))}
    out["fields"] = [[a.name, repr(a.default) if not hasattr(a.default, "factory") else ["factory", a.default.factory.__qualname__],
                      a.repr, a.eq, a.order, a.init, a.kw_only, a.alias, a.type, a.inherited,
                      getattr(a.converter, "__qualname__", None), a.validator, a.hash, a.on_setattr]
                     for a in attrs.fields(cls)]
    keys = sorted(k for k in cls.__dict__ if k not in ("__attrs_props__", "__attrs_attrs__"))
    out["keys"] = keys
    methods = {}
    for k in keys:
        value = cls.__dict__[k]
        if isinstance(value, types.FunctionType):
            methods[k] = code_of(value) if k not in ("__ne__", "__setattr__", "__delattr__", "__getstate__", "__setstate__") \
                else value.__name__  # (attrs' own functions: their behaviour is compared below)
        else:
            methods[k] = type(value).__name__ if k not in ("__doc__", "__module__", "__qualname__") else repr(value)
    out["methods"] = methods
    init = t.initializer(cls) if issubclass(cls, t.Node) else None
    out["fast_init"] = code_of(init) if init is not None else None
    return out

classes = [v for m in (t, c, dtracepy.checks.context, dtracepy.checks.registry, dtracepy.facts.dialects,
                       dtracepy.facts.options)
           for v in vars(m).values() if isinstance(v, type) and v.__module__ == m.__name__ and attrs.has(v)]
print(json.dumps({f"{k.__module__}.{k.__qualname__}": describe(k) for k in classes}, sort_keys=True))
'''


def test_a_check_makes_the_classes_attrs_makes():
    """Every attrs class a check defines, made without attrs, has attrs' fields (names, defaults,
    factories, converters, eq/repr/init/kw_only, aliases, types), slots, methods (the same code,
    names, defaults and annotations: ``__init__``, ``__eq__``, ``__ne__``, ``__hash__``,
    ``__repr__``, the frozen ``__setattr__``, pickling) and ``__match_args__``."""
    real = json.loads(_run(_DESCRIBE, lite=False))
    lite = json.loads(_run(_DESCRIBE, lite=True))
    assert len(real) > 60 and "dtracepy.tree.Ident" in real and "dtracepy.checks.Finding" in real
    assert sorted(lite) == sorted(real)
    for name in real:
        for key in real[name]:
            assert lite[name][key] == real[name][key], (name, key)


# Instances of the classes a check makes, used every way dtracepy uses them.
_BEHAVE = r'''
import pickle
import dtracepy.commands.check_cmd
import dtracepy.tree as t, dtracepy.checks as c
from dtracepy.checks.context import Access
from dtracepy.facts.options import Option
from dtracepy.source import Pos
import attrs
said = []
a = t.Binary("+", t.Ident("x", pos=Pos("f", 1, 2)), t.IntLit("1"))
b = t.Binary("+", t.Ident("x"), t.IntLit("1"))
said += [a == b, a != b, hash(a) == hash(b), repr(a), a.left.pos, b.left.pos, t.TypeName(()).declarator,
         t.Call(t.Ident("f"), [t.IntLit("2")]).args, t.Clause([t.ProbeDesc("BEGIN")], body=None)]
for node, name in ((a, "op"), (a, "pos"), (t.Program(), "items"), (Pos("f", 1), "line")):
    try:
        setattr(node, name, 1)
    except Exception as err:
        said.append([type(err).__module__, type(err).__qualname__, str(err)])
    try:
        delattr(node, name)
    except Exception as err:
        said.append([type(err).__module__, type(err).__qualname__, str(err)])
for bad in (lambda: t.Ident("not a name"), lambda: t.IntLit("09"), lambda: t.Comment("*/")):
    try:
        bad()
    except Exception as err:
        said.append([type(err).__qualname__, str(err)])
e = attrs.evolve(a, op="-")
said += [e, e.pos, attrs.evolve(t.Ident("y", pos=Pos("g", 3, 4)), name="z").pos,
         [f.name for f in attrs.fields(t.Ident)], attrs.fields(t.Ident).name.name]
said += [pickle.loads(pickle.dumps(a)) == a, pickle.loads(pickle.dumps(t.Ident("q", pos=Pos("f", 2)))).pos]
f = c.Finding("warning", "m", "x", Pos("f", 1, 1))
g = attrs.evolve(f, severity="error")
said += [f, g, f == g, f == attrs.evolve(g, severity="warning"), hash(f) == hash(attrs.evolve(f)), f != g]
try:
    f.severity = "error"
except Exception as err:
    said.append(type(err).__qualname__)
o = c.CheckOptions()
said += [o, o == c.CheckOptions(), hash(o) == hash(c.CheckOptions()), attrs.evolve(o, macro_args=2).macro_args]
d = c.Directives()
d.args = 3
said += [d, d == c.Directives(args=3), d.__hash__ is None]
x = Access("read", t.Ident("v"), "v")
x.zero = True
said += [x, x == Access("read", t.Ident("v"), "v", zero=True), Access.__hash__ is None,
         pickle.loads(pickle.dumps(x)) == x, Option("quiet", "toggle"), hash(Option("q", "t")) == hash(Option("q", "t"))]
match t.Binary("*", t.IntLit("2"), t.IntLit("3")):
    case t.Binary(op, left, right):
        said.append([op, left, right])
print(repr(said))
'''


def test_instances_behave_alike_with_or_without_attrs():
    """Equality ignoring ``pos``, hashing, reprs, the invariants, attrs' own
    ``FrozenInstanceError`` (attrs is imported to raise it), ``attrs.evolve`` and ``attrs.fields``,
    pickling and pattern matching: the same either way."""
    real = _run(_BEHAVE, lite=False)
    lite = _run(_BEHAVE, lite=True)
    assert "FrozenInstanceError" in real and "'attr.exceptions'" in real
    assert lite == real


def test_the_check_program_imports_neither_attrs_nor_re_nor_typing():
    """A seed-sized check (``python -m dtracepy check``) imports no attrs, ``re`` (nor ``enum``),
    ``typing``, ``inspect``, ``tokenize`` or ``linecache``: its classes and patterns are made from
    shipped code."""
    python, env = _python()
    result = subprocess.run([*python, "-X", "importtime", "-m", "dtracepy", "check", str(SEED)],
                            capture_output=True, text=True, cwd=ROOT, env=env)
    assert result.returncode == 0, result.stderr
    imported = {line.rsplit("|", 1)[1].strip() for line in result.stderr.splitlines()
                if line.startswith("import time:") and line.count("|") == 2}
    assert {"dtracepy.checks", "dtracepy.tree", "dtracepy.attrs_lite", "dtracepy.re_lite"} <= imported
    assert not {"attrs", "attr", "attr._make", "re", "enum", "typing", "inspect", "tokenize", "linecache",
                "platform"} & imported


def test_other_commands_and_callers_keep_attrs_and_re():
    """Only the program's ``check`` makes its classes without attrs: another command, a check
    with attrs or re already imported, or ``main()`` called by a library user, does not."""
    said = _run(
        "from dtracepy import cli\n"
        "print([cli._ship_classes(['compile', 'x.py']), cli._ship_classes(['--', 'layout', 'x.h']),"
        " 'attrs' in sys.modules, 're' in sys.modules])\n"
        "import attrs\n"
        "print(cli._ship_classes(['check', 'x.d']), cli._ship_classes(['--', 'check', 'x.d']))\n", lite=False)
    assert said.split("\n")[:2] == ["[False, False, False, False]", "False False"], said
    said = _run("print(sys.modules['re'].__name__, sys.modules['attrs'].__name__)\n", lite=True)
    assert said.strip() == "dtracepy.re_lite dtracepy.attrs_lite"
    said = _run("import re\nassert cli._ship_classes(['check', 'x.d'])\n"
                "print(sys.modules['re'].__name__, sys.modules['attrs'].__name__, len(sys.modules['re']._cache) > 10)\n",
                lite=False)
    assert said.strip() == "re dtracepy.attrs_lite True"   # (re imported already: its cache primed)


@pytest.mark.skipif(not re_lite.usable(), reason="the shipped patterns are another Python's")
def test_re_lite_makes_the_patterns_re_makes():
    """Every shipped pattern ``re_lite.compile`` makes equals ``re.compile``'s (same pattern,
    flags and code); its module functions are re's."""
    import re

    for pattern, flags, *_ in regex_codes.PATTERNS:
        made = re_lite.compile(pattern, flags)
        assert made == re.compile(pattern, flags) and made.groupindex == re.compile(pattern, flags).groupindex
        assert re_lite.compile(pattern, flags) is made
    text = "a1 b22 c333"
    for name, args in (("match", (r"[a-z]", text)), ("fullmatch", (r"\w+", "abc")), ("search", (r"\d+", text)),
                       ("sub", (r"(\d)", r"<\1>", text)), ("subn", (r"\d", "#", text, 2)),
                       ("split", (r" ", text)), ("findall", (r"\d+", text))):
        assert repr(getattr(re_lite, name)(*args)) == repr(getattr(re, name)(*args)), name
    assert [m.group() for m in re_lite.finditer(r"\d+", text)] == ["1", "22", "333"]
    assert (re_lite.IGNORECASE, re_lite.VERBOSE, re_lite.ASCII, re_lite.S) == (re.I, re.X, re.A, re.DOTALL)


_FALLBACK = r'''
import sys
from dtracepy import re_lite
sys.modules["re"] = re_lite
import re as mine
said = [mine is re_lite, mine.compile(r"not (shipped)+x").pattern, sys.modules["re"].__name__,
        mine.escape("a.b"), mine.error.__module__, mine.sub(r"(x)", r"\1\1", "axb")]
import re
said += [re is sys.modules["re"], re.__name__, "_compiler" in dir(re)]
print(said)
'''


def test_re_lite_gives_way_to_re():
    """A pattern ``re_lite`` does not ship, or anything else asked of it, imports Python's ``re``,
    which takes its place in ``sys.modules``; the module that took ``re_lite`` as ``re`` keeps
    working."""
    result = subprocess.run([sys.executable, "-c", _FALLBACK], capture_output=True, text=True, env=env_with(ROOT),
                            cwd=ROOT)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == ("[True, 'not (shipped)+x', 're', 'a\\\\.b', 're', 'axxb', True, 're', True]"), \
        result.stdout


def test_attrs_lite_refuses_what_it_cannot_make():
    """A class or field outside what attrs_lite makes as attrs does is refused (NotShipped), never
    made otherwise."""
    with pytest.raises(attrs_lite.NotShipped):
        attrs_lite.field(validator=lambda *a: None)

    class Unshipped:
        x: int = 1

    with pytest.raises(attrs_lite.NotShipped, match="no shipped attrs code"):
        attrs_lite.frozen(Unshipped)
    with pytest.raises(attrs_lite.NotShipped):
        attrs_lite.define(Unshipped, order=True)


def _both_ways(args: list[str]) -> tuple[str, str]:
    program = subprocess.run([sys.executable, "-m", "dtracepy", *args], capture_output=True, text=True,
                             cwd=ROOT, env=env_with(ROOT))
    caller = subprocess.run([sys.executable, "-c", "import sys\nfrom dtracepy.cli import main\nsys.exit(main(sys.argv[1:]))",
                             *args], capture_output=True, text=True, cwd=ROOT, env=env_with(ROOT))
    return (f"{program.returncode}\n{program.stdout}\n{program.stderr}",
            f"{caller.returncode}\n{caller.stdout}\n{caller.stderr}")


@pytest.mark.skipif(_corpus() is None, reason="no corpus")
@pytest.mark.parametrize("options", [[], ["-C", "--strict"]])
def test_a_check_of_the_corpus_says_the_same_either_way(options):
    """Every D script of the corpus, checked by the program (classes and patterns from shipped
    code) and by ``main()`` called in a process that has attrs and re (as a library user's):
    the same findings, messages and exit status."""
    files = sorted(str(p) for p in _corpus().rglob("*.d"))
    assert len(files) > 1000
    program, caller = _both_ways(["check", *options, *files])
    assert "internal error" not in program
    assert program == caller


def test_attrs_lite_refuses_a_stale_shipped_code():
    """A class whose fields are not those its shipped ``__init__`` was written for (a field added
    without regenerating ``attrs_codes.py``) is refused, not made with the old ``__init__``."""
    class Finding:
        severity: str
        message: str
        check: str
        extra: int = 0

    Finding.__module__, Finding.__qualname__ = "dtracepy.checks", "Finding"
    with pytest.raises(attrs_lite.NotShipped, match="not for its fields"):
        attrs_lite.frozen(Finding, slots=False)
