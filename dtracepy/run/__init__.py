"""Running a tracer under a real DTrace and decoding its output into Python data.

    from dtracepy.run import run
    with run("examples/readlat.py", duration=5) as tracing:
        for row in tracing.records():
            ...
        hist = tracing.aggregations["ns"]

Preparing: :mod:`dtracepy.run.script` (a tracer compiled or a ``.d`` file read, framed),
:mod:`dtracepy.run.shebang` (what a ``#!`` line asks of dtrace), :mod:`dtracepy.run.framing` (what
the D prints).  Running: :mod:`dtracepy.run.runner` (:func:`run`, :class:`Tracing`: the process and
the threads that read it), :mod:`dtracepy.run.dtrace_binary` (which dtrace, its dialect),
:mod:`dtracepy.run.arguments` (a run's arguments, refused before it runs), :mod:`dtracepy.run.argv`
(dtrace's command line), :mod:`dtracepy.run.process` (starting dtrace, its signals and children),
:mod:`dtracepy.run.stopping` (stopping it as Ctrl-C does), :mod:`dtracepy.run.errors`.  Reading:
:mod:`dtracepy.run.decode` (rows and text), :mod:`dtracepy.run.aggregations` (printa output),
:mod:`dtracepy.run.messages` (dtrace's warnings), :mod:`dtracepy.run.origins` (dtrace's lines ->
the user's) and :mod:`dtracepy.run.output` (table, csv, jsonl, json).
"""

from dtracepy.run.aggregations import Aggregation, Histogram, Stack  # noqa: F401
from dtracepy.run.decode import Decoder, Printed, Text, ip_address  # noqa: F401
from dtracepy.run.dtrace_binary import find_dtrace  # noqa: F401
from dtracepy.run.errors import DTraceFailed, RunArgumentError, RunError  # noqa: F401
from dtracepy.run.messages import Warning  # noqa: F401,A004
from dtracepy.run.runner import Tracing, run  # noqa: F401
from dtracepy.run.script import prepare  # noqa: F401

__all__ = ["run", "Tracing", "RunError", "RunArgumentError", "DTraceFailed", "find_dtrace", "prepare", "Decoder", "Text", "Printed",
           "Aggregation", "Histogram", "Stack", "Warning", "ip_address"]
