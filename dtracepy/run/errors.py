"""The errors of a run: dtrace cannot be run as asked, a run's argument is wrong, dtrace refused
the tracer."""

from __future__ import annotations

from dtracepy.errors import DTracePyError


class RunError(DTracePyError):
    """dtrace cannot be run as asked: not found, not privileged, wrong arguments."""


class DTraceFailed(RunError):
    """dtrace refused the tracer before it traced; the message is what it said, each line
    located at the user's file and line where dtracepy could (``tracer.py:9: error: ...``)."""

    def render(self, with_context: bool = True) -> str:
        return self.message if ": error: " in self.message.split("\n", 1)[0] else \
            f"dtracepy: error: {self.message}"


class RunArgumentError(RunError, TypeError, ValueError):
    """An argument of a run that cannot be right (``duration="abc"``, ``args="12"``, ``pid=-1``,
    ``-x nosuchopt``): refused before anything runs, at the caller's line."""
