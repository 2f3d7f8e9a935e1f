"""Sweeps: a grid of runs (objective x dataset x seed) on a local process pool or on Ray.

Each run trains into ``<out>/<objective>/<dataset>/s<seed>/``; ``<out>/manifest.json`` records the
spec, every run's status (completed / failed / pending), error and wall time, and provenance.
Re-running the same sweep skips completed runs and resumes interrupted ones from their checkpoints.

:mod:`.spec` (what to run), :mod:`.manifest` (what ran), :mod:`.runner` (running it), :mod:`.cli`
(``distmatch sweep`` and ``distmatch table``).
"""

from .manifest import MANIFEST, Manifest, read_manifest
from .runner import execute_run, run_sweep, threads_per_worker
from .spec import RunSpec, SpecError, SweepSpec, build_spec, load_spec_file, parse_seeds, parse_sets

__all__ = ["MANIFEST", "Manifest", "RunSpec", "SpecError", "SweepSpec", "build_spec", "execute_run",
           "load_spec_file", "parse_seeds", "parse_sets", "read_manifest", "run_sweep", "threads_per_worker"]
