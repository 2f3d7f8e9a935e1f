"""Optimisers by name and freezing a player (distmatch.optimizers)."""

import pytest
import torch
from torch import nn

from distmatch.optimizers import make_optimizer, toggle_grad


@pytest.mark.parametrize("name, kind, fused", [("adam", torch.optim.Adam, True), ("sgd", torch.optim.SGD, True),
                                               ("rmsprop", torch.optim.RMSprop, None)])
def test_optimizers_by_name(name, kind, fused):
    opt = make_optimizer(name, nn.Linear(2, 2).parameters(), 0.01, (0.5, 0.9))
    assert type(opt) is kind and opt.param_groups[0]["lr"] == 0.01
    assert opt.defaults.get("fused") is fused
    if name == "adam":
        assert opt.param_groups[0]["betas"] == (0.5, 0.9)
    if name == "sgd":
        assert opt.param_groups[0]["momentum"] == 0.9


def test_an_unknown_optimizer_names_the_choices():
    with pytest.raises(ValueError, match="adam, rmsprop or sgd"):
        make_optimizer("adagrad", nn.Linear(2, 2).parameters(), 0.01, (0.5, 0.9))


def test_toggle_grad_freezes_and_unfreezes_every_parameter():
    model = nn.Sequential(nn.Linear(2, 3), nn.Linear(3, 1))
    toggle_grad(model, False)
    assert not any(p.requires_grad for p in model.parameters())
    toggle_grad(model, True)
    assert all(p.requires_grad for p in model.parameters())
    toggle_grad(None, False)  # no critic: nothing to do
