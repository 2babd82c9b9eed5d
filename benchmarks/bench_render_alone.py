"""The cost of rendering a finding alone (``Finding.render``, as ``compile`` renders each).

2,000 clauses each set a thread-local never read: 2,000 ``self-unused`` findings made by
``checks.said`` (their message and position made when asked).  Run twice under cachegrind, with
and without the renders; the difference over 2,000 is one rendering's instructions::

    for r in "" render; do PYTHONHASHSEED=0 PYTHONPATH=$PWD valgrind --tool=cachegrind --cache-sim=no \\
        --cachegrind-out-file=/dev/null python benchmarks/bench_render_alone.py lazy $r; done

``eager`` renders findings made whole (every field given) instead; ``ctx`` renders the lazy ones
with their source line.
"""

import sys

from dtracepy.checks import Finding, check_program
from dtracepy.parser import parse

N = 2000
text = "".join(f"BEGIN\n{{\n    self->v{i} = timestamp;\n}}\n" for i in range(N))
found = check_program(parse(text, "x.d"), source=text)
assert len(found) == N
mode = sys.argv[1] if len(sys.argv) > 1 else "lazy"
if mode == "eager":
    found = [Finding(f.severity, f.message, f.check, f.pos, f.source_line) for f in found]
if len(sys.argv) > 2:
    for finding in found:
        finding.render(mode == "ctx")
