"""distmatch report: one self-contained HTML page for a sweep directory, checked with html.parser."""

from __future__ import annotations

import base64
import json
import math
import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import pytest
from click.testing import CliRunner

from distmatch import io
from distmatch.report.cli import report
from distmatch.report.html import PNG_MAGIC, config_hash
from distmatch.report.tables import build_table, fmt_cell

TINY = ["--objectives", "mmd,nonsaturating", "--datasets", "8gaussians", "--seeds", "0-1", "--steps", "4",
        "--set", "eval_samples=100", "--set", "width=16", "--set", "depth=2", "--set", "batch_size=32",
        "--workers", "2", "--quiet"]
HOSTILE = "<script>alert('x')</script>"


class Page(HTMLParser):
    """Every start tag with its attributes, every table's cell texts (by section id) and all text."""

    def __init__(self, text: str):
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict]] = []
        self.tables: list[dict] = []
        self.text: list[str] = []
        self.section, self.cell = None, None
        self.feed(text)
        self.close()

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        self.tags.append((tag, a))
        if tag == "section":
            self.section = a.get("id")
        elif tag == "table":
            self.tables.append({"section": self.section, "rows": []})
        elif tag == "tr":
            self.tables[-1]["rows"].append([])
        elif tag in ("td", "th"):
            self.cell = []

    def handle_endtag(self, tag):
        if tag in ("td", "th"):
            self.tables[-1]["rows"][-1].append("".join(self.cell).strip())
            self.cell = None

    def handle_data(self, data):
        self.text.append(data)
        if self.cell is not None:
            self.cell.append(data)

    def table(self, section: str, index: int = 0) -> list[list[str]]:
        """Rows (header first) of the index-th table in a section."""
        return [t for t in self.tables if t["section"] == section][index]["rows"]


def run_report(*args: str):
    return CliRunner().invoke(report, list(args))


@pytest.fixture(scope="module")
def sweep_dir(tmp_path_factory) -> Path:
    """2 objectives × 8gaussians × 2 seeds, 4 steps each, with its report written by the command."""
    from distmatch.sweep.cli import sweep

    out = tmp_path_factory.mktemp("report") / "sw"
    result = CliRunner().invoke(sweep, TINY + ["--out", str(out)])
    assert result.exit_code == 0, result.output
    result = run_report(str(out))
    assert result.exit_code == 0, result.output
    return out


@pytest.fixture(scope="module")
def page(sweep_dir) -> Page:
    return Page((sweep_dir / "report.html").read_text(encoding="utf-8"))


@pytest.fixture
def copy(sweep_dir, tmp_path) -> Path:
    """A copy of the sweep that a test may spoil."""
    dst = tmp_path / "sw"
    shutil.copytree(sweep_dir, dst)
    (dst / "report.html").unlink()
    return dst


def test_table_has_one_row_per_dataset_and_objective_with_the_tables_numbers(sweep_dir, page):
    table = build_table([sweep_dir], None)
    head, *rows = page.table("table")
    assert head[:3] == ["dataset", "objective", "runs"] and len(head) == 3 + len(table.metrics)
    assert len(rows) == len(table.rows) == 2
    for got, want in zip(rows, table.rows):
        assert got == [want.dataset, want.objective, want.runs] + [fmt_cell(m, want.cells[m]) for m in table.metrics]
    assert {r[1] for r in rows} == {"mmd", "nonsaturating"}


def test_metric_cells_carry_their_mean_for_sorting(sweep_dir, page):
    table = build_table([sweep_dir], None)
    values = [a["data-v"] for tag, a in page.tags if tag == "td" and "data-v" in a]
    want = [c.mean for r in table.rows for c in (r.cells[m] for m in table.metrics)]
    assert [float(v) if v else None for v in values] == [w if math.isfinite(w) else None for w in want]
    assert any(tag == "table" and a.get("class") == "sortable" for tag, a in page.tags)


def test_every_figure_is_an_inlined_png(sweep_dir, page):
    srcs = [a.get("src", "") for tag, a in page.tags if tag == "img"]
    expected = list((sweep_dir / "figures").glob("*.png")) + list(sweep_dir.glob("*/*/s*/figures/*.png"))
    assert len(srcs) == len(expected) >= 4 + 5  # 2 per run, sweep.png and one per metric
    for src in srcs:
        assert src.startswith("data:image/png;base64,")
        assert base64.b64decode(src.split(",", 1)[1], validate=True).startswith(PNG_MAGIC)


def test_nothing_points_outside_the_file(page):
    for tag, attrs in page.tags:
        for name in ("src", "href", "action", "srcset", "data", "poster"):
            assert name not in attrs or attrs[name].startswith("data:"), (tag, attrs)
        assert tag not in ("link", "iframe", "object", "embed", "base")
    scripts = [a for tag, a in page.tags if tag == "script"]
    assert scripts == [{}]
    csp = [a["content"] for tag, a in page.tags if tag == "meta" and a.get("http-equiv") == "Content-Security-Policy"]
    assert csp and "default-src 'none'" in csp[0]


def test_provenance_lists_commit_seeds_samples_and_config_hashes(sweep_dir, page):
    manifest = io.read_json(sweep_dir / "manifest.json")
    sweep = dict(r for r in page.table("provenance", 0) if len(r) == 2)
    assert sweep["commit"] == (manifest["provenance"]["commit"] or "")
    assert sweep["seeds"] == "0, 1" and sweep["objectives"] == "mmd, nonsaturating"
    head, *rows = page.table("provenance", 1)
    runs = {r[0]: dict(zip(head, r)) for r in rows}
    assert set(runs) == {f"{o}/8gaussians/s{s}" for o in ("mmd", "nonsaturating") for s in (0, 1)}
    for key, row in runs.items():
        summary = io.read_json(sweep_dir / key / "summary.json")
        assert row["seed"] == key[-1] and row["eval samples"] == "100" and row["steps"] == "4/4"
        assert row["commit"] == (summary["provenance"]["commit"] or "")
        assert row["config hash"] == config_hash(io.read_json(sweep_dir / key / "config.json"))


def test_a_clean_sweep_lists_no_problems(page):
    assert not [t for t in page.tables if t["section"] == "problems"]
    assert "Failed or incomplete runs" in page.text and "None." in page.text


def test_failed_and_incomplete_runs_are_listed(copy):
    (copy / "mmd/8gaussians/s1/summary.json").unlink()
    manifest = io.read_json(copy / "manifest.json")
    manifest["runs"][0].update(status="failed", error="TrainingDiverged: loss is nan")
    io.save_json(manifest, copy / "manifest.json")
    assert run_report(str(copy), "--no-plots").exit_code == 0
    rows = Page((copy / "report.html").read_text()).table("problems")[1:]
    statuses = {r[0]: (r[1], r[2]) for r in rows}
    assert statuses[manifest["runs"][0]["key"]] == ("failed", "TrainingDiverged: loss is nan")
    assert statuses["mmd/8gaussians/s1"][0] == "unfinished"


def test_hostile_text_is_escaped(copy):
    manifest = io.read_json(copy / "manifest.json")
    manifest["runs"].append({"key": HOSTILE, "dir": HOSTILE, "status": "failed", "error": f"<img src=x>{HOSTILE}"})
    io.save_json(manifest, copy / "manifest.json")
    summary = io.read_json(copy / "mmd/8gaussians/s0/summary.json")
    summary["provenance"]["commit"] = HOSTILE
    io.save_json(summary, copy / "mmd/8gaussians/s0/summary.json")
    (copy / "figures" / "<script>.png").write_bytes(HOSTILE.encode())  # not a PNG: skipped, named
    (copy / "nonsaturating/8gaussians/s1").rename(copy / "nonsaturating/8gaussians/<b>x")
    out = copy / "page.html"
    assert run_report(str(copy), "--out", str(out)).exit_code == 0
    page = Page(out.read_text())
    assert [tag for tag, _ in page.tags].count("script") == 1
    assert all(a["src"].startswith("data:image/png;base64,") for tag, a in page.tags if tag == "img")
    assert not any(tag == "b" for tag, _ in page.tags)
    problems = {r[0]: r for r in page.table("problems")[1:]}
    assert problems[HOSTILE][2] == f"<img src=x>{HOSTILE}"
    assert "nonsaturating/8gaussians/<b>x" in {r[0] for r in page.table("provenance", 1)}
    assert HOSTILE in {r[8] for r in page.table("provenance", 1)}
    assert "Skipped figures/<script>.png: not a PNG file of at most 20 MiB." in "".join(page.text)


def test_default_out_is_written_atomically(sweep_dir):
    assert (sweep_dir / "report.html").is_file()
    assert not [p for p in sweep_dir.iterdir() if p.name.startswith(".report.html")]


@pytest.mark.parametrize("case", ["missing", "empty", "file", "run_dir", "bad_manifest", "no_runs", "bad_summary",
                                  "bad_config"])
def test_errors_are_one_line(case, copy, tmp_path):
    target = {"missing": tmp_path / "nope", "empty": tmp_path / "empty", "file": tmp_path / "f.txt",
              "run_dir": copy / "mmd/8gaussians/s0"}.get(case, copy)
    (tmp_path / "empty").mkdir()
    (tmp_path / "f.txt").write_text("x")
    if case == "bad_manifest":
        (copy / "manifest.json").write_text("{not json")
    elif case == "no_runs":
        (copy / "manifest.json").write_text(json.dumps({"runs": [], "sessions": []}))
    elif case == "bad_summary":
        (copy / "mmd/8gaussians/s0/summary.json").write_text('{"metrics": [1, 2]}')
    elif case == "bad_config":
        (copy / "mmd/8gaussians/s0/config.json").write_bytes(b"\xff\xfe<script>")
    result = run_report(str(target), "--no-plots")
    assert result.exit_code == 1 and isinstance(result.exception, SystemExit), result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: ") and "Traceback" not in result.output
    assert not (target / "report.html").exists() if target.is_dir() else True


def test_registered_on_the_main_command(tmp_path):
    from distmatch.cli import cli

    result = CliRunner().invoke(cli, ["report", str(tmp_path)])
    assert result.exit_code == 1 and "is not a sweep directory" in result.output


BROWSER = next(filter(None, map(shutil.which, ("chromium", "chromium-browser", "google-chrome", "chrome"))), None)


@pytest.mark.slow
@pytest.mark.skipif(BROWSER is None, reason="no chromium on PATH")
def test_browser_screenshot(sweep_dir, tmp_path):
    shot = tmp_path / "page.png"
    subprocess.run([BROWSER, "--headless", "--disable-gpu", "--no-sandbox", f"--screenshot={shot}",
                    "--window-size=1200,2000", (sweep_dir / "report.html").as_uri()], check=True, timeout=120,
                   capture_output=True)
    assert shot.read_bytes().startswith(PNG_MAGIC)
