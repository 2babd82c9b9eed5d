"""The node classes' fast ``__init__`` ships precompiled (dtracepy/tree_inits.py) and is exactly the
code attrs' own ``__init__`` would become (see ``dtracepy.tree.initializer``).

Regenerate the module after changing a node class's fields (or attrs' version):
``DTRACEPY_REGEN=1 python3 -m pytest tests/test_tree_inits.py``.
"""

from __future__ import annotations

import inspect
import os
import pathlib

import attrs
import pytest

from dtracepy import tree as T
from dtracepy import tree_inits

ROOT = pathlib.Path(__file__).resolve().parent.parent
MODULE = ROOT / "dtracepy" / "tree_inits.py"
CLASSES = sorted(T._ATTRS_INIT, key=lambda cls: cls.__qualname__)


def test_the_shipped_inits_are_what_attrs_generates_here():
    fresh = T.tree_inits_source()
    if os.environ.get("DTRACEPY_REGEN"):
        MODULE.write_text(fresh, encoding="utf-8")
    assert MODULE.read_text(encoding="utf-8") == fresh, (
        f"dtracepy/tree_inits.py is stale; regenerate it with {T.TREE_INITS_REGEN}")


@pytest.mark.parametrize("cls", CLASSES, ids=lambda cls: cls.__qualname__)
def test_every_node_class_builds_with_the_shipped_code(cls):
    init = T.initializer(cls)
    assert init.__code__.co_filename == tree_inits.__file__  # nothing compiled at run time
    assert cls.__init__ is init and T.initializer(cls) is init
    attrs_init = T._ATTRS_INIT[cls]
    assert inspect.signature(init) == inspect.signature(attrs_init)
    attrs_params = list(inspect.signature(attrs_init).parameters.values())
    assert list(inspect.signature(cls).parameters.values()) == attrs_params[1:]  # (less self)
    assert init.__defaults__ == attrs_init.__defaults__ and init.__kwdefaults__ == attrs_init.__kwdefaults__
    assert init.__qualname__ == f"{cls.__qualname__}.__init__" and init.__name__ == "__init__"


def test_the_shipped_code_builds_what_attrs_code_builds():
    pos = T.Pos("f.d", 1, 2)
    samples = [
        (T.Binary, ("+", T.IntLit("1"), T.Ident("x")), {"pos": pos}),
        (T.TypeName, (("int",),), {}),  # a factory default
        (T.Clause, ([T.ProbeDesc("BEGIN")],), {}),  # a converter, defaults
        (T.MacroVar, ("$1",), {"doc": "a port"}),  # a note (Ident has an __init__ of its own: see tree.Ident)
        (T.Call, (T.Ident("f"), [T.IntLit("1")]), {}),
        (T.EmptyStmt, (), {}),
    ]
    for cls, args, kwargs in samples:
        fast = object.__new__(cls)
        T.initializer(cls)(fast, *args, **kwargs)
        slow = object.__new__(cls)
        T._ATTRS_INIT[cls](slow, *args, **kwargs)
        assert fast == slow and cls(*args, **kwargs) == slow
        for field in attrs.fields(cls):
            assert getattr(fast, field.name) == getattr(slow, field.name), field.name
    with pytest.raises(T.DSLError):  # the invariants (__attrs_post_init__) still hold
        T.Ident("not a name")
    with pytest.raises(TypeError):
        T.Binary("+", T.IntLit("1"))


def test_a_class_attrs_generates_other_source_for_compiles_its_own(monkeypatch):
    monkeypatch.setattr(T, "_ATTRS_INIT", dict(T._ATTRS_INIT))  # (the classes below are the test's)
    monkeypatch.setattr(T, "_INIT", dict(T._INIT))

    @T._node
    class Probe(T.Expr):  # a class no shipped code was made for
        name: str
        args: tuple = attrs.field(converter=tuple, default=())

    init = T.initializer(Probe)
    assert init.__code__.co_filename.startswith("<dtracepy.tree.")
    assert Probe("p", [1]).args == (1,)

    @T._node
    class Other(T.Expr):
        name: str

    def never(*args, **kwargs):  # pragma: no cover
        raise AssertionError("shipped code made from other source was used")

    monkeypatch.setitem(tree_inits.INITS, Other.__qualname__, (never, "def __init__(self): pass\n", ("name",)))
    assert T.initializer(Other).__code__.co_filename.startswith("<dtracepy.tree.")
    assert Other("x").name == "x"
