"""distmatch.models.mlp: the MLP builder, generator and critic have the declared layer widths and
parameter counts, compute what their layers say, and batch norm follows PacGAN's settings."""

from __future__ import annotations

import itertools

import pytest
import torch
from torch import nn

from distmatch.models.mlp import MLPCritic, MLPGenerator, mlp


def _linear_shapes(module: nn.Module) -> list[tuple[int, ...]]:
    return [tuple(m.weight.shape) for m in module.modules() if isinstance(m, nn.Linear)]


def _n_params(module: nn.Module) -> int:
    return sum(p.numel() for p in module.parameters())


@pytest.mark.parametrize("in_dim,out_dim,width,depth", [(3, 5, 7, 2), (2, 2, 16, 3), (4, 1, 8, 0)])
def test_mlp_widths_and_parameter_count(in_dim, out_dim, width, depth):
    net = mlp(in_dim, out_dim, width, depth)
    dims = [in_dim] + [width] * depth + [out_dim]
    assert _linear_shapes(net) == [(b, a) for a, b in itertools.pairwise(dims)]
    assert _n_params(net) == sum(a * b + b for a, b in itertools.pairwise(dims))
    kinds = [type(m) for m in net]
    assert kinds == [nn.Linear, nn.ReLU] * depth + [nn.Linear]  # no activation after the output layer


def test_batch_norm_mlp_has_no_hidden_bias_and_two_parameters_per_unit():
    net = mlp(3, 2, 8, 2, norm="batch")
    assert [type(m) for m in net] == [nn.Linear, nn.BatchNorm1d, nn.ReLU] * 2 + [nn.Linear]
    assert _n_params(net) == (3 * 8) + 2 * 8 + (8 * 8) + 2 * 8 + (8 * 2 + 2)


def test_batch_norm_running_statistics_move_5_percent_per_batch():
    torch.manual_seed(0)
    net = mlp(3, 1, 4, 1, norm="batch")
    x = torch.randn(64, 3) * 3 + 1
    pre = net[0](x).detach()  # (64, 4) before the norm
    net.train()(x)
    torch.testing.assert_close(net[1].running_mean, 0.05 * pre.mean(0))  # 0.95 * 0 + 0.05 * batch
    torch.testing.assert_close(net[1].running_var, 0.95 + 0.05 * pre.var(0, unbiased=True))


def test_batchnorm_generator_has_no_hidden_bias_and_normalises():
    g = MLPGenerator(2, (2,), width=16, depth=2, norm="batch")
    linears = [m for m in g.modules() if isinstance(m, torch.nn.Linear)]
    assert [m.bias is None for m in linears] == [True, True, False]
    bns = [m for m in g.modules() if isinstance(m, torch.nn.BatchNorm1d)]
    assert len(bns) == 2 and bns[0].eps == 1e-4 and bns[0].momentum == 0.05
    with pytest.raises(ValueError, match="norm"):
        MLPGenerator(2, (2,), norm="layer")


@pytest.mark.parametrize("output,fn", [("none", lambda t: t), ("tanh", torch.tanh), ("sigmoid", torch.sigmoid)])
def test_generator_is_its_net_then_the_output_activation(output, fn):
    torch.manual_seed(0)
    g = MLPGenerator(3, (1, 2, 4), width=8, depth=2, output=output)
    assert _linear_shapes(g) == [(8, 3), (8, 8), (8, 8)]  # 8 = 1 x 2 x 4 outputs
    z = torch.randn(5, 3) * 10
    out = g(z)
    assert out.shape == (5, 1, 2, 4)
    torch.testing.assert_close(out, fn(g.net(z)).view(5, 1, 2, 4))
    if output != "none":
        assert float(out.detach().abs().max()) <= 1.0


def test_critic_flattens_and_uses_leaky_relu_0_2():
    torch.manual_seed(0)
    critic = MLPCritic((2, 3), width=5, depth=2)
    assert _linear_shapes(critic) == [(5, 6), (5, 5), (1, 5)]
    assert _n_params(critic) == (6 * 5 + 5) + (5 * 5 + 5) + (5 + 1)
    x = torch.randn(4, 2, 3)
    (w1, b1), (w2, b2), (w3, b3) = [(m.weight, m.bias) for m in critic.modules() if isinstance(m, nn.Linear)]
    leaky = lambda t: torch.where(t > 0, t, 0.2 * t)
    want = leaky(leaky(x.flatten(1) @ w1.T + b1) @ w2.T + b2) @ w3.T + b3  # (4, 1)
    got = critic(x)
    assert got.shape == (4,)  # one logit per sample
    torch.testing.assert_close(got, want.squeeze(1))


def test_critic_features_and_refusals():
    critic = MLPCritic((2,), width=4, depth=1, out_features=3)
    assert critic(torch.randn(6, 2)).shape == (6, 3) and critic.out_features == 3
    assert MLPCritic((2,), width=4, depth=1, out_features=1)(torch.randn(1, 2)).shape == (1,)  # batch of one: (1,)
    for bad in (0, -2):
        with pytest.raises(ValueError, match="out_features must be a positive integer"):
            MLPCritic((2,), out_features=bad)
    with pytest.raises(ValueError, match="unknown norm 'layer'; choose one of none, batch"):
        mlp(2, 2, 4, 1, norm="layer")
