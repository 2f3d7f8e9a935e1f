"""``<out>/manifest.json``: the sweep's specs, one record per run and one per session, merged
across sessions and rewritten atomically."""

from __future__ import annotations

import datetime as dt
import time
from pathlib import Path
from typing import Iterable

from .. import io
from .spec import RunSpec, SweepSpec

MANIFEST = "manifest.json"

# --------------------------------------------------------------------------- manifest
def now() -> str:
    return dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")


def read_manifest(out: Path) -> dict:
    """``<out>/manifest.json`` ({} when there is none); FileFormatError when it is malformed, so a
    broken history is never silently replaced."""
    path = Path(out) / MANIFEST
    if not path.exists():
        return {}
    data = io.read_json(path)
    problem = _malformed(data)
    if problem:
        raise io.FileFormatError(f"{path}: not a distmatch sweep manifest ({problem}); "
                                 "move it away to start a new history")
    return data


STATUSES = ("completed", "failed", "pending")


def _malformed(data: object) -> str | None:
    """What is wrong with a manifest's top level, runs, sessions and specs; None when nothing is."""
    if not isinstance(data, dict):
        return "top level is not an object"
    runs, sessions, specs = data.get("runs", []), data.get("sessions", []), data.get("specs", [])
    if not (isinstance(runs, list) and all(isinstance(r, dict) and isinstance(r.get("key"), str)
                                           and r.get("status") in STATUSES for r in runs)):
        return "runs malformed: each needs a key and a status"
    if not (isinstance(sessions, list) and all(isinstance(x, dict) and isinstance(x.get("start"), str)
                                               for x in sessions)):
        return "sessions malformed: each needs a start time"
    if not (isinstance(specs, list) and all(isinstance(x, dict) for x in specs)) or \
            not isinstance(data.get("spec", {}), dict):
        return "specs malformed"
    return None


class Manifest:
    """``<out>/manifest.json``: specs, run records, sessions and provenance, rewritten atomically on
    every change. A new spec is merged in: earlier records, specs and sessions are always kept."""

    def __init__(self, out: Path, spec: SweepSpec, runs: list[RunSpec], settings: dict):
        from ..provenance import provenance

        self.path = Path(out) / MANIFEST
        old = read_manifest(out)
        self.runs = {r["key"]: r for r in old.get("runs", [])}
        for r in runs:
            self.runs[r.key] = {**_run_identity(r), "status": "pending", "error": None, "wall_seconds": None,
                                **_previous(self.runs.get(r.key))}
        self.keys = [r.key for r in runs]  # this spec's runs
        specs = old.get("specs") or ([old["spec"]] if "spec" in old else [])
        self.specs = specs + ([spec.to_dict()] if spec.to_dict() not in specs else [])
        self.sessions = old.get("sessions", [])
        self.session = {"start": now(), "end": None, "wall_seconds": None,
                        "spec": self.specs.index(spec.to_dict()), **settings}
        self.data = {"spec": spec.to_dict(), "provenance": provenance()}
        self.t0 = time.perf_counter()

    def update(self, key: str, record: dict) -> None:
        self.runs[key].update(record)
        self.session["wall_seconds"] = round(time.perf_counter() - self.t0, 1)  # so far (kept if killed)
        self.write()

    def finish(self, interrupted: bool = False) -> None:
        self.session["end"] = now()
        self.session["wall_seconds"] = round(time.perf_counter() - self.t0, 1)
        self.session["interrupted"] = interrupted
        self.write()

    def counts(self, keys: Iterable[str] | None = None) -> dict[str, int]:
        """completed / failed / pending over ``keys`` (default: this spec's runs)."""
        records = [self.runs[k] for k in (self.keys if keys is None else keys)]
        return {s: sum(r["status"] == s for r in records) for s in ("completed", "failed", "pending")}

    def write(self) -> None:
        sessions = self.sessions + [self.session]
        self.data.update(
            specs=self.specs, start=sessions[0]["start"], end=self.session["end"], counts=self.counts(),
            counts_all=self.counts(self.runs), sessions=sessions,
            wall_seconds=round(sum(s.get("wall_seconds") or 0 for s in sessions), 1),
            runs=list(self.runs.values()))
        io.save_json(self.data, self.path)


def _run_identity(run: RunSpec) -> dict:
    return {"key": run.key, "objective": run.objective, "dataset": run.dataset, "seed": run.seed, "dir": run.key}


def _previous(old: dict | None) -> dict:
    """Keep an earlier session's record of a run (it is skipped now, not retrained)."""
    if not old:
        return {}
    return {k: old[k] for k in ("status", "error", "wall_seconds", "resumed_from") if k in old}


