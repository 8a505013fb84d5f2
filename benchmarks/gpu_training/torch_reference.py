"""The package's recogniser written in plain PyTorch, timed the same way as the Keras one.

Same network as ``mltu_ext.model.recognizer.build_recognizer`` (residual blocks of
conv-BN-LeakyReLU, cuDNN ``nn.LSTM`` BiLSTMs over the image columns, softmax
over characters + blank), same augmentation done on the GPU (an affine warp
through ``affine_grid``/``grid_sample``, stroke thinning/thickening by 2x2
max pooling, brightness and contrast), ``F.ctc_loss``, Adam with per-tensor
gradient clipping at norm 5 (Keras' ``clipnorm``). The step computes no
CER/WER (the Keras step does, unless a ``-nometrics`` variant is asked for).

Input modes: ``host`` takes each batch's uint8 rows from the numpy cache,
copies them through pinned memory and converts on the GPU (as the Keras
``host_u8`` mode); ``device`` cycles a few batches made once on the GPU.

Run from the repository root (PyTorch with CUDA)::

    PYTHONPATH=. python benchmarks/gpu_training/torch_reference.py --out torch.json
"""

from __future__ import annotations

import argparse
import json
import math
import statistics
import time
from collections.abc import Sequence
from dataclasses import asdict
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn
from tqdm import tqdm

from benchmarks.gpu_training.gpu_training import (
    ALPHABET,
    GpuSampler,
    Result,
    gpu_names,
    model_recipe,
    synthetic_cache,
)
from mltu_ext.config import AugmentConfig, ModelConfig
from mltu_ext.data.image_cache import ImageCache

PAD_VALUE = 255.0


class ResidualBlock(nn.Module):
    """Conv-BN-LeakyReLU, Conv-BN, + (projected) input, LeakyReLU, dropout.

    As ``mltu_ext/model/residual_block.py``.
    """

    def __init__(self, cin: int, cout: int, stride: tuple[int, int], dropout: float):
        super().__init__()
        self.conv1 = nn.Conv2d(cin, cout, 3, stride=stride, padding=1, bias=False)
        # Keras BatchNormalization: momentum 0.99 (torch 0.01), epsilon 1e-3
        self.bn1 = nn.BatchNorm2d(cout, eps=1e-3, momentum=0.01)
        self.conv2 = nn.Conv2d(cout, cout, 3, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(cout, eps=1e-3, momentum=0.01)
        needs_skip = tuple(stride) != (1, 1) or cin != cout
        self.skip = nn.Conv2d(cin, cout, 1, stride=stride) if needs_skip else nn.Identity()
        self.drop = nn.Dropout(dropout) if dropout > 0 else nn.Identity()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = F.leaky_relu(self.bn1(self.conv1(x)), 0.1)
        y = self.bn2(self.conv2(y))
        return self.drop(F.leaky_relu(y + self.skip(x), 0.1))


class Recognizer(nn.Module):
    """Input (B, 1, H, W) float pixels 0..255; output logits (B, W / time_scale, classes)."""

    def __init__(self, cfg: ModelConfig, classes: int):
        super().__init__()
        blocks, cin = [], cfg.channels
        for i, (filters, stride) in enumerate(zip(cfg.filters, cfg.strides, strict=True)):
            blocks.append(ResidualBlock(cin, filters, stride, cfg.dropout if i % 2 else 0.0))
            cin = filters
        self.cnn = nn.Sequential(*blocks)
        features = (cfg.height // cfg.height_scale) * cfg.filters[-1]
        self.lstms = nn.ModuleList()
        for units in cfg.lstm_units:
            self.lstms.append(nn.LSTM(features, units, batch_first=True, bidirectional=True))
            features = 2 * units
        self.drop = nn.Dropout(cfg.dropout)
        self.output = nn.Linear(features, classes)

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        x = self.cnn(1.0 - images / 255.0)  # ink 1, paper 0
        b, c, h, w = x.shape
        # B,C,H',W' -> B,W',H',C -> B,W',H'*C: one time step per column (as the Keras Permute+Reshape)
        x = x.permute(0, 3, 2, 1).reshape(b, w, h * c)
        # the LSTMs (and the loss) stay float32, as in the Keras model under mixed precision
        with torch.autocast(x.device.type, enabled=False):
            x = x.float()
            for lstm in self.lstms:
                x = self.drop(lstm(x)[0])
            return self.output(x)


def augment(images: torch.Tensor, cfg: AugmentConfig) -> torch.Tensor:
    """HandwritingAugment's random changes on a (B, 1, H, W) float batch, on its device."""
    b, _, h, w = images.shape
    dev = images.device

    def uniform(low: float, high: float) -> torch.Tensor:
        return torch.empty(b, device=dev).uniform_(low, high)

    angle = uniform(-1.0, 1.0) * math.radians(cfg.rotation_deg)
    shear = uniform(-cfg.shear, cfg.shear)
    sx = uniform(1.0, 1.0 + cfg.scale)
    sy = uniform(1.0 - cfg.scale / 2, 1.0 + cfg.scale)
    ty = uniform(-cfg.translate, cfg.translate) * h
    cy = h / 2.0
    tx = -shear.abs() * cy
    cos, sin = torch.cos(angle), torch.sin(angle)
    # pixel transform (output x, y -> input x, y), the same matrix as the Keras layer
    a0, a1 = sx * cos, -sx * sin + shear
    a2 = -a1 * cy + tx
    b0, b1 = sy * sin, sy * cos
    b2 = -b1 * cy + cy + ty
    # the same map in grid_sample's [-1, 1] coordinates (align_corners=True)
    su, sv = (w - 1) / 2.0, (h - 1) / 2.0
    theta = torch.stack(
        [
            torch.stack([a0, a1 * sv / su, (a0 * su + a1 * sv + a2) / su - 1.0], dim=1),
            torch.stack([b0 * su / sv, b1, (b0 * su + b1 * sv + b2) / sv - 1.0], dim=1),
        ],
        dim=1,
    )  # B,2,3
    grid = F.affine_grid(theta, list(images.shape), align_corners=True)
    # zero padding of the inverted image brings in white paper
    images = PAD_VALUE - F.grid_sample(
        PAD_VALUE - images, grid, mode="bilinear", padding_mode="zeros", align_corners=True
    )
    # stroke thickness: max filter thins dark ink, min filter thickens it ('same' padding at the end)
    padded = F.pad(images, (0, 1, 0, 1), mode="replicate")
    thinner = F.max_pool2d(padded, 2, 1)
    thicker = -F.max_pool2d(-padded, 2, 1)
    choice = uniform(0.0, 1.0).view(b, 1, 1, 1)
    half = cfg.thickness_prob / 2.0
    thin = (choice < half).float()
    thick = ((choice >= half) & (choice < 2 * half)).float()
    images = images * (1.0 - thin - thick) + thinner * thin + thicker * thick
    factor = uniform(1.0 - cfg.contrast, 1.0 + cfg.contrast).view(b, 1, 1, 1)
    shift = (uniform(-cfg.brightness, cfg.brightness) * 255.0).view(b, 1, 1, 1)
    mean = images.mean(dim=(1, 2, 3), keepdim=True)
    return ((images - mean) * factor + mean + shift).clamp(0.0, 255.0)


class Trainer:
    """One training step: augment, forward, CTC loss, backward, clip, Adam."""

    def __init__(
        self, cfg: ModelConfig, aug: AugmentConfig, classes: int, lr: float, bf16: bool, device: str
    ):
        self.model = Recognizer(cfg, classes).to(device).to(memory_format=torch.channels_last)
        self.device = device
        self.aug = aug
        self.blank = classes - 1
        self.bf16 = bf16
        self.params = [p for p in self.model.parameters() if p.requires_grad]
        self.optimizer = torch.optim.Adam(self.params, lr=lr)

    def step(self, images_u8: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        images = images_u8.float().unsqueeze(1).contiguous(memory_format=torch.channels_last)
        with torch.no_grad():
            images = augment(images, self.aug)
        with torch.autocast(self.device, dtype=torch.bfloat16, enabled=self.bf16):
            logits = self.model(images)  # B,T,C float32
        log_probs = F.log_softmax(logits.float(), dim=-1).transpose(0, 1)  # T,B,C
        lengths = (labels >= 0).sum(dim=1)
        steps = torch.full((labels.shape[0],), log_probs.shape[0], dtype=torch.long, device=labels.device)
        loss = F.ctc_loss(
            log_probs, labels.clamp(min=0), steps, lengths, blank=self.blank, zero_infinity=True
        )
        self.optimizer.zero_grad(set_to_none=True)
        loss.backward()
        grads = [p.grad for p in self.params]
        # Keras clipnorm=5: each gradient tensor scaled to norm <= 5 on its own
        norms = torch.stack(torch._foreach_norm(grads))
        scales = torch.clamp(5.0 / (norms + 1e-6), max=1.0)
        torch._foreach_mul_(grads, list(scales.unbind()))
        self.optimizer.step()
        return loss


class HostBatches:
    """Shuffled batches of uint8 rows, copied through pinned buffers (as ArrayBatches)."""

    def __init__(self, cache: ImageCache, batch: int, device: str, seed: int = 0, slots: int = 4):
        self.cache, self.batch, self.device = cache, batch, device
        self.rng = np.random.default_rng(seed)
        self.order = np.arange(len(cache))
        pin = device == "cuda"
        h, w = cache.images.shape[1:]
        length = cache.labels.shape[1]
        self.images = [torch.empty((batch, h, w), dtype=torch.uint8, pin_memory=pin) for _ in range(slots)]
        self.labels = [torch.empty((batch, length), dtype=torch.int32, pin_memory=pin) for _ in range(slots)]
        self.copied = [torch.cuda.Event() if pin else None for _ in range(slots)]

    def __len__(self) -> int:
        return len(self.cache) // self.batch

    def epoch(self):
        self.rng.shuffle(self.order)
        for i in range(len(self)):
            rows = np.sort(self.order[i * self.batch : (i + 1) * self.batch])
            slot = i % len(self.images)
            if self.copied[slot] is not None:
                # the host may run ahead of the GPU: wait until the last copy out of this slot is done
                self.copied[slot].synchronize()
            self.images[slot].numpy()[:] = self.cache.images[rows]
            self.labels[slot].numpy()[:] = self.cache.labels[rows]
            images = self.images[slot].to(self.device, non_blocking=True)
            labels = self.labels[slot].to(self.device, non_blocking=True)
            if self.copied[slot] is not None:
                self.copied[slot].record()
            yield images, labels.long()


class DeviceBatches:
    """A few batches made once on the GPU and cycled (no input work)."""

    def __init__(self, cache: ImageCache, batch: int, device: str, count: int = 8):
        rng = np.random.default_rng(1)
        self.steps = len(cache) // batch
        self.made = []
        for _ in range(count):
            rows = np.sort(rng.choice(len(cache), batch, replace=False))
            self.made.append(
                (
                    torch.from_numpy(cache.images[rows]).to(device),
                    torch.from_numpy(cache.labels[rows]).to(device).long(),
                )
            )

    def __len__(self) -> int:
        return self.steps

    def epoch(self):
        for i in range(self.steps):
            yield self.made[i % len(self.made)]


def time_epochs(trainer: Trainer, batches, epochs: int, batch: int) -> tuple[list[float], dict[str, float]]:
    """Images/s of each timed epoch (synchronised at the end), mean GPU utilisation."""
    for step, (images, labels) in enumerate(batches.epoch()):  # warm-up: cuDNN autotuning
        trainer.step(images, labels)
        if step >= 5:
            break
    float(trainer.step(images, labels))  # waits for the GPU
    rates = []
    with GpuSampler() as sampler:
        for _ in range(epochs):
            start = time.perf_counter()
            steps = 0
            for images, labels in batches.epoch():
                loss = trainer.step(images, labels)
                steps += 1
            loss_value = float(loss)  # waits for the last step
            rates.append(steps * batch / (time.perf_counter() - start))
    if not math.isfinite(loss_value):
        raise RuntimeError(f"loss is {loss_value}")
    return rates, sampler.summary()


def get_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--images", type=int, default=20000, help="synthetic word images in the cache")
    parser.add_argument("--batch-size", type=int, default=256)
    parser.add_argument("--epochs", type=int, default=3, help="timed epochs per measurement")
    parser.add_argument("--model", default="default", help="comma list of: default, mltu")
    parser.add_argument("--precisions", default="fp32,bf16", help="comma list of: fp32, bf16")
    parser.add_argument("--modes", default="host,device", help="comma list of: host, device")
    parser.add_argument("--cache-file", default=None, help="npz to store/reuse the synthetic images")
    parser.add_argument("--device", default="cuda", help="cuda, or cpu for a quick check of the code")
    parser.add_argument("--out", default=None, help="JSON file for the results")
    return parser.parse_args(argv)


def run(args: argparse.Namespace) -> list[dict[str, Any]]:
    if args.device == "cuda" and not torch.cuda.is_available():
        raise SystemExit("torch_reference.py: no CUDA GPU (use --device cpu for a quick check)")
    torch.backends.cudnn.benchmark = True
    # TF32 matrix units for float32, as XLA uses them by default under JAX
    torch.backends.cuda.matmul.allow_tf32 = True
    torch.backends.cudnn.allow_tf32 = True
    classes = len(ALPHABET) + 1
    results = []
    plan = [
        (k, p, m)
        for k in args.model.split(",")
        for p in args.precisions.split(",")
        for m in args.modes.split(",")
    ]
    caches: dict[str, ImageCache] = {}
    for kind, precision, mode in tqdm(plan, desc="torch variants", unit="run"):
        recipe = model_recipe(kind)
        if kind not in caches:
            cache_file = args.cache_file if kind == "default" else None
            caches[kind] = synthetic_cache(
                args.images, recipe.model.height, recipe.max_width, recipe.time_steps, cache_file=cache_file
            )
        torch.manual_seed(0)
        trainer = Trainer(
            recipe.model, recipe.augment, classes, recipe.learning_rate, precision == "bf16", args.device
        )
        batches = (HostBatches if mode == "host" else DeviceBatches)(
            caches[kind], args.batch_size, args.device
        )
        rates, util = time_epochs(trainer, batches, args.epochs, args.batch_size)
        median = statistics.median(rates)
        result = Result(
            framework="pytorch",
            model=kind,
            variant=precision,
            mode=mode,
            gpus=1,
            batch=args.batch_size,
            img_per_s=round(median, 1),
            runs=[round(r, 1) for r in rates],
            step_ms=round(1000 * args.batch_size / median, 3),
            gpu_util=util,
            params=sum(p.numel() for p in trainer.params),
        )
        results.append(asdict(result))
        print(json.dumps(results[-1]), flush=True)
    report = {"header": {"torch": torch.__version__, "nvidia_smi": gpu_names()}, "results": results}
    if args.out:
        Path(args.out).write_text(json.dumps(report, indent=2) + "\n")
    return results


def main() -> None:
    run(get_args())


if __name__ == "__main__":
    main()
