"""Critics with a feature vector per sample (out_features > 1) and the auto-encoder builders."""

import pytest
import torch

from distmatch.models import build_critic
from distmatch.models.autoencoder import CodeGenerator, build_autoencoder


@pytest.mark.parametrize("model, shape", [("mlp", (2,)), ("dcgan", (1, 8, 8))])
def test_out_features(model, shape):
    x = torch.randn(5, *shape)
    torch.manual_seed(0)
    logits = build_critic(model, shape, 8, 2)
    assert logits(x).shape == (5,)  # the default is unchanged: one logit per sample
    torch.manual_seed(0)
    features = build_critic(model, shape, 8, 2, out_features=7)
    assert features(x).shape == (5, 7)


@pytest.mark.parametrize("model, shape, output", [("mlp", (3,), "none"), ("dcgan", (1, 8, 8), "tanh")])
@pytest.mark.parametrize("code_dim", [1, 4])
def test_autoencoder_shapes(model, shape, output, code_dim):
    ae = build_autoencoder(model, shape, code_dim, 8, 2, output)
    x = torch.randn(6, *shape)
    assert ae.encode(x).shape == (6, code_dim)  # a 1-d code stays a column
    assert ae(x).shape == x.shape
    assert CodeGenerator(3, code_dim, 8, 2)(torch.randn(6, 3)).shape == (6, code_dim)


def test_refusals():
    with pytest.raises(ValueError, match="out_features"):
        build_critic("mlp", (2,), 8, 2, out_features=0)
    with pytest.raises(ValueError, match="code_dim"):
        build_autoencoder("mlp", (2,), 0, 8, 2)
    with pytest.raises(ValueError, match="unknown model"):
        build_autoencoder("resnet", (2,), 2, 8, 2)
