"""DCGAN generator / critic: shapes, range, logits, batchnorm flag, gradients, determinism."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from distmatch.models.dcgan import DCGANCritic, DCGANGenerator, conv_geometry

SHAPES = [((1, 8, 8), 32), ((1, 28, 28), 16), ((3, 16, 16), 8)]


@pytest.mark.parametrize("shape,base", SHAPES)
def test_generator_shape_and_range(shape, base):
    torch.manual_seed(0)
    g = DCGANGenerator(10, shape, base_channels=base)
    x = g(torch.randn(5, 10) * 10)
    assert x.shape == (5, *shape)
    assert x.min() >= -1 and x.max() <= 1


@pytest.mark.parametrize("shape,base", SHAPES)
@pytest.mark.parametrize("batchnorm", [True, False])
def test_critic_returns_one_logit_per_sample(shape, base, batchnorm):
    torch.manual_seed(0)
    d = DCGANCritic(shape, base_channels=base, batchnorm=batchnorm)
    x = torch.rand(4, *shape) * 2 - 1
    out = d(x)
    assert out.shape == (4,)
    torch.testing.assert_close(d(x.flatten(1)), out)  # flat input accepted
    assert not any(isinstance(m, nn.Sigmoid) for m in d.modules())  # logits, no sigmoid


def test_batchnorm_flag_respected():
    with_bn = DCGANCritic((1, 28, 28), 8, batchnorm=True)
    without = DCGANCritic((1, 28, 28), 8, batchnorm=False)
    assert any(isinstance(m, nn.BatchNorm2d) for m in with_bn.modules())
    assert not any(isinstance(m, (nn.BatchNorm1d, nn.BatchNorm2d, nn.LayerNorm, nn.GroupNorm))
                   for m in without.modules())


def test_critic_without_batchnorm_is_per_sample():
    """wgan-gp needs each logit to depend on its own sample only (even in train mode)."""
    torch.manual_seed(0)
    d = DCGANCritic((1, 8, 8), 16, batchnorm=False).train()
    x = torch.randn(6, 1, 8, 8)
    torch.testing.assert_close(d(x)[:3], d(x[:3]))


@pytest.mark.parametrize("batchnorm", [True, False])
def test_gradients_flow_to_all_parameters(batchnorm):
    torch.manual_seed(0)
    g = DCGANGenerator(16, (1, 8, 8), 8)
    d = DCGANCritic((1, 8, 8), 8, batchnorm=batchnorm)
    z = torch.randn(8, 16)
    d(g(z)).mean().backward()
    for name, p in list(g.named_parameters()) + list(d.named_parameters()):
        assert p.grad is not None and torch.isfinite(p.grad).all(), name
        assert p.grad.abs().sum() > 0, name


def test_input_gradient_for_penalty():
    d = DCGANCritic((1, 8, 8), 8, batchnorm=False)
    x = torch.randn(3, 1, 8, 8, requires_grad=True)
    (grad,) = torch.autograd.grad(d(x).sum(), x, create_graph=True)
    assert grad.shape == x.shape and grad.requires_grad


def test_deterministic_under_manual_seed():
    outs = []
    for _ in range(2):
        torch.manual_seed(123)
        g, d = DCGANGenerator(10, (1, 8, 8), 8), DCGANCritic((1, 8, 8), 8)
        outs.append(d(g(torch.randn(4, 10))))
    torch.testing.assert_close(outs[0], outs[1], rtol=0, atol=0)


def test_geometry():
    assert conv_geometry((1, 8, 8)) == (2, 2)
    assert conv_geometry((1, 28, 28)) == (7, 2)
    assert conv_geometry((3, 64, 64)) == (4, 4)


@pytest.mark.parametrize("shape", [(1, 7, 7), (1, 8, 16), (64,), (1, 3, 3), (0, 8, 8)])
def test_unsupported_shapes_raise(shape):
    with pytest.raises(ValueError, match="DCGAN|unsupported"):
        DCGANGenerator(10, shape)
    with pytest.raises(ValueError, match="DCGAN|unsupported"):
        DCGANCritic(shape)


def test_bad_sizes_raise():
    with pytest.raises(ValueError, match="noise_dim"):
        DCGANGenerator(0, (1, 8, 8))
    with pytest.raises(ValueError, match="base_channels"):
        DCGANCritic((1, 8, 8), base_channels=0)
