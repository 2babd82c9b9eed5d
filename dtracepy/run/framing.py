"""The framed form of a program: what the D prints when dtracepy runs it, so the output decodes
without guessing.

Three rewrites of the compiled program (never of what ``dtracepy compile`` prints):

* every row a :class:`~dtracepy.dsl.Record` emits becomes
  ``printf("\\036R<n>\\037<f1>\\037<f2>...\\n", ...)``: a record-separator byte, the record's number,
  then each column's bare conversion after a unit-separator byte.  A string column is sent as
  ``s`` then a NUL byte (``%s%c`` of ``s, 0``: no D string holds a NUL), so its bytes come back
  exactly whatever they hold (separators, commas, quotes, ``%``, newlines); ``%Y`` is sent as
  the nanosecond count (``%d``) and ``%c`` as its code, so nothing is lost to formatting.  The header clause of a record is dropped:
  the decoder knows the titles.
* every ``printa(...)`` statement is bracketed by ``printf("\\036A\\037<n>\\n")`` and
  ``printf("\\036Z\\n")``; ``<n>`` says which aggregations and which format the block holds.
  The ``printa`` itself is framed when it can be: every entry ``\\036K`` then each key and value
  after a ``\\037`` (:func:`framed_default` when the type of every key is known from its
  expressions, :func:`framed_user` from the conversions of the user's format), so string keys
  holding spaces or newlines come back exactly; otherwise dtrace's default format is decoded by
  its layout, with a warning when that shows ambiguity.
* a first ``BEGIN`` clause prints ``\\036B``: dtrace is tracing (and handles SIGINT) from then on;
* a last ``END`` clause prints, bracketed the same way, every aggregation the program never hands
  to ``printa``: what dtrace would print at exit, now with names.  It is always there, between
  marks of its own (``\\036E``, ``\\036F``), so that the decoder hides it: without ``-q`` dtrace
  prints its probe prefix (``  0      2    :END``) and a blank line around what it prints, and
  after it only dtrace's own blank lines at exit follow.

Oracle's, illumos' and macOS' ``printf("%s")`` all copy a string's bytes as they are (checked
against Oracle D 2.0 here by ``tests/test_run_live.py``); none of them escapes control bytes.
So a traced string can hold the separator bytes, and a traced process chooses its strings (its
name, its file names, what it writes): were the marks only ``\036R``..., a user's
``printf("%s\n", copyinstr(arg1))`` could print a line that decodes as a forged record or ends
a printa block early.  Every mark therefore carries the run's *token* after the ``\036``: eight
random letters made per run (:func:`new_token`), which live only in the script dtracepy writes
to its private (mode 0700) directory and in dtracepy's memory.  ``\036`` then anything else is
text.  ``frame_program`` without a token (tests, ``compile``-like uses) frames with an empty one.
"""

from __future__ import annotations

import secrets
import string

import attrs

from dtracepy import tree
from dtracepy.facts.conversions import SYMBOL_KEY_CONVERSIONS, FormatError, parse_format

RS = "\x1e"
US = "\x1f"
TOKEN_LENGTH = 8


def new_token() -> str:
    """A run's secret for its marks (see the module's doc)."""
    return "".join(secrets.choice(string.ascii_letters) for _ in range(TOKEN_LENGTH))


@attrs.frozen
class Column:
    title: str
    fmt: str        # the column's format as written (``0x%08x``)
    kind: str       # int, hex, oct, float, str, time, char, sym
    framed: str     # its conversion(s) in the framed printf


def column(title: str, fmt: str) -> Column:
    convs = parse_format(fmt)     # (a Record's format holds exactly one conversion)
    if not convs:
        raise ValueError(f"column {title!r}: no printf conversion in {fmt!r}")
    length, letter = convs[0].size, convs[0].conv
    if letter in "sS":
        # a precision cuts the string as dtrace's printf cuts it (``%.2s`` of "hello" is "he";
        # dtrace takes ``%.0s`` and ``%.s`` for no precision: parse_format reads them as 0)
        if convs[0].precision:
            return Column(title, fmt, "str", f"%.{convs[0].precision}s%c")
        return Column(title, fmt, "str", "%s%c")
    if letter == "Y":
        return Column(title, fmt, "time", "%d")
    if letter in "cC":
        return Column(title, fmt, "char", "%d")
    if letter in "di":
        return Column(title, fmt, "int", f"%{length}d")
    if letter == "u":
        return Column(title, fmt, "int", f"%{length}u")
    if letter in "xX":
        return Column(title, fmt, "hex", f"%{length}x")
    if letter == "o":
        return Column(title, fmt, "oct", f"%{length}o")
    if letter == "p":
        return Column(title, fmt, "hex", "%p")
    if letter in "eEfgG":
        return Column(title, fmt, "float", f"%{length}{letter}")
    # %a %A (symbols), %T and the rest: text without separators
    return Column(title, fmt, "sym", f"%{letter}")


@attrs.frozen
class RecordSpec:
    number: int
    name: str
    columns: tuple[Column, ...]

    @property
    def titles(self) -> tuple[str, ...]:
        return tuple(c.title for c in self.columns)

    def framed_format(self, mark: str = RS) -> str:
        """The framed printf's format; ``mark`` is the plan's (``\\036`` and the token)."""
        return f"{mark}R{self.number}" + "".join(US + c.framed for c in self.columns) + "\n"


@attrs.frozen
class PrintaSpec:
    number: int
    names: tuple[str, ...]        # aggregation names ("" for @)
    fmt: str | None               # None: the default format
    # The framed form dtrace prints instead (None: printed as written): the kind of each field
    # after a ``\036K`` entry mark, in order: int, uint, hex, oct, float, str, sym, stack, agg.
    fields: tuple[str, ...] | None = None
    # an avg printed in the default format: dtrace's printa formats divide an average's sum
    # unsigned (``%@d`` of avg(-4), avg(3) prints 9223372036854775807 where its default format
    # prints 0), so the framed entries give the keys and dtrace's default printa, after a
    # ``V`` mark, the values (:func:`dtracepy.run.aggregations.paired_values`)
    paired: bool = False


@attrs.frozen
class AggInfo:
    name: str
    kind: str | None               # count, sum, quantize ... (None when it varies or is unknown)
    nkeys: int | None
    stack_keys: tuple[int, ...]
    # what is known for certain of each key's type (string, int, stack; None unknown); () when
    # the keys differ between assignments
    key_kinds: tuple = ()


@attrs.frozen
class Plan:
    """What the decoder needs to know of a framed program."""

    records: tuple[RecordSpec, ...] = ()
    printas: tuple[PrintaSpec, ...] = ()
    aggs: tuple[AggInfo, ...] = ()
    framed: bool = True
    added_clauses: int = 0      # clauses the framing added (dtrace counts their probes as matched)
    token: str = attrs.field(default="", kw_only=True)   # the run's secret (see the module's doc)

    @property
    def mark(self) -> str:
        """What every mark starts with: ``\\036`` and the token."""
        return RS + self.token

    def agg(self, name: str) -> AggInfo | None:
        for info in self.aggs:
            if info.name == name:
                return info
        return None


# --- analysis ------------------------------------------------------------------------------
def _call_name(node) -> str | None:
    if isinstance(node, tree.Call) and isinstance(node.callee, tree.Ident):
        return node.callee.name
    return None


def aggregation_info(program: tree.Program) -> tuple[AggInfo, ...]:
    """Each aggregation the program assigns: its aggregating function and keys, in order."""
    found: dict[str, AggInfo] = {}
    variables = _variable_kinds(program)
    for node in program.walk():
        if not isinstance(node, tree.Assign):
            continue
        target = node.target
        keys: tuple = ()
        if isinstance(target, tree.Index) and isinstance(target.base, tree.AggVar):
            name, keys = target.base.name, target.keys
        elif isinstance(target, tree.AggVar):
            name = target.name
        else:
            continue
        kind = _call_name(node.value)
        stacks = tuple(i for i, k in enumerate(keys) if _call_name(k) in ("stack", "ustack", "jstack"))
        kinds = tuple(_key_kind(k, variables) for k in keys)
        info = AggInfo(name, kind, len(keys), stacks, kinds)
        old = found.get(name)
        if old is None:
            found[name] = info
        elif old != info:
            same = old.key_kinds == kinds and old.nkeys == len(keys)
            found[name] = AggInfo(name, old.kind if old.kind == kind else None,
                                  old.nkeys if old.nkeys == len(keys) else None,
                                  old.stack_keys if old.stack_keys == stacks else (),
                                  kinds if same else ())
    return tuple(found.values())


def _key_kind(expr, variables=None) -> str | None:
    from dtracepy.checks.printf import kind

    if isinstance(expr, tree.Unary) and expr.op in ("-", "+", "~"):
        return "int" if _key_kind(expr.operand, variables) == "int" else None
    if variables and isinstance(expr, _VARIABLES):
        found = variables.get((expr.__class__, expr.name))
        if found is not None:
            return found
    found = kind(expr)
    if found in ("string", "int", "stack"):
        return found
    # func()/ufunc()/sym() ...: printed as a symbol's name, so entries of two addresses in one
    # function print alike (Oracle keeps one entry per address): said when they merge
    return "symbol" if _call_name(expr) in SYMBOL_KEY_CONVERSIONS else None


_VARIABLES = (tree.SelfVar, tree.ThisVar, tree.Ident)


def _variable_kinds(program: tree.Program) -> dict:
    """(class, name) -> ``string`` or ``int``, for each ``self->``, ``this->`` or global variable
    that every assignment in the program gives that kind (D types such a variable by its first
    assignment, program-wide, and refuses a later one of another type); a literal ``0`` (how
    dynamic variables are freed) fits either.  So ``@[self->name]`` with ``self->name =
    copyinstr(arg0)`` is a string key, framed, decoded exactly."""
    from dtracepy.facts import variables as builtins

    assigned: dict = {}
    for node in program.walk():
        if not isinstance(node, tree.Assign) or not isinstance(node.target, _VARIABLES):
            continue
        target = node.target
        if isinstance(target, tree.Ident) and (target.module is not None
                                               or target.name in builtins.KNOWN_NAMES):
            continue
        assigned.setdefault((target.__class__, target.name), []).append(node)
    kinds: dict = {}
    for _ in range(3):      # a variable assigned from another: a few rounds settle chains
        changed = False
        for key, assignments in assigned.items():
            found = set()
            for node in assignments:
                value = node.value
                if node.op != "=":
                    found.add("int")        # arithmetic (D refuses += on a string)
                elif isinstance(value, tree.IntLit) and value.text == "0":
                    continue
                else:
                    found.add(_key_kind(value, kinds))
            known = found.pop() if len(found) == 1 else None
            if known in ("string", "int") and kinds.get(key) != known:
                kinds[key] = known
                changed = True
        if not changed:
            break
    return kinds


# The framed printa: each entry is ``\036K`` then every field after a ``\037``; the decoder
# splits on the separators, so string keys holding spaces (or newlines) come back exactly.
ENTRY_KIND = "K"     # an entry mark: the plan's mark, then this
_KEY_CONVERSIONS = {"string": ("str", "%s"), "int": ("int", "%d"), "stack": ("stack", "%k")}
_USER_CONVERSIONS = {
    "d": ("int", "%d"), "i": ("int", "%d"), "u": ("uint", "%u"), "x": ("hex", "%x"),
    "X": ("hex", "%x"), "o": ("oct", "%o"), "p": ("hex", "%p"), "s": ("str", "%s"),
    "S": ("str", "%s"), "k": ("stack", "%k"), "a": ("sym", "%a"), "A": ("sym", "%A"),
    "c": ("str", "%c"), "C": ("str", "%c"), "T": ("sym", "%T"), "Y": ("sym", "%Y"),
    "e": ("float", "%e"), "E": ("float", "%e"), "f": ("float", "%f"), "g": ("float", "%g"),
    "G": ("float", "%g"),
}


def framed_default(info: AggInfo | None, mark: str = RS) -> tuple[tuple[str, ...], str] | None:
    """(fields, framed format) for ``printa(@a)`` when every key's type is known, else None."""
    if info is None or info.nkeys is None or len(info.key_kinds) != info.nkeys:
        return None
    if any(k not in _KEY_CONVERSIONS for k in info.key_kinds):
        return None
    convs = [_KEY_CONVERSIONS[k] for k in info.key_kinds] + [("agg", "%@d")]
    return tuple(f for f, _ in convs), mark + ENTRY_KIND + "".join(US + c for _, c in convs) + "\n"


def framed_user(fmt: str, naggs: int, mark: str = RS) -> tuple[tuple[str, ...], str] | None:
    """(fields, framed format) for ``printa(fmt, @a, ...)``: the user's conversions in their
    order, bare (no widths, no text between them); None for a format this cannot read."""
    fields, convs = [], []
    try:
        parsed = parse_format(fmt, located=False)
    except FormatError:
        return None
    for c in parsed:
        if c.agg:
            fields.append("agg")
            convs.append("%@u" if c.conv == "u" else "%@d")
            continue
        if c.positional or c.stars or c.conv not in _USER_CONVERSIONS:
            return None
        field, conv = _USER_CONVERSIONS[c.conv]
        fields.append(field)
        convs.append(conv)
    nvalues = fields.count("agg")
    if nvalues == 0 and naggs == 1:
        fields.append("agg")
        convs.append("%@d")
    elif nvalues != naggs:
        return None
    return tuple(fields), mark + ENTRY_KIND + "".join(US + c for c in convs) + "\n"


PAIRED = "V"         # in a paired block (PrintaSpec.paired): dtrace's default printa follows
END_OPEN = "E"       # dtracepy's END clause begins (its marks: the plan's mark, then this)
END_CLOSE = "F"      # ... and ends: dtrace prints only its own blank lines after it


# --- the rewrite ---------------------------------------------------------------------------
def _printf(text: str, *args) -> tree.ExprStmt:
    return tree.ExprStmt(tree.Call(tree.Ident("printf"), (tree.StringLit(text), *args)))


def _nul() -> tree.IntLit:
    """The NUL byte that ends a framed string (printed by ``%c``).  A string's length is not
    sent: ``strlen()`` in Oracle's D 2.0 corrupts the aggregations the same firing updates after
    it when the string has 18 bytes or more (``@c = count()`` then held the string's bytes plus
    one), and ``rindex(s, "")``, which does not, costs the kernel's BPF verifier so much that a
    record of six string columns was refused ("BPF program load ... failed: Argument list too
    long") where ``dtrace -s`` of the same D runs."""
    return tree.IntLit("0")


class _Framer:
    def __init__(self, records, record_calls, aggs=(), mark: str = RS):
        self.mark = mark
        self.aggs = {info.name: info for info in aggs}
        self.records = list(records)          # (name, Record) pairs
        self.record_calls = record_calls      # id(Call) -> index into records
        self.by_format: dict[str, int] = {}
        for i, (_, rec) in enumerate(self.records):
            self.by_format.setdefault(rec.format, i)
        self.specs = [RecordSpec(i, name, tuple(column(t, f) for t, f in rec.columns))
                      for i, (name, rec) in enumerate(self.records)]
        self.printas: list[PrintaSpec] = []
        self.printed: set[str] = set()

    def record_of(self, call: tree.Call) -> int | None:
        index = self.record_calls.get(id(call))
        if index is not None:
            return index
        if (call.args and isinstance(call.args[0], tree.StringLit)
                and call.args[0].value in self.by_format):
            index = self.by_format[call.args[0].value]
            if len(call.args) == len(self.records[index][1].columns) + 1:
                return index
        return None

    def printa_spec(self, call: tree.Call) -> PrintaSpec | None:
        args = call.args
        fmt = None
        if args and isinstance(args[0], tree.StringLit):
            fmt, args = args[0].value, args[1:]
        names = tuple(a.name for a in args if isinstance(a, tree.AggVar))
        if not names or len(names) != len(args):
            return None
        self.printed.update(names)
        return self.add_printa(names, fmt)

    def add_printa(self, names, fmt) -> PrintaSpec:
        paired = False
        if fmt is None:
            info = self.aggs.get(names[0]) if len(names) == 1 else None
            framed = framed_default(info, self.mark) if len(names) == 1 else None
            if framed is not None and info.kind == "avg":
                # see PrintaSpec.paired; not with a stack key, whose lines in the default format
                # are not known here
                paired = all(f in ("str", "int") for f in framed[0][:-1])
        else:
            framed = framed_user(fmt, len(names), self.mark)
            info = self.aggs.get(names[0]) if len(names) == 1 else None
            if (framed is not None and info is not None and info.nkeys is not None
                    and len(framed[0]) - 1 < info.nkeys):
                # the format prints fewer keys than there are: all of them when their types
                # are known (else the entries that differ only in the others would merge)
                framed = framed_default(info, self.mark) or framed
        spec = PrintaSpec(len(self.printas), names, fmt, framed[0] if framed else None,
                          paired=paired)
        self.printas.append(spec)
        return spec, (framed[1] if framed else None)

    def printa_stmt(self, spec: PrintaSpec, framed_fmt, stmt) -> list:
        default = stmt
        if framed_fmt is not None:
            call = stmt.expr
            args = tuple(tree.AggVar(n) for n in spec.names)
            stmt = tree.ExprStmt(tree.Call(call.callee, (tree.StringLit(framed_fmt), *args),
                                           pos=call.pos), pos=stmt.pos)
        paired = [_printf(f"{self.mark}{PAIRED}\n"), default] if spec.paired else []
        return [_printf(f"{self.mark}A{US}{spec.number}\n"), stmt, *paired, _printf(f"{self.mark}Z\n")]

    def stmt(self, stmt) -> list:
        if isinstance(stmt, tree.ExprStmt):
            name = _call_name(stmt.expr)
            if name == "printf":
                index = self.record_of(stmt.expr)
                if index is not None:
                    return [self.framed_row(self.specs[index], stmt.expr)]
            elif name == "printa":
                found = self.printa_spec(stmt.expr)
                if found is not None:
                    return self.printa_stmt(*found, stmt)
            return [stmt]
        if isinstance(stmt, tree.Block):
            return [attrs.evolve(stmt, body=tuple(self.body(stmt.body)))]
        if isinstance(stmt, tree.If):
            then = self.wrap(self.stmt(stmt.then))
            other = None if stmt.otherwise is None else self.wrap(self.stmt(stmt.otherwise))
            return [attrs.evolve(stmt, then=then, otherwise=other)]
        return [stmt]

    @staticmethod
    def wrap(stmts):
        return stmts[0] if len(stmts) == 1 else tree.Block(tuple(stmts))

    def body(self, body):
        out = []
        for stmt in body:
            out += self.stmt(stmt)
        return out

    def framed_row(self, spec: RecordSpec, call: tree.Call) -> tree.ExprStmt:
        args = []
        for col, value in zip(spec.columns, call.args[1:]):
            if col.kind == "str":
                args += [value, _nul()]
            else:
                args.append(value)
        return tree.ExprStmt(tree.Call(call.callee, (tree.StringLit(spec.framed_format(self.mark)), *args),
                                       pos=call.pos), pos=call.pos)


def _started_clause(mark: str) -> tree.Clause:
    return tree.Clause((tree.ProbeDesc("BEGIN"),), None, (_printf(f"{mark}B\n"),))


def started_script(token: str = "") -> tree.Program:
    """A script of its own, given to dtrace after a script that runs as the user wrote it
    (one dtracepy cannot parse, so cannot frame): its ``BEGIN`` says "tracing now" all the same.
    ``argref``: the user's macro arguments need not be used by this script (the pragma holds for
    the script it is in, not for the user's)."""
    return tree.Program((tree.Pragma(("D", "option", "argref")), _started_clause(RS + token)))


def _is_header_clause(item, header_texts) -> bool:
    if not (isinstance(item, tree.Clause) and item.predicate is None and item.body
            and len(item.body) == 1 and [p.text for p in item.probes] == ["BEGIN"]):
        return False
    stmt = item.body[0]
    return (isinstance(stmt, tree.ExprStmt) and _call_name(stmt.expr) == "printf"
            and len(stmt.expr.args) == 1 and isinstance(stmt.expr.args[0], tree.StringLit)
            and stmt.expr.args[0].value in header_texts)


def frame_program(program: tree.Program, records=(), record_calls=None,
                  token: str = "") -> tuple[tree.Program, Plan]:
    """The framed program and the plan its output decodes with.  ``records`` are (name, Record)
    pairs of the tracer, ``record_calls`` maps ``id()`` of their printf calls to their index;
    ``token`` is the run's secret (:func:`new_token`)."""
    aggs = aggregation_info(program)
    framer = _Framer(records, record_calls or {}, aggs, RS + token)
    header_texts = {rec.header_text.replace("%", "%%") for _, rec in framer.records}
    items = []
    for item in program.items:
        if header_texts and _is_header_clause(item, header_texts):
            continue
        if isinstance(item, tree.Clause) and item.body is not None:
            item = attrs.evolve(item, body=tuple(framer.body(item.body)))
        items.append(item)
    end_body = []
    for info in aggs:
        if info.name in framer.printed:
            continue
        spec, framed_fmt = framer.add_printa((info.name,), None)
        end_body += framer.printa_stmt(
            spec, framed_fmt, tree.ExprStmt(tree.Call(tree.Ident("printa"), (tree.AggVar(info.name),))))
    # The last END clause, always there: between its marks (E, F) what it prints is dtracepy's
    # own (without -q, dtrace's probe prefix before the first mark is dropped too), and what
    # dtrace prints after F is its own blank lines at exit.
    end_body = [_printf(f"{framer.mark}{END_OPEN}\n"), *end_body, _printf(f"{framer.mark}{END_CLOSE}\n")]
    items.append(tree.Clause((tree.ProbeDesc("END"),), None, tuple(end_body)))
    # The first BEGIN clause says "tracing now": every probe is enabled, SIGINT is handled.
    first = next((i for i, item in enumerate(items) if isinstance(item, tree.Clause)), len(items))
    items.insert(first, _started_clause(framer.mark))
    plan = Plan(tuple(framer.specs), tuple(framer.printas), aggs, added_clauses=2,
                token=token)
    return tree.Program(tuple(items)), plan
