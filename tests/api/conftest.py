"""Tiny runs shared by the API tests: trained once per package through ``distmatch.train``.

The digits metric classifier is cached in a tmp dir (never ~/.cache), restored afterwards."""

import os

import pytest

import distmatch

TINY = dict(steps=2, batch_size=16, eval_samples=100)


@pytest.fixture(scope="package")
def api_tmp(tmp_path_factory):
    cache = tmp_path_factory.mktemp("api-classifier-cache")
    old = os.environ.get("DISTMATCH_CACHE")
    os.environ["DISTMATCH_CACHE"] = str(cache)
    yield tmp_path_factory.mktemp("api-runs")
    if old is None:
        os.environ.pop("DISTMATCH_CACHE", None)
    else:
        os.environ["DISTMATCH_CACHE"] = old


@pytest.fixture(scope="package")
def points_run(api_tmp):
    """mmd on 8gaussians, 2 steps (read only: tests that change a run make their own)."""
    return distmatch.train("mmd", "8gaussians", out=api_tmp / "points", **TINY)


@pytest.fixture(scope="package")
def digits_run(api_tmp):
    """mmd on digits (DCGAN), 2 steps."""
    return distmatch.train("mmd", "digits", out=api_tmp / "digits", width=8, noise_dim=8, **TINY)
