"""Every run setting is declared once, in distmatch.settings.SETTINGS: the ``run`` command's options
and RunConfig's fields follow from it (issue "one owner per concern")."""

import dataclasses

import click
import pytest
from click.testing import CliRunner

from distmatch import settings
from distmatch.cli import REGISTRIES, run, setting_options
from distmatch.config import RunConfig
from distmatch.objectives import option_declarations
from distmatch.settings import SETTINGS, Setting

NOT_SETTINGS = {"config_file", "out", "resume", "overwrite", "quiet"}  # hand-written `run` options
USER_FACING = [name for name, spec in SETTINGS.items() if spec.where in ("run", "objective")]
OPTIONS = {p.name: p for p in run.params}


def fields() -> dict[str, dataclasses.Field]:
    return {f.name: f for f in dataclasses.fields(RunConfig) if f.name != "extra"}


def test_run_config_fields_and_settings_name_the_same_settings():
    assert sorted(fields()) == sorted(SETTINGS)


@pytest.mark.parametrize("name", list(SETTINGS))
def test_run_config_defaults_are_the_declared_ones(name):
    default = fields()[name].default
    assert default == SETTINGS[name].default and type(default) is type(SETTINGS[name].default)
    assert settings.check(name, default) == default  # every default passes its own validation
    assert getattr(RunConfig(), name) == default


def test_run_options_are_the_user_facing_settings_and_the_hand_written_ones():
    assert set(OPTIONS) == set(USER_FACING) | NOT_SETTINGS
    assert {n for n, s in SETTINGS.items() if s.where == "objective"} == set(option_declarations())
    settings_in_help_order = [p.name for p in run.params if p.name not in NOT_SETTINGS]
    assert settings_in_help_order == USER_FACING  # grouped as SETTINGS is


@pytest.mark.parametrize("name", USER_FACING)
def test_each_option_has_the_settings_name_type_range_and_default(name):
    spec, option = SETTINGS[name], OPTIONS[name]
    assert option.opts == [f"--{name.replace('_', '-')}"]
    kind = option.type
    if spec.kind in (int, float):
        assert isinstance(kind, click.IntRange if spec.kind is int else click.FloatRange)
        assert (kind.min, kind.max, kind.min_open, kind.max_open) == (spec.low, spec.high, spec.low_open, False)
    elif spec.kind is bool:
        assert option.is_flag and not option.secondary_opts and spec.default is False  # --x/--no-x when True
    elif spec.registry:
        assert list(kind.choices) == list(REGISTRIES[spec.registry]())
    elif spec.choices:
        assert tuple(kind.choices) == spec.choices
    elif spec.kind is list:
        assert option.callback is not None
    if spec.where == "run":
        assert option.help == spec.help
        shown = spec.default is not None and spec.kind is not bool
        assert bool(option.show_default) == shown and (option.default == spec.default if shown else True)
    else:  # an objective option: no click default (None = the objective's), help from the objectives
        assert all(help_ in option.help for _, help_ in option_declarations()[name][1])


@pytest.mark.parametrize("name", [n for n in USER_FACING if SETTINGS[n].kind in (int, float)])
def test_each_numeric_option_refuses_what_the_validation_refuses(name):
    spec = SETTINGS[name]
    beyond = spec.high * 2 if spec.kind is float else int(spec.high) + 1
    with pytest.raises(settings.SettingError):
        settings.check(name, beyond)
    res = CliRunner().invoke(run, [f"--{name.replace('_', '-')}", str(beyond)])
    assert res.exit_code == 2 and f"--{name.replace('_', '-')}" in res.output


@pytest.mark.parametrize("name", [n for n, s in SETTINGS.items() if s.where in ("file", "derived")])
def test_settings_that_are_not_run_options_have_none(name):
    assert name not in OPTIONS and SETTINGS[name].help  # still documented


def make_command(extra: dict[str, Setting]) -> click.Command:
    @click.command()
    @setting_options({**SETTINGS, **extra})
    def command(**options):
        click.echo(repr({k: options[k] for k in extra}))

    return command


def test_a_new_setting_is_one_declaration_away_from_a_run_option():
    new = {"warmup_steps": Setting(int, 0, 500, default=10, help="Steps of learning-rate warm-up."),
           "ema": Setting(bool, default=False, help="Keep an EMA of the generator."),
           "ema_decay": Setting(float, 0, 1, low_open=True, optional=True, help="EMA decay [0.999]."),
           "mixing": Setting(str, choices=("a", "b"), default="a", help="How to mix.")}
    command = make_command(new)
    runner = CliRunner()
    out = runner.invoke(command, ["--help"]).output
    assert "--warmup-steps" in out and "Steps of learning-rate warm-up." in out and "0<=x<=500" in out
    assert "[default: 10;" in out and "--ema " in out and "--mixing [a|b]" in out
    assert runner.invoke(command, []).output.strip() == "{'warmup_steps': 10, 'ema': False, 'ema_decay': None, " \
                                                        "'mixing': 'a'}"
    res = runner.invoke(command, ["--warmup-steps", "3", "--ema", "--ema-decay", "0.5", "--mixing", "b"])
    assert res.output.strip() == "{'warmup_steps': 3, 'ema': True, 'ema_decay': 0.5, 'mixing': 'b'}"
    for args in (["--warmup-steps", "501"], ["--warmup-steps", "-1"], ["--ema-decay", "0"], ["--mixing", "c"]):
        res = runner.invoke(command, args)
        assert res.exit_code == 2 and args[0] in res.output, (args, res.output)


def test_a_new_setting_shows_up_on_the_run_command_when_monkeypatched(monkeypatch):
    monkeypatch.setitem(SETTINGS, "warmup_steps", Setting(int, 0, 500, default=10, help="Warm-up steps."))
    command = make_command({})
    assert "--warmup-steps" in [opt for p in command.params for opt in p.opts]
    res = CliRunner().invoke(command, ["--warmup-steps", "501"])
    assert res.exit_code == 2 and "501 is not in the range 0<=x<=500" in res.output


def test_a_bool_setting_that_defaults_to_true_can_be_switched_off():
    command = make_command({"fused": Setting(bool, default=True, help="Fused kernels.")})
    assert CliRunner().invoke(command, ["--no-fused"]).output.strip() == "{'fused': False}"
    assert CliRunner().invoke(command, []).output.strip() == "{'fused': True}"


def test_a_setting_without_a_run_form_must_say_so():
    with pytest.raises(TypeError, match="where='file'"):
        make_command({"pair": Setting(tuple, 0, 1, optional=True, length=2, help="Two numbers.")})
    make_command({"pair": Setting(tuple, 0, 1, optional=True, length=2, where="file", help="Two numbers.")})


@pytest.mark.parametrize("kwargs,error,fragment", [
    ({"kind": int, "default": 1}, ValueError, "help text"),
    ({"kind": int, "default": None, "help": "x"}, ValueError, "optional"),
    ({"kind": int, "default": 1, "optional": True, "help": "x"}, ValueError, "optional"),
    ({"kind": int, "default": 1, "where": "cli", "help": "x"}, ValueError, "where"),
    ({"kind": list, "default": [1.0], "help": "x"}, TypeError, "default"),
])
def test_a_malformed_declaration_is_refused_where_it_is_made(kwargs, error, fragment):
    with pytest.raises(error, match=fragment):
        Setting(**kwargs)


def test_the_runtime_settings_are_those_declared_runtime():
    from distmatch.config import RUNTIME_FIELDS

    declared = {name for name, spec in SETTINGS.items() if spec.runtime}
    assert set(RUNTIME_FIELDS) == declared == set(settings.RUNTIME)
    assert {"steps", "eval_every", "checkpoint_every", "device", "threads", "final_metrics", "tensorboard"} == declared


@pytest.mark.parametrize("name", list(SETTINGS))
def test_only_runtime_settings_may_differ_on_resume(name):
    spec = SETTINGS[name]
    other = {int: 7, float: 0.5, bool: True, list: [1.0], tuple: (0.5, 0.9)}.get(spec.kind, "changed")
    if spec.choices:
        other = next(c for c in spec.choices if c != spec.default)
    a, b = RunConfig(), dataclasses.replace(RunConfig(), **{name: other})
    assert a.differences(b) == ([] if spec.runtime else [name])


def test_the_lr_schedules_are_the_lr_schedule_settings_choices():
    from distmatch.config import LR_SCHEDULES, lr_factor

    assert LR_SCHEDULES == SETTINGS["lr_schedule"].choices == ("constant", "cosine")
    for schedule in LR_SCHEDULES:
        assert lr_factor(schedule, 0, 10) == 1.0 and 0.0 <= lr_factor(schedule, 10, 10) <= 1.0
    with pytest.raises(settings.SettingError, match="lr_schedule"):
        RunConfig(lr_schedule="linear").validate()


def test_the_declaration_table_is_importable_from_settings():
    from distmatch import settings_table

    assert settings.SETTINGS is settings_table.SETTINGS and settings.Setting is settings_table.Setting
    assert settings.MAX_SEED == settings_table.MAX_SEED and settings.WHERE is settings_table.WHERE
