"""The metric classifier: a small CNN trained here on a dataset's real training split and cached,
whose penultimate features and predictions the image metrics (:mod:`.images`) use in place of
Inception's (meaningless on MNIST-like data). Trained once per dataset, seed and recipe, cached
under ``$DISTMATCH_CACHE`` and loaded with ``weights_only=True``."""

from __future__ import annotations

import hashlib
import math
import re
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import torch
from torch import nn

from .. import io
from ..data.base import Dataset
from ..devices import resolve_device

CLASSIFIER_VERSION = 1  # bump when the architecture or training recipe changes (invalidates caches)
DEFAULT_EPOCHS = {"digits": 20, "mnist": 3, "fashion-mnist": 8, "mnist-5k": 8}
FALLBACK_EPOCHS = 10


# ----------------------------------------------------------------------------- classifier
class ImageClassifier(nn.Module):
    """Small CNN: images (B, C, H, W) -> logits (B, n_classes); ``embed`` gives (B, feature_dim).

    conv3x3(32)-BN-ReLU, maxpool2, conv3x3(64)-BN-ReLU, maxpool2, linear(feature_dim)-ReLU
    [features], dropout 0.3, linear(n_classes): the standard two-conv MNIST CNN (about 99 % on
    MNIST and 90-91 % on Fashion-MNIST after a few epochs; ~3.8M multiply-adds per 28x28 image).
    """

    def __init__(self, image_shape: tuple[int, int, int], n_classes: int = 10, width: int = 32,
                 feature_dim: int = 128):
        super().__init__()
        c, h, w = (int(v) for v in image_shape)
        if h < 4 or w < 4:
            raise ValueError(f"classifier needs images of at least 4x4, got shape {(c, h, w)}")
        self.image_shape = (c, h, w)
        self.n_classes = int(n_classes)
        self.conv = nn.Sequential(
            nn.Conv2d(c, width, 3, padding=1), nn.BatchNorm2d(width), nn.ReLU(inplace=True),
            nn.MaxPool2d(2),
            nn.Conv2d(width, 2 * width, 3, padding=1), nn.BatchNorm2d(2 * width), nn.ReLU(inplace=True),
            nn.MaxPool2d(2),
            nn.Flatten(),
        )
        flat = 2 * width * (h // 4) * (w // 4)
        self.fc = nn.Sequential(nn.Linear(flat, feature_dim), nn.ReLU(inplace=True))
        self.head = nn.Sequential(nn.Dropout(0.3), nn.Linear(feature_dim, self.n_classes))
        self.test_accuracy: float = float("nan")
        self.tag: str = "classifier"  # feature-extractor id recorded with metrics

    def embed(self, x: torch.Tensor) -> torch.Tensor:
        """(B, C, H, W) or (B, C*H*W) -> (B, feature_dim) penultimate features."""
        return self.fc(self.conv(x.reshape(x.shape[0], *self.image_shape)))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.embed(x))  # (B, n_classes) logits

    @torch.no_grad()
    def _batched(self, x: np.ndarray | torch.Tensor, fn, batch_size: int) -> np.ndarray:
        """Apply ``fn`` in eval mode over batches of ``x``; returns a numpy array."""
        self.eval()
        device = next(self.parameters()).device
        x = torch.as_tensor(np.asarray(x, dtype=np.float32)) if not torch.is_tensor(x) else x.float()
        outs = [fn(x[i:i + batch_size].to(device)).cpu() for i in range(0, len(x), batch_size)]
        return torch.cat(outs).numpy() if outs else np.zeros((0,), dtype=np.float32)

    def features(self, x: np.ndarray | torch.Tensor, batch_size: int = 1024) -> np.ndarray:
        """(N, C, H, W) images -> (N, feature_dim) float32 penultimate features."""
        return self._batched(x, self.embed, batch_size)

    def predict(self, x: np.ndarray | torch.Tensor, batch_size: int = 1024) -> np.ndarray:
        """(N, C, H, W) images -> (N,) int64 predicted labels."""
        return self._batched(x, lambda b: self(b).argmax(1), batch_size).astype(np.int64)


class ChannelClassifier(nn.Module):
    """A single-channel classifier applied to each channel of (B, C, H, W) images (Stacked MNIST).

    The label of an image is its C per-channel predictions read as a base-K number, channel 0
    most significant (``100 d_R + 10 d_G + d_B``: K**C = 1,000 classes for 3 digit channels);
    ``features`` concatenates the C per-channel feature vectors into (N, C * feature_dim).
    ``test_accuracy`` is the digit classifier's accuracy on single held-out digits.
    """

    def __init__(self, digit: ImageClassifier, channels: int):
        super().__init__()
        c, h, w = digit.image_shape
        if c != 1:
            raise ValueError(f"ChannelClassifier needs a single-channel classifier, got image shape {digit.image_shape}")
        self.digit = digit.to(memory_format=torch.channels_last)  # mkldnn convs: ~1.7x faster on CPU
        self.image_shape = (int(channels), h, w)
        self.n_digit_classes = digit.n_classes
        self.n_classes = digit.n_classes ** int(channels)
        self.test_accuracy: float = digit.test_accuracy
        self.tag: str = digit.tag

    def _channels(self, x: np.ndarray | torch.Tensor) -> torch.Tensor:
        """(N, C, H, W) -> (N * C, 1, H, W), channel-major within each image."""
        x = torch.as_tensor(np.asarray(x, dtype=np.float32)) if not torch.is_tensor(x) else x.float()
        return x.reshape(-1, 1, *self.image_shape[1:]).contiguous(memory_format=torch.channels_last)

    @torch.no_grad()
    def channel_outputs(self, x: np.ndarray | torch.Tensor,
                        batch_size: int = 1024) -> tuple[np.ndarray, np.ndarray]:
        """(N, C, H, W) images -> ((N, C) int64 digit of each channel, (N, C * feature_dim) float32
        per-channel features side by side), from one pass of the digit classifier."""
        c, width = self.image_shape[0], self.digit.fc[0].out_features
        feats = self.digit.features(self._channels(x), batch_size).reshape(-1, width)  # (N * C, F), eval mode
        device = next(self.digit.parameters()).device
        logits = [self.digit.head(torch.from_numpy(feats[i:i + batch_size]).to(device)).argmax(1).cpu()
                  for i in range(0, len(feats), batch_size)]  # the head on the features = the forward pass
        digits = torch.cat(logits).numpy() if logits else np.zeros(0, dtype=np.int64)
        return digits.astype(np.int64).reshape(-1, c), feats.reshape(-1, c * width)

    def stack_labels(self, digits: np.ndarray) -> np.ndarray:
        """(N, C) per-channel digits -> (N,) stack labels, read as a base-K number (channel 0 first)."""
        weights = self.n_digit_classes ** np.arange(digits.shape[1] - 1, -1, -1, dtype=np.int64)  # [100, 10, 1]
        return np.asarray(digits, dtype=np.int64) @ weights

    def predict_features(self, x: np.ndarray | torch.Tensor,
                         batch_size: int = 1024) -> tuple[np.ndarray, np.ndarray]:
        """(N, C, H, W) images -> ((N,) int64 stack labels in [0, K**C), (N, C * feature_dim) features)."""
        digits, feats = self.channel_outputs(x, batch_size)
        return self.stack_labels(digits), feats

    def channel_predict(self, x: np.ndarray | torch.Tensor, batch_size: int = 1024) -> np.ndarray:
        """(N, C, H, W) images -> (N, C) int64 predicted class of each channel."""
        return self.channel_outputs(x, batch_size)[0]

    def predict(self, x: np.ndarray | torch.Tensor, batch_size: int = 1024) -> np.ndarray:
        """(N, C, H, W) images -> (N,) int64 stack labels in [0, K**C)."""
        return self.predict_features(x, batch_size)[0]

    def features(self, x: np.ndarray | torch.Tensor, batch_size: int = 1024) -> np.ndarray:
        """(N, C, H, W) images -> (N, C * feature_dim) float32 per-channel features side by side."""
        return self.channel_outputs(x, batch_size)[1]


def channel_digits(dataset: Dataset) -> Dataset | None:
    """The single-channel digits a stacked dataset's channels come from (what its classifier is
    trained on; :class:`distmatch.data.stacked_mnist.StackedDataset`), or None."""
    return getattr(dataset, "channel_digits", None)


def _default_epochs(dataset: Dataset, epochs: int | None) -> int:
    """``epochs``, or the default for the data the classifier is trained on."""
    if epochs is not None:
        return int(epochs)
    data = channel_digits(dataset) or dataset
    return DEFAULT_EPOCHS.get(data.name, FALLBACK_EPOCHS)


@contextmanager
def _cpu_threads(n: int | None) -> Iterator[None]:
    """Temporarily run torch with ``n`` intra-op threads (no change when ``n`` is None)."""
    before = torch.get_num_threads()
    if n is not None:
        torch.set_num_threads(n)
    try:
        yield
    finally:
        torch.set_num_threads(before)


def _small_cpu_work(shape: tuple[int, ...], device: torch.device) -> bool:
    """Tiny images on CPU train faster on one thread: ops are too small to split, and on a
    shared 2-core machine thread hand-offs cost more than they save (digits: ~5x faster)."""
    return device.type == "cpu" and math.prod(shape[1:]) <= 256


def check_labelled_images(dataset: Dataset) -> None:
    """ValueError unless ``dataset`` is an image dataset with train/test images and labels."""
    if dataset.kind != "image" or len(dataset.shape) != 3:
        raise ValueError(f"image metrics need an image dataset, got {dataset.name!r} (kind {dataset.kind!r})")
    for field in ("train", "labels", "test", "test_labels"):
        if getattr(dataset, field) is None:
            raise ValueError(f"dataset {dataset.name!r} has no {field}; the classifier needs labelled splits")


def _epoch(model: ImageClassifier, opt: torch.optim.Optimizer, x: torch.Tensor, y: torch.Tensor,
           batch_size: int, gen: torch.Generator) -> None:
    """One pass over (x, y) in a random order drawn from ``gen``."""
    model.train()
    order = torch.randperm(len(x), generator=gen)
    for i in range(0, len(x), batch_size):
        idx = order[i:i + batch_size]
        loss = nn.functional.cross_entropy(model(x[idx]), y[idx])
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()


def accuracy(model: ImageClassifier, images: np.ndarray, labels: np.ndarray) -> float:
    """Share of ``images`` (N, C, H, W) whose predicted label equals ``labels`` (N,)."""
    return float(np.mean(model.predict(images) == np.asarray(labels)))


def train_classifier(dataset: Dataset, epochs: int | None = None, seed: int = 0,
                     device: str | torch.device = "cpu", batch_size: int = 128,
                     lr: float = 1e-3, threads: int | None = None) -> tuple[ImageClassifier, float]:
    """Train the CNN on ``dataset.train``; returns (model in eval mode, test accuracy).

    ``epochs`` defaults to ``DEFAULT_EPOCHS[dataset.name]``. Randomness (init, dropout,
    shuffling) is seeded from ``seed`` without touching the caller's global RNG state.
    ``threads``: torch intra-op threads while training (restored afterwards); None keeps the
    current setting, except 1 for tiny (<= 16x16) images on CPU.
    """
    check_labelled_images(dataset)
    epochs = _default_epochs(dataset, epochs)
    if epochs < 1:
        raise ValueError(f"epochs must be >= 1, got {epochs}")
    dev = resolve_device(device)
    n_classes = int(max(dataset.labels.max(), dataset.test_labels.max())) + 1
    x = torch.as_tensor(dataset.train, dtype=torch.float32, device=dev)
    y = torch.as_tensor(dataset.labels, dtype=torch.int64, device=dev)
    gen = torch.Generator().manual_seed(seed)
    if threads is None and _small_cpu_work(dataset.shape, dev):
        threads = 1
    with _cpu_threads(threads), torch.random.fork_rng(devices=[dev] if dev.type == "cuda" else []):
        torch.manual_seed(seed)
        model = ImageClassifier(dataset.shape, n_classes).to(dev)
        opt = torch.optim.Adam(model.parameters(), lr=lr)
        sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=epochs)
        for _ in range(epochs):
            _epoch(model, opt, x, y, batch_size, gen)
            sched.step()
    model.eval()
    model.test_accuracy = accuracy(model, dataset.test, dataset.test_labels)
    return model, model.test_accuracy


def data_hash(dataset: Dataset, epochs: int, seed: int) -> str:
    """12 hex digits identifying the data, the classifier recipe and its settings (for a stacked
    set: its name and shape plus the source digits the classifier is trained on)."""
    h = hashlib.sha256(f"v{CLASSIFIER_VERSION}|{dataset.name}|{dataset.shape}|{epochs}|{seed}".encode())
    data = channel_digits(dataset) or dataset
    for arr in (data.train, data.labels, data.test, data.test_labels):
        h.update(np.ascontiguousarray(arr).tobytes())
    return h.hexdigest()[:12]


def classifier_path(dataset: Dataset, cache_dir: str | Path, epochs: int | None = None, seed: int = 0) -> Path:
    """Cache file ``<cache_dir>/classifier-<name>-<hash>.pt`` for these data and settings."""
    epochs = _default_epochs(dataset, epochs)
    safe = re.sub(r"[^A-Za-z0-9_.-]+", "_", Path(str(dataset.name)).name) or "data"
    return Path(cache_dir) / f"classifier-{safe}-{data_hash(dataset, epochs, seed)}.pt"


def _load_cached(path: Path, device: torch.device) -> ImageClassifier | None:
    """The cached classifier, or None (with a warning) when the file is unreadable or stale."""
    try:
        payload = torch.load(path, map_location=device, weights_only=True)
        model = ImageClassifier(tuple(payload["image_shape"]), int(payload["n_classes"]))
        model.load_state_dict(payload["state_dict"])
    except Exception as exc:  # noqa: BLE001  (corrupt / incompatible cache: retrain)
        warnings.warn(f"{path}: ignoring unreadable classifier cache ({exc}); retraining", stacklevel=3)
        return None
    model.to(device).eval()
    model.test_accuracy = float(payload["test_accuracy"])
    return model


def get_classifier(dataset: Dataset, cache_dir: str | Path, epochs: int | None = None, seed: int = 0,
                   device: str | torch.device = "cpu",
                   threads: int | None = None) -> ImageClassifier | ChannelClassifier:
    """Load the classifier for ``dataset`` from ``cache_dir`` or train and cache it.

    The returned model carries ``test_accuracy`` and ``tag`` (the cache file stem, recorded
    with every metric as the feature extractor). A stacked dataset (:func:`channel_digits`) gets
    a :class:`ChannelClassifier`: the classifier of its source digits (trained on those, cached
    in its own file) applied to each channel.
    """
    dev = resolve_device(device)
    epochs = _default_epochs(dataset, epochs)
    digits = channel_digits(dataset)
    path = classifier_path(dataset, cache_dir, epochs, seed)
    model = _load_cached(path, dev) if path.is_file() else None
    if model is None:
        model, acc = train_classifier(digits or dataset, epochs, seed, dev, threads=threads)
        payload = {"state_dict": {k: v.cpu() for k, v in model.state_dict().items()},
                   "test_accuracy": acc, "image_shape": list(model.image_shape),
                   "n_classes": model.n_classes, "version": CLASSIFIER_VERSION,
                   "epochs": epochs, "seed": seed, "dataset": str(dataset.name)}
        io.save_torch(payload, path)
    model.tag = path.stem
    return model if digits is None else ChannelClassifier(model, dataset.shape[0])


# ----------------------------------------------------------------------------- distances
