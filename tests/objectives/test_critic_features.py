"""Critics with a feature vector per sample (out_features > 1)."""

import pytest
import torch

from distmatch.models import build_critic


@pytest.mark.parametrize("model, shape", [("mlp", (2,)), ("dcgan", (1, 8, 8))])
def test_out_features(model, shape):
    x = torch.randn(5, *shape)
    torch.manual_seed(0)
    logits = build_critic(model, shape, 8, 2)
    assert logits(x).shape == (5,)  # the default is unchanged: one logit per sample
    torch.manual_seed(0)
    features = build_critic(model, shape, 8, 2, out_features=7)
    assert features(x).shape == (5, 7)


def test_out_features_must_be_positive():
    with pytest.raises(ValueError, match="out_features"):
        build_critic("mlp", (2,), 8, 2, out_features=0)
