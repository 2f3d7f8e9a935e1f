"""distmatch.models.autoencoder: gmmn-ae's auto-encoders are the critic and generator builders wired
data -> codes -> data, and its code generator keeps its parameters apart from a data generator's."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from distmatch.models.autoencoder import AutoEncoder, CodeGenerator, build_autoencoder
from distmatch.models.mlp import MLPCritic, MLPGenerator


@pytest.mark.parametrize("model, shape, output", [("mlp", (3,), "none"), ("dcgan", (1, 8, 8), "tanh")])
@pytest.mark.parametrize("code_dim", [1, 4])
def test_autoencoder_shapes(model, shape, output, code_dim):
    ae = build_autoencoder(model, shape, code_dim, 8, 2, output)
    x = torch.randn(6, *shape)
    assert ae.encode(x).shape == (6, code_dim)  # a 1-d code stays a column
    assert ae(x).shape == x.shape
    assert CodeGenerator(3, code_dim, 8, 2)(torch.randn(6, 3)).shape == (6, code_dim)


def test_refusals():
    with pytest.raises(ValueError, match="code_dim"):
        build_autoencoder("mlp", (2,), 0, 8, 2)
    with pytest.raises(ValueError, match="unknown model"):
        build_autoencoder("resnet", (2,), 2, 8, 2)


def test_mlp_autoencoder_is_a_critic_encoder_and_a_generator_decoder():
    ae = build_autoencoder("mlp", (5,), 3, width=8, depth=2, output="tanh")
    assert isinstance(ae.encoder, MLPCritic) and isinstance(ae.decoder, MLPGenerator)
    shapes = [tuple(m.weight.shape) for m in ae.modules() if isinstance(m, nn.Linear)]
    assert shapes == [(8, 5), (8, 8), (3, 8), (8, 3), (8, 8), (5, 8)]  # 5 -> 8 -> 8 -> 3 -> 8 -> 8 -> 5
    x = torch.randn(4, 5)
    codes = ae.encode(x)
    torch.testing.assert_close(codes, ae.encoder(x))
    torch.testing.assert_close(ae(x), ae.decode(codes))
    assert float(ae(x * 100).detach().abs().max()) <= 1.0  # tanh output


def test_encode_keeps_a_one_dimensional_code_as_a_column():
    encoder = nn.Linear(2, 1)
    ae = AutoEncoder(nn.Sequential(encoder, nn.Flatten(0)), nn.Linear(1, 2), code_dim=1)  # encoder gives (B,)
    x = torch.randn(3, 2)
    torch.testing.assert_close(ae.encode(x), encoder(x))  # (3, 1), not (3,)


def test_code_generator_parameters_never_load_into_a_data_generator():
    codes = CodeGenerator(noise_dim=2, code_dim=3, width=4, depth=1)
    assert all(k.startswith("codes.") for k in codes.state_dict())
    data = MLPGenerator(2, (3,), 4, 1)
    assert [v.shape for v in codes.state_dict().values()] == [v.shape for v in data.state_dict().values()]
    with pytest.raises(RuntimeError, match="Missing key"):
        data.load_state_dict(codes.state_dict())  # same shapes, but refused by name
