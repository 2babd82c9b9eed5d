"""What ``check -C`` makes of a text, for tests that compare two ways of preprocessing it."""

from __future__ import annotations

from dtracepy.checks import CheckOptions, check_program
from dtracepy.errors import DTracePyError
from dtracepy.parser import expanded, parse_bytes


def cpp_results(data: bytes, path: str):
    """("error", the rendered error) or ("findings", the rendered findings) of ``data`` read with
    ``-C`` and checked."""
    try:
        program = parse_bytes(data, path, cpp=True)
    except DTracePyError as err:
        return ("error", err.render())
    return ("findings", [f.render() for f in check_program(program, CheckOptions(expand=expanded),
                                                            source=data.decode("utf-8", "surrogateescape"))])
