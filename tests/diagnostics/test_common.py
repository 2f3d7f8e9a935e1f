import pytest

from distmatch.diagnostics.common import parse_seeds
from diag_helpers import invoke


@pytest.mark.parametrize("spec, expected", [("0,1,2", [0, 1, 2]), ("0-2", [0, 1, 2]), ("3", [3]),
                                            ("0-1,5", [0, 1, 5]), (" 2 , 1 ", [1, 2])])
def test_parse_seeds(spec, expected):
    assert parse_seeds(spec) == expected


@pytest.mark.parametrize("spec", ["", "a", "2-1", "-1", "0-x", "1.5"])
def test_parse_seeds_rejects(spec):
    with pytest.raises(ValueError):
        parse_seeds(spec)


@pytest.mark.parametrize("args, fragment", [
    (["mode-collapse", "--seeds", "x"], "bad seed or range 'x'"),
    (["mode-collapse", "--seeds", "3-1"], "bad seed or range '3-1'"),
    (["mode-collapse", "--dataset", "nope"], "unknown dataset"),
    (["mode-collapse", "--dataset", "swissroll"], "no known mode centres"),
    (["mode-collapse", "--objectives", "mmd,gan"], "unknown objective"),
    (["vanishing-gradient", "--dataset", "nope"], "unknown dataset"),
    (["vanishing-gradient", "--wgan-critic", "x"], "Invalid value"),
    (["mmd-bandwidth", "--dataset", "grid"], "Invalid value"),
    (["saturation-1d", "--separation", "-1"], "Invalid value"),
])
def test_bad_options_give_one_line_errors(args, fragment):
    result = invoke(args + ["--fast", "--quiet"])
    assert result.exit_code != 0
    assert fragment in result.output
    assert "Traceback" not in result.output
    error_lines = [line for line in result.output.splitlines() if line.startswith("Error")]
    assert len(error_lines) == 1


def test_group_lists_four_subcommands():
    result = invoke(["--help"])
    assert result.exit_code == 0
    for name in ("mode-collapse", "vanishing-gradient", "saturation-1d", "mmd-bandwidth"):
        assert name in result.output
