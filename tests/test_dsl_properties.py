"""Properties over random DSL programs (hypothesis):

* the D the compiler prints reads back (dtracepy.parser) to the tree it printed;
* every thread-local set in an :entry clause is zeroed by a later clause on the matching :return
  probe, for every entry probe of the clause (or at the clear point the program names).
"""

import string

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dtracepy import tree as T
from dtracepy.dsl.values import wrap
from dtracepy.dsl import (
    Tracer, agg, and_, arg0, arg1, at, cast, cond, count, execname, htons, if_, else_, not_, or_,
    printf, quantize, self, this, timestamp, tid, trace, xor, dot, deref, macro, stringof,
)

ENTRY = ["fbt:ip:tcp_conn_request:entry", "syscall::read:entry", "syscall::accept*:entry",
         "pid$target::malloc:entry", "fbt::tcp_*:entry"]
OTHER = ["BEGIN", "profile-997", "syscall::read:return", "proc:::exec-success"]
SELF_NAMES = ["ts", "fd", "conn", "port", "q"]
THIS_NAMES = ["a", "b"]
TEXT = st.text(alphabet=string.printable + "é€\x01", max_size=12)
BINOPS = ["+", "-", "*", "/", "%", "&", "|", "^", "<<", ">>", "==", "!=", "<", "<=", ">", ">="]


# Thread-locals read by the clause being generated (its predicate and body).
_READS: list = []


def _read_self(name):
    _READS.append(name)
    return getattr(self, name)


def _number(value):
    """``value``, unless it is a string (``execname``): htons() and quantize() take no string
    (the argument-type rule refuses it, as dtrace does); arg0 then."""
    from dtracepy.checks.printf import kind

    return arg0 if kind(value._node) == "string" else value


def _integer(value):
    """``value``, unless it is a string or certainly a pointer (``(uint16_t *)x``): dtrace refuses a
    pointer as an operand of ``* / % << >> & | ^``, of unary ``- ~ +``, or compared with a non-zero
    constant, and so does the compiler (checks/operands.py); arg0 then."""
    from dtracepy.checks.operands import _is_pointer

    value = _number(value)
    return arg0 if _is_pointer(value._node) else value


def gen_expr(data, readable_self, readable_this, depth=0):
    leaves = [lambda: arg0, lambda: arg1, lambda: timestamp, lambda: tid, lambda: execname,
              lambda: data.draw(st.integers(-2**63, 2**64 - 1)), lambda: macro(1)]
    if readable_self:
        leaves.append(lambda: _read_self(data.draw(st.sampled_from(sorted(readable_self)))))
    if readable_this:
        leaves.append(lambda: getattr(this, data.draw(st.sampled_from(sorted(readable_this)))))
    if depth >= 3 or data.draw(st.integers(0, 2)) == 0:
        return wrap(data.draw(st.sampled_from(leaves))())

    def sub():
        return gen_expr(data, readable_self, readable_this, depth + 1)

    kind = data.draw(st.integers(0, 11))
    if kind <= 3:
        op = data.draw(st.sampled_from(BINOPS))
        a, b = sub(), sub()

        def apply(a, b):
            return {"+": a.__add__, "-": a.__sub__, "*": a.__mul__, "/": a.__truediv__,
                    "%": a.__mod__, "&": a.__and__, "|": a.__or__, "^": a.__xor__,
                    "<<": a.__lshift__, ">>": a.__rshift__, "==": a.__eq__, "!=": a.__ne__,
                    "<": a.__lt__, "<=": a.__le__, ">": a.__gt__, ">=": a.__ge__}[op](b)

        # numbers only: dtrace refuses most operators on a string (execname * 2, execname +
        # execname), and a string compared with a variable an integer typed (execname != self->ts),
        # and so do the DSL and the compiler (checks/operands.py)
        a, b = _integer(a), _integer(b)
        if op in ("/", "%"):
            b = b | 1  # (never a constant 0: dtrace folds it and refuses it, and so does the compiler)
        return apply(a, b)
    if kind == 4:
        # (a string is no operand of && || ^^, nor the condition of ?:, if_ or a predicate:
        # dtrace refuses them, and so does the compiler: checks/operands.py)
        return data.draw(st.sampled_from([and_, or_, xor]))(_number(sub()), _number(sub()))
    if kind == 5:
        # (not of a string: dtrace refuses -execname, and so does the DSL)
        return data.draw(st.sampled_from([lambda x: -x, lambda x: ~x, not_, lambda x: +x]))(_integer(sub()))
    if kind == 6:
        # (branches of one kind: an integer beside a string, or beside a pointer, is refused,
        # checks/operands.py)
        return cond(_number(sub()), _integer(sub()), _integer(sub()))
    if kind == 7:
        # (no string: dtrace refuses a string cast to anything but string or void)
        return cast(_number(sub()), data.draw(st.sampled_from(["int", "uint16_t *", "struct ip *", "unsigned long"])))
    if kind == 8:
        return at(_number(sub()), data.draw(st.integers(0, 4096)), data.draw(st.sampled_from(["uint32_t", "tcp_t *"])))
    if kind == 9:
        # (nor a pointer: htons() takes a uint16_t, and dtrace refuses a pointer there, "argument #1
        # is incompatible with prototype", as does the compiler: review18's R1)
        return htons(_integer(sub()))
    # (members of a pointer or a struct: dtrace refuses arg0->x and arg0.x, "operator -> must be applied
    # to a pointer", as does the compiler: review19's R1)
    if kind == 10:
        return getattr(cast(_number(sub()), "tcp_t *"), data.draw(st.sampled_from(["tcp_connp", "b_rptr"])))
    return dot(deref(cast(_number(sub()), "tcp_t *")), "u_port.tcpu_ports")


def gen_body(data, entry, readable_self, assigned, readable_this, depth=0):
    for _ in range(data.draw(st.integers(0, 4))):
        kind = data.draw(st.integers(0, 6))
        if kind <= 1:
            name = data.draw(st.sampled_from(SELF_NAMES))
            value = gen_expr(data, readable_self, readable_this)
            if isinstance(value._node, T.IntLit) and value._node.value == 0:
                value = 1   # assigning 0 zeroes a thread-local; it is not a set
            # (a variable holds one type, given by its first assignment: a string or a pointer where
            # another assignment gives an integer is refused, as dtrace refuses it; so neither)
            value = _integer(wrap(value))
            setattr(self, name, value)
            assigned.add(name)
        elif kind == 2:
            name = data.draw(st.sampled_from(THIS_NAMES))
            value = _integer(gen_expr(data, readable_self, readable_this))  # (one type: as above)
            setattr(this, name, value)
            readable_this.add(name)
        elif kind == 3:
            values = [gen_expr(data, readable_self, readable_this) for _ in range(data.draw(st.integers(0, 3)))]
            printf(data.draw(TEXT).replace("%", "%%") + " %d" * len(values) + "\n", *values)
        elif kind == 4:
            if data.draw(st.booleans()):
                # (a key holds one type in every use: as above)
                agg.calls[execname, _number(gen_expr(data, readable_self, readable_this))] = count()
            else:
                agg.lat = quantize(_number(gen_expr(data, readable_self, readable_this)))
        elif kind == 5 and depth < 2:
            with if_(_number(gen_expr(data, readable_self, readable_this))):
                gen_body(data, entry, readable_self, assigned, readable_this, depth + 1)
            if data.draw(st.booleans()):
                with else_():
                    gen_body(data, entry, readable_self, assigned, readable_this, depth + 1)
        else:
            trace(stringof(gen_expr(data, readable_self, readable_this)))


def gen_tracer(data):
    t = Tracer(options={"quiet": True})
    readable_self: set = set()   # thread-locals assigned by an earlier clause
    kept: set = set()
    entry_sets: dict = {}        # name -> entry descriptions that set it
    uses: list = []              # (descriptions, names read or set) per clause
    for _ in range(data.draw(st.integers(1, 6))):
        if data.draw(st.booleans()):
            descs = data.draw(st.lists(st.sampled_from(ENTRY), min_size=1, max_size=3, unique=True))
            entry = True
        else:
            descs = [data.draw(st.sampled_from(OTHER))]
            entry = False
        _READS.clear()
        when = _number(gen_expr(data, readable_self, set())) if data.draw(st.booleans()) else None
        assigned: set = set()

        def body():
            gen_body(data, entry, readable_self, assigned, set())

        t.probe(*descs, when=when)(body)
        uses.append((descs, set(_READS) | assigned))
        if entry:
            for name in assigned:
                entry_sets.setdefault(name, set()).update(descs)
        if not entry:
            for name in assigned - kept:
                if data.draw(st.booleans()):
                    t.keep(getattr(self, name))
                else:
                    t.clear(getattr(self, name), at="syscall::exit:entry")
                kept.add(name)
        readable_self |= assigned
    # A thread-local used outside its entry/return pair needs a clear point (issue 9, bug 5).
    for name, entries in entry_sets.items():
        pair = entries | {e[: -len("entry")] + "return" for e in entries}
        if name not in kept and any(name in names and not set(descs) <= pair for descs, names in uses):
            if data.draw(st.booleans()):
                t.keep(getattr(self, name))
            else:
                t.clear(getattr(self, name), at="syscall::exit:entry")
            kept.add(name)
    return t


PROFILE = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@PROFILE
@given(st.data())
def test_random_programs_read_back_to_the_tree_they_printed(data):
    from dtracepy.parser import parse

    compiled = gen_tracer(data).compile(checks=False)
    assert parse(compiled.text, "<generated>") == compiled.program


def _zeroed_later(clauses, index, probe, name):
    for later in clauses[index + 1:]:
        if probe in {p.text for p in later.probes} and later.predicate is None:
            for stmt in later.body or ():
                if (isinstance(stmt, T.ExprStmt) and isinstance(stmt.expr, T.Assign)
                        and stmt.expr.target == T.SelfVar(name) and stmt.expr.value == T.IntLit("0")):
                    return True
    return False


def _sets(body):
    for stmt in body or ():
        if isinstance(stmt, T.If):
            yield from _sets([stmt.then] + ([stmt.otherwise] if stmt.otherwise else []))
        elif isinstance(stmt, T.Block):
            yield from _sets(stmt.body)
        elif (isinstance(stmt, T.ExprStmt) and isinstance(stmt.expr, T.Assign)
              and isinstance(stmt.expr.target, T.SelfVar) and stmt.expr.value != T.IntLit("0")):
            yield stmt.expr.target.name


@PROFILE
@given(st.data())
def test_every_thread_local_is_zeroed_on_every_path(data):
    t = gen_tracer(data)
    clauses = t.compile(checks=False).program.clauses
    for index, clause in enumerate(clauses):
        for name in set(_sets(clause.body)):
            point = t.clear_points.get(name)
            if point is not None:
                targets = point.probes          # () for kept on purpose
            else:
                targets = [p.text[: -len("entry")] + "return" for p in clause.probes]
                assert all(p.text.endswith(":entry") for p in clause.probes)
            for probe in targets:
                assert _zeroed_later(clauses, index, probe, name), (name, probe)


def test_predicate_starting_with_a_dereference_reads_back():
    from dtracepy.dsl import deref
    from dtracepy.parser import parse

    t = Tracer()
    t.clause("BEGIN", when=deref(cast(arg0, "int *")))  # (deref(arg0) dtrace refuses: review19's R1)
    compiled = t.compile(checks=False)
    assert parse(compiled.text, "<generated>") == compiled.program
