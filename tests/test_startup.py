"""Start-up structure (not timings: those are in benchmarks/bench_check_cli.py and bench_compile.py).

``dtracepy check`` must not pay for what it does not use: ``dtracepy/__init__.py`` is lazy (PEP 562)
so importing the check command loads no printer, no DSL, no lark and no pycparser, while
``from dtracepy import Tracer, self, parse, to_d`` keeps working.  Also here: the precomputed shipped
layouts stay equal to a fresh parse of the headers, and the start-up-motivated rewrites of
:mod:`dtracepy.tree` (hand-written eq/hash/repr) and :func:`dtracepy.source.user_pos` (cached)
answer as before.
"""

from __future__ import annotations

import importlib
import json
import os
import subprocess
import sys

import attrs
import pytest
from tests.pythonpath import env_with

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def run_python(code: str) -> str:
    env = env_with(ROOT)
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, cwd=ROOT)
    assert result.returncode == 0, result.stderr
    return result.stdout


def loaded_after(statement: str) -> set[str]:
    out = run_python(f"import sys\n{statement}\nimport json\nprint(json.dumps(sorted(sys.modules)))")
    return set(json.loads(out.splitlines()[-1]))


def _under(modules: set[str], package: str) -> list[str]:
    return sorted(m for m in modules if m == package or m.startswith(package + "."))


def test_compile_caches_dtracepys_own_bytecode_but_not_the_tracers(tmp_path):
    """``compile`` writes no bytecode for the tracer's own files (as ``python tracer.py``), but the
    DSL's modules, which the tracer is the first to import, have theirs cached where Python caches
    bytecode: they were compiled from source on every compile where no install had written it."""
    import shutil

    tracer = tmp_path / "t.py"
    shutil.copy(os.path.join(ROOT, "examples", "tcpq.py"), tracer)
    prefix = tmp_path / "pycache"
    env = dict(env_with(ROOT), PYTHONPYCACHEPREFIX=str(prefix))
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    result = subprocess.run([sys.executable, "-m", "dtracepy", "compile", str(tracer), "-o", str(tmp_path / "t.d")],
                            capture_output=True, text=True, env=env, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    cached = {path.name.split(".")[0] for path in prefix.rglob("*.pyc")}
    assert {"tracer", "actions", "exprs", "scopes"} <= cached  # (dtracepy/dsl/)
    # dtracepy.layout, which the tracer is the first to import (compile_cmd._OwnBytecode)
    assert {"define", "model", "engine", "shipped"} <= cached
    assert "t" not in cached and not (tmp_path / "__pycache__").exists()


# -- what the check command imports ------------------------------------------------------------


@pytest.mark.parametrize("heavy", ["dtracepy.dsl", "dtracepy.printer", "dtracepy.layout", "lark", "pycparser",
                                   "pcpp"])
def test_check_command_does_not_import(heavy):
    modules = loaded_after("import dtracepy.commands.check_cmd")
    assert "dtracepy.commands.check_cmd" in modules
    assert not _under(modules, heavy)


def test_running_check_imports_no_dsl_printer_lark_or_pycparser(tmp_path):
    script = tmp_path / "x.d"
    script.write_text("syscall::read:entry\n/pid == $target/\n{\n\tself->ts = timestamp;\n}\n\n"
                      "syscall::read:return\n/self->ts/\n{\n\ttrace(timestamp - self->ts);\n\tself->ts = 0;\n}\n")
    modules = loaded_after(
        "from dtracepy.cli import main\n"
        f"assert main(['check', {str(script)!r}]) == 0")
    for heavy in ("dtracepy.dsl", "dtracepy.printer", "lark", "pycparser", "pcpp"):
        assert not _under(modules, heavy), heavy
    # each cost every check milliseconds of start-up: shutil (argparse's terminal width, with bz2
    # and lzma), difflib (only for did-you-mean), hashlib (OpenSSL; the tables' grammar check)
    for module in ("shutil", "difflib", "hashlib", "bz2", "lzma"):
        assert module not in modules, module
    # a plain check command line is read without argparse (cli._quick_check_args)
    assert "argparse" not in modules
    # facts/translated's tables (5 M instructions, 3.7x -> 3.9x `python -c pass`) only for a
    # script that uses args[] (session 17: a check of translated data used whole loaded them always)
    assert "dtracepy.facts.translated" not in modules


def _imported_by_the_program(*argv) -> list[str]:
    """The modules ``python -X importtime -m dtracepy ARGV`` imports, in order (the program itself,
    which ships attrs' methods and stands in for what attrs imports unused)."""
    result = subprocess.run([sys.executable, "-X", "importtime", "-m", "dtracepy", *argv], capture_output=True,
                            text=True, cwd=ROOT, env=env_with(ROOT))
    assert result.returncode == 0, result.stderr
    return [line.rsplit("|", 1)[1].strip() for line in result.stderr.splitlines()
            if line.startswith("import time:") and line.count("|") == 2][1:]


def test_the_program_checks_without_inspect_or_tokenize():
    """attrs imports ``inspect`` (which imports ``ast``, ``dis``, ``opcode``) and ``linecache``
    imports ``tokenize``, which a check never uses: ~20 M of a seed-sized check's 242 M machine
    instructions.  The program loads attrs' modules with stand-ins for them
    (``cli._LazyModule``), and reads a plain converter's annotations without ``inspect``
    (``cli._annotation_extractor``); a check imports no attrs at all (its classes are made from
    shipped code: ``tests/test_attrs_lite.py``)."""
    imported = _imported_by_the_program("check", os.path.join(ROOT, "benchmarks", "seed.d"))
    assert "dtracepy.checks" in imported and "attr._make" not in imported
    assert not {"inspect", "ast", "_ast", "dis", "opcode", "tokenize", "linecache"} & set(imported)


_STAND_INS = r'''
import sys, types
from dtracepy import cli
cli._ship_attrs_methods()
import attr, linecache
from functools import cached_property
said = ["inspect" in sys.modules, "tokenize" in sys.modules, type(attr._make.inspect).__name__,
        type(linecache.tokenize).__name__]


@attr.s(slots=True)
class C:  # (a cached property of a slotted class: attrs asks inspect.signature of it)
    x: int = attr.ib(converter=int)

    @cached_property
    def double(self) -> int:
        return self.x * 2

    def __attrs_pre_init__(self):  # (attrs asks inspect.signature of this too)
        pass


said += [C("4").double, C.__init__.__annotations__.get("x"), type(sys.modules["inspect"]) is types.ModuleType,
         attr._make.inspect is sys.modules["inspect"] is attr._compat.inspect]
said += [linecache.getline(cli.__file__, 1).startswith('"""The'), linecache.tokenize is sys.modules["tokenize"]]
import inspect, tokenize
said += [inspect.signature(len).__class__.__name__, tokenize.open.__name__]
print(said)
'''


def test_the_stand_ins_become_the_real_modules_when_used():
    """A stand-in for ``inspect`` or ``tokenize`` is the real module as soon as anything is
    asked of it (attrs' ``inspect.signature`` for a slotted class's cached property and an
    ``__attrs_pre_init__``; linecache reading a file), and is never what ``import inspect``
    gives another module."""
    said = run_python(_STAND_INS).strip()
    assert said == ("[False, False, '_LazyModule', '_LazyModule', 8, None, True, True, True, True, "
                    "'Signature', 'open']"), said


def _annotated(text: str, future: bool = False):
    namespace = {}
    exec(compile(("from __future__ import annotations\n" if future else "") + text, "<t>", "exec"), namespace)
    return namespace["f"]


def _callables():
    import functools

    def wrapped(x: int) -> str:
        return str(x)

    @functools.wraps(wrapped)
    def wrapper(*args, **kwargs):
        return wrapped(*args, **kwargs)

    signed = _annotated("def f(a: int) -> int: return a")
    signed.__signature__ = None
    text_signed = _annotated("def f(a: int) -> int: return a")
    text_signed.__text_signature__ = "(b)"
    keyword_named = _annotated("def f(a: int): return a")
    keyword_named.__code__ = keyword_named.__code__.replace(co_varnames=("class",))
    keyword_named.__annotations__ = {"class": int}

    class Callable:
        def __call__(self, x: bytes) -> float:
            return 0.0

    return [
        _annotated("def f(x: int) -> str: return x"), _annotated("def f(x): return x"),
        _annotated("def f(x: 'List[int]', y: int = 2) -> 'X': return x", True),
        _annotated("def f(*args: int, k: str, **kw: bytes) -> None: pass"),
        _annotated("def f(*, k: str, **kw: bytes): pass"), _annotated("def f(**kw: bytes) -> int: pass"),
        _annotated("def f(a: int, /, b: str) -> bool: pass"), _annotated("def f() -> None: pass"),
        _annotated("def f(a: None) -> None: pass"), _annotated("def f(*a): pass"),
        _annotated("f = lambda x: x"), wrapper, signed, text_signed, keyword_named, len, int, str.upper,
        functools.partial(wrapped), Callable(), Callable().__call__, _tuple_converter(),
    ]


def _tuple_converter():
    from dtracepy import tree

    return tree._tuple


def test_the_annotation_reader_reads_as_attrs_does():
    """The program's annotation reader (no ``inspect`` for a plain function) says what attrs'
    own says of every kind of converter; only plain functions are read without ``inspect``."""
    from attr import _compat

    from dtracepy import cli

    base = _compat._AnnotationExtractor
    assert base.__module__ == "attr._compat" and base.__bases__ == (object,)  # (the test process's own)
    mine = cli._annotation_extractor(base, modules={})
    plain = 0
    for callable_ in _callables():
        theirs, ours = base(callable_), mine(callable_)
        assert (ours.get_first_param_type(), ours.get_return_type()) == \
               (theirs.get_first_param_type(), theirs.get_return_type()), callable_
        plain += type(ours.sig).__name__ == "_Annotations"
    assert plain == 12
    # once anything imported inspect, it is attrs' own reading
    assert type(cli._annotation_extractor(base)(_tuple_converter()).sig).__name__ == "Signature"


def test_facts_translated_reads_its_members_without_the_pattern():
    """``facts/translated.py`` reads its ~260 member declarations from their ends: its pattern,
    whose lazy ``(.*?)`` tried every start, cost every compile 15 M machine instructions."""
    code = ("import re\ncalls = []\nreal = re.fullmatch\n"
            "re.fullmatch = lambda *a, **k: calls.append(a) or real(*a, **k)\n"
            "import dtracepy.facts.translated as t\n"
            "print(len(calls), sum(map(len, t.TYPES.values())) > 200)")
    assert run_python(code).split() == ["0", "True"]


def test_facts_translated_reads_a_member_as_its_pattern_does():
    import random
    import re

    from dtracepy.facts import translated

    rng = random.Random(8)
    alphabet = ["a", "b", "_", "1", "*", " ", "[", "]", "\u00e9", "+", "\t", "int", "char", "x"]
    tried = 0
    for _ in range(20000):
        decl = " ".join("".join(rng.choice(alphabet) for _ in range(rng.randint(1, 9))).split())
        if not decl:
            continue
        match = re.fullmatch(translated._MEMBER, decl)
        mine = translated._member(decl)
        assert mine is None or (match is not None and mine == match.groups()), decl
        tried += mine is not None
    assert tried > 5000
    for decl in ("char * * x", "x", "**x", "int x [4]", "int x[]", "struct ucred *p_ucred", "char pr_fname[16]"):
        assert translated._member(decl) == re.fullmatch(translated._MEMBER, decl).groups(), decl


def test_the_layout_module_imports_no_difflib():
    """difflib only suggests a member's name (``layout/model.py``): a compile of a tracer that
    uses ``dtracepy.layout`` does not import it."""
    assert "difflib" not in loaded_after("import dtracepy.layout")


def test_check_with_a_misspelt_option_still_suggests(tmp_path):
    script = tmp_path / "x.d"
    script.write_text("#pragma D option dynvarsise=16m\nBEGIN { exit(0); }\n")
    result = subprocess.run([sys.executable, "-m", "dtracepy", "check", str(script)], capture_output=True,
                            text=True, cwd=ROOT, env=dict(os.environ, PYTHONPATH=ROOT))
    assert result.returncode == 1
    assert "did you mean 'dynvarsize'?" in result.stderr


# -- the command line: building only the named subcommand changes no output ----------------------


@pytest.mark.parametrize("argv", [
    ["check", "-h"], ["check"], ["check", "x.d", "--bogus"], ["check", "--dialect", "x", "x.d"],
    ["check", "--macro-args", "many", "x.d"], ["compile", "-h"], ["compile"], ["run", "-h"], ["run"],
    ["run", "x.d", "--duration", "-1"], ["layout", "-h"], ["layout", "x.h", "t", "--abi", "vax"],
    ["import", "-h"], ["import"], ["chek", "x.d"], ["-h"], ["--bogus"], []])
def test_partial_argument_parser_says_what_the_full_one_does(argv, capsys, monkeypatch):
    from dtracepy import cli

    monkeypatch.setenv("COLUMNS", "100")
    said = []
    for only in (None, argv[0] if argv and not argv[0].startswith("-") else None):
        try:
            args, extra = cli._build_parser(only).parse_known_args(argv)
            outcome = (vars(args), extra)
        except SystemExit as exit_info:
            outcome = exit_info.code
        said.append((outcome, capsys.readouterr()))
    assert said[0] == said[1]


_QUICK_WORDS = ["a.d", "-", "", "--strict", "--syntax-only", "-w", "-C", "--str", "-wC", "--", "-x", "-1",
                "--dialect", "oracle", "--disable=names", "-h", "b c.d"]


def _argparse_outcome(argv):
    from dtracepy import cli

    try:
        args, extra = cli._build_parser(argv[0]).parse_known_args(argv)
    except SystemExit:
        return None
    return None if extra else vars(args)


def _quick_lines_taken(reader, command: str, words: list[str], most: int) -> int:
    """How many command lines of up to ``most`` of ``words`` after ``command`` ``reader`` takes;
    each one it takes gets the arguments argparse gives it."""
    import itertools

    taken = 0
    for size in range(most + 1):
        for line in itertools.product(words, repeat=size):
            argv = [command, *line]
            quick = reader(argv)
            if quick is not None:
                taken += 1
                assert vars(quick) == _argparse_outcome(argv), argv
    return taken


def test_quick_check_arguments_are_argparses(capsys):
    """Every command line of up to three words after ``check`` (from the words above) that the
    quick reader takes gets the arguments argparse gives it; the plain ones are taken."""
    from dtracepy import cli

    assert _quick_lines_taken(cli._quick_check_args, "check", _QUICK_WORDS, 3) > 200
    capsys.readouterr()
    for argv in (["check", "a.d"], ["check", "-"], ["check", "--strict", "a.d", "b.d", "-w"],
                 ["check", "a.d", "-C", "--syntax-only"]):
        assert vars(cli._quick_check_args(argv)) == _argparse_outcome(argv)
    for argv in (["check"], ["check", "a.d", "-w", "b.d"], ["check", "--dialect", "oracle", "a.d"],
                 ["check", "a.d", "--"], ["check", "-h"], ["compile", "a.py"], []):
        assert cli._quick_check_args(argv) is None


_QUICK_COMPILE_WORDS = ["t.py", "-", "", "--check", "-o", "--output", "o.d", "-x.d", "--chec", "--", "-h",
                        "--tracer", "--dialect", "oracle", "-oX", "--output=o.d", "-1"]


def test_quick_compile_arguments_are_argparses(capsys):
    """Every command line of up to four words after ``compile`` (from the words above) that the
    quick reader takes gets the arguments argparse gives it; the plain ones are taken, others are
    left to argparse."""
    from dtracepy import cli

    assert _quick_lines_taken(cli._quick_compile_args, "compile", _QUICK_COMPILE_WORDS, 4) > 200
    capsys.readouterr()
    for argv in (["compile", "t.py"], ["compile", "t.py", "-o", "o.d"], ["compile", "--check", "--output", "o.d", "t.py"]):
        assert vars(cli._quick_compile_args(argv)) == _argparse_outcome(argv)
    for argv in (["compile"], ["compile", "t.py", "--tracer", "x"], ["compile", "t.py", "-o", "a", "-o", "b"],
                 ["compile", "t.py", "-o"], ["check", "a.d"], []):
        assert cli._quick_compile_args(argv) is None


def test_compile_imports_no_argparse_nor_traceback(tmp_path):
    """A plain ``compile`` command line is read without argparse, and a tracer that compiles
    needs no traceback module (textwrap, its import, compiles patterns)."""
    code = ("import os, sys\n"
            "from dtracepy.cli import main\n"
            f"sys.argv = ['dtracepy', 'compile', {os.path.join(ROOT, 'examples', 'tcpq.py')!r}, '-o', {str(tmp_path / 't.d')!r}]\n"
            "status = main()\n"
            "print(status, sorted(m for m in ('argparse', 'traceback', 'textwrap') if m in sys.modules))\n")
    assert run_python(code).split(None, 1) == ["0", "[]\n"]


def test_check_ends_without_finalizing_once_its_output_is_out(tmp_path):
    """The check command ends with ``os._exit`` (no freeing of the tree, modules ...), after its
    output is flushed: every finding arrives, with the usual exit status, and nothing registered
    to run at exit runs."""
    script = tmp_path / "x.d"
    script.write_text("".join(f"BEGIN {{ x = y{i}; }}\n" for i in range(3000)) + "BEGIN { self->z = 1 }\n")
    program = ("import atexit, sys\n"
               "atexit.register(lambda: print('finalized', file=sys.stderr))\n"
               f"sys.argv = ['dtracepy', 'check', '--strict', {str(script)!r}]\n"
               "from dtracepy.cli import main\n"
               "sys.exit(main())\n")
    with open(tmp_path / "err", "w") as err:
        result = subprocess.run([sys.executable, "-c", program], stdout=subprocess.PIPE, stderr=err,
                                env=env_with(ROOT), cwd=ROOT)
    said = (tmp_path / "err").read_text().splitlines()
    assert result.returncode == 1
    assert "finalized" not in said
    assert len(said) == 3001 and said[-1].endswith("[self-unused]")
    assert sum(line.endswith("[undefined-name]") for line in said) == 3000


def test_check_ends_as_usual_when_its_output_cannot_be_flushed(monkeypatch):
    from dtracepy import cli

    ended = []
    monkeypatch.setattr(cli.os, "_exit", ended.append)

    class Broken:
        def flush(self):
            raise BrokenPipeError

    cli._end_now(1)
    assert ended == [1]
    monkeypatch.setattr(cli.sys, "stdout", Broken())
    cli._end_now(0)
    assert ended == [1]


@pytest.mark.parametrize("fails", [False, True])
def test_the_checks_run_with_the_collector_off(fails, tmp_path, monkeypatch, capsys):
    """``check`` runs the checks with the cyclic collector off (as the parser runs) and turns it
    back on after them, when they fail too."""
    import gc

    import dtracepy.commands.check_cmd as check_cmd
    from dtracepy.cli import main

    script = tmp_path / "x.d"
    script.write_text("BEGIN { exit(0); }\n")
    seen = []
    real = check_cmd.check_program

    def check_program(*args, **kwargs):
        seen.append(gc.isenabled())
        if fails:
            raise ValueError("a checker bug")
        return real(*args, **kwargs)

    monkeypatch.setattr(check_cmd, "check_program", check_program)
    was = gc.isenabled()
    gc.enable()
    try:
        assert main(["check", str(script), str(script)]) == (1 if fails else 0)
        assert gc.isenabled()
    finally:
        (gc.enable if was else gc.disable)()
    assert seen == [False, False]
    capsys.readouterr()


def test_help_follows_the_terminal_width(monkeypatch):
    from dtracepy import cli

    for columns in ("40", "200"):
        monkeypatch.setenv("COLUMNS", columns)
        import shutil

        assert cli._terminal_columns() == shutil.get_terminal_size().columns
    monkeypatch.delenv("COLUMNS")
    assert cli._terminal_columns() == shutil.get_terminal_size().columns


def test_import_dtracepy_alone_is_empty():
    modules = loaded_after("import dtracepy")
    assert _under(modules, "dtracepy") == ["dtracepy"]


def test_submodule_import_does_not_pull_in_the_dsl():
    modules = loaded_after("from dtracepy import tree\nfrom dtracepy import errors, parser")
    assert not _under(modules, "dtracepy.dsl")
    assert not _under(modules, "dtracepy.printer")


# -- the public names still work ---------------------------------------------------------------


def test_public_names_import():
    out = run_python(
        "from dtracepy import Tracer, self, this, parse, to_d, at\n"
        "from dtracepy import tree, same_tree, Pos, DSyntaxError, CompileError, exit, id, max, sum\n"
        "import dtracepy.dsl as dsl, dtracepy.tree as T, dtracepy.parser as P, dtracepy.printer as R\n"
        "assert Tracer is dsl.Tracer and self is dsl.self and this is dsl.this and at is dsl.at\n"
        "assert parse is P.parse and to_d is R.to_d and tree is T and exit is dsl.exit\n"
        "assert to_d(parse('BEGIN { exit(0); }')) == 'BEGIN\\n{\\n\\texit(0);\\n}\\n'\n"
        "print('ok')")
    assert out.strip() == "ok"


def test_all_and_dir_are_right():
    out = run_python(
        "import dtracepy, dtracepy.dsl as dsl\n"
        "core = ['tree', 'parse', 'to_d', 'same_tree', 'Pos', 'DTracePyError', 'DSyntaxError', 'DSLError',\n"
        "        'CompileError', 'LayoutError']\n"
        "assert sorted(dtracepy.__all__) == sorted(core + list(dsl.__all__)), dtracepy.__all__\n"
        "assert len(set(dtracepy.__all__)) == len(dtracepy.__all__)\n"
        "names = dir(dtracepy)\n"
        "assert set(dtracepy.__all__) <= set(names) and names == sorted(names)\n"
        "ns = {}\n"
        "exec('from dtracepy import *', ns)\n"
        "assert set(ns) - {'__builtins__'} == set(dtracepy.__all__)\n"
        "for name in dtracepy.__all__:\n"
        "    assert getattr(dtracepy, name) is ns[name]\n"
        "print('ok')")
    assert out.strip() == "ok"


def test_unknown_names_raise_attribute_error():
    import dtracepy

    with pytest.raises(AttributeError):
        dtracepy.no_such_name  # noqa: B018
    with pytest.raises(AttributeError):
        dtracepy._private  # noqa: B018
    assert not hasattr(dtracepy, "not_a_dsl_name")


# -- shipped layouts: the precomputed data equals a fresh parse ---------------------------------


def test_shipped_layouts_match_a_fresh_parse():
    S = importlib.import_module("dtracepy.layout.shipped")

    fresh = S.build_data()
    if os.environ.get("DTRACEPY_REGEN"):
        S.write_data()
    with open(S.DATA_PATH, encoding="utf-8") as handle:
        stored = json.load(handle)
    assert set(stored) == {header for header, _ in S.SHIPPED.values()}
    for header in stored:
        assert sorted(stored[header]["abis"]) == sorted(S.ABIS)
    assert stored == fresh, ("dtracepy/layout/shipped_layouts.json is stale; regenerate it with "
                             "DTRACEPY_REGEN=1 python3 -m pytest tests/test_startup.py")


@pytest.mark.parametrize("abi", ["x86_64", "i386", "aarch64", "sparcv9"])
@pytest.mark.parametrize("name", ["ip", "tcphdr"])
def test_shipped_layout_from_data_equals_parsed(name, abi):
    S = importlib.import_module("dtracepy.layout.shipped")

    header, type_name = S.SHIPPED[name]
    loaded = S.shipped(name, abi=abi)
    parsed = S._parse(header, abi)[type_name]
    assert loaded is not parsed
    assert S.dump_layout(loaded) == S.dump_layout(parsed)
    assert loaded.abi == parsed.abi and loaded.name == parsed.name
    assert [f.to_json() for f in loaded.fields] == [f.to_json() for f in parsed.fields]
    assert S.shipped(name, abi=abi) is loaded  # built once per process


def test_stale_header_falls_back_to_parsing(monkeypatch):
    S = importlib.import_module("dtracepy.layout.shipped")

    S._load.cache_clear()
    monkeypatch.setattr(S, "_checksum", lambda header: -1)
    try:
        ip = S.shipped("ip")
        assert ip is S._parse("ip.h", "x86_64")["struct ip"]
    finally:
        S._load.cache_clear()


def test_layout_data_roundtrip_keeps_nested_records_and_pointers():
    from dtracepy.layout import parse_layouts
    S = importlib.import_module("dtracepy.layout.shipped")

    layouts = parse_layouts("struct node { struct node *next; struct { int a : 3, b : 5; } in; "
                            "char name[4][2]; void *p; };", abi="sparcv9")
    node = layouts["struct node"]
    data = S.dump_layout(node)
    again = S.load_layout(json.loads(json.dumps(data)), "sparcv9")
    assert S.dump_layout(again) == data
    assert again.members[0].type.target is again
    assert [f.to_json() for f in again.fields] == [f.to_json() for f in node.fields]


# -- tree.py: hand-written eq/hash/repr behave as attrs' generated ones --------------------------


def test_tree_equality_hash_and_repr():
    from dtracepy import tree as T
    from dtracepy.source import Pos

    a = T.Binary("+", T.IntLit("1"), T.Ident("x"), pos=Pos("f.d", 1, 2))
    b = T.Binary("+", T.IntLit("1", pos=Pos("g.d", 3)), T.Ident("x"))
    assert a == b and not (a != b) and hash(a) == hash(b)
    assert a != T.Binary("-", T.IntLit("1"), T.Ident("x"))
    assert T.IntLit("1") != T.CharLit("1") and T.EmptyStmt() == T.EmptyStmt()
    assert T.Ident("x") != "x" and T.Ident("x").__eq__("x") is NotImplemented
    assert hash(T.EmptyStmt()) == hash(T.EmptyStmt())
    assert len({T.IntLit("1"), T.IntLit("1", pos=Pos("f", 1)), T.IntLit("2")}) == 2
    assert repr(a) == "Binary(op='+', left=IntLit(text='1'), right=Ident(name='x', module=None))"
    assert repr(T.EmptyStmt()) == "EmptyStmt()"
    assert attrs.evolve(a, op="-").op == "-" and attrs.evolve(a, op="-").pos == a.pos
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        a.op = "-"


def test_children_follow_field_order():
    from dtracepy import tree as T

    call = T.Call(T.Ident("f"), (T.IntLit("1"), T.Ident("y")))
    assert list(call.children()) == [T.Ident("f"), T.IntLit("1"), T.Ident("y")]
    assert list(T.EmptyStmt().children()) == []
    assert [type(n).__name__ for n in T.ExprStmt(call).walk()] == ["ExprStmt", "Call", "Ident", "IntLit", "Ident"]


# -- source.user_pos: cached per file, still relative to the current directory -------------------


def test_user_pos_follows_the_working_directory(tmp_path, monkeypatch):
    from dtracepy import source

    filename = str(tmp_path / "tracer.py")
    code = compile("def where():\n    return user_pos()\n", filename, "exec")
    namespace = {"user_pos": source.user_pos}
    exec(code, namespace)
    monkeypatch.chdir(tmp_path)
    assert str(namespace["where"]()) == "tracer.py:2"
    assert str(namespace["where"]()) == "tracer.py:2"
    monkeypatch.chdir(tmp_path.parent)
    assert str(namespace["where"]()) == os.path.join(tmp_path.name, "tracer.py") + ":2"


# -- cli.main: the cyclic collector is off during start-up only ----------------------------------


@pytest.mark.parametrize("argv", [["check", "{script}"], ["check", "{script}", "--bogus"], ["--version"],
                                  ["check", "/no/such/file.d"]])
@pytest.mark.parametrize("enabled", [True, False])
def test_main_leaves_the_collector_as_it_found_it(argv, enabled, tmp_path, capsys):
    import gc

    from dtracepy.cli import main

    script = tmp_path / "x.d"
    script.write_text("BEGIN { exit(0); }\n")
    argv = [a.format(script=script) for a in argv]
    was = gc.isenabled()
    (gc.enable if enabled else gc.disable)()
    try:
        try:
            main(argv)
        except SystemExit:
            pass
        assert gc.isenabled() is enabled
    finally:
        (gc.enable if was else gc.disable)()
    capsys.readouterr()


def test_the_program_runs_with_the_collector_on_and_start_up_frozen(tmp_path):
    script = tmp_path / "x.d"
    script.write_text("BEGIN { exit(0); }\n")
    code = ("import gc, sys\n"
            "import dtracepy.commands.check_cmd as c\n"
            "real = c.run\n"
            "def run(args):\n"
            "    print(gc.isenabled(), gc.get_freeze_count() > 1000)\n"
            "    return real(args)\n"
            "c.run = run\n"
            f"sys.argv = ['dtracepy', 'check', {str(script)!r}]\n"
            "from dtracepy.cli import main\n"
            "sys.exit(main())")
    assert run_python(code).split() == ["True", "True"]
