"""Hostile and careless inputs to the command line, each with what must happen.

A case builds its files in a fresh folder, names the command to run, and says what is expected:
``error`` (exit code != 0, exactly one ``Error:`` line containing ``fragment``, no traceback, and
every file that existed before unchanged), ``fails`` (exit code != 0 and the case's own ``check``;
a sweep reports failed runs, one line each, and records them in its manifest) or ``ok`` (exit
code 0 and the case's own ``check``).
``count.py`` runs them all and counts the outcomes; ``test_cases.py`` runs each as a test.
"""

from __future__ import annotations

import gzip
import json
import os
import shutil
import struct
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import numpy as np

TINY = ["--steps", "4", "--batch-size", "32", "--width", "8", "--depth", "2", "--eval-every", "2",
        "--eval-samples", "100", "--quiet"]
TINY_SETS = ["--set", "eval_samples=100", "--set", "width=8", "--set", "depth=2", "--set", "batch_size=32",
             "--steps", "4", "--quiet"]
MARKER = "PWNED"  # a payload that runs creates this file


@dataclass
class Case:
    """One input and its expected outcome (see the module docstring)."""

    name: str
    category: str  # code-exec | data-loss | silent | traceback | message
    prepare: Callable[[Path], list[str]]  # writes files under the folder, returns the CLI arguments
    expect: str = "error"
    fragment: str = ""
    check: Callable[[Path, object], str | None] | None = None  # returns a problem, or None
    env: dict = field(default_factory=dict)
    patch: Callable[[object], None] | None = None  # gets pytest's monkeypatch (or count.py's stand-in)


CASES: list[Case] = []


def case(name: str, category: str, expect: str = "error", fragment: str = "", check=None, env=None, patch=None):
    """Register the decorated ``prepare`` function as a Case."""
    def register(prepare):
        CASES.append(Case(name, category, prepare, expect, fragment, check, env or {}, patch))
        return prepare
    return register


# --------------------------------------------------------------------------- builders
_TEMPLATES: dict[str, Path] = {}


def template_run(seed: int = 0, dataset: str = "ring") -> Path:
    """A finished tiny run, trained once per process and copied by each case that needs one."""
    key = f"{dataset}-{seed}"
    if key not in _TEMPLATES:
        import tempfile

        from click.testing import CliRunner

        from distmatch.cli import cli
        out = Path(tempfile.mkdtemp(prefix="distmatch-template-")) / "run"
        res = CliRunner().invoke(cli, ["run", "--dataset", dataset, "--seed", str(seed), *TINY, "--out", str(out)])
        assert res.exit_code == 0, res.output
        _TEMPLATES[key] = out
    return _TEMPLATES[key]


def copy_run(tmp: Path, name: str = "r", seed: int = 0) -> Path:
    dst = tmp / name
    shutil.copytree(template_run(seed), dst)
    return dst


def run_args(out: Path, *extra: str) -> list[str]:
    return ["run", "--dataset", "ring", *TINY, "--out", str(out), *extra]


class Payload:
    """Unpickling this creates the marker file: what an attacker's checkpoint would do."""

    def __init__(self, marker: Path):
        self.marker = str(marker)

    def __reduce__(self):
        return (os.system, (f"touch {self.marker}",))


def no_marker(tmp: Path, res) -> str | None:
    return "the payload ran" if (tmp / MARKER).exists() else None


def write_points(path: Path, n: int = 40, seed: int = 0) -> Path:
    np.save(path, np.random.default_rng(seed).normal(size=(n, 2)).astype(np.float32))
    return path


def write_csv(path: Path, text: str | bytes) -> Path:
    (path.write_bytes if isinstance(text, bytes) else path.write_text)(text)
    return path


def write_spec(path: Path, text: str | bytes) -> Path:
    return write_csv(path, text)


def json_strict(text: str) -> object:
    def refuse(name):
        raise ValueError(f"non-standard JSON constant {name}")
    return json.loads(text, parse_constant=refuse)


# --------------------------------------------------------------------------- code execution
@case("crafted checkpoint on run --resume", "code-exec", fragment="checkpoint", check=no_marker)
def _(tmp):
    import torch
    r = copy_run(tmp)
    torch.save({"step": 1, "config": {}, "boom": Payload(tmp / MARKER)}, r / "checkpoint.pt")
    return run_args(r, "--resume")


def _sweep_refused_checkpoint(tmp, res) -> str | None:
    if no_marker(tmp, res):
        return no_marker(tmp, res)
    return None if "checkpoint.pt: refused" in res.output else "the failure does not name the checkpoint"


@case("crafted checkpoint in a sweep run", "code-exec", expect="fails", check=_sweep_refused_checkpoint)
def _(tmp):
    import torch

    from click.testing import CliRunner

    from distmatch.cli import cli
    out = tmp / "sw"
    args = ["sweep", "--objectives", "mmd", "--datasets", "ring", "--seeds", "0", *TINY_SETS, "--out", str(out)]
    assert CliRunner().invoke(cli, args).exit_code == 0
    run = out / "mmd" / "ring" / "s0"
    (run / "summary.json").unlink()  # looks interrupted: the sweep will resume it
    torch.save({"step": 1, "boom": Payload(tmp / MARKER)}, run / "checkpoint.pt")
    return args


@case("pickled object array as samples.npy on eval", "code-exec", fragment="samples.npy", check=no_marker)
def _(tmp):
    r = copy_run(tmp)
    np.save(r / "samples.npy", np.array([Payload(tmp / MARKER)], dtype=object), allow_pickle=True)
    return ["eval", str(r)]


@case("pickled object array as samples.npy on plot", "code-exec", fragment="samples.npy", check=no_marker)
def _(tmp):
    r = copy_run(tmp)
    np.save(r / "samples.npy", np.array([Payload(tmp / MARKER)], dtype=object), allow_pickle=True)
    return ["plot", str(r)]


@case("pickled object array as a point file", "code-exec", fragment="evil.npy", check=no_marker)
def _(tmp):
    np.save(tmp / "evil.npy", np.array([Payload(tmp / MARKER)], dtype=object), allow_pickle=True)
    return ["run", "--dataset", str(tmp / "evil.npy"), *TINY, "--out", str(tmp / "o")]


@case("YAML spec with a python/object tag", "code-exec", fragment="YAML", check=no_marker)
def _(tmp):
    spec = write_spec(tmp / "s.yaml", f"objectives: !!python/object/apply:os.system ['touch {tmp / MARKER}']\n"
                                      "datasets: ring\nseeds: 0\n")
    return ["sweep", "--spec", str(spec), "--out", str(tmp / "sw")]


@case("checkpoint holding a custom class", "code-exec", fragment="checkpoint")
def _(tmp):
    import torch
    r = copy_run(tmp)
    torch.save({"step": 1, "config": {}, "obj": Path("/etc")}, r / "checkpoint.pt")
    return run_args(r, "--resume")


# --------------------------------------------------------------------------- data loss
@case("--overwrite on a folder of photos", "data-loss", fragment="holds no distmatch run")
def _(tmp):
    (tmp / "photos").mkdir()
    (tmp / "photos" / "cat.jpg").write_bytes(b"\xff\xd8meow")
    return run_args(tmp / "photos", "--overwrite")


@case("--overwrite with --out .", "data-loss", fragment="holds no distmatch run")
def _(tmp):
    (tmp / "thesis.tex").write_text("chapter 1")
    os.chdir(tmp)
    return run_args(Path("."), "--overwrite")


@case("--overwrite of a run in the working directory itself", "data-loss", fragment="refusing to delete")
def _(tmp):
    r = copy_run(tmp)
    os.chdir(r)
    return run_args(Path("."), "--overwrite")


@case("--overwrite of the home directory holding a run", "data-loss", fragment="refusing to delete",
      env={"HOME": "{tmp}/r"})
def _(tmp):
    r = copy_run(tmp)
    return run_args(r, "--overwrite")


@case("--resume --overwrite on a finished run", "data-loss", fragment="--resume and --overwrite")
def _(tmp):
    return run_args(copy_run(tmp), "--resume", "--overwrite")


@case("new run into a non-empty folder that holds no run", "data-loss", fragment="holds no distmatch run")
def _(tmp):
    (tmp / "notes").mkdir()
    (tmp / "notes" / "samples.npy").write_bytes(b"my own file")
    return run_args(tmp / "notes")


@case("--overwrite of a run that also holds a user's file", "data-loss", fragment="did not write")
def _(tmp):
    r = copy_run(tmp)
    (r / "my_analysis.ipynb").write_text("{}")
    return run_args(r, "--overwrite")


@case("--overwrite of a run whose figures/ holds a user's file", "data-loss", fragment="did not write")
def _(tmp):
    r = copy_run(tmp)
    (r / "figures" / "notes.txt").write_text("keep me")
    return run_args(r, "--overwrite")


@case("--overwrite of a run holding a symlink to a user file", "data-loss", fragment="did not write")
def _(tmp):
    r = copy_run(tmp)
    (tmp / "precious.txt").write_text("keep me")
    (r / "link").symlink_to(tmp / "precious.txt")
    return run_args(r, "--overwrite")


@case("--out is an existing file", "data-loss", fragment="is a file")
def _(tmp):
    (tmp / "report.pdf").write_bytes(b"%PDF")
    return run_args(tmp / "report.pdf")


@case("a run while another process holds the run's lock", "data-loss", fragment="in use")
def _(tmp):
    from distmatch.rundir import exclusive_lock
    r = copy_run(tmp)
    holder = exclusive_lock(r / ".distmatch.lock", "test")
    holder.__enter__()
    _HELD.append(holder)
    return run_args(r, "--overwrite")


_HELD: list = []


def release_held() -> None:
    """Release locks a case took on behalf of a 'concurrent process'."""
    while _HELD:
        _HELD.pop().__exit__(None, None, None)


@case("a sweep while another sweep holds its folder", "data-loss", fragment="in use")
def _(tmp):
    from distmatch.rundir import exclusive_lock
    (tmp / "sw").mkdir()
    holder = exclusive_lock(tmp / "sw" / ".distmatch-sweep.lock", "test")
    holder.__enter__()
    _HELD.append(holder)
    return ["sweep", "--objectives", "mmd", "--datasets", "ring", "--seeds", "0", *TINY_SETS, "--out", str(tmp / "sw")]


def _stale_lock_check(tmp, res) -> str | None:
    if "stale lock" not in res.output or "pid 999999" not in res.output:
        return "the stale lock was not named"
    return None if not (tmp / "r" / ".distmatch.lock").exists() else "the lock file was left behind"


@case("a stale lock left by a killed process", "data-loss", expect="ok", check=_stale_lock_check)
def _(tmp):
    r = copy_run(tmp)
    (r / ".distmatch.lock").write_text("pid 999999 on somewhere, since 2026-01-01 00:00:00")
    return run_args(r, "--overwrite")


def _second_sweep_keeps_first(tmp, res) -> str | None:
    manifest = json.loads((tmp / "sw" / "manifest.json").read_text())
    keys = {r["key"] for r in manifest["runs"]}
    if not {"mmd/ring/s0", "mmd/grid/s0"} <= keys:
        return f"first sweep's records dropped: {sorted(keys)}"
    return None if len(manifest["specs"]) == 2 else "the first spec was dropped"


@case("a second sweep with another spec into the same --out", "data-loss", expect="ok",
      check=_second_sweep_keeps_first)
def _(tmp):
    from click.testing import CliRunner

    from distmatch.cli import cli
    base = ["sweep", "--objectives", "mmd", "--seeds", "0", *TINY_SETS, "--out", str(tmp / "sw")]
    assert CliRunner().invoke(cli, base + ["--datasets", "ring"]).exit_code == 0
    return base + ["--datasets", "grid"]


@case("a sweep into a folder with a corrupt manifest.json", "data-loss", fragment="manifest.json")
def _(tmp):
    (tmp / "sw").mkdir()
    (tmp / "sw" / "manifest.json").write_text('{"runs": [1, 2')
    return ["sweep", "--objectives", "mmd", "--datasets", "ring", "--seeds", "0", *TINY_SETS, "--out", str(tmp / "sw")]


def _no_leftover_dir(tmp, res) -> str | None:
    return "a half-made run directory was left" if (tmp / "new").exists() else None


@case("a failing run leaves no new directory behind", "data-loss", fragment="ring.npy", check=_no_leftover_dir)
def _(tmp):
    write_csv(tmp / "ring.npy", b"not numpy at all")
    return ["run", "--dataset", str(tmp / "ring.npy"), *TINY, "--out", str(tmp / "new")]


def _replaced(tmp, res) -> str | None:
    cfg = json.loads((tmp / "r" / "config.json").read_text())
    return None if cfg["seed"] == 3 else "the old run was not replaced"


@case("--overwrite of a genuine run replaces it", "data-loss", expect="ok", check=_replaced)
def _(tmp):
    r = copy_run(tmp)
    return ["run", "--dataset", "ring", "--seed", "3", *TINY, "--out", str(r), "--overwrite"]


# --------------------------------------------------------------------------- silently wrong
@case("resume with a checkpoint from another seed", "silent", fragment="seed")
def _(tmp):
    r = copy_run(tmp)
    shutil.copy(template_run(seed=1) / "checkpoint.pt", r / "checkpoint.pt")
    return run_args(r, "--resume")


@case("resume with a checkpoint from another dataset", "silent", fragment="dataset")
def _(tmp):
    r = copy_run(tmp)
    shutil.copy(template_run(dataset="grid") / "checkpoint.pt", r / "checkpoint.pt")
    return run_args(r, "--resume")


@case("--resume --steps below the checkpoint's step", "silent", fragment="--steps 2")
def _(tmp):
    r = copy_run(tmp)
    args = run_args(r, "--resume")
    args[args.index("--steps") + 1] = "2"
    return args


@case("--resume of a finished run: nothing to do, nothing rewritten", "silent", expect="ok",
      check=lambda tmp, res: None if "nothing to do" in res.output else "no 'nothing to do' message")
def _(tmp):
    return run_args(copy_run(tmp), "--resume")


def _one_step0_record(tmp, res) -> str | None:
    steps = [json.loads(line)["step"] for line in (tmp / "r" / "metrics.jsonl").read_text().splitlines()]
    return None if steps.count(0) == 1 and steps == sorted(steps) else f"log steps {steps}"


@case("resume after a kill before the first checkpoint", "silent", expect="ok", check=_one_step0_record)
def _(tmp):
    r = copy_run(tmp)
    first = (r / "metrics.jsonl").read_text().splitlines()[0]
    for name in ("checkpoint.pt", "samples.npy", "summary.json"):
        (r / name).unlink()
    shutil.rmtree(r / "figures")
    (r / "metrics.jsonl").write_text(first + "\n")
    return run_args(r, "--resume")


def _log_cut_back(tmp, res) -> str | None:
    steps = [json.loads(line)["step"] for line in (tmp / "r" / "metrics.jsonl").read_text().splitlines()]
    return None if steps == [0, 2, 4, 6] else f"log steps {steps}"


@case("resume cuts the log back to the checkpoint", "silent", expect="ok", check=_log_cut_back)
def _(tmp):
    import torch
    r = copy_run(tmp)
    state = torch.load(r / "checkpoint.pt", weights_only=True)
    assert state["step"] == 4
    with open(r / "metrics.jsonl", "a") as fh:
        fh.write(json.dumps({"step": 5, "g_loss": 1.0}) + "\n")  # written after the checkpoint, then killed
    (r / "summary.json").unlink()
    args = run_args(r, "--resume")
    args[args.index("--steps") + 1] = "6"
    return args


def _two_keys(tmp, res) -> str | None:
    keys = {r["key"] for r in json.loads((tmp / "sw" / "manifest.json").read_text())["runs"]}
    ok = len(keys) == 2 and "mmd/ring/s0" in keys and any(k.startswith("mmd/ring-") for k in keys)
    return None if ok else f"run keys {sorted(keys)}"


@case("sweep over the ring toy and a file named ring.npy", "silent", expect="ok", check=_two_keys)
def _(tmp):
    write_points(tmp / "ring.npy")
    return ["sweep", "--objectives", "mmd", "--datasets", f"ring,{tmp / 'ring.npy'}", "--seeds", "0", *TINY_SETS,
            "--out", str(tmp / "sw")]


@case("sweep over one file under two spellings", "silent", fragment="same data")
def _(tmp):
    write_points(tmp / "a.npy")
    os.chdir(tmp)
    return ["sweep", "--objectives", "mmd", "--datasets", "a.npy,./a.npy", "--seeds", "0", *TINY_SETS,
            "--out", str(tmp / "sw")]


def _table_rows(tmp, res) -> str | None:
    lines = [line for line in res.output.splitlines() if line.startswith("| ring |")]
    ours = [line for line in lines if "mmd" in line]
    published_after_file = any("PacGAN" in line for line in res.output.splitlines() if line.startswith("| ring-"))
    if len(ours) != 1 or published_after_file or not any(line.startswith("| ring-") for line in res.output.splitlines()):
        return f"rows: {res.output}"
    return None


@case("table keeps the toy ring and a ring.npy file apart", "silent", expect="ok", check=_table_rows)
def _(tmp):
    from click.testing import CliRunner

    from distmatch.cli import cli
    write_points(tmp / "ring.npy")
    assert CliRunner().invoke(cli, ["run", "--dataset", str(tmp / "ring.npy"), *TINY, "--out",
                                    str(tmp / "f")]).exit_code == 0
    copy_run(tmp)
    return ["table", str(tmp / "r"), str(tmp / "f"), "--published", "--metrics", "mmd"]


@case("table given one run three times counts it once", "silent", expect="ok",
      check=lambda tmp, res: None if "(1)" in res.output and "(3)" not in res.output else res.output)
def _(tmp):
    r = copy_run(tmp)
    return ["table", str(r), str(r) + "/", str(tmp / "." / "r"), "--metrics", "mmd"]


@case("table given a copy of a run refuses to count it twice", "silent", fragment="counts each seed once")
def _(tmp):
    copy_run(tmp, "a")
    copy_run(tmp, "b")
    return ["table", str(tmp / "a"), str(tmp / "b"), "--metrics", "mmd"]


@case("sweep --set lr=0", "silent", fragment="lr")
def _(tmp):
    return ["sweep", "--objectives", "mmd", "--datasets", "ring", "--seeds", "0", "--set", "lr=0", "--out",
            str(tmp / "sw")]


@case("sweep --set steps=0", "silent", fragment="steps")
def _(tmp):
    return ["sweep", "--objectives", "mmd", "--datasets", "ring", "--seeds", "0", "--set", "steps=0", "--out",
            str(tmp / "sw")]


@case("sweep --set eval_every=0", "silent", fragment="eval_every")
def _(tmp):
    return ["sweep", "--objectives", "mmd", "--datasets", "ring", "--seeds", "0", "--set", "eval_every=0", "--out",
            str(tmp / "sw")]


@case("sweep --set critic_lr=nan", "silent", fragment="critic_lr")
def _(tmp):
    return ["sweep", "--objectives", "mmd", "--datasets", "ring", "--seeds", "0", "--set", "critic_lr=nan",
            "--out", str(tmp / "sw")]


@case("spec file with lr: 0", "silent", fragment="lr")
def _(tmp):
    spec = write_spec(tmp / "s.yaml", "objectives: mmd\ndatasets: ring\nseeds: 0\nrun_options: {lr: 0}\n")
    return ["sweep", "--spec", str(spec), "--out", str(tmp / "sw")]


def _kept_first_row(tmp, res) -> str | None:
    from distmatch.data.files import load_points
    return None if len(load_points(tmp / "p.csv", test_fraction=0).train) == 12 else "a row was lost"


@case("CSV with a UTF-8 byte-order mark keeps its first row", "silent", expect="ok", check=_kept_first_row)
def _(tmp):
    rows = "\n".join(f"{i},{i * 0.5}" for i in range(12))
    write_csv(tmp / "p.csv", b"\xef\xbb\xbf" + rows.encode())
    return ["run", "--dataset", str(tmp / "p.csv"), *TINY, "--out", str(tmp / "o")]


@case("complex-valued .npy", "silent", fragment="complex")
def _(tmp):
    np.save(tmp / "c.npy", (np.arange(40) + 1j).reshape(20, 2))
    return ["run", "--dataset", str(tmp / "c.npy"), *TINY, "--out", str(tmp / "o")]


@case("values above the float32 maximum", "silent", fragment="float32")
def _(tmp):
    np.save(tmp / "big.npy", np.full((20, 2), 1e39))
    return ["run", "--dataset", str(tmp / "big.npy"), *TINY, "--out", str(tmp / "o")]


def _strict_json(tmp, res) -> str | None:
    try:
        json_strict(res.output)
    except ValueError as exc:
        return f"eval printed non-standard JSON: {exc}"
    return None


@case("eval of samples far from every mode prints strict JSON", "silent", expect="ok", check=_strict_json)
def _(tmp):
    r = copy_run(tmp)
    np.save(r / "samples.npy", np.full((100, 2), 50.0, dtype=np.float32))  # no high-quality sample: rKL NaN
    return ["eval", str(r)]


@case("resume after the data file changed", "silent", fragment="dataset_id")
def _(tmp):
    from click.testing import CliRunner

    from distmatch.cli import cli
    write_points(tmp / "d.npy", seed=0)
    args = ["run", "--dataset", str(tmp / "d.npy"), *TINY, "--out", str(tmp / "o")]
    assert CliRunner().invoke(cli, args).exit_code == 0
    (tmp / "o" / "summary.json").unlink()
    write_points(tmp / "d.npy", seed=1)
    return args + ["--resume"]


@case("eval after the data file changed", "silent", fragment="content changed")
def _(tmp):
    from click.testing import CliRunner

    from distmatch.cli import cli
    write_points(tmp / "d.npy", seed=0)
    assert CliRunner().invoke(cli, ["run", "--dataset", str(tmp / "d.npy"), *TINY, "--out",
                                    str(tmp / "o")]).exit_code == 0
    write_points(tmp / "d.npy", seed=1)
    return ["eval", str(tmp / "o")]


@case("resume after config.json was edited", "silent", fragment="lr")
def _(tmp):
    r = copy_run(tmp)
    cfg = json.loads((r / "config.json").read_text())
    cfg["lr"] = 0.5
    (r / "config.json").write_text(json.dumps(cfg))
    return run_args(r, "--resume")


# --------------------------------------------------------------------------- malformed files
def _corrupt(name: str, content: bytes | str, command: str = "eval"):
    def prepare(tmp):
        r = copy_run(tmp)
        target = r / name
        (target.write_bytes if isinstance(content, bytes) else target.write_text)(content)
        return run_args(r, "--resume") if command == "resume" else [command, str(r)]
    return prepare


for _name, _content, _cmd, _frag in [
    ("config.json", "{not json", "eval", "config.json"),
    ("config.json", "[1, 2, 3]", "eval", "config.json"),
    ("config.json", '{"objective": "mmd", "dataset": "ring", "seed": "zero"}', "eval", "seed"),
    ("config.json", '{"objective": "mmd", "dataset": "ring", "seed": 0, "colour": "red"}', "eval", "colour"),
    ("config.json", '{"objective": "mmd", "dataset": "ring", "seed": 0, "steps": -5}', "eval", "steps"),
    ("config.json", b"\xff\xfe\x00garbage", "eval", "UTF-8"),
    ("summary.json", "{broken", "eval", "summary.json"),
    ("samples.npy", b"\x93NUMPY garbage", "eval", "samples.npy"),
    ("samples.npy", b"", "eval", "samples.npy"),
    ("metrics.jsonl", '{"step": 0}\nnot json\n', "plot", "metrics.jsonl"),
    ("metrics.jsonl", '{"step": 0}\n[1]\n', "resume", "metrics.jsonl"),
    ("metrics.jsonl", '{"step": 0}\n{"g_loss": 1.0}\n', "plot", "integer 'step'"),
    ("checkpoint.pt", b"garbage bytes", "resume", "checkpoint.pt"),
    ("checkpoint.pt", b"", "resume", "checkpoint.pt"),
    ("summary.json", "[]", "table", "summary.json"),
]:
    case(f"malformed {_name} ({_content[:24]!r}) on {_cmd}", "traceback", fragment=_frag)(
        _corrupt(_name, _content, _cmd))


@case("samples.npy of the wrong shape on eval", "traceback", fragment="samples")
def _(tmp):
    r = copy_run(tmp)
    np.save(r / "samples.npy", np.zeros(10, dtype=np.float32))
    return ["eval", str(r)]


@case("samples.npy with 3 columns for 2-D data", "traceback", fragment="do not match")
def _(tmp):
    r = copy_run(tmp)
    np.save(r / "samples.npy", np.zeros((100, 3), dtype=np.float32))
    return ["eval", str(r)]


@case("checkpoint.pt holding a list", "traceback", fragment="checkpoint")
def _(tmp):
    import torch
    r = copy_run(tmp)
    torch.save([1, 2, 3], r / "checkpoint.pt")
    return run_args(r, "--resume")


@case("checkpoint.pt missing its generator", "traceback", fragment="generator")
def _(tmp):
    import torch
    r = copy_run(tmp)
    state = torch.load(r / "checkpoint.pt", weights_only=True)
    del state["generator"]
    torch.save(state, r / "checkpoint.pt")
    return run_args(r, "--resume")


@case("checkpoint.pt with weights of the wrong shape", "traceback", fragment="does not fit")
def _(tmp):
    import torch
    r = copy_run(tmp)
    state = torch.load(r / "checkpoint.pt", weights_only=True)
    state["generator"] = {k: torch.zeros(3, 3) for k in state["generator"]}
    torch.save(state, r / "checkpoint.pt")
    (r / "summary.json").unlink()  # interrupted after this checkpoint: resume must load it
    return run_args(r, "--resume")


@case("config.json is a directory", "traceback", fragment="config.json")
def _(tmp):
    r = copy_run(tmp)
    (r / "config.json").unlink()
    (r / "config.json").mkdir()
    return ["eval", str(r)]


@case("--out below a regular file", "traceback", fragment="not a directory")
def _(tmp):
    (tmp / "file.txt").write_text("x")
    return run_args(tmp / "file.txt" / "sub")


def _disk_full(monkeypatch) -> None:
    import errno

    from distmatch import io

    def full(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device", "checkpoint.pt")
    monkeypatch.setattr(io, "save_torch", full)


@case("disk full while writing a checkpoint", "traceback", fragment="no space left", patch=_disk_full)
def _(tmp):
    return run_args(tmp / "o")


def _read_only(monkeypatch) -> None:
    import errno

    from distmatch import io

    def refuse(*args, **kwargs):
        raise OSError(errno.EROFS, "Read-only file system", "config.json")
    monkeypatch.setattr(io, "save_json", refuse)


@case("read-only file system under --out", "traceback", fragment="read-only", patch=_read_only)
def _(tmp):
    return run_args(tmp / "o")


@case(".npz archive named .npy", "traceback", fragment=".npz")
def _(tmp):
    with open(tmp / "z.npy", "wb") as fh:
        np.savez(fh, a=np.zeros((10, 2)))
    return ["run", "--dataset", str(tmp / "z.npy"), *TINY, "--out", str(tmp / "o")]


@case("non-UTF-8 CSV", "traceback", fragment="UTF-8")
def _(tmp):
    write_csv(tmp / "p.csv", "x,y\n1,2\n3,4\n".encode("utf-16"))
    return ["run", "--dataset", str(tmp / "p.csv"), *TINY, "--out", str(tmp / "o")]


@case("non-UTF-8 TOML spec", "traceback", fragment="UTF-8")
def _(tmp):
    spec = write_spec(tmp / "s.toml", "objectives = ['mmd']\n# caf\xe9\n".encode("latin-1"))
    return ["sweep", "--spec", str(spec), "--out", str(tmp / "sw")]


@case("corrupt .gz IDX file", "traceback", fragment="train-images")
def _(tmp):
    d = tmp / "idx"
    d.mkdir()
    for name in ("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz", "t10k-images-idx3-ubyte.gz",
                 "t10k-labels-idx1-ubyte.gz"):
        (d / name).write_bytes(gzip.compress(struct.pack(">IIII", 2051, 10, 28, 28))[:-6])
    return ["run", "--dataset", "mnist", "--data-dir", str(d), *TINY, "--out", str(tmp / "o")]


for _spec_name, _text, _frag in [
    ("objectives is a number", "objectives: 5\ndatasets: ring\nseeds: 0\n", "objectives"),
    ("seeds is 1.5", "objectives: mmd\ndatasets: ring\nseeds: 1.5\n", "seeds"),
    ("datasets is empty", "objectives: mmd\ndatasets:\nseeds: 0\n", "datasets"),
    ("datasets is a mapping", "objectives: mmd\ndatasets: {a: 1}\nseeds: 0\n", "datasets"),
    ("run_options is a list", "objectives: mmd\ndatasets: ring\nseeds: 0\nrun_options: [1]\n", "run_options"),
    ("run_options width is text", "objectives: mmd\ndatasets: ring\nseeds: 0\nrun_options: {width: wide}\n", "width"),
    ("steps is true", "objectives: mmd\ndatasets: ring\nseeds: 0\nsteps: true\n", "steps"),
    ("top level is a list", "- mmd\n- ring\n", "mapping"),
    ("unknown key", "objectives: mmd\ndatasets: ring\nseeds: 0\nepochs: 3\n", "epochs"),
    ("invalid YAML", "objectives: [mmd\n", "YAML"),
]:
    case(f"spec file: {_spec_name}", "traceback", fragment=_frag)(
        (lambda text: lambda tmp: ["sweep", "--spec", str(write_spec(tmp / "s.yaml", text)), "--out",
                                   str(tmp / "sw")])(_text))


# --------------------------------------------------------------------------- extreme numbers
for _opt, _value in [("--lr", "0"), ("--bandwidths", "1e-200"), ("--blur", "1e-300"), ("--width", "2000000000"),
                     ("--seed", "100000000000000"), ("--batch-size", "3000000000"), ("--eval-samples", "1"),
                     ("--noise-dim", "10000000"), ("--clip", "inf"), ("--lr", "nan"), ("--gp-weight", "1e300")]:
    case(f"run {_opt} {_value}", "traceback", fragment=_opt.strip("-").replace("-", "_") if _value == "nan" else _opt)(
        (lambda o, v: lambda tmp: run_args(tmp / "o", o, v))(_opt, _value))


for _seeds in ("0-99999999999", "5-2", "-3", "0,x"):
    case(f"sweep --seeds {_seeds}", "traceback", fragment="seeds")(
        (lambda s: lambda tmp: ["sweep", "--objectives", "mmd", "--datasets", "ring", f"--seeds={s}", "--out",
                                str(tmp / "sw")])(_seeds))


# --------------------------------------------------------------------------- unclear messages
@case("eval of a folder that is not a run", "message", fragment="not a run directory")
def _(tmp):
    (tmp / "x").mkdir()
    return ["eval", str(tmp / "x")]


@case("eval of an unfinished run", "message", fragment="has not finished")
def _(tmp):
    r = copy_run(tmp)
    (r / "samples.npy").unlink()
    return ["eval", str(r)]


@case("resume where there is no run", "message", fragment="no run there")
def _(tmp):
    return run_args(tmp / "nothing", "--resume")


@case("CSV with only a header", "message", fragment="no data rows")
def _(tmp):
    write_csv(tmp / "p.csv", "x,y\n")
    return ["run", "--dataset", str(tmp / "p.csv"), *TINY, "--out", str(tmp / "o")]


@case("CSV with a text cell in a data row", "message", fragment="line 3")
def _(tmp):
    write_csv(tmp / "p.csv", "x,y\n1,2\n3,oops\n")
    return ["run", "--dataset", str(tmp / "p.csv"), *TINY, "--out", str(tmp / "o")]


@case("1-D .npy", "message", fragment="2-D")
def _(tmp):
    np.save(tmp / "v.npy", np.arange(10.0))
    return ["run", "--dataset", str(tmp / "v.npy"), *TINY, "--out", str(tmp / "o")]


@case("boolean .npy", "message", fragment="real numbers")
def _(tmp):
    np.save(tmp / "b.npy", np.ones((10, 2), dtype=bool))
    return ["run", "--dataset", str(tmp / "b.npy"), *TINY, "--out", str(tmp / "o")]


@case("distance between files of different dimension", "message", fragment="dimension mismatch")
def _(tmp):
    np.save(tmp / "a.npy", np.zeros((10, 2)))
    np.save(tmp / "b.npy", np.zeros((10, 3)))
    return ["distance", str(tmp / "a.npy"), str(tmp / "b.npy")]


@case("table of a folder without runs", "message", fragment="no run directories")
def _(tmp):
    (tmp / "empty").mkdir()
    return ["table", str(tmp / "empty")]


@case("MNIST without its files", "message", fragment="data fetch")
def _(tmp):
    return ["run", "--dataset", "mnist", "--data-dir", str(tmp / "none"), *TINY, "--out", str(tmp / "o")]
