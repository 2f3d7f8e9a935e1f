"""Run one adversarial case and classify what happened."""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from pathlib import Path

from click.testing import CliRunner

from .cases import Case, release_held

OUTCOMES = ("clean", "traceback", "data lost", "wrong result", "unclear message")


@dataclass
class Outcome:
    kind: str  # one of OUTCOMES
    detail: str
    output: str


def snapshot(root: Path) -> dict[str, str]:
    """SHA-256 of every file under ``root`` (symlinks by target name)."""
    out = {}
    for path in sorted(root.rglob("*")):
        if path.is_symlink():
            out[str(path)] = "link:" + os.readlink(path)
        elif path.is_file():
            out[str(path)] = hashlib.sha256(path.read_bytes()).hexdigest()
    return out


def run_case(case: Case, tmp: Path, monkeypatch) -> Outcome:
    """Prepare the case in ``tmp``, invoke the CLI in-process, and classify the result."""
    from distmatch.cli import cli

    cwd = os.getcwd()
    os.chdir(tmp)
    try:
        args = [str(a) for a in case.prepare(tmp)]
        before = snapshot(tmp)
        if case.patch is not None:
            case.patch(monkeypatch)
        env = {k: v.format(tmp=tmp) for k, v in case.env.items()}
        for key, value in env.items():
            monkeypatch.setenv(key, value)
        res = CliRunner().invoke(cli, args, catch_exceptions=True)
        return classify(case, tmp, res, before)
    finally:
        os.chdir(cwd)
        release_held()


def classify(case: Case, tmp: Path, res, before: dict[str, str]) -> Outcome:
    output = res.output
    if (res.exception is not None and not isinstance(res.exception, SystemExit)) or "Traceback" in output:
        return Outcome("traceback", f"{type(res.exception).__name__}: {res.exception}", output)
    after = snapshot(tmp)
    if case.expect == "error":
        changed = [p for p, h in before.items() if after.get(p) != h]
        if changed:
            return Outcome("data lost", f"changed or deleted: {changed[:3]}", output)
    problem = case.check(tmp, res) if case.check else None
    if problem:
        return Outcome("wrong result", problem, output)
    if case.expect == "fails":
        return Outcome("clean" if res.exit_code != 0 else "wrong result", "", output)
    if case.expect == "ok":
        if res.exit_code != 0:
            return Outcome("wrong result", f"refused a valid input (exit {res.exit_code})", output)
        return Outcome("clean", "", output)
    if res.exit_code == 0:
        return Outcome("wrong result", "accepted without an error", output)
    errors = [line for line in output.splitlines() if line.startswith("Error")]
    if len(errors) != 1 or case.fragment.lower() not in errors[0].lower():
        return Outcome("unclear message", f"expected one Error line with {case.fragment!r}", output)
    return Outcome("clean", "", output)
