"""Helpers for the diagnose tests: run a subcommand with --fast settings."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from distmatch.diagnostics.cli import diagnose


def invoke(args: list[str]):
    """Run ``diagnose`` with args; returns the click Result."""
    return CliRunner().invoke(diagnose, args)


def run_ok(args: list[str], out: Path) -> str:
    """Run a subcommand into ``out`` and assert it succeeded; returns its output."""
    result = invoke(args + ["--out", str(out)])
    assert result.exit_code == 0, result.output + repr(result.exception)
    return result.output


def load_json(path: Path) -> dict:
    return json.loads(Path(path).read_text())
