"""Fast distribution distances: tiled CPU / Triton GPU MMD^2 and log-domain Sinkhorn divergence."""

from .mmd import geometric_bandwidths, median_bandwidth, mmd2, mmd2_naive
from .sinkhorn import SinkhornInfo, sinkhorn

__all__ = ["SinkhornInfo", "geometric_bandwidths", "median_bandwidth", "mmd2", "mmd2_naive", "sinkhorn"]
