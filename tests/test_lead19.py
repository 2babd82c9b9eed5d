"""The lead's fixes of session 19: review 19's N1 (help() on a D value in a REPL)."""

import inspect
import pydoc

import pytest

from dtracepy.dsl import Tracer, agg, arg0, execname, self, trace
from dtracepy.errors import DSLError


@pytest.mark.parametrize("value", [arg0, execname, self, agg], ids=["arg0", "execname", "self", "agg"])
def test_help_on_a_d_value_shows_its_class_not_an_error(value):
    # pydoc asks hasattr(x, "__module__"): the guard of trace(arg0.__doc__) answered with a DSLError
    text = pydoc.render_doc(value)
    assert "Python Library Documentation" in text
    assert getattr(value, "__doc__", None) is None and not hasattr(value, "__module__")
    assert inspect.getdoc(value) is None


def test_a_docstring_read_in_a_probe_is_still_an_error_at_the_users_line():
    t = Tracer()

    @t.probe("BEGIN")
    def _():
        with pytest.raises(DSLError, match="Python's attribute") as excinfo:
            trace(arg0.__doc__)
        assert excinfo.value.pos.line == inspect.currentframe().f_lineno - 1
        with pytest.raises(DSLError, match="Python's attribute"):
            trace(self.__module__)
        trace(arg0)

    assert "__" not in t.compile().text.split("*/", 1)[1]
