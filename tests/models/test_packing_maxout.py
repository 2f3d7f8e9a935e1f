"""Maxout layers, the maxout critic, packing and normal init."""

import pytest
import torch

from distmatch.models import build_critic, critic_for, generator_for, normal_init_
from distmatch.models.maxout import Maxout, MaxoutCritic
from distmatch.models.packing import Packed, packed_shape


def test_maxout_is_the_maximum_of_its_affine_pieces():
    torch.manual_seed(0)
    layer = Maxout(3, 4, pieces=5)
    x = torch.randn(7, 3)
    w, b = layer.linear.weight.view(4, 5, 3), layer.linear.bias.view(4, 5)
    expected = torch.stack([torch.stack([(w[o, k] @ x[i] + b[o, k]) for k in range(5)]).max()
                            for i in range(7) for o in range(4)]).view(7, 4)
    torch.testing.assert_close(layer(x), expected)


def test_maxout_critic_has_pacgans_shape_and_returns_logits_or_features():
    critic = MaxoutCritic((4,), width=200, depth=3, pieces=5)
    sizes = [m.linear.weight.shape for m in critic.net if isinstance(m, Maxout)]
    assert sizes == [(1000, 4), (1000, 200), (1000, 200)]
    assert critic(torch.randn(6, 4)).shape == (6,)
    assert MaxoutCritic((2,), 8, 2, 3, out_features=5)(torch.randn(6, 2)).shape == (6, 5)
    with pytest.raises(ValueError, match="pieces"):
        Maxout(2, 2, 0)


def test_packing_concatenates_consecutive_samples():
    assert packed_shape((2,), 3) == (6,) and packed_shape((1, 8, 8), 2) == (2, 8, 8)
    inner = torch.nn.Linear(4, 1, bias=False)
    packed = Packed(inner, 2)
    x = torch.arange(8.0).view(4, 2)  # samples 0..3; packs (0, 1) and (2, 3)
    expected = inner(torch.tensor([[0.0, 1, 2, 3], [4, 5, 6, 7]]))
    torch.testing.assert_close(packed(x), expected)
    with pytest.raises(ValueError, match="divisible"):
        packed(torch.randn(3, 2))


def test_packed_images_stack_channels():
    critic = build_critic("dcgan", packed_shape((1, 8, 8), 2), 8, 1)
    out = Packed(critic, 2)(torch.randn(6, 1, 8, 8))
    assert out.shape == (3,)
    with pytest.raises(ValueError, match="maxout"):
        build_critic("dcgan", (1, 8, 8), 8, 1, maxout_pieces=5)


def test_normal_init_sets_weights_std_and_zero_biases():
    torch.manual_seed(0)
    net = torch.nn.Sequential(torch.nn.Linear(400, 400), torch.nn.BatchNorm1d(400))
    normal_init_(net, 0.02)
    assert abs(float(net[0].weight.detach().std()) - 0.02) < 0.001 and float(net[0].bias.detach().abs().max()) == 0.0
    assert float(net[1].weight.detach().min()) == 1.0 and float(net[1].bias.detach().abs().max()) == 0.0


def test_config_builders_follow_the_settings():
    from distmatch.config import RunConfig, resolve
    from distmatch.data import get_dataset

    ds = get_dataset("ring")
    cfg = resolve(RunConfig(objective="nonsaturating", dataset="ring", pack=3, critic="maxout", critic_width=12,
                            critic_depth=2, maxout_pieces=4, generator_norm="batch", init_std=0.02, width=16,
                            depth=2), ds)
    critic = critic_for(cfg, ds.shape, True, 1)
    assert isinstance(critic, Packed) and critic.pack == 3 and isinstance(critic.critic, MaxoutCritic)
    first = critic.critic.net[0]
    assert first.linear.weight.shape == (12 * 4, 6)  # 3 packed 2-d points in, 12 units x 4 pieces out
    assert critic(torch.randn(9, 2)).shape == (3,)
    generator = generator_for(cfg, ds.shape, "none")
    assert any(isinstance(m, torch.nn.BatchNorm1d) for m in generator.modules())
    plain = resolve(RunConfig(objective="nonsaturating", dataset="ring", width=16, depth=2), ds)
    assert not isinstance(critic_for(plain, ds.shape, True, 1), Packed)
