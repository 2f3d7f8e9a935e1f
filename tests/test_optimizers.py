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


def _trajectory(opt_factory, steps: int = 20) -> list[torch.Tensor]:
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(2, 16), nn.ReLU(), nn.Linear(16, 1))
    opt = opt_factory(model.parameters())
    x = torch.randn(64, 2)
    for _ in range(steps):
        opt.zero_grad(set_to_none=True)
        model(x).pow(2).mean().backward()
        opt.step()
    return [p.detach().clone() for p in model.parameters()]


def test_rmsprop_multi_tensor_update_equals_torchs_default_bit_for_bit():
    """The foreach RMSProp we build does the per-tensor loop's arithmetic: same parameters exactly."""
    ours = _trajectory(lambda ps: make_optimizer("rmsprop", ps, 1e-2, (0.5, 0.9)))
    torchs = _trajectory(lambda ps: torch.optim.RMSprop(ps, lr=1e-2))
    assert make_optimizer("rmsprop", nn.Linear(2, 2).parameters(), 1e-2, (0.5, 0.9)).defaults["foreach"] is True
    for a, b in zip(ours, torchs):
        assert torch.equal(a, b)
