"""The framed form of a program: what the D prints when dtracepy runs it, so the output decodes
without guessing.

Three rewrites of the compiled program (never of what ``dtracepy compile`` prints):

* every row a :class:`~dtracepy.dsl.Record` emits becomes
  ``printf("\\036R<n>\\037<f1>\\037<f2>...\\n", ...)``: a record-separator byte, the record's number,
  then each column's bare conversion after a unit-separator byte.  A string column is sent as
  ``strlen(s)`` then ``s`` (``%d\\037%s``), so its bytes come back exactly whatever they hold
  (separators, commas, quotes, ``%``, newlines); ``%Y`` is sent as the nanosecond count (``%d``) and
  ``%c`` as its code, so nothing is lost to formatting.  The header clause of a record is dropped:
  the decoder knows the titles.
* every ``printa(...)`` statement is bracketed by ``printf("\\036A\\037<n>\\n")`` and
  ``printf("\\036Z\\n")``; ``<n>`` says which aggregations and which format the block holds.
* a first ``BEGIN`` clause prints ``\\036B``: dtrace is tracing (and handles SIGINT) from then on;
* a last ``END`` clause prints, bracketed the same way, every aggregation the program never hands
  to ``printa``: what dtrace would print at exit, now with names.

Oracle's, illumos' and macOS' ``printf("%s")`` all copy a string's bytes as they are (checked
against Oracle D 2.0 here by ``tests/test_run_live.py``); none of them escapes control bytes.
"""

from __future__ import annotations

import re

import attrs

from dtracepy import tree

RS = "\x1e"
US = "\x1f"

_CONV = re.compile(r"%([-#+ 0'?@$]*)([0-9*]*)((?:\.[0-9*]*)?)(hh|h|ll|l|L|w|z|j|t)?([aAcCdiouxXeEfgGkpsSTY])")


@attrs.frozen
class Column:
    title: str
    fmt: str        # the column's format as written (``0x%08x``)
    kind: str       # int, hex, oct, float, str, time, char, sym
    framed: str     # its conversion(s) in the framed printf


def column(title: str, fmt: str) -> Column:
    m = _CONV.search(fmt.replace("%%", ""))
    if m is None:
        raise ValueError(f"column {title!r}: no printf conversion in {fmt!r}")
    length = m.group(4) or ""
    letter = m.group(5)
    if letter in "sS":
        return Column(title, fmt, "str", "%d" + US + "%s")
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

    @property
    def framed_format(self) -> str:
        return f"{RS}R{self.number}" + "".join(US + c.framed for c in self.columns) + "\n"


@attrs.frozen
class PrintaSpec:
    number: int
    names: tuple[str, ...]        # aggregation names ("" for @)
    fmt: str | None               # None: the default format


@attrs.frozen
class AggInfo:
    name: str
    kind: str | None               # count, sum, quantize ... (None when it varies or is unknown)
    nkeys: int | None
    stack_keys: tuple[int, ...]


@attrs.frozen
class Plan:
    """What the decoder needs to know of a framed program."""

    records: tuple[RecordSpec, ...] = ()
    printas: tuple[PrintaSpec, ...] = ()
    aggs: tuple[AggInfo, ...] = ()
    framed: bool = True
    added_clauses: int = 0      # clauses the framing added (dtrace counts their probes as matched)

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
        info = AggInfo(name, kind, len(keys), stacks)
        old = found.get(name)
        if old is None:
            found[name] = info
        elif old != info:
            found[name] = AggInfo(name, old.kind if old.kind == kind else None,
                                  old.nkeys if old.nkeys == len(keys) else None,
                                  old.stack_keys if old.stack_keys == stacks else ())
    return tuple(found.values())


# --- the rewrite ---------------------------------------------------------------------------
def _printf(text: str, *args) -> tree.ExprStmt:
    return tree.ExprStmt(tree.Call(tree.Ident("printf"), (tree.StringLit(text), *args)))


def _strlen(value) -> tree.Call:
    return tree.Call(tree.Ident("strlen"), (value,))


class _Framer:
    def __init__(self, records, record_calls):
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
        spec = PrintaSpec(len(self.printas), names, fmt)
        self.printas.append(spec)
        self.printed.update(names)
        return spec

    def stmt(self, stmt) -> list:
        if isinstance(stmt, tree.ExprStmt):
            name = _call_name(stmt.expr)
            if name == "printf":
                index = self.record_of(stmt.expr)
                if index is not None:
                    return [self.framed_row(self.specs[index], stmt.expr)]
            elif name == "printa":
                spec = self.printa_spec(stmt.expr)
                if spec is not None:
                    return [_printf(f"{RS}A{US}{spec.number}\n"), stmt, _printf(f"{RS}Z\n")]
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
                args += [_strlen(value), value]
            else:
                args.append(value)
        return tree.ExprStmt(tree.Call(call.callee, (tree.StringLit(spec.framed_format), *args),
                                       pos=call.pos), pos=call.pos)


def _started_clause() -> tree.Clause:
    return tree.Clause((tree.ProbeDesc("BEGIN"),), None, (_printf(f"{RS}B\n"),))


def started_script() -> tree.Program:
    """A script of its own, given to dtrace after a script that runs as the user wrote it
    (one dtracepy cannot parse, so cannot frame): its ``BEGIN`` says "tracing now" all the same.
    ``argref``: the user's macro arguments need not be used by this script (the pragma holds for
    the script it is in, not for the user's)."""
    return tree.Program((tree.Pragma(("D", "option", "argref")), _started_clause()))


def _is_header_clause(item, header_texts) -> bool:
    if not (isinstance(item, tree.Clause) and item.predicate is None and item.body
            and len(item.body) == 1 and [p.text for p in item.probes] == ["BEGIN"]):
        return False
    stmt = item.body[0]
    return (isinstance(stmt, tree.ExprStmt) and _call_name(stmt.expr) == "printf"
            and len(stmt.expr.args) == 1 and isinstance(stmt.expr.args[0], tree.StringLit)
            and stmt.expr.args[0].value in header_texts)


def frame_program(program: tree.Program, records=(), record_calls=None) -> tuple[tree.Program, Plan]:
    """The framed program and the plan its output decodes with.  ``records`` are (name, Record)
    pairs of the tracer, ``record_calls`` maps ``id()`` of their printf calls to their index."""
    framer = _Framer(records, record_calls or {})
    header_texts = {rec.header_text.replace("%", "%%") for _, rec in framer.records}
    aggs = aggregation_info(program)
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
        spec = PrintaSpec(len(framer.printas), (info.name,), None)
        framer.printas.append(spec)
        end_body += [_printf(f"{RS}A{US}{spec.number}\n"),
                     tree.ExprStmt(tree.Call(tree.Ident("printa"), (tree.AggVar(info.name),))),
                     _printf(f"{RS}Z\n")]
    if end_body:
        items.append(tree.Clause((tree.ProbeDesc("END"),), None, tuple(end_body)))
    # The first BEGIN clause says "tracing now": every probe is enabled, SIGINT is handled.
    first = next((i for i, item in enumerate(items) if isinstance(item, tree.Clause)), len(items))
    items.insert(first, _started_clause())
    plan = Plan(tuple(framer.specs), tuple(framer.printas), aggs, added_clauses=2 if end_body else 1)
    return tree.Program(tuple(items)), plan
