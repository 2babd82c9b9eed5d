"""``dtracepy import``: a D script becomes a tracer module written with the DSL.

* :func:`import_program` (a parsed :class:`~dtracepy.tree.Program`) and :func:`import_d` (D
  text) return the module's Python source.
* ``exact=True`` (``--exact``, faithful): the module compiles back to a tree equal to the
  original's, comments and layout aside (:func:`same_program`), with ``Tracer(cleanup=False)``
  since the D zeroes its thread-locals itself, and ``t.keep`` for each thread-local it leaks (so
  that ``dtracepy compile`` of the module does not refuse the leak: it is the original's).  The module is executed and compared before it is
  returned, so a construct the DSL cannot rebuild is an error, never a wrong module.
* default (idiomatic): :mod:`dtracepy.importer.idioms` first rewrites the program as a person
  would write it with dtracepy (hand zeroing left to the cleanup, records, ``at``...), and notes
  the thread-locals the original leaks.

What the DSL cannot say is a :class:`CannotImport` error located in the D file:
``x.d:12:5: error: cannot import ...: the DSL has no ...``.
"""

from __future__ import annotations

from dtracepy import tree
from dtracepy.importer.exprs import CannotImport

__all__ = ["CannotImport", "import_d", "import_program", "run_module", "same_program", "comparable"]


def import_program(program: tree.Program, filename: str = "<string>", *, exact: bool = False,
                   verify: bool = True, text: "str | None" = None) -> str:
    """The tracer module (Python source) that builds ``program``; given ``text``, the D it was
    parsed from (not preprocessed), the comments inside its clauses are kept too.

    It runs with the cyclic collector off, as the parser, ``check`` and the compiler do: what it
    makes (lines, scans, the module's tracer) is freed by reference counting, and the
    collections set off by making it scanned the parsed tree again and again (half the work of
    importing 4 MiB of dense D)."""
    import gc

    collecting = gc.isenabled()
    gc.disable()
    try:
        return _import_program(program, filename, exact, verify, text)
    finally:
        if collecting:
            gc.enable()


def _import_program(program, filename, exact, verify, text) -> str:
    from dtracepy.importer.module import ModuleWriter

    from dtracepy.importer.idioms import faithful_plan, idiomatic

    source_program = program
    printed = None
    if exact and verify:
        printed = refuse_exact_over_limit(program)  # (before the module is written, run and compiled)
    if exact:
        plan = faithful_plan(program)  # t.keep for the original's leaks: the D stays the same
    else:
        program, plan = idiomatic(program)
    writer = ModuleWriter(program, filename, exact=exact, plan=plan, text=text)
    try:
        source = writer.write()
    except RecursionError:
        raise CannotImport("this script", "way to nest expressions this deeply",
                           program.items[0].pos if program.items else None) from None
    longest = writer.longest
    # (what the writer and the idioms kept, its names and the scan, is not needed to check the
    # module: 30 MB of the 90,000 clauses of the largest `import --exact`, freed first)
    del writer, plan, program
    if verify and exact:
        check_exact(source, source_program, filename, printed)
    elif longest >= _DEEP_LINE and _maybe_too_deep(source):
        try:
            compile(source, filename + ".py", "exec", dont_inherit=True)
        except (SyntaxError, RecursionError, MemoryError) as err:
            why = err.msg if isinstance(err, SyntaxError) else type(err).__name__
            raise CannotImport("this script", f"way to write it as Python that Python compiles ({why})",
                               source_program.items[0].pos if source_program.items else None) from None
    return source


#: The shortest line that may nest past what Python compiles (see _maybe_too_deep).
_DEEP_LINE = 400


def _maybe_too_deep(source: str) -> bool:
    """Whether the module may nest past what Python compiles (200 parentheses, 100 indentation
    levels): a line of 190 ``(`` or 400 blanks of indentation, which only a long line holds.  Then
    (rarely) Python compiles it to know; else the module is not compiled here (that would cost
    plain ``import`` seconds at the size limit).  Asked only of a module whose writer saw a line
    of :data:`_DEEP_LINE` characters or more (the usual module is not split into lines here)."""
    lines = source.splitlines()
    return any(len(line) >= _DEEP_LINE and (line.count("(") >= 190 or line.startswith(" " * _DEEP_LINE))
               for line in lines)


def exact_size_at_least(program: tree.Program, record: "list | None" = None) -> int:
    """At least how many bytes the D of ``program``'s faithful module is, known before the module
    is written: the module compiles to a program whose items other than comments are
    ``program``'s (:func:`check_exact` refuses it otherwise), and comments only add text between
    them.  The text printed here puts one empty comment first, as the compiled program puts its
    header comment first (the printer spells a ``#!`` directive apart when it is the first item;
    a clause stands without braces by what follows it, the same there), then takes that
    comment's ``/**/`` and the blank line after it away again.  ``record``: filled as
    :func:`~dtracepy.printer.to_d` fills it, the D of each item (for :class:`Printed`)."""
    from dtracepy.printer import to_d

    text = to_d(tree.Program((tree.Comment(""),) + comparable(program)), record=record)
    size = len(text) if text.isascii() else len(text.encode("utf-8", "surrogatepass"))
    return size - len("/**/\n\n")


#: What ``--exact``'s proof of a script costs (it writes the module, runs it through the DSL and
#: compiles it back), counted in nodes of D: a node 1, a clause :data:`EXACT_CLAUSE_NODES` more and
#: any other top-level item but a comment :data:`EXACT_ITEM_NODES` more (each is a Python statement
#: of the module of its own: a decorated function, a ``t.declare``, a ``t.inline`` ...).  A script
#: whose count is over :data:`MAX_EXACT_NODES` is refused at once.  The weights and the bound are
#: fitted to the instructions of the shapes of script measured in session 21 (docs/PERFORMANCE.md,
#: "Session 21, exact22"): the costliest a node is dense expressions (``x = a+b+...+h;``, 136,000
#: instructions a node, against 99,000 in one-line clauses); an empty clause costs two such nodes
#: and one more, a declaration or an ``inline`` two or three and two more.
EXACT_CLAUSE_NODES = 1
EXACT_ITEM_NODES = 3
#: The most nodes ``--exact`` proves, counted as above.  Session 17 measured the proof at 13 to 20
#: microseconds a node on the 2-core machine of the README's Benchmarks and bounded it at 150,000
#: nodes (3 s at a medium hour; issue 8's 5 s at a slow one): 90,000 clauses took 9.3 s, more than
#: half of it Python compiling the module's text and the DSL making its nodes, which an exact proof
#: cannot skip.  Session 18 made the compile of the module's tracer cheaper (175,000), session 19
#: printed the original once and cut the DSL's work a clause (185,000), each measured on one-line
#: clauses.  Session 21 found shapes that cost more a node at that bound (28,400 one-line clauses,
#: 18.5 G instructions): 10,200 statements `x = a+b+...+h;` (185,000 nodes) 25 G, 92,000 empty
#: clauses 36 G, 92,000 declarations 54 G (6 to 9 s).  So the bound is now the count at which the
#: costliest shape measured takes what one-line clauses took at 185,000 nodes: 133,500 (17,800
#: one-line clauses, 7,400 such statements, 44,500 empty clauses, 26,700 declarations).  Session 24
#: broke the module's long statements without parsing them back (``pyfmt.wrap_chain``): dense
#: expressions 2,471 K -> 2,033 K instructions a statement, so empty clauses (376 K each, three
#: counted) are the costliest a counted node now, and the bound is where they cost the same
#: 18,268 M: 145,000 (19,300 one-line clauses, 8,050 such statements, 48,300 empty clauses,
#: 29,000 declarations; "Session 24, import25").  Session 25 skipped the compile's parser-stack
#: walk of a statement its nodes prove short (dense statements 2,034 K -> 1,787 K) and cut the
#: compiler's walk of a clause (empty clauses 370 K -> 360 K, still the costliest a counted node):
#: 151,000 (20,100 one-line clauses, 8,380 such statements, 50,300 empty clauses, 30,200
#: declarations; "Session 25, exact26").
#: Bytes or lines do not bound it: `x;` is 2 nodes in 4 bytes, a dense clause 30 nodes on a line.
MAX_EXACT_NODES = 151_000


def exact_count(program: tree.Program) -> "tuple[int, int, int]":
    """(the nodes of D ``program`` has, its top-level items other than comments, what ``--exact``
    counts it as: see :data:`MAX_EXACT_NODES`)."""
    nodes = node_count(program)
    items = weight = 0
    Comment, Clause = tree.Comment, tree.Clause
    for item in program.items:
        cls = item.__class__
        if cls is Comment:
            continue
        items += 1
        weight += EXACT_CLAUSE_NODES if cls is Clause else EXACT_ITEM_NODES
    return nodes, items, nodes + weight


def node_count(program: tree.Program) -> int:
    """How many nodes of D ``program`` has (as many as ``program.walk()`` gives, less the
    Program itself), counted by the checks' index of the tree (no generator step a node: the
    walk's were a third of the bound's work at 23,000 clauses)."""
    from dtracepy.checks.context import Context

    return Context(program, None).node_count() - 1


class Printed:
    """The original's items other than comments and their D, as :func:`exact_size_at_least`
    printed them: the compile of the module's tracer takes the D of its items from here when they
    are equal to these (``compile_tracer``'s ``printed``), the same text as printing them again
    gives (``to_d``'s ``known``), and notes whether they were (``same``), so that
    :func:`check_exact` does not compare them a second time."""

    __slots__ = ("items", "record", "same")

    def __init__(self, items: tuple, record: list):
        self.items, self.record = items, record
        self.same: "bool | None" = None  # (not compared yet)

    def known_for(self, program: tree.Program) -> "list | None":
        self.same = comparable(program) == self.items
        return self.record if self.same else None


def refuse_exact_over_limit(program: tree.Program) -> "Printed | None":
    """``--exact`` of a script it cannot prove within bounds: more than :data:`MAX_EXACT_NODES`
    nodes as :func:`exact_count` counts them, or a faithful module that prints D over the input
    limit (the DSL prints the D it reads compact in full, indented).  Refused here, from the original tree (a count and a printing of
    it, under a second for 100,000 clauses), not after writing, running and compiling the module
    (9 s for 90,000 clauses; 30 s for 100,000, then refused by the compiler), with what to do
    instead.  Else the original's items as printed for the size (:class:`Printed`)."""
    from dtracepy.inputs import LIMIT_TEXT, MAX_INPUT_BYTES

    nodes, items, count = exact_count(program)
    if count > MAX_EXACT_NODES:
        why = (f"it is {nodes:,} nodes of D in {items:,} clauses and other items, which --exact counts as "
               f"{count:,} (each a Python statement of the module to compile and run: a clause counts "
               f"{EXACT_CLAUSE_NODES} node more, another item {EXACT_ITEM_NODES}), over the {MAX_EXACT_NODES:,} that "
               "it proves within a few seconds (it writes the module, runs it and compiles it back)")
    else:
        record: list = []
        size = exact_size_at_least(program, record)
        if size <= MAX_INPUT_BYTES:
            return Printed(comparable(program), record)
        why = (f"its faithful module would compile to at least {size:,} bytes of D, over {LIMIT_TEXT}, which "
               "dtracepy check refuses (the DSL prints each statement on a line of its own, indented)")
    raise CannotImport.saying(
        f"cannot import this script exactly: {why}; import it without --exact (an idiomatic module, "
        "which is not compiled back), or split the script", program.items[0].pos if program.items else None)


def import_d(text: str, filename: str = "<string>", *, exact: bool = False, verify: bool = True) -> str:
    from dtracepy.parser import parse

    return import_program(parse(text, filename), filename, exact=exact, verify=verify, text=text)


def comparable(program: tree.Program) -> tuple:
    """The items that equality of programs is about: comments are layout."""
    return tuple(item for item in program.items if not isinstance(item, tree.Comment))


def same_program(a: tree.Program, b: tree.Program) -> bool:
    return comparable(a) == comparable(b)


def run_module(source: str, filename: str = "<imported>", namespace: "dict | None" = None):
    """Execute a generated module (in ``namespace``, if given); its one Tracer."""
    from dtracepy.dsl import context
    from dtracepy.dsl.tracer import Tracer
    from dtracepy.importer import pieces
    from dtracepy.source import forget_line_tables, working_directory_fixed

    if namespace is None:
        namespace = {}
    namespace["__name__"] = "_dtracepy_imported"
    try:
        try:
            # (in pieces for a large module: Python's compile of it whole held 150 bytes a byte;
            # the module, the importer's own, changes no working directory)
            with working_directory_fixed():
                pieces.run(source, filename, namespace)
        except ImportError as err:
            import re

            m = re.search(r"cannot import name '(\w+)'", str(err))
            raise CannotImport("this script", f"{m.group(1) if m else err.name} yet") from None
    finally:
        context.reset()
        forget_line_tables()
    return next(v for v in namespace.values() if isinstance(v, Tracer))


def compile_module(source: str, filename: str = "<imported>", *, checks: bool = True):
    """Run the module and compile its tracer."""
    return run_module(source, filename).compile(checks=checks)


def check_exact(source: str, program: tree.Program, filename: str, printed: "Printed | None" = None) -> None:
    """The faithful module rebuilds ``program``; else a CannotImport at the first difference.
    ``printed``: :func:`refuse_exact_over_limit`'s, the original's D to take instead of printing
    the rebuilt items again (compared before they are printed; see :class:`Printed`)."""
    from dtracepy.compiler import compile_tracer
    from dtracepy.errors import DTracePyError

    namespace: dict = {}
    try:
        tracer = run_module(source, filename + ".py", namespace)
        # The module's functions and their code (its namespace is their globals: a cycle, which
        # the collector, off while importing, would not free) are not needed to compile the
        # tracer: dropped first (50 MB of the module of 90,000 clauses)
        namespace.clear()
        compiled = compile_tracer(tracer, checks=False, printed=printed)
    except CannotImport:
        raise
    except DTracePyError as err:
        raise CannotImport("this script exactly", f"way to rebuild it ({err.message})",
                           program.items[0].pos if program.items else None) from None
    except (SyntaxError, RecursionError, MemoryError) as err:
        # (a module Python cannot compile or run, nested past its limits: "too many nested
        # parentheses"; located, never an internal error)
        why = err.msg if isinstance(err, SyntaxError) else type(err).__name__
        raise CannotImport("this script exactly", f"way to write it as Python that Python compiles ({why})",
                           program.items[0].pos if program.items else None) from None
    if printed is not None and printed.same:  # (compared before the compile printed them)
        return
    want, got = comparable(program), comparable(compiled.program)
    if want == got:
        return
    for i, item in enumerate(want):
        if i >= len(got) or got[i] != item:
            raise CannotImport(f"this {type(item).__name__.lower()} exactly",
                               "spelling that rebuilds it as written", item.pos)
    raise CannotImport("this script exactly", "way to leave out what it adds at the end",
                       program.items[-1].pos if program.items else None)
