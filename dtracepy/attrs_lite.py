"""attrs' class-making for ``dtracepy check``, from shipped code, without importing attrs.

The program ``dtracepy check`` (and only it: see ``dtracepy.cli._ship_classes``) puts this module
in ``sys.modules["attrs"]`` before it imports anything that defines a class: the tree's node
classes and the checks' classes are then made by :func:`define` and :func:`frozen` here, which do
what attrs 26's do for the options dtracepy uses, with the methods attrs generates for each class
taken from their shipped compiled code (``dtracepy/attrs_codes.py``: attrs' own scripts, run with
the globals attrs gives them).  Importing attrs (with ``typing``, ``inspect``'s stand-ins,
``platform`` ...) and its building of some 60 classes cost a seed-sized check about 90 M of its
226 M machine instructions.  The classes behave as attrs' do: the same slots, ``__init__``
(defaults, factories, converters, ``__attrs_post_init__``), ``__eq__``, ``__ne__``, ``__hash__``,
``__repr__``, ``__match_args__``, pickling, ``__attrs_attrs__`` (:func:`fields`, :func:`evolve`),
and a frozen instance raises attrs' own ``FrozenInstanceError`` (attrs is imported then, to raise
it).  ``tests/test_attrs_lite.py`` compares every class a check makes both ways, and the findings
of a check of the whole corpus both ways.

Anything outside that subset (a validator, ``on_setattr``, a ``cached_property`` in a slotted
class, an unannotated field, a class whose methods are not shipped) raises
:class:`NotShipped`: the classes a check defines are known, and the tests keep them covered.
"""

from __future__ import annotations

import marshal
import sys
from functools import cached_property as _cached_property
from operator import itemgetter as _itemgetter

from dtracepy import attrs_codes


class NotShipped(TypeError):
    """A class, or a feature of one, that this module cannot make as attrs would."""


class _Nothing:
    """attrs' ``NOTHING``: no default."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "NOTHING"

    def __bool__(self) -> bool:
        return False


NOTHING = _Nothing()


class Factory:
    """attrs' ``Factory``: a default made by calling ``factory`` (with the instance if
    ``takes_self``)."""

    __slots__ = ("factory", "takes_self")

    def __init__(self, factory, takes_self: bool = False):
        self.factory = factory
        self.takes_self = takes_self

    def __repr__(self) -> str:
        return f"Factory(factory={self.factory!r}, takes_self={self.takes_self!r})"


# The fields of attrs' Attribute, in its order.
_ATTRIBUTE_SLOTS = ("name", "default", "validator", "repr", "eq", "eq_key", "order", "order_key", "hash",
                    "init", "metadata", "type", "converter", "kw_only", "inherited", "on_setattr", "alias",
                    "alias_is_default")


class Attribute(tuple):
    """One field of a class, as attrs' ``Attribute`` describes it (a tuple underneath: a check
    makes some 150 of them)."""

    __slots__ = ()

    def evolve(self, **changes):
        values = list(self)
        for name, value in changes.items():
            values[_ATTRIBUTE_SLOTS.index(name)] = value
        return tuple.__new__(Attribute, values)

    def __repr__(self) -> str:
        return "Attribute(" + ", ".join(f"{name}={value!r}" for name, value in zip(_ATTRIBUTE_SLOTS, self)) + ")"


for _index, _name in enumerate(_ATTRIBUTE_SLOTS):
    setattr(Attribute, _name, property(_itemgetter(_index), doc=f"attrs' Attribute.{_name}"))
del _index, _name


class _Fields(tuple):
    """A class's ``__attrs_attrs__``: its :class:`Attribute` s, also by name (``fields(C).x``)."""

    __slots__ = ()

    def __getattr__(self, name):
        for attribute in self:
            if attribute.name == name:
                return attribute
        raise AttributeError(name)


class _Field(tuple):
    """What :func:`field` returns in a class body (attrs' ``_CountingAttr``): (default, repr, eq,
    order, init, metadata, type, converter, kw_only, alias)."""

    __slots__ = ()


def field(*, default=NOTHING, validator=None, repr=True, hash=None, init=True, metadata=None,  # noqa: A002
          type=None, converter=None, factory=None, kw_only=None, eq=None, order=None,  # noqa: A002
          on_setattr=None, alias=None):
    """attrs' ``field``."""
    if factory is not None:
        if default is not NOTHING:
            raise ValueError("The `default` and `factory` arguments are mutually exclusive.")
        default = Factory(factory)
    if validator is not None or on_setattr is not None or hash is not None or order not in (None, False) \
            or eq not in (None, True, False):
        raise NotShipped("field(): only default, factory, converter, repr, eq, init, kw_only and alias")
    made = tuple.__new__(_Field, (default, repr, True if eq is None else eq, eq is not False, init,
                                  {} if metadata is None else metadata, type, converter, kw_only, alias))
    _PENDING.append(made)
    return made


# The fields made since the last class was made (see _attributes).
_PENDING: list = []


class _Exceptions:
    """``attrs.exceptions``: attrs' own, imported when one is raised or asked for."""

    def __getattr__(self, name):
        import attr.exceptions  # (the real attrs: its classes are the ones callers catch)

        return getattr(attr.exceptions, name)


exceptions = _Exceptions()


def _frozen_setattrs(self, name, value):
    """attrs' ``__setattr__`` of a frozen class."""
    if isinstance(self, BaseException) and name in (
            "__cause__", "__context__", "__traceback__", "__suppress_context__", "__notes__"):
        BaseException.__setattr__(self, name, value)
        return
    raise exceptions.FrozenInstanceError


def _frozen_delattrs(self, name):
    """attrs' ``__delattr__`` of a frozen class."""
    if isinstance(self, BaseException) and name == "__notes__":
        BaseException.__delattr__(self, name)
        return
    raise exceptions.FrozenInstanceError


def __ne__(self, other):
    """
    Check equality and either forward a NotImplemented or
    return the result negated.
    """
    result = self.__eq__(other)
    if result is NotImplemented:
        return NotImplemented

    return not result


class _Compat:
    """What attrs' ``__repr__`` code reads of ``attr._compat``: a per-thread record of the
    instances being written (a recursive repr writes ``...``)."""

    def __init__(self):
        import _thread  # (threading.local, without importing threading)

        self.repr_context = _thread._local()


_compat = None

#: attrs' name for a generated script -> its source (attrs keeps them in ``linecache``, for
#: tracebacks; ``dtracepy.tree`` reads a node's ``__init__`` source from here).
SOURCES: dict[str, str] = {}


def fields(cls):
    """attrs' ``fields``: the class's :class:`Attribute` s."""
    if not isinstance(cls, type):
        raise TypeError("Passed object must be a class.")
    found = getattr(cls, "__attrs_attrs__", None)
    if found is None:
        raise exceptions.NotAnAttrsClassError(f"{cls!r} is not an attrs-decorated class.")
    return found


def has(cls) -> bool:
    return getattr(cls, "__attrs_attrs__", None) is not None


def evolve(*args, **changes):
    """attrs' ``evolve``: a copy of the instance with ``changes``."""
    try:
        (inst,) = args
    except ValueError:
        raise TypeError(f"evolve() takes 1 positional argument, but {len(args)} were given") from None
    cls = inst.__class__
    for a in fields(cls):
        if not a.init:
            continue
        if a.alias not in changes:
            changes[a.alias] = getattr(inst, a.name)
    return cls(**changes)


def define(maybe_cls=None, *, repr=None, unsafe_hash=None, hash=None, init=None, slots=True,  # noqa: A002
           frozen=False, weakref_slot=True, eq=None, order=False, **others):
    """attrs' ``define`` (``frozen`` for :func:`frozen`), for the options dtracepy uses."""
    if others or order or unsafe_hash is not None or hash is not None:
        raise NotShipped(f"define(): unsupported options {sorted(others)}")

    def wrap(cls):
        return _make(cls, repr=repr, init=init, slots=slots, frozen=frozen, weakref_slot=weakref_slot, eq=eq)

    return wrap if maybe_cls is None else wrap(maybe_cls)


def frozen(maybe_cls=None, **options):
    """attrs' ``frozen``."""
    return define(maybe_cls, frozen=True, **options)


mutable = define


def _implement(own, flag, dunders, default=True) -> bool:
    """attrs' ``_determine_whether_to_implement`` (with auto_detect); ``own``: the class's
    ``__dict__``."""
    if flag is True or flag is False:
        return flag
    for dunder in dunders:
        if dunder in own:
            return False
    return default


def _attributes(cls):
    """The class's fields (inherited ones first) as attrs collects them (auto_attribs, by MRO),
    and the map of inherited field names to the base that defines them."""
    cd = cls.__dict__
    annotations = cd.get("__annotations__", {})
    used = 0
    own = []
    for name, kind in annotations.items():
        if isinstance(kind, str) and kind.startswith(("typing.ClassVar", "t.ClassVar", "ClassVar")):
            continue
        found = cd.get(name, NOTHING)
        if found.__class__ is _Field:
            used += 1
            default, repr_, eq, order, init, metadata, type_, converter, kw_only, alias = found
        else:
            default, repr_, eq, order, init, metadata, type_, converter, kw_only, alias = \
                found, True, True, True, True, {}, None, None, None, None
        own.append(tuple.__new__(Attribute, (
            name, default, None, repr_, eq, None, order, None, None, init, metadata,
            kind if type_ is None else type_, converter, bool(kw_only), False, None,
            alias or name.lstrip("_"), not alias)))
    if used != len(_PENDING):
        # (the fields made since the last class are this class's: else one lacks an annotation)
        unannotated = {name for name, value in cd.items() if value.__class__ is _Field} - set(annotations)
        if unannotated:
            _PENDING.clear()
            raise NotShipped(f"fields without annotations: {sorted(unannotated)}")
    _PENDING.clear()
    taken = {a.name for a in own}
    inherited, base_map = [], {}
    for base in reversed(cls.__mro__[1:-1]):
        for a in getattr(base, "__attrs_attrs__", ()):
            if a.inherited or a.name in taken:
                continue
            inherited.append(a.evolve(inherited=True))
            base_map[a.name] = base
    kept, seen = [], set()
    for a in reversed(inherited):
        if a.name not in seen:
            kept.insert(0, a)
            seen.add(a.name)
    return kept, own, base_map


def _script_code(cls, kind: str):
    """The shipped code of the script attrs writes for ``cls`` (``kind``: "methods"), and its
    name; NotShipped if there is none."""
    global _compat
    name = f"<attrs generated {kind} {cls.__module__}.{cls.__qualname__}>"
    found = attrs_codes.CODES.get(name)
    if found is not None:
        SOURCES[name] = found[0]
        return marshal.loads(found[1]), name
    found = attrs_codes.HASHED.get(name)
    if found is not None:
        from dtracepy.cli import _hashed_code

        before, after, placeholders = found
        source = before + str(hash(f"<attrs generated hash {cls.__module__}.{cls.__qualname__}>")) + after
        SOURCES[name] = source
        code = _hashed_code(source, before, after, placeholders)
        if code is None:  # (a number of another length than the placeholders')
            code = compile(source, name, "exec", attrs_codes.FLAGS, True)
        return code, name
    raise NotShipped(f"no shipped attrs code for {cls.__module__}.{cls.__qualname__} (regenerate "
                     "dtracepy/attrs_codes.py: DTRACEPY_REGEN=1 python3 -m pytest tests/test_attrs_codes.py)")


def _make(cls, *, repr, init, slots, frozen, weakref_slot, eq):  # noqa: A002
    """What attrs' ``attrs(...)`` makes of ``cls`` (``auto_detect``, ``auto_attribs``,
    ``collect_by_mro``, ``match_args``; no ordering, ``str``, hash caching or ``on_setattr``)."""
    global _compat
    own = cls.__dict__
    is_frozen = frozen or cls.__setattr__ is _frozen_setattrs
    if issubclass(cls, BaseException) or getattr(cls, "__attrs_pre_init__", None) is not None:
        raise NotShipped("exceptions and __attrs_pre_init__")
    if is_frozen and "__setattr__" in own:
        raise ValueError("Can't freeze a class with a custom __setattr__.")
    base_attrs, own_attrs, base_map = _attributes(cls)
    attributes = _Fields(base_attrs + own_attrs)
    added_eq = _implement(own, eq, ("__eq__", "__ne__"))
    if "__hash__" in own:
        hashable = None     # left alone
    elif added_eq and is_frozen:
        hashable = True
    elif added_eq is False:
        hashable = None
    else:
        hashable = False
    added_repr = _implement(own, repr, ("__repr__",))
    if not _implement(own, init, ("__init__",)):
        raise NotShipped("a class without attrs' __init__")

    # what attrs' scripts read (their globals), the __init__'s annotations and parameters
    module = sys.modules.get(cls.__module__)
    globs = dict(module.__dict__) if module is not None else {}
    globs["NOTHING"] = NOTHING
    globs["attr_dict"] = attr_dict = {}
    annotations = {"return": None}
    names, positional, keywords = [], ["self"], []
    for a in attributes:
        name, default, converter = a[0], a[1], a[12]
        names.append(name)
        if a.init:
            (keywords if a.kw_only else positional).append(a.alias)
        if a.init or default is not NOTHING:
            attr_dict[name] = a
        if default.__class__ is Factory:
            if default.takes_self:
                raise NotShipped("Factory(takes_self=True)")
            globs[f"__attr_factory_{name}"] = default.factory
        if converter is not None:
            if not is_frozen:
                raise NotShipped("a mutable class with a converter (attrs' on_setattr hook)")
            globs[f"__attr_converter_{name}"] = converter
            first = _first_param_annotation(converter)
            if first is not None:
                annotations[a.alias] = first
        elif a.init and a.type is not None:
            annotations[a.alias] = a.type
    names = tuple(names)
    if is_frozen:
        globs["_cached_setattr_get"] = object.__setattr__.__get__
    if added_repr:
        if _compat is None:
            _compat = _Compat()
        globs["_compat"] = _compat
        globs["AttributeError"] = AttributeError

    cd = dict(own) if slots else {}
    cd["__attrs_attrs__"] = attributes
    if is_frozen:
        cd["__setattr__"] = _frozen_setattrs
        cd["__delattr__"] = _frozen_delattrs
    if _implement(own, None, ("__getstate__", "__setstate__"), default=slots):
        cd["__getstate__"], cd["__setstate__"] = _getstate_setstate(tuple(n for n in names if n != "__weakref__"))
    if added_eq:
        cd["__ne__"] = __ne__
    if hashable is False:
        cd["__hash__"] = None
    if "__match_args__" not in own:
        cd["__match_args__"] = tuple(positional[1:])

    # the methods attrs writes: __repr__, __eq__, __hash__, __init__, in one script
    code, filename = _script_code(cls, "methods")
    try:
        exec(code, globs)  # noqa: S102 - attrs' own script, shipped compiled
    except KeyError:  # (a default of a field the class no longer has: attr_dict['name'])
        globs.pop("__init__", None)
    init = globs.get("__init__")
    init_code = getattr(init, "__code__", None)
    params = (*positional, *keywords)
    if init_code is None or init_code.co_varnames[:init_code.co_argcount + init_code.co_kwonlyargcount] != params:
        raise NotShipped(f"the shipped attrs code for {cls.__module__}.{cls.__qualname__} is not for its fields "
                         f"{params[1:]} (regenerate dtracepy/attrs_codes.py)")
    if added_repr:
        cd["__repr__"] = _with_dunders(cls, globs["__repr__"])
    if added_eq:
        cd["__eq__"] = _with_dunders(cls, globs["__eq__"])
    if hashable is True:
        cd["__hash__"] = _with_dunders(cls, globs["__hash__"])
    init.__annotations__ = annotations
    cd["__init__"] = _with_dunders(cls, init)
    base_names = {a[0] for a in base_attrs}
    if not slots:
        return _patch_original_class(cls, cd, names, base_names)
    return _slotted_class(cls, cd, names, base_names, weakref_slot, is_frozen)


def _first_param_annotation(converter):
    """The annotation of a plain function's first parameter, as attrs reads a converter's."""
    code = getattr(converter, "__code__", None)
    if code is None or type(converter).__name__ != "function" or converter.__dict__:
        raise NotShipped(f"a converter that is not a plain function: {converter!r}")
    if not code.co_argcount:
        return None
    return converter.__annotations__.get(code.co_varnames[0])


def _with_dunders(cls, method):
    method.__module__ = cls.__module__
    method.__qualname__ = f"{cls.__qualname__}.{method.__name__}"
    method.__doc__ = f"Method generated by attrs for class {cls.__qualname__}."
    return method


def _getstate_setstate(state_attr_names):
    """attrs' pickling methods of a slotted class."""
    def slots_getstate(self):
        """
        Automatically created by attrs.
        """
        return {name: getattr(self, name) for name in state_attr_names}

    def slots_setstate(self, state):
        """
        Automatically created by attrs.
        """
        __bound_setattr = object.__setattr__.__get__(self)
        if isinstance(state, tuple):
            for name, value in zip(state_attr_names, state):
                __bound_setattr(name, value)
        else:
            for name in state_attr_names:
                if name in state:
                    __bound_setattr(name, state[name])

    return slots_getstate, slots_setstate


def _patch_original_class(cls, cd, names, base_names):
    """attrs' ``_patch_original_class``: a dict class keeps its identity."""
    for name in names:
        if name not in base_names and getattr(cls, name, _SENTINEL) is not _SENTINEL:
            try:
                delattr(cls, name)
            except AttributeError:
                pass
    for name, value in cd.items():
        setattr(cls, name, value)
    if "__setattr__" not in cd and getattr(cls, "__attrs_own_setattr__", False):
        raise NotShipped("a base with attrs' own __setattr__")
    if getattr(cls, "__abstractmethods__", None):
        raise NotShipped("an abstract class")
    return cls


_SENTINEL = object()
_function = type(_patch_original_class)


def _slotted_class(cls, cd, names, base_names, weakref_slot, is_frozen):
    """attrs' ``_create_slots_class``: a new class, with ``__slots__``."""
    dropped = {*names, "__dict__", "__weakref__"}
    cd = {k: v for k, v in cd.items() if k not in dropped}
    if not is_frozen:
        cd["__attrs_own_setattr__"] = False
        if "__setattr__" not in cls.__dict__:
            for base in cls.__bases__:
                if base.__dict__.get("__attrs_own_setattr__", False):
                    cd["__setattr__"] = object.__setattr__
                    break
    existing = {}
    weakref_inherited = False
    for base in cls.__mro__[1:-1]:
        if base.__dict__.get("__weakref__", None) is not None:
            weakref_inherited = True
        existing.update({name: getattr(base, name) for name in getattr(base, "__slots__", [])})
    if weakref_slot and "__weakref__" not in getattr(cls, "__slots__", ()) and "__weakref__" not in names \
            and not weakref_inherited:
        names += ("__weakref__",)
    slot_names = [name for name in names if name not in base_names]
    reused = {slot: descriptor for slot, descriptor in existing.items() if slot in slot_names}
    cd.update(reused)
    cd["__slots__"] = tuple(name for name in slot_names if name not in reused)
    cd["__qualname__"] = cls.__qualname__
    made = type(cls)(cls.__name__, cls.__bases__, cd)
    # methods that refer to their class (no-argument super(), __class__) refer to the new one
    for item in made.__dict__.values():
        kind = item.__class__
        if kind is _function:
            cells = item.__closure__
        elif isinstance(item, (classmethod, staticmethod)):
            cells = getattr(item.__func__, "__closure__", None)
        elif isinstance(item, property):
            cells = getattr(item.fget, "__closure__", None)
        elif kind is _cached_property:
            raise NotShipped("a cached_property in a slotted class")
        else:
            continue  # (only functions have a closure)
        for cell in cells or ():
            try:
                if cell.cell_contents is cls:
                    cell.cell_contents = made
            except ValueError:  # (an empty cell)
                pass
    return made
