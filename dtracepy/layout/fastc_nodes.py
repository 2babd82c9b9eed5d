"""The pycparser nodes the fast reader builds most, made without calling their classes.

A class's call runs its ``__init__`` through the type's slot: a ``c_ast.TypeDecl`` with its
``attributes`` keyword cost 3,650 machine instructions, and 1 MB of parenthesised declarators
makes 320,000 nodes.  Each function here makes an instance of its class (``object.__new__``) and
sets every slot as the class's ``__init__`` sets it from the same arguments: 1,700.  The
``attributes`` are what the reader gave: the shared empty tuple (``attributes=_NO``), but a
Decl's, a new list (the reader gave none: pycparser's default).  The nodes are pycparser's own
classes, read as before (tests/test_layout27.py compares each with what its class makes).
"""

from __future__ import annotations

from pycparser import c_ast

_new = object.__new__
_NO = ()  # (fastc_lex._NO: the same shared empty tuple's value)
_TypeDecl, _Decl, _PtrDecl, _ArrayDecl, _FuncDecl = c_ast.TypeDecl, c_ast.Decl, c_ast.PtrDecl, c_ast.ArrayDecl, \
    c_ast.FuncDecl
_ParamList, _Typename, _Constant = c_ast.ParamList, c_ast.Typename, c_ast.Constant


def new_type_decl(declname, quals, align, type, coord):
    """``c_ast.TypeDecl(declname, quals, align, type, coord, attributes=_NO)``."""
    n = _new(_TypeDecl)
    n.declname = declname
    n.quals = quals
    n.align = align
    n.type = type
    n.attributes = _NO
    n.coord = coord
    return n


def new_decl(name, quals, align, storage, funcspec, type, init, bitsize, coord):
    """``c_ast.Decl(name, quals, align, storage, funcspec, type, init, bitsize, coord)``."""
    n = _new(_Decl)
    n.name = name
    n.quals = quals
    n.align = align
    n.storage = storage
    n.funcspec = funcspec
    n.type = type
    n.init = init
    n.bitsize = bitsize
    n.attributes = []
    n.coord = coord
    return n


def new_ptr_decl(quals, type, coord):
    """``c_ast.PtrDecl(quals, type, coord, attributes=_NO)``."""
    n = _new(_PtrDecl)
    n.quals = quals
    n.type = type
    n.attributes = _NO
    n.coord = coord
    return n


def new_array_decl(type, dim, dim_quals, coord):
    """``c_ast.ArrayDecl(type, dim, dim_quals, coord, attributes=_NO)``."""
    n = _new(_ArrayDecl)
    n.type = type
    n.dim = dim
    n.dim_quals = dim_quals
    n.attributes = _NO
    n.coord = coord
    return n


def new_func_decl(args, type, coord):
    """``c_ast.FuncDecl(args, type, coord, attributes=_NO)``."""
    n = _new(_FuncDecl)
    n.args = args
    n.type = type
    n.attributes = _NO
    n.coord = coord
    return n


def new_param_list(params):
    """``c_ast.ParamList(params)``."""
    n = _new(_ParamList)
    n.params = params
    n.coord = None
    return n


def new_typename(name, quals, align, type, coord):
    """``c_ast.Typename(name, quals, align, type, coord, attributes=_NO)``."""
    n = _new(_Typename)
    n.name = name
    n.quals = quals
    n.align = align
    n.type = type
    n.attributes = _NO
    n.coord = coord
    return n


def new_constant(type, value):
    """``c_ast.Constant(type, value)``."""
    n = _new(_Constant)
    n.type = type
    n.value = value
    n.coord = None
    return n


def new_record(klass, name, decls, coord):
    """``klass(name, decls, coord, attributes=_NO)``, ``klass`` c_ast.Struct or c_ast.Union."""
    n = _new(klass)
    n.name = name
    n.decls = decls
    n.attributes = _NO
    n.coord = coord
    return n
