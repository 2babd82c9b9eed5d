"""Running a tracer under a real DTrace and decoding its output into Python data.

    from dtracepy.run import run
    with run("examples/readlat.py", duration=5) as tracing:
        for row in tracing.records():
            ...
        hist = tracing.aggregations["ns"]

See :mod:`dtracepy.run.runner` (the process), :mod:`dtracepy.run.framing` (what the D prints),
:mod:`dtracepy.run.decode` (rows and text), :mod:`dtracepy.run.aggregations` (printa output),
:mod:`dtracepy.run.messages` (dtrace's warnings) and :mod:`dtracepy.run.output` (table, csv, jsonl).
"""

from dtracepy.run.aggregations import Aggregation, Histogram, Stack  # noqa: F401
from dtracepy.run.decode import Decoder, Printed, Text, ip_address  # noqa: F401
from dtracepy.run.messages import Warning  # noqa: F401,A004
from dtracepy.run.runner import (  # noqa: F401
    DTraceFailed, RunArgumentError, RunError, Tracing, find_dtrace, prepare, run,
)

__all__ = ["run", "Tracing", "RunError", "RunArgumentError", "DTraceFailed", "find_dtrace", "prepare", "Decoder", "Text", "Printed",
           "Aggregation", "Histogram", "Stack", "Warning", "ip_address"]
