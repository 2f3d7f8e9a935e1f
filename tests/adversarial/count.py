"""Count the adversarial cases' outcomes: ``python -m tests.adversarial.count [--skip TEXT ...]``
from the repository root.

Prints one line per case that is not clean, then the totals per category and outcome. ``--skip``
leaves out cases whose name contains TEXT (e.g. huge sizes that an unguarded version would try to
allocate until the machine kills it); skipped cases are counted as such.
"""

from __future__ import annotations

import collections
import os
import sys
import tempfile
from pathlib import Path

os.environ.setdefault("TRITON_INTERPRET", "1")


class _Patch:
    """The part of pytest's monkeypatch the cases use, undone after each case."""

    def __init__(self):
        self.undo: list = []

    def setattr(self, obj, name, value):
        self.undo.append(lambda old=getattr(obj, name): setattr(obj, name, old))
        setattr(obj, name, value)

    def setenv(self, key, value):
        old = os.environ.get(key)
        self.undo.append(lambda: os.environ.pop(key, None) if old is None else os.environ.__setitem__(key, old))
        os.environ[key] = value

    def close(self):
        while self.undo:
            self.undo.pop()()


def main(argv: list[str]) -> int:
    from .cases import CASES
    from .runner import OUTCOMES, run_case

    skip = [argv[i + 1] for i, a in enumerate(argv[:-1]) if a == "--skip"]
    table = collections.Counter()
    for case in CASES:
        if any(text in case.name for text in skip):
            print(f"{'skipped':<16} {case.category:<10} {case.name}")
            continue
        patch = _Patch()
        with tempfile.TemporaryDirectory() as tmp:
            try:
                outcome = run_case(case, Path(tmp), patch)
                kind, detail = outcome.kind, outcome.detail
            except Exception as exc:  # noqa: BLE001 - the harness itself failed on this code
                kind, detail = "traceback", f"harness: {type(exc).__name__}: {exc}"
            finally:
                patch.close()
        table[(case.category, kind)] += 1
        if kind != "clean":
            print(f"{kind:<16} {case.category:<10} {case.name}: {detail[:200]}")
    categories = sorted({c for c, _ in table})
    print(f"\n{'category':<10} {'tried':>5} " + " ".join(f"{o:>15}" for o in OUTCOMES))
    for cat in categories + ["all"]:
        counts = [sum(v for (c, k), v in table.items() if (cat == "all" or c == cat) and k == o) for o in OUTCOMES]
        print(f"{cat:<10} {sum(counts):>5} " + " ".join(f"{n:>15}" for n in counts))
    return 0 if table.keys() <= {(c, "clean") for c in categories} else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
