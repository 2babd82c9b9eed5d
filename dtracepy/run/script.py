"""What to run: a tracer (a :class:`~dtracepy.dsl.Tracer`, a tracer module ``.py``) compiled, or a
``.d`` file read, as a :class:`Prepared` script: the framed D text, the decoding plan, the flags
its ``#!`` line implies and the macro arguments it expects."""

from __future__ import annotations

import os

import attrs

from dtracepy import tree
from dtracepy.errors import DTracePyError
from dtracepy.run import framing
from dtracepy.run.shebang import Shebang, shebang
from dtracepy.source import Pos


@attrs.frozen
class Prepared:
    text: str                       # the D to run (framed when it could be)
    plan: framing.Plan
    name: str                       # for messages: the file or tracer
    cpp: bool = False
    quiet: bool = False
    zdefs: bool = False
    destructive_asked: bool = False   # the script's #! line or pragmas want -w
    destructive_pos: Pos | None = None   # where: the pragma, else the #! line (else ``pos``)
    # macro names used ($1, $$2, $target ...); None when unknown (a script dtracepy cannot parse)
    macros: tuple[str, ...] | None = ()
    # the tree printed as ``text`` (None: ``text`` is the user's file as written), so that
    # dtrace's errors about a line of ``text`` can name the user's line
    program: tree.Program | None = None
    pos: Pos | None = None            # where the tracer or script is, for errors about it as a whole
    # why dtracepy's parser could not read the script (then it runs as written, unframed)
    parse_error: DTracePyError | None = None
    options: tuple = ()               # (name, value or True) from the #! line (-x, -b, -F)
    cpp_args: tuple = ()              # -D/-I of the #! line, for dtrace -C (a script run as written)
    # the dialect a tracer was compiled for when it, or the run, named one (``Tracer(dialect=...)``,
    # ``--dialect``): what it was written for, said when dtrace does not know a type it casts to
    dialect: str | None = None
    # a D script's warnings from ``dtracepy check`` (its errors stopped it: see :func:`prepare_d`),
    # a tracer's from its compile (located at its Python lines, as ``dtracepy compile`` says them)
    findings: tuple = ()


def _destructive_pragma(program: tree.Program) -> tree.Pragma | None:
    """The first ``#pragma D option destructive``, if any."""
    return next((i for i in program.items if isinstance(i, tree.Pragma) and len(i.words) >= 3
                 and i.words[:2] == ("D", "option") and i.words[2].split("=")[0] == "destructive"), None)


def prepare_tracer(tracer, frame: bool = True, name: str | None = None, dialect=None,
                   detected: str | None = None) -> Prepared:
    """``dialect``: compile for it (``--dialect``); else for the tracer's own, if it names one;
    else for ``detected``, the dialect of the dtrace that will run it."""
    from dtracepy.compiler import macros_used

    named = dialect if dialect is not None else tracer.dialect if getattr(tracer, "dialect_given", False) else None
    if dialect is None and not getattr(tracer, "dialect_given", True):
        dialect = detected
    compiled = tracer.compile(dialect=dialect)
    flags = shebang(compiled.text, tracer.pos)
    program = _without_shebang(compiled.program)
    records = [(f"r{i}", rec) for i, rec in enumerate(tracer.records)]
    calls = {id(call): i for i, (_, rec) in enumerate(records) for call in rec.calls}
    if frame:
        program, plan = framing.frame_program(program, records, calls, framing.new_token())
        from dtracepy.printer import to_d

        text = to_d(program)
    else:
        text = compiled.text.split("\n", 1)[1] if compiled.text.startswith("#!") else compiled.text
        plan = framing.Plan(framed=False, token=framing.new_token())
    pragma = _destructive_pragma(program)
    return Prepared(text, plan, name or tracer.name or "tracer", cpp=flags.cpp, quiet=flags.quiet,
                    zdefs=flags.zdefs, destructive_asked=pragma is not None or flags.destructive,
                    destructive_pos=pragma.pos if pragma is not None else None,
                    macros=tuple(macros_used(program.items)), program=program, pos=tracer.pos,
                    options=flags.options, cpp_args=_cpp_args(flags),
                    dialect=None if named is None else str(named), findings=compiled.findings)


def _without_shebang(program: tree.Program) -> tree.Program:
    """``program`` without its ``#!`` line: dtrace is given its flags on the command line (and
    under ``-C`` the line, kept by the C preprocessor as ``# !...``, is an invalid directive)."""
    items = tuple(i for i in program.items if not isinstance(i, tree.Shebang) and not (
        isinstance(i, tree.Directive) and i.name == "" and i.text.startswith("!")))
    return program if len(items) == len(program.items) else attrs.evolve(program, items=items)


def _cpp_args(flags: Shebang) -> tuple:
    return tuple(a for d in flags.defines for a in ("-D", d)) + tuple(
        a for d in flags.include_dirs for a in ("-I", d))


def _checked(program: tree.Program, source: str, dialect: str | None, destructive: bool) -> tuple:
    """``dtracepy check``'s findings on a D script about to run, for ``dialect`` (the run's
    ``--dialect``, else the dtrace's own; None: not known): its errors raise a CompileError, as a
    tracer module's do, before dtrace starts (dtrace would refuse the script, or, for a provider
    definition on Oracle's, crash on it: SIGSEGV); its warnings are returned, to be shown.  A
    finding check gets wrong is silenced in the script by ``/* dtracepy: ignore[name] */``."""
    from dtracepy.checks import CheckOptions, check_program
    from dtracepy.errors import CompileError
    from dtracepy.facts.dialects import DEFAULT, dialect_named
    from dtracepy.parser import expanded

    options = CheckOptions(dialect=dialect_named(dialect or DEFAULT), dialect_given=dialect is not None,
                           destructive=destructive, expand=expanded)
    findings = tuple(check_program(program, options=options, source=source))
    errors = [f for f in findings if f.severity == "error"]
    if errors:
        raise CompileError.from_findings(errors)
    return findings


def _may_crash(item) -> bool:
    """Is ``item`` one on which a dialect's dtrace crashes: a provider definition, an inline (named
    as a clause-local, on Oracle's: SIGSEGV), ``#pragma D option core`` (SIGABRT and a core file)?
    A script holding one is checked for the dialect of the dtrace that runs it (``dtrace -V``,
    asked only then), so that the check refuses it before dtrace starts."""
    cls = item.__class__
    return cls is tree.Provider or cls is tree.Inline or (
        cls is tree.Pragma and item.words[:2] == ("D", "option") and len(item.words) > 2
        and item.words[2].split("=")[0] == "core")


def prepare_d(path: str, frame: bool = True, dialect: str | None = None, destructive: bool = False,
              detect=None) -> Prepared:
    """``dialect`` and ``destructive`` (the run's ``-w``): what the script is checked with;
    ``detect``: what tells the dtrace's dialect, asked when there is none and the script holds
    an item it may crash on (:func:`_may_crash`)."""
    from dtracepy.compiler import macros_used

    from dtracepy.inputs import read_input

    _, data = read_input(path)
    text = data.decode("utf-8", "surrogateescape")
    flags = shebang(text, Pos(path, 1))
    cpp = flags.cpp
    program = parse_error = None
    try:
        from dtracepy.parser import parse_bytes

        parsed = parse_bytes(data, path, cpp=cpp, include_dirs=flags.include_dirs, defines=flags.defines)
    except DTracePyError as err:
        parse_error = err
    findings = ()
    if parse_error is None:
        if dialect is None and detect is not None and any(map(_may_crash, parsed.items)):
            dialect = detect()
        findings = _checked(parsed, text, dialect, destructive)   # (with its #! line, as check reads it)
        program = _without_shebang(parsed)
    macros: tuple[str, ...] | None = None
    plan = framing.Plan(framed=False, token=framing.new_token())
    destructive = flags.destructive
    destructive_pos = Pos(path, 1) if destructive else None     # the #! line
    printed = None
    if program is not None:
        macros = tuple(macros_used(program.items))
        pragma = _destructive_pragma(program)
        if pragma is not None:
            destructive = True
            destructive_pos = pragma.pos or destructive_pos
        if frame:
            from dtracepy.printer import to_d

            printed, plan = framing.frame_program(program, token=plan.token)
            text = to_d(printed)
            # preprocessed already, but a system header dtracepy keeps as written (``#include
            # <linux/errno.h>``, its macros used below it) is dtrace's own cpp's to read
            cpp = cpp and tree.needs_cpp(printed.items)
    return Prepared(text, plan, path, cpp=cpp, quiet=flags.quiet, zdefs=flags.zdefs,
                    destructive_asked=destructive, destructive_pos=destructive_pos, macros=macros,
                    program=printed, pos=Pos(path, 1), parse_error=parse_error,
                    options=flags.options, cpp_args=_cpp_args(flags) if cpp else (), findings=findings)


def prepare(source, tracer_name: str | None = None, frame: bool = True, dialect=None,
            detected: str | None = None, destructive: bool = False, detect=None) -> Prepared:
    """A Tracer, a tracer module path (``.py``) or a D script path (``dialect`` and ``detected``:
    see :func:`prepare_tracer`; a D script is checked for ``dialect``, else ``detected``, with
    ``destructive`` actions allowed or not, and ``detect``: see :func:`prepare_d`)."""
    from dtracepy.dsl.tracer import Tracer

    if isinstance(source, Tracer):
        return prepare_tracer(source, frame, dialect=dialect, detected=detected)
    path = os.fspath(source)
    if path.endswith(".py"):
        from dtracepy.commands.compile_cmd import load_module, choose

        tracer = choose(load_module(path), path, tracer_name)
        return prepare_tracer(tracer, frame, name=path, dialect=dialect, detected=detected)
    named = dialect if dialect is not None else detected
    return prepare_d(path, frame, dialect=None if named is None else str(named), destructive=destructive,
                     detect=detect)
