"""Click pieces the commands share (distmatch.cli_options); the generated `run` options are tested
against their declarations in tests/test_settings_declarations.py."""

import click
import pytest

from distmatch import cli, cli_options
from distmatch.cli_options import float_list, load_dataset
from distmatch.settings import Setting


def test_float_list_reads_comma_separated_positive_numbers():
    assert float_list(None, None, None) is None
    assert float_list(None, None, "0.5, 1,2e-1") == [0.5, 1.0, 0.2]


@pytest.mark.parametrize("text, fragment", [("a,b", "comma-separated"), ("0.1,-1", "positive finite"),
                                            ("1,inf", "positive finite"), (",", "positive finite"),
                                            ("5", "must lie in")])
def test_float_list_refuses_with_one_line(text, fragment):
    spec = Setting(list, 1e-3, 2.0, optional=True, where="file", help="x")
    with pytest.raises(click.BadParameter, match=fragment):
        float_list(None, None, text, spec=spec)


def test_load_dataset_turns_data_errors_into_click_errors():
    assert load_dataset("8gaussians", None).name == "8gaussians"
    with pytest.raises(click.ClickException, match="nope"):
        load_dataset("nope", None)


def test_the_cli_module_still_exports_them():
    for name in ("float_list", "load_dataset", "setting_options", "REGISTRIES"):
        assert getattr(cli, name) is getattr(cli_options, name)
