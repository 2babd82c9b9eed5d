"""Issue 8: ``dtracepy import`` does work linear in the script (any input under the size limit is
answered in seconds).  Not timed: these count the nodes that the walks of the tree visit.

Before, the idiomatic mode asked every later clause, for each hand zeroing, whether it mentioned
the thread-local: quadratic, 100,000 clauses took minutes (benchmarks/bench_robust.py
``import-*`` cases)."""

from __future__ import annotations

from dtracepy import tree
from dtracepy.importer import import_d


def _pairs(n: int) -> str:
    return "".join(f"fbt::f{i}:entry{{self->a=timestamp;}}\nfbt::f{i}:return/self->a/{{self->a=0;}}\n"
                   for i in range(n))


def _distinct_pairs(n: int) -> str:
    return "".join(f"fbt::f{i}:entry{{self->a{i}=timestamp;}}\nfbt::f{i}:return/self->a{i}/{{self->a{i}=0;}}\n"
                   for i in range(n))


def _nodes_walked(monkeypatch, text: str) -> int:
    count = [0]
    real = tree.Node.walk

    def counting(self):
        for node in real(self):
            count[0] += 1
            yield node

    monkeypatch.setattr(tree.Node, "walk", counting)
    import_d(text, "x.d")
    monkeypatch.setattr(tree.Node, "walk", real)
    return count[0]


def test_import_walks_grow_linearly_with_the_clauses(monkeypatch):
    for make in (_pairs, _distinct_pairs):
        small = _nodes_walked(monkeypatch, make(100))
        large = _nodes_walked(monkeypatch, make(400))
        assert large < 4.4 * small, (make.__name__, small, large)  # 4x the clauses: 16x when quadratic
