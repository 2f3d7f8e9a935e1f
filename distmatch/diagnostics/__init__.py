"""Diagnostic experiments behind ``distmatch diagnose`` (see :mod:`distmatch.diagnostics.cli`).

* :mod:`.mode_collapse`      every objective on a 2-D mixture: snapshots and modes covered vs step
* :mod:`.vanishing_gradient` generator gradient norms as a discriminator trains (Arjovsky & Bottou 2017)
* :mod:`.saturation`         1-D GAN discriminator vs WGAN critic between far-apart Gaussians (WGAN Fig. 2)
* :mod:`.mmd_bandwidth`      MMD witness functions and landscapes for small/medium/large/multi bandwidths
* :mod:`.figures`            one figure function per experiment

Experiment modules return numpy data (dataclasses); figures and files are written by the CLI.
"""
