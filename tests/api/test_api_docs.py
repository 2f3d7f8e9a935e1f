"""docs/api.md is executable: every ```python block runs, in order, in one namespace."""

import re
from pathlib import Path

DOC = Path(__file__).resolve().parents[2] / "docs" / "api.md"


def python_blocks(text: str) -> list[str]:
    return re.findall(r"^```python\n(.*?)^```", text, flags=re.S | re.M)


def test_api_walkthrough_runs(tmp_path, monkeypatch, capsys):
    blocks = python_blocks(DOC.read_text())
    assert len(blocks) >= 6
    monkeypatch.chdir(tmp_path)
    namespace: dict = {"__name__": "docs_api"}
    for i, block in enumerate(blocks):
        exec(compile(block, f"{DOC.name}[python block {i + 1}]", "exec"), namespace)
    assert (tmp_path / "runs" / "demo" / "checkpoint.pt").is_file()
    assert (tmp_path / "demo_samples.png").stat().st_size > 0
    assert "refused: steps" in capsys.readouterr().out
