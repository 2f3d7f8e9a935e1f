import pytest
import torch

from distmatch.noise import NoiseSampler


def test_uniform_range_and_shape():
    z = NoiseSampler("uniform", 5, seed=0).sample(20000)
    assert z.shape == (20000, 5)
    assert z.min() >= -1 and z.max() <= 1
    torch.testing.assert_close(z.mean(0), torch.zeros(5), atol=0.02, rtol=0)
    torch.testing.assert_close(z.var(0), torch.full((5,), 1 / 3), atol=0.02, rtol=0)  # Var U[-1,1] = 1/3


def test_gaussian_moments():
    z = NoiseSampler("gaussian", 3, seed=1).sample(20000)
    torch.testing.assert_close(z.mean(0), torch.zeros(3), atol=0.03, rtol=0)
    torch.testing.assert_close(z.std(0), torch.ones(3), atol=0.03, rtol=0)


def test_same_seed_same_draws_and_state_roundtrip():
    a, b = NoiseSampler("gaussian", 4, seed=7), NoiseSampler("gaussian", 4, seed=7)
    torch.testing.assert_close(a.sample(10), b.sample(10))
    state = a.state_dict()
    first = a.sample(6)
    a.load_state_dict(state)
    torch.testing.assert_close(a.sample(6), first)
    assert not torch.equal(NoiseSampler("gaussian", 4, seed=8).sample(10), b.sample(10))


@pytest.mark.parametrize("kind,dim", [("cauchy", 2), ("uniform", 0)])
def test_bad_arguments(kind, dim):
    with pytest.raises(ValueError):
        NoiseSampler(kind, dim)
