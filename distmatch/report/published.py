"""Published numbers that tables may show beside our own rows (``distmatch table --published``),
each with its source and protocol (docs/protocols.md)."""

from __future__ import annotations

# Published numbers (docs/protocols.md): (dataset, method, source and protocol, {metric: value}).
_PACGAN = "PacGAN Tab.1, 10 trials, 2,500 samples"
PUBLISHED: list[tuple[str, str, str, dict[str, float]]] = [
    ("ring", "GAN", _PACGAN, {"modes": 6.3, "hq": 98.2, "rkl": 0.45}),
    ("ring", "ALI", _PACGAN, {"modes": 6.6, "hq": 97.6, "rkl": 0.36}),
    ("ring", "PacGAN2", _PACGAN, {"modes": 7.9, "hq": 95.6, "rkl": 0.07}),
    ("ring", "PacGAN3", _PACGAN, {"modes": 7.8, "hq": 97.7, "rkl": 0.10}),
    ("ring", "PacGAN4", _PACGAN, {"modes": 7.8, "hq": 95.9, "rkl": 0.07}),
    ("ring", "GAN", "VEEGAN Tab.1, 2,500 samples", {"modes": 1, "hq": 99.3}),
    ("ring", "Unrolled GAN", "VEEGAN Tab.1, 2,500 samples", {"modes": 7.6, "hq": 35.6}),
    ("ring", "VEEGAN", "VEEGAN Tab.1, 2,500 samples", {"modes": 8, "hq": 52.9}),
    ("grid", "GAN", _PACGAN, {"modes": 17.3, "hq": 94.8, "rkl": 0.70}),
    ("grid", "ALI", _PACGAN, {"modes": 24.1, "hq": 95.7, "rkl": 0.14}),
    ("grid", "PacGAN2", _PACGAN, {"modes": 23.8, "hq": 91.3, "rkl": 0.13}),
    ("grid", "PacGAN3", _PACGAN, {"modes": 24.6, "hq": 94.2, "rkl": 0.06}),
    ("grid", "PacGAN4", _PACGAN, {"modes": 24.8, "hq": 93.6, "rkl": 0.04}),
    ("grid", "GAN", "VEEGAN Tab.1, 2,500 samples", {"modes": 3.3, "hq": 0.5}),
    ("grid", "Unrolled GAN", "VEEGAN Tab.1, 2,500 samples", {"modes": 23.6, "hq": 16}),
    ("grid", "VEEGAN", "VEEGAN Tab.1, 2,500 samples", {"modes": 24.6, "hq": 40}),
]
