"""Sign, gradient direction and saturation of every objective on tiny analytic cases."""

import pytest
import torch
from torch import nn

from distmatch.config import RunConfig
from distmatch.objectives import OBJECTIVES, build_objective
from distmatch.objectives.base import gan_critic_loss
from distmatch.objectives.minimax import minimax_generator_loss
from distmatch.objectives.nonsaturating import nonsaturating_generator_loss
from distmatch.objectives.wgan_gp import gradient_penalty


def logit_grad(loss_fn, value: float) -> float:
    logit = torch.tensor([value], dtype=torch.float64, requires_grad=True)
    loss_fn(logit).backward()
    return logit.grad.item()


def test_minimax_saturates_nonsaturating_does_not():
    # D(G(z)) = sigmoid(-10) ~ 4.5e-5: the discriminator confidently rejects the fakes
    g_minimax = logit_grad(minimax_generator_loss, -10.0)
    g_ns = logit_grad(nonsaturating_generator_loss, -10.0)
    assert g_minimax < 0 and g_ns < 0  # both push the fake logit up (gradient descent on the loss)
    torch.testing.assert_close(g_minimax, -torch.sigmoid(torch.tensor(-10.0, dtype=torch.float64)).item())
    torch.testing.assert_close(g_ns, -torch.sigmoid(torch.tensor(10.0, dtype=torch.float64)).item())
    assert abs(g_ns) / abs(g_minimax) > 1e4  # the saturation the -log D trick avoids


def test_generator_losses_match_closed_forms():
    l = torch.linspace(-5, 5, 11, dtype=torch.float64)
    d = torch.sigmoid(l)
    torch.testing.assert_close(minimax_generator_loss(l), torch.log1p(-d).mean())
    torch.testing.assert_close(nonsaturating_generator_loss(l), -torch.log(d).mean())


def test_gan_critic_loss_is_bce():
    r, f = torch.randn(16, dtype=torch.float64), torch.randn(16, dtype=torch.float64)
    bce = nn.functional.binary_cross_entropy_with_logits
    expected = bce(r, torch.ones_like(r)) + bce(f, torch.zeros_like(f))
    torch.testing.assert_close(gan_critic_loss(r, f), expected)
    # stable for huge logits (no log(sigmoid) underflow)
    assert torch.isfinite(gan_critic_loss(torch.tensor([-1e4]), torch.tensor([1e4])))


class Linear(nn.Module):
    def __init__(self, w):
        super().__init__()
        self.w = nn.Parameter(torch.tensor(w, dtype=torch.float64))

    def forward(self, x):
        return x.flatten(1) @ self.w


def cfg(name, **kw):
    return RunConfig(objective=name, bandwidths=[1.0], gp_weight=1.0, **kw)


@pytest.mark.parametrize("name", ["wgan-clip", "wgan-gp"])
def test_wasserstein_signs(name):
    obj = build_objective(cfg(name))
    critic = Linear([1.0, 0.0])
    real = torch.tensor([[1.0, 0.0]] * 4, dtype=torch.float64)
    fake = torch.tensor([[-1.0, 0.0]] * 4, dtype=torch.float64, requires_grad=True)
    # critic loss = E f(fake) - E f(real) (+ GP, which is 0 here: ||w|| = 1)
    torch.testing.assert_close(obj.critic_loss(critic, real, fake.detach()), torch.tensor(-2.0, dtype=torch.float64))
    obj.generator_loss(critic, fake, real).backward()
    # descending the generator loss moves fakes towards higher critic scores, i.e. towards the real data
    assert torch.all(-fake.grad[:, 0] > 0)


def test_gan_generators_move_fakes_towards_real():
    critic = Linear([2.0, 0.0])  # D says "real" for large x_1
    for name in ("minimax", "nonsaturating"):
        fake = torch.tensor([[-1.0, 0.0]], dtype=torch.float64, requires_grad=True)
        build_objective(cfg(name)).generator_loss(critic, fake, None).backward()
        assert -fake.grad[0, 0] > 0


def test_minimax_and_nonsaturating_generator_gradients_differ():
    critic = Linear([5.0, 0.0])
    grads = {}
    for name in ("minimax", "nonsaturating"):
        fake = torch.tensor([[-3.0, 0.0]], dtype=torch.float64, requires_grad=True)  # D(G(z)) ~ 3e-7
        build_objective(cfg(name)).generator_loss(critic, fake, None).backward()
        grads[name] = fake.grad[0, 0].abs().item()
    assert grads["nonsaturating"] > 1e5 * grads["minimax"]


def test_weight_clipping_hook():
    obj = build_objective(cfg("wgan-clip", clip=0.05))
    critic = Linear([1.0, -0.01])
    obj.after_critic_step(critic)
    torch.testing.assert_close(critic.w.data, torch.tensor([0.05, -0.01], dtype=torch.float64))


@pytest.mark.parametrize("shape", [(8, 2), (8, 1, 4, 4)])
@pytest.mark.parametrize("norm", [1.0, 2.0])
def test_gradient_penalty_on_linear_critic(shape, norm):
    dim = int(torch.tensor(shape[1:]).prod())
    w = torch.zeros(dim, dtype=torch.float64)
    w[0] = norm
    critic = Linear(w.tolist())
    real, fake = torch.randn(shape, dtype=torch.float64), torch.randn(shape, dtype=torch.float64)
    expected = torch.tensor((norm - 1.0) ** 2, dtype=torch.float64)
    torch.testing.assert_close(gradient_penalty(critic, real, fake), expected, atol=1e-6, rtol=1e-6)


def test_gradient_penalty_finite_at_zero_gradient():
    critic = Linear([0.0, 0.0])
    x = torch.randn(4, 2, dtype=torch.float64)
    gp = gradient_penalty(critic, x, x)
    gp.backward()
    assert torch.isfinite(critic.w.grad).all()


def test_mmd_generator_loss():
    obj = build_objective(RunConfig(objective="mmd", bandwidths=[0.5, 1.0]))
    x = torch.randn(64, 2, dtype=torch.float64)
    assert obj.generator_loss(None, x, x).item() < 1e-5
    fake = (x + 2.0).requires_grad_(True)
    loss = obj.generator_loss(None, fake, x)
    assert loss.item() > 0.1
    loss.backward()
    assert (fake.grad.sum(0) > 0).all()  # descending the loss pulls the shifted batch back towards x


def test_registry_has_all_objectives_and_defaults_from_papers():
    assert {"mmd", "minimax", "nonsaturating", "wgan-clip", "wgan-gp"} <= set(OBJECTIVES)
    wc, gp = OBJECTIVES["wgan-clip"].defaults, OBJECTIVES["wgan-gp"].defaults
    assert (wc.optimizer, wc.lr, wc.critic_steps) == ("rmsprop", 5e-5, 5)
    assert (gp.optimizer, gp.lr, gp.betas, gp.critic_steps) == ("adam", 1e-4, (0.5, 0.9), 5)
    assert OBJECTIVES["wgan-gp"].critic_batchnorm is False


def test_registry_lists_the_gan_gmmn_bridges_and_plots_order_every_objective():
    from distmatch.report.plots import OBJECTIVE_ORDER

    assert {"mmd-gan", "gmmn-ae"} <= set(OBJECTIVES)
    assert OBJECTIVES["mmd-gan"].uses_critic and not OBJECTIVES["gmmn-ae"].uses_critic
    assert set(OBJECTIVE_ORDER) == set(OBJECTIVES)


def test_mmd_gan_critic_loss_is_minus_the_generator_loss():
    obj = build_objective(RunConfig(objective="mmd-gan", bandwidths=[1.0]))
    critic = nn.Linear(2, 4).double()
    real, fake = torch.randn(16, 2, dtype=torch.float64), torch.randn(16, 2, dtype=torch.float64) + 1
    d, g = obj.critic_loss(critic, real, fake), obj.generator_loss(critic, fake, real)
    assert g.item() > 0
    torch.testing.assert_close(d, -g)
