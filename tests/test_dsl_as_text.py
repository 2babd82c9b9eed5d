"""A D value made into a Python string (str(), %-formatting, repr(), format()) in a tracer is a
located error, as an f-string is: the string would hold the expression's text ("pid"), not its
value when the probe fires."""

import inspect
import reprlib

import pytest

from dtracepy.dsl import Tracer, execname, pid, printf, self, trace
from dtracepy.errors import DSLError


def _line_of(text: str, fn) -> int:
    lines, first = inspect.getsourcelines(fn)
    return first + next(i for i, line in enumerate(lines) if text in line)


def _refused(body, marker):
    t = Tracer()
    with pytest.raises(DSLError) as err:
        t.probe("syscall::read:entry")(body)
    assert err.value.pos is not None and err.value.pos.line == _line_of(marker, body), err.value
    assert err.value.pos.file.endswith("test_dsl_as_text.py")
    assert "becomes that text, not its value" in err.value.message
    assert t.items == []
    return err.value.message


def test_str_of_a_d_value_is_refused():
    def body():
        printf("%s\n", str(pid))  # marker

    assert "(pid)" in _refused(body, "# marker")


def test_str_joined_to_a_python_string_is_refused():
    def body():
        trace("pid=" + str(pid))  # marker

    _refused(body, "# marker")


def test_percent_formatting_is_refused():
    def body():
        trace("%s" % execname)  # marker

    assert "(execname)" in _refused(body, "# marker")


def test_percent_r_and_repr_are_refused():
    def body():
        trace(repr(execname))  # marker

    _refused(body, "# marker")

    def body2():
        trace("%r" % (self.x,))  # marker

    _refused(body2, "# marker")

    def body3():
        trace(f"{execname!r}")  # marker

    _refused(body3, "# marker")


def test_format_is_refused():
    def body():
        trace("{}".format(execname))  # marker

    _refused(body, "# marker")

    def body2():
        trace(format(pid, "d"))  # marker

    _refused(body2, "# marker")


def test_dtracepys_messages_and_tools_still_show_the_d_text():
    # a message of dtracepy's own that shows the value it was given
    t = Tracer()
    with pytest.raises(DSLError, match=r"not D \(D\(execname\)\)"):
        t.clear(self.x, at=execname)
    # a tool's repr (a debugger's, a test runner's) shows the D text
    assert reprlib.repr(execname) == "D(execname)"


def test_a_d_value_has_no_python_number():
    def body():
        trace("%d" % pid)  # marker

    t = Tracer()
    with pytest.raises(DSLError, match=r"a D value \(pid\) has no Python number") as err:
        t.probe("syscall::read:entry")(body)
    assert err.value.pos.line == _line_of("# marker", body)
    for make in (lambda: int(pid), lambda: "%x" % execname, lambda: [1, 2][pid], lambda: range(pid)):
        with pytest.raises(DSLError, match="has no Python number"):
            make()


@pytest.mark.parametrize("make, conversion", [
    (lambda: f"{execname}", 'printf("%s\\n", execname), or'),   # a string: %s alone
    (lambda: f"{pid}", 'printf("%d\\n", pid), or'),               # an integer: %d alone
    (lambda: f"{self.x}", 'printf("%d\\n", self->x) (%s for strings), or'),  # unknown: both
])
def test_the_hint_gives_the_conversion_of_the_values_type(make, conversion):
    """Review 10, finding 9: the hint wrote ``printf("%d\\n", execname) (%s for strings)`` for a
    value D knows to be a string."""
    t = Tracer()

    def body():
        trace(make())  # marker

    with pytest.raises(DSLError) as err:
        t.probe("syscall::read:entry")(body)
    assert conversion in err.value.message, err.value.message
