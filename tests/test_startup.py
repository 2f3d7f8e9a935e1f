"""Help, listing and usage errors answer without loading torch, POT, seaborn or matplotlib."""

import subprocess
import sys

import pytest

HEAVY = ("torch", "ot", "geomloss", "seaborn", "matplotlib", "sklearn")
PROBE = """
import sys
from distmatch.cli import cli
try:
    cli.main(args=sys.argv[1:], prog_name="distmatch")
except SystemExit:
    pass
print("HEAVY:" + ",".join(m for m in {heavy!r} if m in sys.modules), file=sys.stderr)
"""


@pytest.mark.parametrize("args", [["--help"], ["list"], ["run", "--help"], ["sweep", "--help"], ["table", "--help"],
                                  ["diagnose", "--help"], ["diagnose", "vanishing-gradient", "--help"],
                                  ["sample", "--help"], ["report", "--help"], ["animate", "--help"],
                                  ["data", "fetch", "--help"], ["run", "--objective", "nope"],
                                  ["run", "--steps", "0"], ["nonsense"]])
def test_light_commands_do_not_import_heavy_libraries(args):
    res = subprocess.run([sys.executable, "-c", PROBE.format(heavy=HEAVY), *args], capture_output=True, text=True,
                         timeout=120)
    heavy = [line for line in res.stderr.splitlines() if line.startswith("HEAVY:")]
    assert heavy == ["HEAVY:"], res.stderr


def test_list_names_every_registered_objective_with_its_description():
    from click.testing import CliRunner

    from distmatch.cli import cli
    from distmatch.objectives import REGISTRY, describe
    out = CliRunner().invoke(cli, ["list"]).output
    for name in REGISTRY:
        assert f"{name} " in out and describe(name) in out
