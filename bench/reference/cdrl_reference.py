#!/usr/bin/env python3
"""Plain PyTorch reference of CDRL (ALGORITHM.md), written the way research code usually is.

It loads checkpoints written by the C++ core (docs/checkpoint-format.md) and reproduces the
energy F(y; λ, c), sampling (Algorithm 2) and one training iteration (Algorithm 1), so the C++
implementation can be checked against it (`energy`, `sample`) and timed against it
(`bench-sample`, `bench-train`). Deliberately straightforward, unlike the core:

* spectral normalisation is torch.nn.utils.spectral_norm: W/σ is recomputed on every forward,
  with one power iteration per forward in training mode (none in eval mode);
* every network call recomputes the level / condition embedding;
* guidance and composition run one forward pass per condition term (no batching of terms);
* the Langevin chain takes torch.autograd.grad w.r.t. the input at every step.

Labels follow the core's convention: 0 = ∅ (no condition), 1..C = class or concept index.
Run with a Python that has PyTorch (Debian: /usr/bin/python3); see README.md.
"""

import argparse
import dataclasses
import gzip
import json
import math
import os
import resource
import statistics
import struct
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

# ----------------------------------------------------------------------------------------------
# safetensors I/O (docs/checkpoint-format.md); the `safetensors` package is not needed.

SAFETENSORS_DTYPES = {
    "F64": torch.float64, "F32": torch.float32, "F16": torch.float16, "BF16": torch.bfloat16,
    "I64": torch.int64, "I32": torch.int32, "I16": torch.int16, "I8": torch.int8,
    "U8": torch.uint8, "BOOL": torch.bool,
}


def read_safetensors(path, prefixes=("",)):
    """Returns ({name: tensor}, {metadata key: string}) of a safetensors file, reading only the
    tensors whose names start with one of `prefixes`."""
    with open(path, "rb") as f:
        (header_len,) = struct.unpack("<Q", f.read(8))
        header = json.loads(f.read(header_len))
        metadata = header.pop("__metadata__", {})
        base = 8 + header_len
        tensors = {}
        for name, spec in header.items():
            if not name.startswith(tuple(prefixes)):
                continue
            begin, end = spec["data_offsets"]
            dtype = SAFETENSORS_DTYPES[spec["dtype"]]
            f.seek(base + begin)
            raw = bytearray(f.read(end - begin))
            tensors[name] = (torch.frombuffer(raw, dtype=dtype) if raw
                             else torch.empty(0, dtype=dtype)).reshape(spec["shape"])
    return tensors, metadata


def write_safetensors(path, tensors, metadata=None):
    """Writes float32 / int64 tensors as a safetensors file."""
    names = {torch.float32: "F32", torch.float64: "F64", torch.int64: "I64"}
    header, blobs, offset = {}, [], 0
    for name, t in tensors.items():
        blob = t.detach().contiguous().numpy().tobytes()
        header[name] = {"dtype": names[t.dtype], "shape": list(t.shape),
                        "data_offsets": [offset, offset + len(blob)]}
        blobs.append(blob)
        offset += len(blob)
    if metadata:
        header["__metadata__"] = metadata
    text = json.dumps(header).encode()
    text += b" " * (-len(text) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for blob in blobs:
            f.write(blob)


# ----------------------------------------------------------------------------------------------
# Noise schedule (ALGORITHM.md §2) and Langevin step sizes (§4), in float64 like core/cdrl/schedule.cpp.

class Schedule:
    """Per-level coefficients as lists indexed by level i = 0..T (0 where i − 1 is needed)."""

    def __init__(self, cfg):
        self.T = cfg["T"]
        self.K = cfg["K"]
        lam_min, lam_max = cfg["lambda_min"], cfg["lambda_max"]
        b = math.atan(math.exp(-lam_max / 2.0))
        a = math.atan(math.exp(-lam_min / 2.0)) - b
        T = self.T
        self.lam = [-2.0 * math.log(math.tan(a * (i / T) + b)) for i in range(T + 1)]
        self.alpha_bar = [1.0 / (1.0 + math.exp(-lam)) for lam in self.lam]
        self.beta = [0.0] * (T + 1)
        self.beta_tilde = [0.0] * (T + 1)
        self.m = [0.0] * (T + 1)
        self.s2 = [0.0] * (T + 1)
        self.c = [0.0] * (T + 1)
        ab = self.alpha_bar
        for i in range(1, T + 1):
            r = ab[i] / ab[i - 1]
            self.beta[i] = 1.0 - r
            self.beta_tilde[i] = (1.0 - ab[i - 1]) / (1.0 - ab[i]) * self.beta[i]
            self.m[i] = r if i < T else 1.0  # top level: marginal, m_T = 1
            if cfg["step_scaling"] == "per-level":
                self.c[i] = math.sqrt(1.0 - ab[i - 1]) / math.sqrt(1.0 - ab[0])
            else:  # "constant": the reference's 2-D toy run (§8)
                self.c[i] = 1.0 / math.sqrt(1.0 - ab[0])
            self.s2[i] = 2.0 * cfg["step_base"] * self.c[i] * self.beta[i]
        self.weight = [0.0] + [math.sqrt(self.beta[1] / self.beta[i]) for i in range(1, T + 1)]
        self.tweedie_s2 = cfg["step_base"] * self.c[1] * self.beta[1]  # §6: s'² = b·c_1·β_1

    def langevin_coefficients(self, levels, steps, data_dims):
        """(a, b, σ) of y ← y + a·∇F − b·(y − x_i) + σ·ε for int64 `levels` [B] (or [1]), shaped
        [B, 1, …]: step variance h = s_i²·K/K' (§4), a = h/(2s_i²), b = h/(2β_i) (0 at i = T)."""
        a, b, sigma = [0.0] * (self.T + 1), [0.0] * (self.T + 1), [0.0] * (self.T + 1)
        for i in range(1, self.T + 1):
            h = self.s2[i] * self.K / steps
            a[i] = h / (2.0 * self.s2[i])
            b[i] = h / (2.0 * self.beta[i]) if i < self.T else 0.0
            sigma[i] = math.sqrt(h)
        shape = (levels.shape[0],) + (1,) * data_dims
        return tuple(torch.tensor(t, dtype=torch.float64)[levels].float().reshape(shape)
                     for t in (a, b, sigma))

    def column(self, values, levels, data_dims):
        """values[levels] as float32 [B, 1, …] (float64 table cast to float32 first, as core)."""
        shape = (levels.shape[0],) + (1,) * data_dims
        return torch.tensor(values, dtype=torch.float64).float()[levels].reshape(shape)


# ----------------------------------------------------------------------------------------------
# Networks (ALGORITHM.md §3), parameter names as in the core's checkpoints.

def act_fn(name):
    return (lambda x: F.leaky_relu(x, 0.2)) if name == "lrelu" else F.silu


def maybe_sn(layer, spectral):
    return nn.utils.spectral_norm(layer) if spectral else layer


def level_sinusoid(lam, dim):
    """§3 level embedding: u = atan(exp(−λ/2))/(π/2), sinusoid of 1000·u (sin then cos)."""
    u = torch.atan(torch.exp(-lam.float() / 2)) / (math.pi / 2)
    h = dim // 2
    k = torch.arange(h, dtype=torch.float32, device=lam.device)
    freq = torch.exp(-math.log(10000.0) * k / max(h - 1, 1))
    angle = (1000.0 * u).unsqueeze(1) * freq.unsqueeze(0)
    return torch.cat([torch.sin(angle), torch.cos(angle)], 1)


class ConditionEmbedding(nn.Module):
    """§3: level MLP on the sinusoid, plus Linear(one-hot over C+1, index 0 = ∅)."""

    def __init__(self, dim, num_classes, act, spectral):
        super().__init__()
        self.dim, self.num_classes, self.act = dim, num_classes, act_fn(act)
        self.level_in = maybe_sn(nn.Linear(dim, 4 * dim), spectral)
        self.level_out = maybe_sn(nn.Linear(4 * dim, 4 * dim), spectral)
        if num_classes > 0:
            self.label = maybe_sn(nn.Linear(num_classes + 1, 4 * dim), spectral)

    def forward(self, lam, label):
        emb = self.level_out(self.act(self.level_in(level_sinusoid(lam, self.dim))))
        if self.num_classes > 0:
            emb = emb + self.label(F.one_hot(label, self.num_classes + 1).to(emb.dtype))
        return emb


class MlpBlock(nn.Module):
    """toy2d stage: h = fc1(act(x)) + emb(act(e)); h = fc2(act(h)); skip(x) + h."""

    def __init__(self, n_in, n_out, emb_width, act, spectral):
        super().__init__()
        self.act = act_fn(act)
        self.fc1 = maybe_sn(nn.Linear(n_in, n_out), spectral)
        self.fc2 = maybe_sn(nn.Linear(n_out, n_out), spectral)
        self.emb = maybe_sn(nn.Linear(emb_width, n_out), spectral)
        self.skip = maybe_sn(nn.Linear(n_in, n_out), spectral) if n_in != n_out else None

    def forward(self, x, emb):
        h = self.fc1(self.act(x)) + self.emb(self.act(emb))
        h = self.fc2(self.act(h))
        return (self.skip(x) if self.skip is not None else x) + h


class MlpTrunk(nn.Module):
    """Optional Fourier features [x, g·sin 2πxB, g·cos 2πxB] (B the buffer `fourier`, g = 1/√M
    when `fourier_normalised`, else 1), an input layer `in`, then `block<stage>_<b>` stages."""

    def __init__(self, cfg, n_in, emb_width, act):
        super().__init__()
        spectral = cfg["spectral_norm"]
        width = cfg["width"] * cfg["multipliers"][0]
        m = cfg.get("fourier_features", 0)
        self.fourier_gain = 1.0 / math.sqrt(m) if m and cfg.get("fourier_normalised") else 1.0
        self.register_buffer("fourier", torch.zeros(n_in, m) if m else None)
        self.add_module("in", maybe_sn(nn.Linear(n_in + 2 * m, width), spectral))  # a keyword
        self.blocks = []
        for stage, mult in enumerate(cfg["multipliers"]):
            for b in range(cfg["blocks"]):
                block = MlpBlock(width, cfg["width"] * mult, emb_width, act, spectral)
                self.add_module(f"block{stage}_{b}", block)
                self.blocks.append(block)
                width = cfg["width"] * mult
        self.out_width = width

    def forward(self, x, emb):
        if self.fourier is not None:
            phase = 2 * math.pi * x @ self.fourier
            x = torch.cat([x, self.fourier_gain * torch.sin(phase),
                           self.fourier_gain * torch.cos(phase)], 1)
        h = getattr(self, "in")(x)
        for block in self.blocks:
            h = block(h, emb)
        return h


class MlpEnergy(nn.Module):
    """toy2d EBM: F = Σ relu(trunk(y)) · head(lrelu(emb))."""

    def __init__(self, cfg, dim, num_classes):
        super().__init__()
        self.embedding = ConditionEmbedding(cfg["embed_dim"], num_classes, "lrelu",
                                            cfg["spectral_norm"])
        emb_width = 4 * cfg["embed_dim"]
        self.trunk = MlpTrunk(cfg, dim, emb_width, "lrelu")
        self.head = nn.Linear(emb_width, self.trunk.out_width, bias=False)

    def forward(self, y, lam, label):
        emb = self.embedding(lam, label)
        h = F.relu(self.trunk(y, emb))
        return (h * self.head(F.leaky_relu(emb, 0.2))).sum(1)


class MlpInitializer(nn.Module):
    """toy2d initializer: g(x) = x + out(silu(trunk(x)))."""

    def __init__(self, cfg, dim, num_classes):
        super().__init__()
        self.embedding = ConditionEmbedding(cfg["embed_dim"], num_classes, "silu", False)
        self.trunk = MlpTrunk(cfg, dim, 4 * cfg["embed_dim"], "silu")
        self.out = nn.Linear(self.trunk.out_width, dim)

    def forward(self, x, lam, label):
        return x + self.out(F.silu(self.trunk(x, self.embedding(lam, label))))


class EbmBlock(nn.Module):
    """§3 EBM residual block: h = conv1(act(x)) + act(emb(act(e))); h = conv2(act(h))·g."""

    def __init__(self, n_in, n_out, emb_width, spectral):
        super().__init__()
        self.conv1 = maybe_sn(nn.Conv2d(n_in, n_out, 3, padding=1), spectral)
        self.conv2 = maybe_sn(nn.Conv2d(n_out, n_out, 3, padding=1), spectral)
        self.emb = maybe_sn(nn.Linear(emb_width, n_out), spectral)
        self.gain = nn.Parameter(torch.ones(1, n_out, 1, 1))
        self.skip = maybe_sn(nn.Conv2d(n_in, n_out, 3, padding=1), spectral) \
            if n_in != n_out else None

    def forward(self, x, emb_act):
        h = self.conv1(F.leaky_relu(x, 0.2))
        h = h + F.leaky_relu(self.emb(emb_act), 0.2)[:, :, None, None]
        h = self.conv2(F.leaky_relu(h, 0.2)) * self.gain
        return h + (self.skip(x) if self.skip is not None else x)


class ConvEnergy(nn.Module):
    """§3 conv EBM: conv in, residual blocks per resolution with 2×2 average pooling between,
    head Σ_space relu(h) · Linear(act(emb))."""

    def __init__(self, cfg, channels, num_classes):
        super().__init__()
        spectral = cfg["spectral_norm"]
        self.embedding = ConditionEmbedding(cfg["embed_dim"], num_classes, "lrelu", spectral)
        emb_width = 4 * cfg["embed_dim"]
        width = cfg["width"]
        self.add_module("in", maybe_sn(nn.Conv2d(channels, width, 3, padding=1), spectral))
        self.blocks = []  # (block, average-pool after it)
        levels = len(cfg["multipliers"])
        for level, mult in enumerate(cfg["multipliers"]):
            for b in range(cfg["blocks"]):
                block = EbmBlock(width, cfg["width"] * mult, emb_width, spectral)
                self.add_module(f"block{level}_{b}", block)
                self.blocks.append((block, b + 1 == cfg["blocks"] and level + 1 < levels))
                width = cfg["width"] * mult
        self.head = nn.Linear(emb_width, width, bias=False)

    def forward(self, y, lam, label):
        emb_act = F.leaky_relu(self.embedding(lam, label), 0.2)
        h = getattr(self, "in")(y)
        for block, pool in self.blocks:
            h = block(h, emb_act)
            if pool:
                h = F.avg_pool2d(h, 2)
        return (F.relu(h).sum((2, 3)) * self.head(emb_act)).sum(1)


class UNetBlock(nn.Module):
    """DDPM residual block: GroupNorm + SiLU, resampling inside, scale-and-shift conditioning."""

    def __init__(self, n_in, n_out, emb_width, groups, dropout, resample):
        super().__init__()
        self.resample, self.dropout = resample, dropout
        self.norm1 = nn.GroupNorm(groups, n_in)
        self.conv1 = nn.Conv2d(n_in, n_out, 3, padding=1)
        self.emb = nn.Linear(emb_width, 2 * n_out)
        self.norm2 = nn.GroupNorm(groups, n_out)
        self.conv2 = nn.Conv2d(n_out, n_out, 3, padding=1)
        self.skip = nn.Conv2d(n_in, n_out, 1) if n_in != n_out else None

    def _resample(self, x):
        if self.resample == "down":
            return F.avg_pool2d(x, 2)
        if self.resample == "up":
            return F.interpolate(x, scale_factor=2.0, mode="nearest")
        return x

    def forward(self, x, emb_act):
        h = self.conv1(self._resample(F.silu(self.norm1(x))))
        x = self._resample(x)
        scale, shift = self.emb(emb_act)[:, :, None, None].chunk(2, 1)
        h = self.norm2(h) * (1 + scale) + shift
        h = self.conv2(F.dropout(F.silu(h), self.dropout, self.training))
        return (self.skip(x) if self.skip is not None else x) + h


class Attention(nn.Module):
    """Single-head self-attention over pixels, residual."""

    def __init__(self, channels, groups):
        super().__init__()
        self.norm = nn.GroupNorm(groups, channels)
        self.qkv = nn.Conv2d(channels, 3 * channels, 1)
        self.proj = nn.Conv2d(channels, channels, 1)

    def forward(self, x):
        b, c, h, w = x.shape
        q, k, v = self.qkv(self.norm(x)).reshape(b, 3, c, h * w).unbind(1)
        weights = torch.softmax(torch.bmm(q.transpose(1, 2), k) / math.sqrt(c), -1)
        return x + self.proj(torch.bmm(v, weights.transpose(1, 2)).reshape(b, c, h, w))


class UNetInitializer(nn.Module):
    """§3 initializer: DDPM-style U-Net, g(x) = x + out(silu(GN(h)))."""

    def __init__(self, cfg, data_shape, num_classes):
        super().__init__()
        self.embedding = ConditionEmbedding(cfg["embed_dim"], num_classes, "silu", False)
        emb_width, groups, dropout = 4 * cfg["embed_dim"], cfg["groups"], cfg["dropout"]
        channels, resolution = data_shape[0], data_shape[1]
        base = cfg["width"]

        def stage(path, name, n_in, n_out, resample, attend, skip):
            block = UNetBlock(n_in, n_out, emb_width, groups, dropout, resample)
            self.add_module(name, block)
            attention = None
            if attend:
                attention = Attention(n_out, groups)
                self.add_module(name + "_attn", attention)
            path.append((block, attention, skip))

        self.add_module("in", nn.Conv2d(channels, base, 3, padding=1))
        # Each path entry: (block, attention or None, down: push output / up: pop a skip first).
        self.down, self.mid, self.up = [], [], []
        skip_channels, width = [base], base
        levels = len(cfg["multipliers"])
        for level, mult in enumerate(cfg["multipliers"]):
            for b in range(cfg["blocks"]):
                stage(self.down, f"down{level}_{b}", width, base * mult, None,
                      resolution in cfg["attention_resolutions"], True)
                width = base * mult
                skip_channels.append(width)
            if level + 1 < levels:
                stage(self.down, f"down{level}_resample", width, width, "down", False, True)
                skip_channels.append(width)
                resolution //= 2
        stage(self.mid, "mid0", width, width, None, True, False)
        stage(self.mid, "mid1", width, width, None, False, False)
        for level in reversed(range(levels)):
            for b in range(cfg["blocks"] + 1):
                stage(self.up, f"up{level}_{b}", width + skip_channels.pop(),
                      base * cfg["multipliers"][level], None,
                      resolution in cfg["attention_resolutions"], True)
                width = base * cfg["multipliers"][level]
            if level > 0:
                stage(self.up, f"up{level}_resample", width, width, "up", False, False)
                resolution *= 2
        self.out_norm = nn.GroupNorm(groups, width)
        self.out = nn.Conv2d(width, channels, 3, padding=1)

    def forward(self, x, lam, label):
        emb_act = F.silu(self.embedding(lam, label))
        h = getattr(self, "in")(x)
        skips = [h]
        for block, attention, push in self.down:
            h = block(h, emb_act)
            h = attention(h) if attention is not None else h
            if push:
                skips.append(h)
        for block, attention, _ in self.mid:
            h = block(h, emb_act)
            h = attention(h) if attention is not None else h
        for block, attention, pop in self.up:
            if pop:
                h = torch.cat([h, skips.pop()], 1)
            h = block(h, emb_act)
            h = attention(h) if attention is not None else h
        return x + self.out(F.silu(self.out_norm(h)))


def build_networks(config):
    """(EBM, initializer) for a checkpoint's model configuration."""
    shape, classes = config["data_shape"], config["num_classes"]
    ebm_cfg, init_cfg = config["ebm"], config["initializer"]
    if ebm_cfg["architecture"] == "mlp":
        ebm = MlpEnergy(ebm_cfg, shape[0], classes)
    else:
        ebm = ConvEnergy(ebm_cfg, shape[0], classes)
    if init_cfg["architecture"] == "mlp":
        init = MlpInitializer(init_cfg, shape[0], classes)
    else:
        init = UNetInitializer(init_cfg, shape, classes)
    return ebm, init


def load_state(net, tensors, prefix):
    """Loads `prefix`… tensors into `net`; the core's spectral-norm names `weight`, `u`, `v` map
    to torch.nn.utils.spectral_norm's `weight_orig`, `weight_u`, `weight_v`."""
    own = net.state_dict()
    state = {}
    for key, value in tensors.items():
        if not key.startswith(prefix):
            continue
        name = key[len(prefix):]
        module, _, leaf = name.rpartition(".")
        if f"{module}.weight_orig" in own:
            leaf = {"weight": "weight_orig", "u": "weight_u", "v": "weight_v"}.get(leaf, leaf)
        state[f"{module}.{leaf}"] = value
    net.load_state_dict(state)


class Model:
    """A checkpoint's configuration, schedule and networks (live and EMA weights)."""

    def __init__(self, path, device="cpu"):
        tensors, metadata = read_safetensors(
            path, ("ebm/", "initializer/", "ebm_ema/", "initializer_ema/"))
        self.config = json.loads(metadata["config"])
        self.schedule = Schedule(self.config["schedule"])
        self.ebm, self.init = build_networks(self.config)
        self.ebm_ema, self.init_ema = build_networks(self.config)
        load_state(self.ebm, tensors, "ebm/")
        load_state(self.init, tensors, "initializer/")
        load_state(self.ebm_ema, tensors, "ebm_ema/")
        load_state(self.init_ema, tensors, "initializer_ema/")
        self.device = torch.device(device)
        for net in (self.ebm, self.init, self.ebm_ema, self.init_ema):
            net.to(self.device)

    def networks(self, use_ema):
        """(EBM, initializer) in eval mode, parameters frozen, for sampling and scoring."""
        nets = (self.ebm_ema, self.init_ema) if use_ema else (self.ebm, self.init)
        for net in nets:
            net.eval().requires_grad_(False)
        return nets

    @property
    def data_shape(self):
        return tuple(self.config["data_shape"])


# ----------------------------------------------------------------------------------------------
# Guidance and composition (ALGORITHM.md §7): a condition is a list of (label, weight) terms.

def guided_terms(label, w):
    """(1 + w)·F(y|c) − w·F(y|∅); w = 0 is plain conditioning."""
    return [(label, 1.0 + w), (0, -w)] if w != 0 else [(label, 1.0)]


def composed_terms(concepts):
    """Σ_k w_k F(y|c_k) − (Σ_k w_k − 1)·F(y|∅), zero-weight terms dropped."""
    terms = list(concepts) + [(0, 1.0 - sum(w for _, w in concepts))]
    return [(c, w) for c, w in terms if w != 0] or [(0, 1.0)]


def combined(net, x, lam, terms):
    """Σ_k w_k · net(x; λ, c_k), one forward pass per term."""
    labels = [torch.full((x.shape[0],), c, dtype=torch.long, device=x.device) for c, _ in terms]
    return sum(w * net(x, lam, label) for (_, w), label in zip(terms, labels))


def level_lambda(schedule, i, batch, device="cpu"):
    return torch.full((batch,), schedule.lam[i], dtype=torch.float32, device=device)


# ----------------------------------------------------------------------------------------------
# Langevin refinement (ALGORITHM.md §4) and sampling (Algorithm 2, §6).

def energy_and_grad(energy_fn, y):
    """F(y) and ∇_y F(y) by autograd w.r.t. the input only."""
    with torch.enable_grad():
        y = y.detach().requires_grad_(True)
        energy = energy_fn(y)
        (grad,) = torch.autograd.grad(energy.sum(), y)
    return energy.detach(), grad


def langevin(energy_fn, y_hat, x_i, coeffs, steps, generator):
    """K' steps of y ← y + a·∇F(y) − b·(y − x_i) + σ·ε from the proposal ŷ (§4)."""
    a, b, sigma = coeffs
    y = y_hat.detach()
    for _ in range(steps):
        _, grad = energy_and_grad(energy_fn, y)
        with torch.no_grad():
            y = y + a * grad - b * (y - x_i)
            # Noise from the CPU generator, as the core draws it, on any device.
            y = y + sigma * torch.randn(y.shape, generator=generator).to(y.device)
    return y


def tweedie(schedule, energy_fn, x_0):
    """§6: x̂_0 = (x_0 + (1 − ā_0)·∇_x[F(sqrt(m_1)·x_0)]/s'²) / sqrt(ā_0)."""
    sqrt_m1 = math.sqrt(schedule.m[1])
    _, grad_y = energy_and_grad(energy_fn, sqrt_m1 * x_0)
    ab0 = schedule.alpha_bar[0]
    return (x_0 + (1.0 - ab0) * sqrt_m1 * grad_y / schedule.tweedie_s2) / math.sqrt(ab0)


@torch.no_grad()
def sample(model, count, steps, terms, generator, use_ema=True):
    """Algorithm 2: x_T ~ N(0, I), then per level proposal, K' Langevin steps, x_{i−1} = ỹ/√m_i;
    finally the Tweedie step. Draws from `generator` in the core's order, so a generator seeded
    like `cdrl sample --seed` gives the same samples."""
    ebm, init = model.networks(use_ema)
    schedule = model.schedule
    steps = steps or schedule.K
    shape, dev = (count,) + model.data_shape, model.device
    x = torch.randn(shape, generator=generator).to(dev)
    for i in range(schedule.T, 0, -1):
        lam_i = level_lambda(schedule, i, count, dev)
        lam_prev = level_lambda(schedule, i - 1, count, dev)
        y_hat = combined(init, x, lam_i, terms)
        eps = torch.randn(shape, generator=generator).to(dev)
        y_hat = y_hat + math.sqrt(schedule.beta_tilde[i] * schedule.m[i]) * eps
        coeffs = [c.to(dev) for c in schedule.langevin_coefficients(torch.tensor([i]), steps,
                                                                    len(model.data_shape))]
        y = langevin(lambda v: combined(ebm, v, lam_prev, terms), y_hat, x, coeffs, steps,
                     generator)
        x = y / math.sqrt(schedule.m[i])
    lam_0 = level_lambda(schedule, 0, count, dev)
    return tweedie(schedule, lambda v: combined(ebm, v, lam_0, terms), x)


# ----------------------------------------------------------------------------------------------
# Training (Algorithm 1, ALGORITHM.md §5).

@dataclasses.dataclass
class TrainConfig:
    """§5.8 [ref] constants."""
    lr_ebm: float = 1e-4
    lr_init: float = 1e-5
    betas: tuple = (0.9, 0.999)
    warmup: int = 10000
    init_warmup_start: int = 500
    grad_clip: float = 1.0
    ema_decay: float = 0.9999
    label_dropout: float = 0.1


class CooperativeTrainer:
    """Trains the live networks of a Model with Adam (EBM) and AdamW (initializer); EMA copies
    follow (parameters averaged, spectral-norm u, v copied from the live nets, §8)."""

    def __init__(self, model, cfg, generator):
        self.model, self.cfg, self.gen = model, cfg, generator
        self.ebm, self.init = model.ebm.train(), model.init.train()
        self.opt_ebm = torch.optim.Adam(self.ebm.parameters(), lr=cfg.lr_ebm, betas=cfg.betas)
        self.opt_init = torch.optim.AdamW(self.init.parameters(), lr=cfg.lr_init,
                                          betas=cfg.betas, weight_decay=0.0)
        self.steps_done = 0

    def labels(self, labels):
        """§5.9: replace the label by ∅ with probability label_dropout."""
        keep = torch.rand(labels.shape, generator=self.gen) >= self.cfg.label_dropout
        return torch.where(keep, labels, torch.zeros_like(labels))

    def step(self, x_0, labels):
        """One iteration on clean data x_0 with labels (0 = ∅); returns (L_θ, L_φ)."""
        s, gen, cfg, dev = self.model.schedule, self.gen, self.cfg, self.model.device
        B, dims = x_0.shape[0], x_0.dim() - 1
        labels = self.labels(labels) if self.model.config["num_classes"] > 0 else labels
        # Random draws and table lookups on the CPU (its generator), then moved to the device.
        x_0, labels = x_0.to(dev), labels.to(dev)
        col = lambda table, levels: s.column(table, levels, dims).to(dev)
        # Steps 1–3: a level per sample, one shared ε, x_i and x_{i−1}, y⁺ = sqrt(m_i)·x_{i−1}.
        i = torch.randint(1, s.T + 1, (B,), generator=gen)
        eps = torch.randn(x_0.shape, generator=gen).to(dev)
        ab_i, ab_prev = col(s.alpha_bar, i), col(s.alpha_bar, i - 1)
        x_i = ab_i.sqrt() * x_0 + (1 - ab_i).sqrt() * eps
        x_prev = ab_prev.sqrt() * x_0 + (1 - ab_prev).sqrt() * eps
        m_i = col(s.m, i)
        y_pos = m_i.sqrt() * x_prev
        lam = torch.tensor(s.lam, dtype=torch.float64).float()
        lam_i, lam_prev = lam[i].to(dev), lam[i - 1].to(dev)
        # Step 4: proposal ŷ = g_φ(x_i) + sqrt(β̃_i·m_i)·ε''.
        eps2 = torch.randn(x_0.shape, generator=gen).to(dev)
        noise_std = (col(s.beta_tilde, i) * m_i).sqrt()
        y_hat = self.init(x_i, lam_i, labels) + noise_std * eps2
        # Step 5: K Langevin steps with the current θ.
        coeffs = [c.to(dev) for c in s.langevin_coefficients(i, s.K, dims)]
        y_tilde = langevin(lambda y: self.ebm(y, lam_prev, labels), y_hat, x_i, coeffs, s.K,
                           gen)
        # Steps 6–7: both losses.
        f_pos = self.ebm(y_pos, lam_prev, labels)
        f_neg = self.ebm(y_tilde, lam_prev, labels)
        w = torch.tensor(s.weight, dtype=torch.float64).float()[i].to(dev)
        loss_ebm = (w * (f_neg - f_pos)).mean()
        loss_init = (y_tilde - y_hat).pow(2).flatten(1).sum(1).mean()
        # Step 8: warm-up, clipped updates, EMA.
        self._set_lr(self.opt_ebm, cfg.lr_ebm * self._warmup(0))
        self._set_lr(self.opt_init, cfg.lr_init * self._warmup(cfg.init_warmup_start))
        self.opt_ebm.zero_grad()
        loss_ebm.backward()
        nn.utils.clip_grad_norm_(self.ebm.parameters(), cfg.grad_clip)
        self.opt_ebm.step()
        self.opt_init.zero_grad()
        loss_init.backward()
        nn.utils.clip_grad_norm_(self.init.parameters(), cfg.grad_clip)
        self.opt_init.step()
        self._update_ema(self.model.ebm_ema, self.ebm)
        self._update_ema(self.model.init_ema, self.init)
        self.steps_done += 1
        return loss_ebm.item(), loss_init.item()

    def _warmup(self, offset):
        return min(1.0, (offset + self.steps_done + 1) / self.cfg.warmup)

    @staticmethod
    def _set_lr(optimizer, lr):
        for group in optimizer.param_groups:
            group["lr"] = lr

    @torch.no_grad()
    def _update_ema(self, ema, live):
        d = self.cfg.ema_decay
        for p_ema, p in zip(ema.parameters(), live.parameters()):
            p_ema.mul_(d).add_(p, alpha=1.0 - d)
        for b_ema, b in zip(ema.buffers(), live.buffers()):
            b_ema.copy_(b)


# ----------------------------------------------------------------------------------------------
# Data for training: random tensors in [−1, 1] or Fashion-MNIST (core/data/fashion_mnist.cpp).

def fashion_mnist(directory):
    """Training images [N, 1, 28, 28] scaled to [−1, 1] and int64 labels, from IDX gz files."""
    with gzip.open(os.path.join(directory, "train-images-idx3-ubyte.gz")) as f:
        images = np.frombuffer(f.read(), np.uint8, offset=16).reshape(-1, 1, 28, 28)
    with gzip.open(os.path.join(directory, "train-labels-idx1-ubyte.gz")) as f:
        labels = np.frombuffer(f.read(), np.uint8, offset=8)
    return (torch.from_numpy(images.astype(np.float32)) / 127.5 - 1,
            torch.from_numpy(labels.astype(np.int64)))


class BatchSource:
    """Minibatches (x_0, labels 1..C or 0 when unconditional), drawn with replacement."""

    def __init__(self, model, kind, directory, generator):
        self.shape, self.gen = model.data_shape, generator
        self.classes = model.config["num_classes"]
        self.data = fashion_mnist(directory) if kind == "fashion-mnist" else None
        if self.data is not None and self.data[0].shape[1:] != self.shape:
            raise SystemExit("--data fashion-mnist needs a 1×28×28 model")

    def __call__(self, batch):
        if self.data is not None:
            index = torch.randint(self.data[0].shape[0], (batch,), generator=self.gen)
            x, labels = self.data[0][index], self.data[1][index] + 1
        else:
            x = torch.rand((batch,) + self.shape, generator=self.gen) * 2 - 1
            labels = torch.randint(max(self.classes, 1), (batch,), generator=self.gen) + 1
        return x, labels if self.classes > 0 else torch.zeros_like(labels)


# ----------------------------------------------------------------------------------------------
# Command line.

def condition_terms(args, num_classes):
    """The condition of --label/--guidance or --concepts ("c[:w],…"), validated."""
    if args.concepts:
        concepts = []
        for item in args.concepts.split(","):
            label, _, weight = item.partition(":")
            concepts.append((int(label), float(weight) if weight else 1.0))
        terms = composed_terms(concepts)
    else:
        terms = guided_terms(args.label, args.guidance)
    for label, _ in terms:
        if not 0 <= label <= num_classes:
            raise SystemExit(f"label {label} outside 0..{num_classes} (0 = ∅)")
    return terms


def synchronize():
    """Waits for queued GPU work, so a timing covers it."""
    if torch.cuda.is_available():
        torch.cuda.synchronize()


def timed(repeats, fn):
    """One warm-up call, then `repeats` timed calls: (best, median) seconds, as bench_core."""
    fn()
    synchronize()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        synchronize()
        times.append(time.perf_counter() - start)
    return min(times), statistics.median(times)


def report(fields):
    fields["peak_rss_mib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0
    fields["threads"] = torch.get_num_threads()
    if torch.cuda.is_available():
        fields["peak_gpu_mib"] = torch.cuda.max_memory_allocated() / 2.0**20
    fields["torch"] = torch.__version__
    print(json.dumps(fields), flush=True)


def cmd_energy(args):
    model = Model(args.checkpoint, args.device)
    ebm, _ = model.networks(not args.raw)
    tensors, _ = read_safetensors(args.input)
    x = tensors["x"].float()
    if tuple(x.shape[1:]) != model.data_shape:
        raise SystemExit(f"x has shape {list(x.shape)}, the model needs [N, {model.data_shape}]")
    if not 0 <= args.level <= model.schedule.T:
        raise SystemExit(f"--level must be in 0..{model.schedule.T}")
    if not 0 <= args.label <= model.config["num_classes"]:
        raise SystemExit(f"--label must be in 0..{model.config['num_classes']} (0 = ∅)")
    x = x.to(model.device)
    lam = level_lambda(model.schedule, args.level, x.shape[0], model.device)
    label = torch.full((x.shape[0],), args.label, dtype=torch.long, device=model.device)
    energy, grad = energy_and_grad(lambda y: ebm(y, lam, label), x)
    energy, grad = energy.cpu(), grad.cpu()
    write_safetensors(args.output, {"energy": energy, "grad": grad},
                      {"level": str(args.level), "label": str(args.label),
                       "weights": "raw" if args.raw else "ema"})


def cmd_sample(args):
    model = Model(args.checkpoint, args.device)
    terms = condition_terms(args, model.config["num_classes"])
    generator = torch.Generator().manual_seed(args.seed)
    x = sample(model, args.count, args.steps, terms, generator, not args.raw).cpu()
    write_safetensors(args.output, {"samples": x}, {"seed": str(args.seed)})


def cmd_bench_sample(args):
    model = Model(args.checkpoint, args.device)
    terms = condition_terms(args, model.config["num_classes"])
    generator = torch.Generator().manual_seed(args.seed)
    best, median = timed(args.repeats, lambda: sample(model, args.batch, args.steps, terms,
                                                      generator, not args.raw))
    report({"mode": "bench-sample", "preset": model.config["preset"], "batch": args.batch,
            "steps": args.steps or model.schedule.K, "levels": model.schedule.T,
            "terms": len(terms), "repeats": args.repeats, "best_s": best, "median_s": median,
            "images_per_s": args.batch / best})


def cmd_bench_train(args):
    model = Model(args.checkpoint, args.device)
    generator = torch.Generator().manual_seed(args.seed)
    torch.manual_seed(args.seed)  # dropout masks
    trainer = CooperativeTrainer(model, TrainConfig(), generator)
    batches = BatchSource(model, args.data, args.data_dir, generator)
    best, median = timed(args.repeats, lambda: trainer.step(*batches(args.batch)))
    report({"mode": "bench-train", "preset": model.config["preset"], "batch": args.batch,
            "K": model.schedule.K, "data": args.data, "repeats": args.repeats, "best_s": best,
            "median_s": median, "it_per_s": 1.0 / best})


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="mode", required=True)

    def common(p):
        p.add_argument("--checkpoint", required=True, help="CDRL checkpoint (.safetensors)")
        p.add_argument("--raw", action="store_true", help="raw weights instead of the EMA ones")
        p.add_argument("--threads", type=int, default=os.cpu_count(),
                       help="torch.set_num_threads (default: all cores)")
        p.add_argument("--device", choices=["cpu", "cuda"], default="cpu",
                       help="where the networks run (random draws stay on the CPU generator)")

    def condition(p):
        p.add_argument("--label", type=int, default=0, help="condition, 0 = ∅, 1..C")
        p.add_argument("--guidance", type=float, default=0.0, help="guidance weight w")
        p.add_argument("--concepts", default="",
                       help="compose concepts 'c[:w],…' (labels 1..C, weight 1 by default)")
        p.add_argument("--steps", type=int, default=0, help="Langevin steps K' (0 = trained K)")
        p.add_argument("--seed", type=int, default=0)

    p = sub.add_parser("energy", help="F(x; λ_level, label) and dF/dx of tensor `x`")
    common(p)
    p.add_argument("--input", required=True, help="safetensors with `x` [N, …]")
    p.add_argument("--output", required=True, help="safetensors to write `energy`, `grad`")
    p.add_argument("--level", type=int, default=0, help="λ_level, 0..T (default 0)")
    p.add_argument("--label", type=int, default=0, help="condition, 0 = ∅, 1..C")
    p.set_defaults(run=cmd_energy)

    p = sub.add_parser("sample", help="Algorithm 2, samples written as `samples`")
    common(p)
    condition(p)
    p.add_argument("--count", type=int, default=16)
    p.add_argument("--output", required=True)
    p.set_defaults(run=cmd_sample)

    p = sub.add_parser("bench-sample", help="time Algorithm 2; one JSON line")
    common(p)
    condition(p)
    p.add_argument("--batch", type=int, default=64)
    p.add_argument("--repeats", type=int, default=3)
    p.set_defaults(run=cmd_bench_sample)

    p = sub.add_parser("bench-train", help="time Algorithm 1 iterations; one JSON line")
    common(p)
    p.add_argument("--batch", type=int, default=64)
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--data", choices=["random", "fashion-mnist"], default="random")
    p.add_argument("--data-dir", default=os.environ.get("CDRL_FASHION_MNIST_DIR",
                                                        "/usr/share/datasets/fashion-mnist"))
    p.set_defaults(run=cmd_bench_train)
    return parser.parse_args()


def main():
    args = parse_args()
    if args.device == "cuda" and not torch.cuda.is_available():
        raise SystemExit("--device cuda: this PyTorch has no CUDA or no GPU is present")
    torch.set_num_threads(args.threads)
    args.run(args)


if __name__ == "__main__":
    main()
