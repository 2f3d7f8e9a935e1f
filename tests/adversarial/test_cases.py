"""Every adversarial case: a clean one-line error (or the right result), no traceback, no data lost."""

import pytest

from .cases import CASES
from .runner import run_case


def test_there_are_enough_cases():
    assert len(CASES) >= 60
    assert {c.category for c in CASES} == {"code-exec", "data-loss", "silent", "traceback", "message"}


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_case(case, tmp_path, monkeypatch):
    outcome = run_case(case, tmp_path, monkeypatch)
    assert outcome.kind == "clean", f"{outcome.kind}: {outcome.detail}\n{outcome.output}"
