"""Atomic file writes and guarded reads: a crash never leaves a half-written file, and a broken or
hostile file gives a :class:`FileFormatError` naming the file, never a traceback or executed code."""

from __future__ import annotations

import json
import os
import pickle
import subprocess
import zipfile
import tempfile
from pathlib import Path
from typing import Any, Callable

import numpy as np


def atomic_write(path: Path, write: Callable[[str], None]) -> None:
    """Call ``write(tmp)`` on a temp file in the target's folder, then rename it onto ``path``.

    The temp name ends with the target's own suffix (``.tmp.png``), so writers that choose the
    format from the name (matplotlib, PIL, numpy) work.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=f".tmp{path.suffix}")
    os.close(fd)
    try:
        write(tmp)
        os.chmod(tmp, 0o644)  # mkstemp creates 0600; final files are ordinary readable files
        os.replace(tmp, path)  # atomic on POSIX: readers see the old or the new file, never half
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


class FileFormatError(ValueError):
    """A file the program reads is missing, unreadable or malformed; the message names it."""


def save_torch(obj: Any, path: Path) -> None:
    """``torch.save`` via a temp file and rename."""
    import torch

    atomic_write(path, lambda tmp: torch.save(obj, tmp))


def dumps(obj: Any, indent: int | None = 2) -> str:
    """Strict JSON text (NaN and infinities written as null, which every JSON parser accepts)."""
    return json.dumps(_clean(obj), indent=indent, sort_keys=True, allow_nan=False)


def save_json(obj: Any, path: Path) -> None:
    """Write indented strict JSON atomically."""
    text = dumps(obj)
    atomic_write(path, lambda tmp: Path(tmp).write_text(text + "\n"))


def save_npy(arr: np.ndarray, path: Path) -> None:
    """``np.save`` atomically."""
    def write(tmp: str) -> None:
        with open(tmp, "wb") as fh:
            np.save(fh, arr)
    atomic_write(path, write)


def _clean(obj: Any) -> Any:
    """Replace NaN/inf floats by None so the JSON is standard."""
    if isinstance(obj, (float, np.floating)):
        return float(obj) if np.isfinite(obj) else None
    if isinstance(obj, np.integer):
        return int(obj)
    if isinstance(obj, dict):
        return {k: _clean(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_clean(v) for v in obj]
    return obj


def append_jsonl(record: dict, path: Path) -> None:
    """Append one strict JSON object per line, flushed to disk."""
    with open(path, "a") as fh:
        fh.write(dumps(record, indent=None) + "\n")
        fh.flush()
        os.fsync(fh.fileno())


def read_text(path: Path) -> str:
    """A UTF-8 text file (a leading byte-order mark dropped); FileFormatError if it is not UTF-8."""
    try:
        return Path(path).read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise FileFormatError(f"{path}: not UTF-8 text (byte 0x{exc.object[exc.start]:02x} at offset {exc.start})") from None


def read_json(path: Path, expect: type = dict) -> Any:
    """Parse a JSON file whose top level must be ``expect``; FileFormatError otherwise."""
    try:
        value = json.loads(read_text(path))
    except json.JSONDecodeError as exc:
        raise FileFormatError(f"{path}: not valid JSON ({exc.msg} at line {exc.lineno}, column {exc.colno})") from None
    if not isinstance(value, expect):
        raise FileFormatError(f"{path}: expected a JSON {_json_kind(expect)}, got {_json_kind(type(value))}")
    return value


def _json_kind(t: type) -> str:
    return {dict: "object", list: "array", str: "string", int: "number", float: "number", bool: "boolean",
            type(None): "null"}.get(t, t.__name__)


def read_jsonl(path: Path) -> list[dict]:
    """All records of a JSONL file ([] when it does not exist); FileFormatError names a bad line."""
    path = Path(path)
    if not path.exists():
        return []
    records = []
    for i, line in enumerate(read_text(path).splitlines(), 1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            raise FileFormatError(f"{path}: line {i} is not valid JSON ({exc.msg})") from None
        if not isinstance(record, dict):
            raise FileFormatError(f"{path}: line {i} is not a JSON object")
        records.append(record)
    return records


def truncate_jsonl(path: Path, max_step: int) -> None:
    """Keep only records with ``step <= max_step`` (used when resuming from a checkpoint)."""
    kept = [r for r in read_jsonl(path) if isinstance(r.get("step"), int) and r["step"] <= max_step]
    text = "".join(dumps(r, indent=None) + "\n" for r in kept)
    atomic_write(Path(path), lambda tmp: Path(tmp).write_text(text))


def read_settings_file(path: Path) -> Any:
    """Parse a YAML (.yaml/.yml, safe loader: no Python objects) or TOML (.toml) file."""
    path = Path(path)
    if path.suffix not in (".yaml", ".yml", ".toml"):
        raise FileFormatError(f"{path}: expected a .yaml, .yml or .toml file")
    if not path.is_file():
        raise FileFormatError(f"{path}: does not exist or is not a file")
    text = read_text(path)
    if path.suffix == ".toml":
        import tomllib
        try:
            return tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            raise FileFormatError(f"{path}: invalid TOML: {exc}") from None
    import yaml
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise FileFormatError(f"{path}: invalid YAML: {' '.join(str(exc).split())}") from None


def load_npy(path: Path) -> np.ndarray:
    """A plain numeric ``.npy`` array; never unpickles. FileFormatError for anything else."""
    path = Path(path)
    try:
        arr = np.load(path, allow_pickle=False)
    except (ValueError, EOFError, OSError, zipfile.BadZipFile) as exc:
        if isinstance(exc, (FileNotFoundError, PermissionError, IsADirectoryError)):
            raise
        raise FileFormatError(f"{path}: not a readable .npy array ({_first_line(exc)})") from None
    if not isinstance(arr, np.ndarray):  # an .npz archive named .npy
        arr.close()
        raise FileFormatError(f"{path}: is an .npz archive, not a single .npy array; save one array with np.save")
    return arr


def load_checkpoint(path: Path, device: Any = "cpu") -> dict:
    """``torch.load(weights_only=True)``: tensors and plain containers only, so no code can run."""
    import torch

    try:
        state = torch.load(path, map_location=device, weights_only=True)
    except pickle.UnpicklingError as exc:
        if "global" in str(exc).lower():  # the safe unpickler met a class or function reference
            raise FileFormatError(f"{path}: refused: it holds Python objects other than tensors and plain data, "
                                  "which could run code when loaded; only checkpoints distmatch writes are read") from None
        raise FileFormatError(f"{path}: not a distmatch checkpoint or corrupt (the safe loader cannot read it; "
                              "nothing in it was run)") from None
    except (RuntimeError, EOFError, ValueError, zipfile.BadZipFile, KeyError,
            AttributeError, TypeError, IndexError, UnicodeDecodeError) as exc:
        raise FileFormatError(f"{path}: not a distmatch checkpoint or corrupt ({_first_line(exc)})") from None
    if not isinstance(state, dict):
        raise FileFormatError(f"{path}: not a distmatch checkpoint (top level is {type(state).__name__})")
    return state


def _first_line(exc: BaseException) -> str:
    text = " ".join(str(exc).split()) or type(exc).__name__
    return text if len(text) <= 160 else text[:157] + "..."


def git_commit() -> str | None:
    """The commit of the distmatch checkout, for provenance (None outside git)."""
    try:
        out = subprocess.run(["git", "rev-parse", "HEAD"], cwd=Path(__file__).parent, capture_output=True,
                             text=True, timeout=5)
        return out.stdout.strip() or None
    except (OSError, subprocess.SubprocessError):
        return None
