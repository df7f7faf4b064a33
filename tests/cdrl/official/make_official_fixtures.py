#!/usr/bin/python3
r"""Fixtures in the layout of the CDRL authors' published checkpoints, with reference outputs.

Usage (Debian's interpreter, which has torch 1.13):

    /usr/bin/python3 tests/cdrl/official/make_official_fixtures.py OUT_DIR [--full-cifar
                                                                   [--published-size]]
                                                                   [--keys-out FILE]

Writes into OUT_DIR:

  uncond.pth.tar              unconditional pair, reduced widths, 32x32x3
  cond.pth.tar                10-class conditional pair (one-hot over 11, index 0 = no class)
  uncond_outputs.safetensors  reference outputs of uncond.pth.tar (see "Tensor names")
  cond_outputs.safetensors    reference outputs of cond.pth.tar
  toy.pth.tar                 2-D toy pair in toy_example.py's own layout (see "2-D toy pair")
  toy_outputs.safetensors     reference outputs of toy.pth.tar
  manifest.json               configurations, parameter counts, file sizes, pickle globals
  cifar_full.pth.tar          (--full-cifar) the published CIFAR-10 shapes, random weights with
                              converged spectral-norm vectors (--published-size: also collected
                              EMA copies and Adam moments, ~774 MB like the published file)

With --keys-out FILE it also writes the state-dict key -> shape listing of the fixtures.

Nothing here imports the authors' code: the modules below are this project's own rewrite from
shared/spec/OFFICIAL.md, checked fact by fact (key names and nesting, op order, GroupNorm eps,
attention scale, label shift, level input, sampling constants) against the authors' repository
AlvinZhuyx/CDRL (HEAD of 2025-03-10): models/ebm.py, models/ebm_cond.py, models/unet.py,
models/unet_cond.py, main_uncond.py, main_cond.py, and for the 2-D toy pair toy_example.py.

Checkpoint layout (main_uncond.py / main_cond.py: train(), the `save_dict` passed to torch.save)
---------------------------------------------------------------------------------------------
A torch.save zip archive (pickle protocol 2) holding the dict
  {pi_state_dict, p_state_dict, pi_ema_state_dict, p_ema_state_dict, pi_optimizer, p_optimizer,
   p_lr_scheduler, pi_lr_scheduler}   (in that order, as the authors build it)
* *_state_dict: raw weights of the DistributedDataParallel-wrapped nets, keys prefixed "module."
  (a one-attribute wrapper module named `module` produces the same keys and _metadata).
  The EBM uses torch.nn.utils.spectral_norm (hook form): weight_orig, weight_u, weight_v.
* *_ema_state_dict: torch-ema 0.3 ExponentialMovingAverage.state_dict():
  {decay: 0.9999, num_updates: 1, shadow_params: [tensors in parameters() order],
   collected_params: list (uncond: clones of the raw parameters, requires_grad=True as
   torch-ema 0.3's store() leaves them) | None (cond)}.  The shadows are raw + small noise, so a
  reader that takes raw weights instead of EMA ones gives different numbers.
* pi_optimizer: Adam(lr 1e-4, betas (0.9, 0.999)); p_optimizer: AdamW(lr 1e-5, wd 0), each after
  one real step (exp_avg, exp_avg_sq, step exist); the LambdaLR schedulers of the scripts
  (pi: min(1, n/10000), p: min(1, (n+500)/10000)) after one step.
* Storage locations: every storage is tagged "cuda:0" except the optimizers' 0-dim `step`
  tensors, tagged "cpu" -- exactly what torch 1.12 (the authors' environment.yml) does on a GPU:
  Adam/AdamW keep `step` as torch.tensor(0.) on the CPU unless capturable.
* The archive's inner folder is named after the file first saved ("best.pth" in uncond.pth.tar,
  "400000.pth" in cond.pth.tar), not after the file's final name.

Networks (models/ebm.py, models/ebm_cond.py: EBM, ResnetBlock, get_timestep_embedding;
models/unet.py, models/unet_cond.py: Unet, ResnetBlock, Attention, SinusoidalPosEmb)
----------------------------------------------------------------------------------
level input   u = atan(exp(-clamp(lam, -20, 20)/2)) / (pi/2); t = 1000*u
sinusoid      half = dim//2, f_k = exp(-k*ln(10000)/(half-1)), [sin(t f), cos(t f)]
EBM (pi)      emb = temb_map2(lrelu(temb_map1(sinusoid))) [+ y_map(one_hot(label, C+1))]
              h = module_list[0](y); per block: h' = conv1(lrelu(h)) + lrelu(temb_map(lrelu(emb)));
              h' = conv2(lrelu(h')) * g; h = h' + short_cut(h) (3x3 SN conv where channels change);
              2x2 average pool after each resolution but the last (own module_list index);
              out = sum_c [sum_hw relu(h)]_c * temb_final(lrelu(emb))_c.  lrelu slope 0.2.
              Every conv/linear is spectrally normalised except temb_final (no bias).
U-Net (p)     t = time_mlp.3(silu(time_mlp.1(sinusoid))) [+ y_mlp.0(one_hot(label, C+1))];
              res block: h = silu(norm1(x)); [up/down-sample h and x]; h = conv1(h);
              scale, shift = chunk(mlp.1(silu(t)), 2); h = norm2(h)*(1+scale) + shift;
              h = conv2(dropout(silu(h))); out = h + res_conv(x) (1x1 where channels change).
              GroupNorm(32, eps 1e-6) everywhere; down = 2x2 average pool, up = nearest x2.
              attention: one head, q,k,v = chunk(to_qkv(norm(x)), 3) (1x1 conv with bias),
              softmax_j(q_i.k_j * C^-1/2), out = x + to_out(sum_j a_ij v_j).
              Output x + final_conv(silu(norm(h))): a predicted mean (tanh_out=False, residual).
Labels        class k (0-based, this project's data convention) is one-hot index k+1;
              index 0 is "no class" (main_cond.py: `y = y + 1`, `y[mask] = 0`).

Reference outputs use the authors' sampling conventions: EMA shadows copied into the
parameters (torch-ema average_parameters()), the raw checkpoint's weight_u/weight_v kept, both
networks in eval mode (spectral norm W = weight_orig / (u . (weight_orig.reshape(out,-1) @ v)),
no power iteration; dropout off).  All computed in float32 on the CPU, one thread.

Schedule (main_uncond.py: logsnr_schedule_fn, gen_samples, Langevin)
---------------------------------------------------------------------
Computed here in float64 from the closed forms; the per-level scalars enter the float32
computation as Python floats.  (The authors compute them in float32: `schedule_lambda_f32_authors`
shows their values; the difference is ~1e-7 relative.)
  lam(u) = -2 ln tan(a u + b), b = atan(exp(-lam_max/2)), a = atan(exp(-lam_min/2)) - b,
  u_i = i/T, T = 6, K = 15, lam_min = -5.1, lam_max = 9.8
  abar_i = sigmoid(lam_i), r_i = abar_i/abar_{i-1}, beta_i = 1 - r_i,
  beta_tilde_i = (1-abar_{i-1})/(1-abar_i) * beta_i, m_i = r_i (i<T), m_T = 1,
  c_i = sqrt(1-abar_{i-1}) / sqrt(1-abar_0)      (`ct_square`; 1-abar_0 = 1 - sigmoid(lam_max))
  s2_i = 4e-4 c_i beta_i                          (Langevin noise variance, `sz_square`)
  anchor_i = 2e-4 c_i (i<T), 0 (i=T)              (main_uncond.py: Langevin, the ||x-xt||^2 term)
  tweedie s2' = 2e-4 c_1 beta_1                   (gen_samples' own `sz_square`, i == 1)

Sampling with noise off (main_uncond.py: gen_samples + Langevin; main_cond.py:
gen_guided_samples + Langevin_guided with guided_weight w = 1), for i = T..1:
  proposal   yhat = p(x_i; lam_i[, c])                       (p_with_noise off: no
             sqrt(beta_tilde_i m_i) eps term); conditional: (1+w) p(x|c) - w p(x|0)
  Langevin   y_0 = yhat; K times: y <- y + 0.5 * grad_y[ E(y) - anchor_i ||y - x_i||^2 ]
             with E(y) = pi(y; lam_{i-1}[, c]) (conditional: (1+w) pi(y|c) - w pi(y|0)),
             no noise term (with_noise off: no sqrt(s2_i) eps)
  divide     x_{i-1} = y_K / (sqrt(m_i) + 1e-8)               (the authors' +1e-8 kept)
then Tweedie (gen_samples, `if i == 1`):
  score = grad_x [ E(sqrt(m_1) x_0; lam_0) / s2' ],  out = (x_0 + (1-abar_0) score) / sqrt(abar_0)
(conditional: the same guided E at w = 1, as gen_guided_samples does).

Weights
-------
Reduced widths (uncond / cond): EBM width 16, multipliers (1,2,2,2), 2 blocks per resolution;
U-Net width 32, multipliers (1,1,1), 3 / 2 residual blocks per resolution, attention at 16 and 8.
After construction every parameter gets small noise (zero-initialised weights -- U-Net conv2,
to_out, final_conv -- a small random scale; gains g and GroupNorm affine +-0.1), temb_final is
scaled by HEAD_SCALE = 0.2 (EBM gradients ~1e-3, Langevin and Tweedie moves ~1e-2: clearly
measurable, yet the sampling run is not too sensitive), then one training step runs (three
training-mode EBM forwards: spectral-norm u/v away from their initial values).

Sensitivity (measured with this script's fixtures): the EBM is piecewise linear in y (lrelu, relu),
so its gradient jumps where a unit crosses its kink, and every level divides by sqrt(m_i) < 1.
A 1e-6 perturbation of x_T moves sample_output by up to ~4e-5 (uncond) / ~1.6e-4 (cond); one
level's chain from a recorded x_L by up to ~1e-4. The authors' own code (their modules, their
float32 schedule) run on these checkpoints lands within 4.3e-5 (uncond) / 2.6e-4 (cond) of
sample_output and 5.4e-4 of shared_sample_output; per-network outputs agree to 3e-7 relative
(EBM bitwise).

Tensor names (B = 4; F32 unless noted; L = level 1..6)
-----------------------------------------------------
schedule_lambda, schedule_alpha_bar, schedule_r, schedule_beta, schedule_beta_tilde, schedule_m,
schedule_c, schedule_s2, schedule_anchor, schedule_proposal_std   F64 [T+1], row i = level i
                                          (rows needing level i-1 are 0 at i = 0)
schedule_lambda_f32_authors               F32 [T+1]  lam_i as the authors' float32 code gets it
schedule_tweedie_s2                       F64 [1]    2e-4 c_1 beta_1
schedule_T_K                              I64 [2]    (6, 15)
schedule_lambda_min_max                   F64 [2]    (-5.1, 9.8)
ebm_L{L}_y          [B,3,32,32]  EBM input (sqrt(m_L) x_{L-1} of a noised smooth image)
ebm_L{L}_lambda     [B]          lam_{L-1}, the level input the EBM gets
ebm_L{L}_emb        [B,4w]       the EBM's embedding (after temb_map2 [+ y_map(c)])
ebm_L{L}_pi         [B]          pi(y) (conditional: pi(y|c)), EMA weights
ebm_L{L}_grad       [B,3,32,32]  d pi / d y
ebm_raw_L{L}_pi     [B]          pi(y) (conditional: pi(y|c)) with the RAW weights
init_L{L}_x         [B,3,32,32]  initializer input x_L
init_L{L}_lambda    [B]          lam_L
init_L{L}_emb       [B,4w']      the U-Net's embedding t (after time_mlp [+ y_mlp(c)])
init_L{L}_proposal  [B,3,32,32]  p(x_L) (conditional: p(x_L|c)), EMA weights, no noise
init_raw_L{L}_proposal           the same with the RAW weights
conditional only:
labels              I64 [B]      class indices 0..9 (this project's data convention)
labels_onehot_index I64 [B]      labels + 1, the index fed to one_hot (0 = no class)
ebm_L{L}_emb_null, ebm_L{L}_pi_null              the same with label index 0 (no class)
ebm_L{L}_pi_guided_w1, ebm_L{L}_grad_guided_w1   2 pi(y|c) - pi(y|0) and its gradient
init_L{L}_emb_null, init_L{L}_proposal_null      the initializer with label index 0
init_L{L}_proposal_guided_w1                     2 p(x|c) - p(x|0)
sampling run (noise off; conditional: labels above, w = 1):
sample_x_T          [B,3,32,32]  x_T
sample_L{L}_proposal             yhat at level L (input x_L = sample_x_T or sample_L{L+1}_x_prev)
sample_L{L}_refined              y after K Langevin steps (before the division)
sample_L{L}_x_prev               x_{L-1} = refined / (sqrt(m_L) + 1e-8)
sample_output                    after the Tweedie step (not clipped)
conditional only, the same run with one class for the whole batch (same sample_x_T, w = 1):
shared_sample_label I64 [1]      7 (class index, 0-based; one-hot index 8)
shared_sample_L{L}_proposal, shared_sample_L{L}_refined, shared_sample_L{L}_x_prev,
shared_sample_output
__metadata__: "config" (JSON of both networks' constructor arguments), "weights", "sampler",
"guidance_w", "checkpoint", "cdrl.data_crc32" (CRC-32 of the data section, decimal).

2-D toy pair: toy.pth.tar, toy_outputs.safetensors (toy_example.py)
-------------------------------------------------------------------
Facts checked against toy_example.py (HEAD of 2025-03-10; line numbers of that file).
Checkpoint (l. 581-591: `save_dict`, saved as ckpt/{counter}.pth.tar every n_save = 10000):
  {pi_state_dict, p_state_dict, pi_ema_state_dict, p_ema_state_dict, pi_optimizer, p_optimizer}
  in that order -- no lr schedulers (the script builds and steps two LambdaLR, l. 451-452,
  566, 575, but does not save them).  The nets are not DDP-wrapped: keys WITHOUT "module.".
* EMA: torch-ema 0.3, decay 0.9999 (l. 32-33, 445-446); shadows = raw + small noise as above.
  collected_params None, as in the counter-0 checkpoint (saved before the first plot's
  average_parameters(), l. 593-597); every later one (10000.pth.tar ...) holds a list, the
  parameters store() copied at the previous plot.  Hence the inner folder "0.pth".
* pi_optimizer Adam(lr pi_lr = 3e-6, betas (0.9, 0.999)), p_optimizer AdamW(lr p_lr = 1e-5,
  wd 0) (l. 42-43, 448-449) after the counter-0 step: the LambdaLR warm-up left its marks in the
  param groups (pi: lr 3e-10 = 3e-6 * 1/10000, p: lr 5.01e-7 = 1e-5 * 501/10000, initial_lr).
* Storages tagged "cuda:0" except the optimizers' `step` tensors ("cpu"), as above.
Networks (built at l. 440-441 with t_dim 128, e_n_layer 1, use_sn, act 'lrelu'; p_h_dim 64,
p_n_layer 1):
  level input   u = atan(exp(-clamp(lam, -20, 20)/2)) / (pi/2), sinusoid of 1000 u
                (get_timestep_embedding, l. 77-87: the EBM's and the initializer's alike)
  ebm_mlp       (l. 89-190) emb = temb_map2(lrelu(temb_map1(sinusoid_temb_dim))), width
                4 temb_dim; h = module_list.0(y) (SN Linear 2 -> temb_dim); per level per block
                (ResnetBlock): h' = conv1(lrelu(h)) + lrelu(temb_map(lrelu(emb)));
                h' = conv2(lrelu(h')) * g (g [1, C]); h = h' + short_cut(h) (SN Linear where
                channels change); out = sum_1 final_dense(relu(h)) -> [B] (final_dense
                Linear(C, 1), no bias, no SN, default init).  Every other Linear is SN.
  unet_mlp      (l. 194-257) t = temb_map.2(silu(temb_map.0(sinusoid_t_dim))) (width t_dim);
                h = h1(x) (Linear 2 -> h_dim); per block (Unet_ResnetBlock): h' = conv1(silu(
                norm1(h))); scale, shift = chunk(mlp.1(silu(t)), 2); h' = norm2(h')(1+scale)
                + shift; h = conv2(silu(h')) + h (res_conv Identity); out = x + final_dense(
                silu(h)) (Linear(h_dim, 2), no bias, zero-initialised like conv2).  norm1/norm2
                are GroupNorm(32, h_dim, eps 1e-6) applied to [B, h_dim] vectors.
Schedule (lambda, alpha_bar, r, beta, beta_tilde, m, proposal_std as above) with the toy's
constants: sz_const = 1e-3 (l. 60), sz_mul = 1 (l. 49), Langevin_clip off (l. 50);
  c_i = 1/sqrt(1 - sigmoid(lam_max)) at every level   (Langevin l. 292-294: `ct_square` is
                                                        ones / sqrt(1 - coeff), not sigma_cum)
  s2_i = 2e-3 c beta_i                                 (Langevin l. 295, `sz_square`)
  anchor_i = 1e-3 c (i < T), 0 (i = T)                 (Langevin l. 299, `(1.0 - is_final)`)
  (gen_samples' own `sz_square` = 1e-3 c beta_i, l. 337, feeds only its dead Tweedie branch.)
Sampling (gen_samples l. 311-359 + Langevin l. 281-309), here with noise off (the script
itself draws noise: p_with_noise = True, l. 47, and Langevin(..., with_noise=True), l. 347):
for i = T..1, yhat = p(x_i; lam_i); K = 15 steps y <- y + 0.5 grad_y[pi(y; lam_{i-1})
- anchor_i ||y - x_i||^2]; x_{i-1} = y_K / (sqrt(m_i) + 1e-8).  NO Tweedie step: its branch
is `if i == -1` (l. 350), never true, so the output is x_0 itself.
Weights: reduced sizes EBM temb_dim 32, ch_mult (1,2,2,2), 1 block per level (module_list.0 and
4 blocks, the second with a short_cut), SN on; initializer t_dim 32, h_dim 64, n_layer 2.
h_dim stays the published 64: with h_dim 32 every GroupNorm(32) group is one number, whose
normalised value is rounding noise of x - mean(x) amplified by 1/sqrt(eps) = 1e3, i.e. norm1 and
norm2 would return their bias plus implementation-dependent noise (~1e-4).  perturb() as above
(unet conv2 and final_dense: a small random scale), final_dense of the EBM scaled by
TOY_HEAD_SCALE = 0.25 (|grad_y pi| < 1e-2; top-level Langevin moves ~5e-2, the anchored levels'
~0.2-0.35, mostly the anchor's pull), then one iteration shaped like the toy loop (pos forward
in training mode, proposal with noise, Langevin with noise in eval mode, Adam/AdamW steps,
LambdaLR steps) and two more training-mode EBM forwards: weight_u/weight_v after three power
iterations.
Sensitivity: a 1e-6 perturbation of x_T moves sample_output by up to ~3e-5 (the 2-channel
GroupNorm groups are steep where a pair nearly ties).  The authors' own toy modules and
Langevin (with .cuda() stubbed out, their float32 schedule) run on toy.pth.tar give every
per-network output bitwise and land within 3e-6 of sample_output.

toy_outputs.safetensors (B = 8, points uniform on the toy data's 8 squares, within +-8):
schedule_* as above with the toy constants (c, s2, anchor as listed; no schedule_tweedie_s2),
schedule_sz_const F64 [1] 1e-3;
ebm_L{L}_y        [B,2]   sqrt(m_L) x_{L-1} of a noised data point
ebm_L{L}_lambda   [B]     lam_{L-1} (gen_samples' `logsnr_s`, what Langevin gives pi)
ebm_L{L}_emb      [B,4 temb_dim]   after temb_map2
ebm_L{L}_pi, ebm_L{L}_grad, ebm_raw_L{L}_pi       as above (EMA weights + raw u/v; raw)
init_L{L}_x       [B,2]   x_L;  init_L{L}_lambda [B]  lam_L
init_L{L}_emb     [B,t_dim]        after temb_map
init_L{L}_proposal, init_raw_L{L}_proposal        as above
sample_x_T [B,2], sample_L{L}_proposal, sample_L{L}_refined, sample_L{L}_x_prev as above;
sample_output     = sample_L1_x_prev (no Tweedie step)
__metadata__ as above ("guidance_w": "none").
"""

import argparse
import collections
import contextlib
import io
import json
import math
import os
import pickle
import pickletools
import shutil
import struct
import tempfile
import time
import zipfile
import zlib

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.nn.utils import spectral_norm

# ----------------------------------------------------------------------------------------------
# Constants of the authors' scripts
# ----------------------------------------------------------------------------------------------
T_LEVELS = 6
K_STEPS = 15
LAMBDA_MIN = -5.1
LAMBDA_MAX = 9.8
LANGEVIN_BASE = 4e-4  # s2_i = 4e-4 c_i beta_i
ANCHOR_BASE = 2e-4  # quadratic term coefficient 2e-4 c_i
TWEEDIE_BASE = 2e-4  # s2' = 2e-4 c_1 beta_1
GUIDE_W = 1.0
SHARED_LABEL = 7  # class index (0-based) of the conditional fixture's second sampling run
BATCH = 4
IMAGE = (3, 32, 32)

PI_LR, P_LR, WARMUP = 1e-4, 1e-5, 10000
EMA_DECAY = 0.9999

# ----------------------------------------------------------------------------------------------
# Shared pieces
# ----------------------------------------------------------------------------------------------


def lrelu(x):
    return F.leaky_relu(x, negative_slope=0.2)


def level_input(lam):
    """u = atan(exp(-lam/2)) / (pi/2) with lam clamped to +-20 (both networks' forward)."""
    return torch.atan(torch.exp(-0.5 * torch.clamp(lam, min=-20.0, max=20.0))) / (0.5 * np.pi)


def ebm_sinusoid(u, dim):
    """models/ebm.py get_timestep_embedding(u, dim, max_time=1.0): its op order kept."""
    t = u * 1000.0
    half = dim // 2
    freqs = torch.exp(torch.arange(0, half, dtype=torch.float32) * -np.log(10000) / (half - 1))
    angle = t.float()[:, None] * freqs[None, :]
    emb = torch.cat([torch.sin(angle), torch.cos(angle)], dim=1)
    if dim % 2 == 1:
        emb = F.pad(emb, (0, 1))
    return emb


class UNetSinusoid(nn.Module):
    """time_mlp.0 of models/unet.py (SinusoidalPosEmb(dim, max_time=1)): no parameters."""

    def __init__(self, dim):
        super().__init__()
        self.dim = dim

    def forward(self, u):
        t = u * 1000.0
        half = self.dim // 2
        step = math.log(10000) / (half - 1)
        freqs = torch.exp(torch.arange(half) * -step)
        angle = t[:, None] * freqs[None, :]
        return torch.cat((angle.sin(), angle.cos()), dim=-1)


def maybe_sn(layer, use_sn):
    return spectral_norm(layer) if use_sn else layer


# ----------------------------------------------------------------------------------------------
# EBM (pi): models/ebm.py and models/ebm_cond.py
# ----------------------------------------------------------------------------------------------


class EBMBlock(nn.Module):
    def __init__(self, cin, cout, emb_width, use_sn=True):
        super().__init__()
        self.conv1 = maybe_sn(nn.Conv2d(cin, cout, 3, 1, 1), use_sn)
        self.conv2 = maybe_sn(nn.Conv2d(cout, cout, 3, 1, 1), use_sn)
        self.temb_map = maybe_sn(nn.Linear(emb_width, cout), use_sn)
        self.g = nn.Parameter(torch.ones(1, cout, 1, 1))
        if cin != cout:
            self.short_cut = maybe_sn(nn.Conv2d(cin, cout, 3, 1, 1), use_sn)
        else:
            self.short_cut = nn.Identity()

    def forward(self, x, emb):
        h = self.conv1(lrelu(x))
        h = h + lrelu(self.temb_map(lrelu(emb)))[:, :, None, None]
        h = self.conv2(lrelu(h)) * self.g
        return h + self.short_cut(x)


class OfficialEBM(nn.Module):
    """pi(y; lam[, label]) -> [B]; `width` is the authors' temb_dim."""

    def __init__(self, width=128, ch_mult=(1, 2, 2, 2), n_blocks=8, in_channels=3,
                 num_classes=0, use_sn=True):
        super().__init__()
        self.width, self.ch_mult, self.n_blocks = width, tuple(ch_mult), n_blocks
        self.num_classes = num_classes
        emb_width = 4 * width
        self.temb_map1 = maybe_sn(nn.Linear(width, emb_width), use_sn)
        self.temb_map2 = maybe_sn(nn.Linear(emb_width, emb_width), use_sn)
        if num_classes:
            self.y_map = maybe_sn(nn.Linear(num_classes + 1, emb_width), use_sn)
        layers = [maybe_sn(nn.Conv2d(in_channels, width, 3, 1, 1), use_sn)]
        cin = width
        for level, mult in enumerate(self.ch_mult):
            for _ in range(n_blocks):
                layers.append(EBMBlock(cin, width * mult, emb_width, use_sn))
                cin = width * mult
            if level != len(self.ch_mult) - 1:
                layers.append(nn.AvgPool2d((2, 2), (2, 2)))
        self.module_list = nn.ModuleList(layers)
        self.temb_final = nn.Linear(emb_width, cin, bias=False)

    def embed(self, lam, label=None):
        emb = ebm_sinusoid(level_input(lam), self.width)
        emb = self.temb_map2(lrelu(self.temb_map1(emb)))
        if self.num_classes:
            emb = emb + self.y_map(F.one_hot(label, self.num_classes + 1).float())
        return emb

    def forward(self, y, lam, label=None):
        emb = self.embed(lam, label)
        h = self.module_list[0](y)
        for layer in self.module_list[1:]:
            h = layer(h, emb) if isinstance(layer, EBMBlock) else layer(h)
        h = torch.sum(F.relu(h), dim=(2, 3))
        return torch.sum(h * self.temb_final(lrelu(emb)), dim=1)


# ----------------------------------------------------------------------------------------------
# Initializer (p): models/unet.py and models/unet_cond.py
# ----------------------------------------------------------------------------------------------


class UNetBlock(nn.Module):
    def __init__(self, cin, cout, emb_width, resample=None, dropout=0.1):
        super().__init__()
        self.norm1 = nn.GroupNorm(32, cin, eps=1e-6)
        self.norm2 = nn.GroupNorm(32, cout, eps=1e-6)
        self.resample = resample
        if resample == "up":
            self.updown = nn.Sequential(nn.Upsample(scale_factor=2, mode="nearest"))
        elif resample == "down":
            self.updown = nn.AvgPool2d(kernel_size=2, stride=2, padding=0)
        else:
            self.updown = None
        self.conv1 = nn.Conv2d(cin, cout, 3, 1, 1)
        self.conv2 = nn.Conv2d(cout, cout, 3, 1, 1)
        with torch.no_grad():
            self.conv2.weight.zero_()
        self.dropout_layer = nn.Dropout(p=dropout)
        self.mlp = nn.Sequential(nn.SiLU(), nn.Linear(emb_width, 2 * cout))
        self.res_conv = nn.Conv2d(cin, cout, 1) if cin != cout else nn.Identity()

    def forward(self, x, t):
        h = F.silu(self.norm1(x))
        if self.updown is not None:
            h = self.updown(h)
            x = self.updown(x)
        h = self.conv1(h)
        scale, shift = self.mlp(t)[:, :, None, None].chunk(2, dim=1)
        h = self.norm2(h) * (1.0 + scale) + shift
        h = self.conv2(self.dropout_layer(F.silu(h)))
        return h + self.res_conv(x)


class UNetAttention(nn.Module):
    def __init__(self, dim, heads=1):
        super().__init__()
        self.heads = heads
        self.dim_head = dim // heads
        self.scale = self.dim_head ** -0.5
        self.norm = nn.GroupNorm(32, dim, eps=1e-6)
        self.to_qkv = nn.Conv2d(dim, 3 * dim, 1, bias=True)
        self.to_out = nn.Conv2d(dim, dim, 1)
        with torch.no_grad():
            self.to_out.weight.zero_()

    def forward(self, x):
        b, c, hh, ww = x.shape
        q, k, v = (t.reshape(b, self.heads, self.dim_head, hh * ww)
                   for t in self.to_qkv(self.norm(x)).chunk(3, dim=1))
        sim = torch.einsum("bhdi,bhdj->bhij", q, k) * self.scale
        out = torch.einsum("bhij,bhdj->bhid", sim.softmax(dim=-1), v)
        out = out.permute(0, 1, 3, 2).reshape(b, c, hh, ww)
        return self.to_out(out) + x


class OfficialUNet(nn.Module):
    """p(x; lam[, label]) -> predicted mean, `dim` the authors' base width (tanh_out=False)."""

    def __init__(self, dim=64, dim_mults=(1, 1, 1), channels=3, im_sz=32,
                 attn_resolutions=(8, 16), num_res_blocks=3, dropout=0.1, num_heads=1,
                 num_classes=0):
        super().__init__()
        self.dim, self.dim_mults, self.im_sz = dim, tuple(dim_mults), im_sz
        self.attn_resolutions = tuple(attn_resolutions)
        self.num_res_blocks = num_res_blocks
        self.num_classes = num_classes
        self.init_conv = nn.Conv2d(channels, dim, 3, 1, 1)
        dims = [dim] + [dim * m for m in self.dim_mults]
        in_out = list(zip(dims[:-1], dims[1:]))
        tdim = 4 * dim
        self.time_mlp = nn.Sequential(UNetSinusoid(dim), nn.Linear(dim, tdim), nn.SiLU(),
                                      nn.Linear(tdim, tdim))
        if num_classes:
            self.y_mlp = nn.Sequential(nn.Linear(num_classes + 1, tdim))
        self.downs = nn.ModuleList([])
        self.ups = nn.ModuleList([])
        n_res = len(in_out)
        size = im_sz
        for ind, (din, dout) in enumerate(in_out):
            stage = nn.ModuleList([])
            stage.append(UNetBlock(din, dout, tdim, None, dropout))
            if size in self.attn_resolutions:
                stage.append(UNetAttention(dout, num_heads))
            for _ in range(num_res_blocks - 1):
                stage.append(UNetBlock(dout, dout, tdim, None, dropout))
                if size in self.attn_resolutions:
                    stage.append(UNetAttention(dout, num_heads))
            if ind < n_res - 1:
                stage.append(UNetBlock(dout, dout, tdim, "down", dropout))
                size //= 2
            self.downs.append(stage)
        mid = dims[-1]
        self.mid_block1 = UNetBlock(mid, mid, tdim, None, dropout)
        self.mid_attn = UNetAttention(mid, num_heads)
        self.mid_block2 = UNetBlock(mid, mid, tdim, None, dropout)
        for ind, (din, dout) in enumerate(reversed(in_out)):
            # The authors' channel counts (din*2, dout*2): consistent for equal multipliers only.
            stage = nn.ModuleList([])
            stage.append(UNetBlock(din * 2, dout, tdim, None, dropout))
            if size in self.attn_resolutions:
                stage.append(UNetAttention(dout, num_heads))
            for _ in range(num_res_blocks):
                stage.append(UNetBlock(dout * 2, dout, tdim, None, dropout))
                if size in self.attn_resolutions:
                    stage.append(UNetAttention(dout, num_heads))
            if ind < n_res - 1:
                stage.append(UNetBlock(dout, dout, tdim, "up", dropout))
                size *= 2
            self.ups.append(stage)
        self.norm = nn.GroupNorm(32, dim, eps=1e-6)
        self.final_conv = nn.Conv2d(dim, channels, 3, 1, 1)
        with torch.no_grad():
            self.final_conv.weight.zero_()

    def embed(self, lam, label=None):
        t = self.time_mlp(level_input(lam))
        if self.num_classes:
            t = t + self.y_mlp(F.one_hot(label, self.num_classes + 1).float())
        return t

    def forward(self, x, lam, label=None):
        t = self.embed(lam, label)
        hs = [self.init_conv(x)]
        n_res = len(self.downs)
        for ind, stage in enumerate(self.downs):
            j = 0
            for _ in range(self.num_res_blocks):
                h = stage[j](hs[-1], t)
                j += 1
                if h.shape[-1] in self.attn_resolutions:
                    h = stage[j](h)
                    j += 1
                hs.append(h)
            if ind < n_res - 1:
                hs.append(stage[j](hs[-1], t))
                j += 1
            assert j == len(stage)
        h = self.mid_block2(self.mid_attn(self.mid_block1(hs[-1], t)), t)
        for ind, stage in enumerate(self.ups):
            j = 0
            for _ in range(self.num_res_blocks + 1):
                h = stage[j](torch.cat([h, hs.pop()], dim=1), t)
                j += 1
                if h.shape[-1] in self.attn_resolutions:
                    h = stage[j](h)
                    j += 1
            if ind < n_res - 1:
                h = stage[j](h, t)
                j += 1
            assert j == len(stage)
        assert not hs
        return x + self.final_conv(F.silu(self.norm(h)))


class DDPLike(nn.Module):
    """Stands in for DistributedDataParallel: the same `module.` keys, _metadata, parameters()."""

    def __init__(self, module):
        super().__init__()
        self.module = module

    def forward(self, *args, **kwargs):
        return self.module(*args, **kwargs)


# ----------------------------------------------------------------------------------------------
# Schedule
# ----------------------------------------------------------------------------------------------


def lambda_at(u):
    b = math.atan(math.exp(-LAMBDA_MAX / 2.0))
    a = math.atan(math.exp(-LAMBDA_MIN / 2.0)) - b
    return -2.0 * math.log(math.tan(a * u + b))


def make_schedule():
    T = T_LEVELS
    s = {k: [0.0] * (T + 1) for k in ("lambda", "alpha_bar", "r", "beta", "beta_tilde", "m",
                                      "c", "s2", "anchor", "proposal_std")}
    for i in range(T + 1):
        s["lambda"][i] = lambda_at(i / T)
        s["alpha_bar"][i] = 1.0 / (1.0 + math.exp(-s["lambda"][i]))
    ab0 = s["alpha_bar"][0]
    for i in range(1, T + 1):
        ab, abp = s["alpha_bar"][i], s["alpha_bar"][i - 1]
        s["r"][i] = ab / abp
        s["beta"][i] = 1.0 - s["r"][i]
        s["beta_tilde"][i] = (1.0 - abp) / (1.0 - ab) * s["beta"][i]
        s["m"][i] = s["r"][i] if i < T else 1.0
        s["c"][i] = math.sqrt(1.0 - abp) / math.sqrt(1.0 - ab0)
        s["s2"][i] = LANGEVIN_BASE * s["c"][i] * s["beta"][i]
        s["anchor"][i] = ANCHOR_BASE * s["c"][i] if i < T else 0.0
        s["proposal_std"][i] = math.sqrt(s["beta_tilde"][i] * s["m"][i])
    s["tweedie_s2"] = TWEEDIE_BASE * s["c"][1] * s["beta"][1]
    return s


def authors_lambda_f32():
    """lam_i as main_uncond.py's logsnr_schedule_fn computes it on float32 tensors."""
    t = torch.arange(T_LEVELS + 1, dtype=torch.float32) / T_LEVELS
    lo = LAMBDA_MIN * torch.ones_like(t)
    hi = LAMBDA_MAX * torch.ones_like(t)
    b = torch.arctan(torch.exp(-0.5 * hi))
    a = torch.arctan(torch.exp(-0.5 * lo)) - b
    return -2.0 * torch.log(torch.tan(a * t + b))


# ----------------------------------------------------------------------------------------------
# Building non-trivial weights
# ----------------------------------------------------------------------------------------------


def fan_in(p):
    return p[0].numel() if p.dim() > 1 else p.numel()


def perturb(module, gen):
    """Small noise on every parameter; zero-initialised weights get a small random scale."""
    modules = dict(module.named_modules())
    with torch.no_grad():
        for name, p in module.named_parameters():
            noise = torch.randn(p.shape, generator=gen)
            if name.endswith(".g") or name == "g":
                p.add_(0.1 * noise)  # residual gains, init 1
            elif isinstance(modules.get(name.rsplit(".", 1)[0]), nn.GroupNorm):
                p.add_(0.1 * noise)  # GroupNorm affine, init 1 / 0
            elif p.dim() > 1 and float(p.abs().max()) == 0.0:
                p.copy_(0.25 / math.sqrt(fan_in(p)) * noise)  # conv2, to_out, final_conv
            else:
                p.add_(0.1 / math.sqrt(fan_in(p)) * noise)


def smooth_images(gen, n):
    low = torch.rand((n, IMAGE[0], 8, 8), generator=gen) * 2.0 - 1.0
    return F.interpolate(low, scale_factor=4, mode="bilinear", align_corners=False)


def lr_lambda_pi(n):
    return min(1.0, n / float(WARMUP))


def lr_lambda_p(n):
    return min(1.0, (n + 500) / float(WARMUP))


def training_step(pi_w, p_w, pi_opt, p_opt, pi_sched, p_sched, sched, gen, num_classes):
    """One step shaped like main_uncond.py's loop: real Adam/AdamW state, SN power iterations."""
    B = BATCH
    x0 = smooth_images(gen, B)
    levels = torch.randint(1, T_LEVELS + 1, (B,), generator=gen)
    lam_t = torch.tensor([sched["lambda"][int(i)] for i in levels], dtype=torch.float32)
    lam_s = torch.tensor([sched["lambda"][int(i) - 1] for i in levels], dtype=torch.float32)
    ab_t = torch.sigmoid(lam_t.double()).float()[:, None, None, None]
    ab_s = torch.sigmoid(lam_s.double()).float()[:, None, None, None]
    m = torch.tensor([sched["m"][int(i)] for i in levels], dtype=torch.float32)[:, None, None,
                                                                                None]
    eps = torch.randn(x0.shape, generator=gen)
    xt = ab_t.sqrt() * x0 + (1 - ab_t).sqrt() * eps
    xs = ab_s.sqrt() * x0 + (1 - ab_s).sqrt() * eps
    label = None
    if num_classes:
        label = torch.randint(0, num_classes + 1, (B,), generator=gen)
    pi_opt.zero_grad()
    p_opt.zero_grad()
    pi_w.train()
    p_w.train()
    pos = pi_w(xs * m.sqrt(), lam_s, label)  # training forward: one power iteration
    prop = p_w(xt, lam_t, label)
    neg = pi_w(prop.detach(), lam_s, label)  # a second one
    (neg.mean() - pos.mean()).backward()
    torch.nn.utils.clip_grad_norm_(pi_w.parameters(), max_norm=1.0)
    pi_opt.step()
    pi_sched.step()
    target = prop.detach() + 0.05 * torch.randn(prop.shape, generator=gen)
    ((prop - target) ** 2).sum(dim=[1, 2, 3]).mean().backward()
    torch.nn.utils.clip_grad_norm_(p_w.parameters(), max_norm=1.0)
    p_opt.step()
    p_sched.step()
    with torch.no_grad():
        pi_w(prop.detach(), lam_s, label)  # a third power iteration after the update
    pi_w.eval()
    p_w.eval()


def ema_state(module, gen, rel, with_collected):
    """torch-ema 0.3 state: shadows in parameters() order, here raw + noise (rel * scale)."""
    shadows, collected = [], []
    for p in module.parameters():
        d = p.detach()
        scale = float(d.std()) if d.numel() > 1 else float(d.abs()) + 1e-3
        scale = max(scale, 1e-3)
        shadows.append((d + rel * scale * torch.randn(d.shape, generator=gen)).clone())
        if with_collected:
            collected.append(p.clone())  # torch-ema 0.3 store(): requires_grad stays True
    return {"decay": EMA_DECAY, "num_updates": 1, "shadow_params": shadows,
            "collected_params": collected if with_collected else None}


@contextlib.contextmanager
def ema_weights(module, shadows):
    """torch-ema average_parameters(): shadows into the parameters, restored afterwards."""
    params = list(module.parameters())
    assert len(params) == len(shadows)
    stored = [p.detach().clone() for p in params]
    with torch.no_grad():
        for p, s in zip(params, shadows):
            p.copy_(s)
    try:
        yield
    finally:
        with torch.no_grad():
            for p, s in zip(params, stored):
                p.copy_(s)


# ----------------------------------------------------------------------------------------------
# Saving in the published layout
# ----------------------------------------------------------------------------------------------


@contextlib.contextmanager
def storages_tagged_cuda(cpu_ptrs):
    """While active, torch.save tags every storage 'cuda:0' except those in `cpu_ptrs`."""

    def tagger(storage):
        return None if storage.data_ptr() in cpu_ptrs else "cuda:0"

    def deserializer(storage, location):
        return None

    entry = (1, tagger, deserializer)
    torch.serialization.register_package(*entry)
    try:
        yield
    finally:
        torch.serialization._package_registry.remove(entry)


def optimizer_cpu_ptrs(*opts):
    ptrs = set()
    for opt in opts:
        for st in opt.state.values():
            if "step" in st and torch.is_tensor(st["step"]):
                ptrs.add(st["step"].data_ptr())
    return ptrs


def save_published(obj, path, first_name, cpu_ptrs):
    """torch.save under `first_name` (names the archive folder), then renamed to `path`."""
    tmpdir = tempfile.mkdtemp(dir=os.path.dirname(os.path.abspath(path)))
    try:
        tmp = os.path.join(tmpdir, first_name)
        with storages_tagged_cuda(cpu_ptrs):
            torch.save(obj, tmp)
        os.replace(tmp, path)
    finally:
        shutil.rmtree(tmpdir, ignore_errors=True)


class _Stub:
    def __init__(self, name):
        self.name = name

    def __repr__(self):
        return self.name


ALLOWED_GLOBALS = {
    ("collections", "OrderedDict"),
    ("torch._utils", "_rebuild_tensor_v2"),
    ("torch", "FloatStorage"),
    ("torch", "LongStorage"),
}


class _RestrictedUnpickler(pickle.Unpickler):
    """Reads data.pkl with only the allowed globals, recording every tensor's storage record."""

    def __init__(self, data):
        super().__init__(io.BytesIO(data))
        self.records = []

    def find_class(self, module, name):
        if (module, name) not in ALLOWED_GLOBALS:
            raise pickle.UnpicklingError(f"global {module}.{name} refused")
        if (module, name) == ("collections", "OrderedDict"):
            return collections.OrderedDict
        if name == "_rebuild_tensor_v2":
            return lambda storage, offset, size, stride, requires_grad, hooks: (
                "tensor", storage, offset, tuple(size), tuple(stride), requires_grad)
        return _Stub(f"{module}.{name}")

    def persistent_load(self, pid):
        self.records.append(pid)
        return pid


def inspect_archive(path):
    """Archive records, pickle opcodes/globals (pickletools), storage locations, top keys."""
    with zipfile.ZipFile(path) as z:
        names = z.namelist()
        pkl = [n for n in names if n.endswith("/data.pkl")]
        assert len(pkl) == 1, names
        folder = pkl[0][: -len("/data.pkl")]
        data = z.read(pkl[0])
        version = z.read(folder + "/version").decode().strip()
    globals_found, opcodes = set(), set()
    for op, arg, _ in pickletools.genops(data):
        opcodes.add(op.name)
        if op.name == "GLOBAL":
            globals_found.add(tuple(arg.split(" ", 1)))
        assert op.name != "STACK_GLOBAL"
    pickletools.dis(data, out=io.StringIO())  # the whole stream disassembles
    up = _RestrictedUnpickler(data)
    top = up.load()
    locations = collections.Counter(r[3] for r in up.records)
    storage_types = collections.Counter(repr(r[1]) for r in up.records)
    stem = os.path.basename(path).split(".")[0]
    return {
        "archive_folder": folder,
        "folder_differs_from_stem": folder not in (stem, os.path.basename(path),
                                                   os.path.basename(path)[: -len(".tar")]),
        "records": len(names),
        "version": version,
        "pickle_protocol": data[1] if data[:1] == b"\x80" else None,
        "globals": sorted(".".join(g) for g in globals_found),
        "opcodes": sorted(opcodes),
        "storage_locations": dict(sorted(locations.items())),
        "storage_types": dict(sorted(storage_types.items())),
        "pkl_has_cuda0": b"cuda:0" in data,
        "top_keys": list(top.keys()),
        "size_bytes": os.path.getsize(path),
    }


# ----------------------------------------------------------------------------------------------
# safetensors writer / reader (no dependency on the `safetensors` package)
# ----------------------------------------------------------------------------------------------

_DTYPES = {torch.float32: ("F32", "<f4"), torch.float64: ("F64", "<f8"),
           torch.int64: ("I64", "<i8")}


def write_safetensors(path, tensors, metadata):
    items = []
    for name, t in tensors.items():
        t = t.detach().cpu().contiguous()
        code, npt = _DTYPES[t.dtype]
        items.append((name, code, list(t.shape), t.numpy().astype(npt, copy=False).tobytes()))
    # 8-byte dtypes first, then by name: contiguous ranges, every tensor naturally aligned.
    items.sort(key=lambda it: (0 if it[1] in ("F64", "I64") else 1, it[0]))
    header, blobs, offset = {}, [], 0
    for name, code, shape, raw in items:
        header[name] = {"dtype": code, "shape": shape, "data_offsets": [offset, offset + len(raw)]}
        blobs.append(raw)
        offset += len(raw)
    data = b"".join(blobs)
    meta = dict(metadata)
    meta["cdrl.data_crc32"] = str(zlib.crc32(data) & 0xFFFFFFFF)
    header["__metadata__"] = meta
    text = json.dumps(header, sort_keys=True, separators=(",", ":")).encode("utf-8")
    text += b" " * ((8 - len(text) % 8) % 8)
    with open(path + ".tmp", "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        f.write(data)
    os.replace(path + ".tmp", path)


def read_safetensors(path):
    with open(path, "rb") as f:
        raw = f.read()
    (n,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8:8 + n])
    meta = header.pop("__metadata__", {})
    data = raw[8 + n:]
    assert str(zlib.crc32(data) & 0xFFFFFFFF) == meta["cdrl.data_crc32"]
    inv = {code: (dt, npt) for dt, (code, npt) in _DTYPES.items()}
    out = {}
    for name, spec in header.items():
        dt, npt = inv[spec["dtype"]]
        b, e = spec["data_offsets"]
        arr = np.frombuffer(data[b:e], dtype=npt).reshape(spec["shape"])
        out[name] = torch.from_numpy(arr.copy()).to(dt)
    return out, meta


# ----------------------------------------------------------------------------------------------
# Reference computations
# ----------------------------------------------------------------------------------------------


def full(value, n=BATCH):
    return torch.full((n,), value, dtype=torch.float32)


def energy_fn(pi, lam, label, null):
    """E(y): pi(y|c) or, with guidance, (1+w) pi(y|c) - w pi(y|0)."""
    if label is None:
        return lambda y: pi(y, lam)
    if null is None:
        return lambda y: pi(y, lam, label)
    return lambda y: (1.0 + GUIDE_W) * pi(y, lam, label) - GUIDE_W * pi(y, lam, null)


def proposal_fn(p, lam, label, null):
    if label is None:
        return lambda x: p(x, lam)
    if null is None:
        return lambda x: p(x, lam, label)
    return lambda x: (1.0 + GUIDE_W) * p(x, lam, label) - GUIDE_W * p(x, lam, null)


def value_and_grad(fn, y):
    y = y.detach().clone().requires_grad_(True)
    v = fn(y)
    (g,) = torch.autograd.grad(v.sum(), y)
    return v.detach(), g.detach()


def sample_noise_off(pi, p, sched, x_T, label, null, out, prefix="sample", tweedie=True):
    """gen_samples / gen_guided_samples with p_with_noise and with_noise off.  The anchor
    coefficient is the schedule's (0 at the top level); tweedie=False (toy_example.py, whose
    Tweedie branch never runs) makes the output x_0 itself."""
    n = x_T.shape[0]
    dims = list(range(1, x_T.dim()))
    x = x_T.clone()
    if prefix == "sample":
        out["sample_x_T"] = x_T.clone()
    for i in range(T_LEVELS, 0, -1):
        lam_t, lam_s = full(sched["lambda"][i], n), full(sched["lambda"][i - 1], n)
        final = i == T_LEVELS
        with torch.no_grad():
            y = proposal_fn(p, lam_t, label, null)(x)
        out[f"{prefix}_L{i}_proposal"] = y.clone()
        E = energy_fn(pi, lam_s, label, null)
        anchor = 0.0 if final else sched["anchor"][i]
        x_i = x
        for _ in range(K_STEPS):
            y_var = y.detach().requires_grad_(True)
            en = E(y_var) - torch.sum((y_var - x_i) ** 2, dim=dims) * anchor
            (g,) = torch.autograd.grad(en.sum(), [y_var])
            y = y.detach() + 0.5 * g
        out[f"{prefix}_L{i}_refined"] = y.clone()
        x = y / (math.sqrt(sched["m"][i]) + 1e-8)
        out[f"{prefix}_L{i}_x_prev"] = x.clone()
    if not tweedie:
        out[f"{prefix}_output"] = x.clone()
        return
    E0 = energy_fn(pi, full(sched["lambda"][0], n), label, null)
    sqrt_m1 = math.sqrt(sched["m"][1])
    _, score = value_and_grad(lambda xx: E0(xx * sqrt_m1) / sched["tweedie_s2"], x)
    ab0 = sched["alpha_bar"][0]
    out[f"{prefix}_output"] = (x + (1.0 - ab0) * score) / math.sqrt(ab0)


def level_inputs(x0, gen, sched):
    """Per level i: (sqrt(m_i) x_{i-1}, x_i) noised from x0 with one eps for both (ALGORITHM.md
    section 5, variance reduction)."""
    inputs = {}
    for i in range(1, T_LEVELS + 1):
        eps = torch.randn(x0.shape, generator=gen)
        ab, abp = sched["alpha_bar"][i], sched["alpha_bar"][i - 1]
        x_i = math.sqrt(ab) * x0 + math.sqrt(1 - ab) * eps
        x_prev = math.sqrt(abp) * x0 + math.sqrt(1 - abp) * eps
        inputs[i] = (math.sqrt(sched["m"][i]) * x_prev, x_i)
    return inputs


def reference_outputs(pi_w, p_w, pi_ema, p_ema, sched, num_classes, seed):
    pi, p = pi_w.module, p_w.module
    pi.eval()
    p.eval()
    gen = torch.Generator().manual_seed(seed)
    out = {}
    label = null = None
    if num_classes:
        labels = torch.tensor([3, 7, 0, 9], dtype=torch.int64)
        label = labels + 1
        null = torch.zeros(BATCH, dtype=torch.int64)
        out["labels"] = labels
        out["labels_onehot_index"] = label.clone()
    x0 = smooth_images(gen, BATCH)
    inputs = level_inputs(x0, gen, sched)
    x_T = torch.randn((BATCH,) + IMAGE, generator=gen)

    # Raw weights (and raw u/v), eval mode.
    with torch.no_grad():
        for i in range(1, T_LEVELS + 1):
            y, x_i = inputs[i]
            lam_s, lam_t = full(sched["lambda"][i - 1]), full(sched["lambda"][i])
            out[f"ebm_raw_L{i}_pi"] = energy_fn(pi, lam_s, label, None)(y)
            out[f"init_raw_L{i}_proposal"] = proposal_fn(p, lam_t, label, None)(x_i)

    with ema_weights(pi_w, pi_ema["shadow_params"]), ema_weights(p_w, p_ema["shadow_params"]):
        for i in range(1, T_LEVELS + 1):
            y, x_i = inputs[i]
            lam_s, lam_t = full(sched["lambda"][i - 1]), full(sched["lambda"][i])
            out[f"ebm_L{i}_y"] = y
            out[f"ebm_L{i}_lambda"] = lam_s
            out[f"init_L{i}_x"] = x_i
            out[f"init_L{i}_lambda"] = lam_t
            with torch.no_grad():
                out[f"ebm_L{i}_emb"] = pi.embed(lam_s, label)
                out[f"init_L{i}_emb"] = p.embed(lam_t, label)
                out[f"init_L{i}_proposal"] = proposal_fn(p, lam_t, label, None)(x_i)
            out[f"ebm_L{i}_pi"], out[f"ebm_L{i}_grad"] = value_and_grad(
                energy_fn(pi, lam_s, label, None), y)
            if num_classes:
                with torch.no_grad():
                    out[f"ebm_L{i}_emb_null"] = pi.embed(lam_s, null)
                    out[f"ebm_L{i}_pi_null"] = pi(y, lam_s, null)
                    out[f"init_L{i}_emb_null"] = p.embed(lam_t, null)
                    out[f"init_L{i}_proposal_null"] = p(x_i, lam_t, null)
                    out[f"init_L{i}_proposal_guided_w1"] = proposal_fn(p, lam_t, label, null)(x_i)
                out[f"ebm_L{i}_pi_guided_w1"], out[f"ebm_L{i}_grad_guided_w1"] = value_and_grad(
                    energy_fn(pi, lam_s, label, null), y)
        sample_noise_off(pi, p, sched, x_T, label, null, out)
        if num_classes:
            shared = torch.full((BATCH,), SHARED_LABEL, dtype=torch.int64)
            out["shared_sample_label"] = torch.tensor([SHARED_LABEL], dtype=torch.int64)
            sample_noise_off(pi, p, sched, x_T, shared + 1, null, out, prefix="shared_sample")

    out["schedule_lambda_f32_authors"] = authors_lambda_f32()
    for key in ("lambda", "alpha_bar", "r", "beta", "beta_tilde", "m", "c", "s2", "anchor",
                "proposal_std"):
        out[f"schedule_{key}"] = torch.tensor(sched[key], dtype=torch.float64)
    out["schedule_tweedie_s2"] = torch.tensor([sched["tweedie_s2"]], dtype=torch.float64)
    out["schedule_T_K"] = torch.tensor([T_LEVELS, K_STEPS], dtype=torch.int64)
    out["schedule_lambda_min_max"] = torch.tensor([LAMBDA_MIN, LAMBDA_MAX], dtype=torch.float64)
    for k, v in out.items():
        assert torch.isfinite(v.double()).all(), k
    return out


# ----------------------------------------------------------------------------------------------
# Fixtures
# ----------------------------------------------------------------------------------------------

REDUCED = {
    "uncond": {
        "ebm": dict(width=16, ch_mult=(1, 2, 2, 2), n_blocks=2, in_channels=3, num_classes=0),
        "initializer": dict(dim=32, dim_mults=(1, 1, 1), channels=3, im_sz=32,
                            attn_resolutions=(16, 8), num_res_blocks=3, num_classes=0),
        "seed": 1001, "first_name": "best.pth.tar", "collected": True,
    },
    "cond": {
        "ebm": dict(width=16, ch_mult=(1, 2, 2, 2), n_blocks=2, in_channels=3, num_classes=10),
        "initializer": dict(dim=32, dim_mults=(1, 1, 1), channels=3, im_sz=32,
                            attn_resolutions=(16, 8), num_res_blocks=2, num_classes=10),
        "seed": 2002, "first_name": "400000.pth.tar", "collected": False,
    },
}

CIFAR = {
    "ebm": dict(width=128, ch_mult=(1, 2, 2, 2), n_blocks=8, in_channels=3, num_classes=0),
    "initializer": dict(dim=64, dim_mults=(1, 1, 1), channels=3, im_sz=32,
                        attn_resolutions=(16, 8), num_res_blocks=3, num_classes=0),
}

# temb_final is scaled so that the EBM's gradient is moderate and the sampling run stays bounded.
HEAD_SCALE = 0.2


def count(module):
    return sum(p.numel() for p in module.parameters())


def make_optimizers(pi_w, p_w):
    pi_opt = torch.optim.Adam(pi_w.parameters(), lr=PI_LR, betas=(0.9, 0.999))
    p_opt = torch.optim.AdamW(p_w.parameters(), lr=P_LR, betas=(0.9, 0.999), weight_decay=0.0)
    p_sched = torch.optim.lr_scheduler.LambdaLR(p_opt, lr_lambda=lr_lambda_p, last_epoch=-1)
    pi_sched = torch.optim.lr_scheduler.LambdaLR(pi_opt, lr_lambda=lr_lambda_pi, last_epoch=-1)
    return pi_opt, p_opt, pi_sched, p_sched


def build_reduced(name, cfg, out_dir, sched):
    torch.manual_seed(cfg["seed"])
    gen = torch.Generator().manual_seed(cfg["seed"] + 1)
    pi_w = DDPLike(OfficialEBM(**cfg["ebm"]))
    p_w = DDPLike(OfficialUNet(**cfg["initializer"]))
    perturb(pi_w, gen)
    perturb(p_w, gen)
    with torch.no_grad():
        pi_w.module.temb_final.weight.mul_(HEAD_SCALE)
    pi_opt, p_opt, pi_sched, p_sched = make_optimizers(pi_w, p_w)
    training_step(pi_w, p_w, pi_opt, p_opt, pi_sched, p_sched, sched, gen,
                  cfg["ebm"]["num_classes"])
    pi_ema = ema_state(pi_w, gen, 0.05, cfg["collected"])
    p_ema = ema_state(p_w, gen, 0.05, cfg["collected"])
    ckpt = {
        "pi_state_dict": pi_w.state_dict(),
        "p_state_dict": p_w.state_dict(),
        "pi_ema_state_dict": pi_ema,
        "p_ema_state_dict": p_ema,
        "pi_optimizer": pi_opt.state_dict(),
        "p_optimizer": p_opt.state_dict(),
        "p_lr_scheduler": p_sched.state_dict(),
        "pi_lr_scheduler": pi_sched.state_dict(),
    }
    path = os.path.join(out_dir, name + ".pth.tar")
    save_published(ckpt, path, cfg["first_name"], optimizer_cpu_ptrs(pi_opt, p_opt))
    outputs = reference_outputs(pi_w, p_w, pi_ema, p_ema, sched, cfg["ebm"]["num_classes"],
                                cfg["seed"] + 2)
    return path, ckpt, outputs, pi_w, p_w


def converge_spectral_norm(module, iterations=30):
    """Power-iterates every spectral-norm layer's weight_u/weight_v to convergence, as long
    training leaves them (fresh random u, v make u.(W v) a poor, even negative, sigma)."""
    with torch.no_grad():
        for m in module.modules():
            if hasattr(m, "weight_u"):
                w = m.weight_orig.reshape(m.weight_orig.shape[0], -1)
                u, v = m.weight_u, m.weight_v
                for _ in range(iterations):
                    v.copy_(torch.nn.functional.normalize(w.t() @ u, dim=0, eps=1e-12))
                    u.copy_(torch.nn.functional.normalize(w @ v, dim=0, eps=1e-12))


def build_cifar(out_dir, published_size=False):
    """The published CIFAR-10 shapes with random weights. published_size also stores what the
    authors' file holds besides the weights (collected EMA copies, Adam moments after a step), so
    the archive is about as large as the published one (~774 MB)."""
    torch.manual_seed(3003)
    pi_w = DDPLike(OfficialEBM(**CIFAR["ebm"]))
    p_w = DDPLike(OfficialUNet(**CIFAR["initializer"]))
    converge_spectral_norm(pi_w)
    pi_opt, p_opt, pi_sched, p_sched = make_optimizers(pi_w, p_w)
    collected = {"pi": None, "p": None}
    if published_size:
        for net, opt in ((pi_w, pi_opt), (p_w, p_opt)):
            for q in net.parameters():
                q.grad = torch.zeros_like(q)
            opt.step()
            opt.zero_grad(set_to_none=True)
        collected = {"pi": [q.detach().clone() for q in pi_w.parameters()],
                     "p": [q.detach().clone() for q in p_w.parameters()]}
    ckpt = {
        "pi_state_dict": pi_w.state_dict(),
        "p_state_dict": p_w.state_dict(),
        "pi_ema_state_dict": {"decay": EMA_DECAY, "num_updates": 0,
                              "shadow_params": [q.detach().clone() for q in pi_w.parameters()],
                              "collected_params": collected["pi"]},
        "p_ema_state_dict": {"decay": EMA_DECAY, "num_updates": 0,
                             "shadow_params": [q.detach().clone() for q in p_w.parameters()],
                             "collected_params": collected["p"]},
        "pi_optimizer": pi_opt.state_dict(),  # unstepped unless published_size
        "p_optimizer": p_opt.state_dict(),
        "p_lr_scheduler": p_sched.state_dict(),
        "pi_lr_scheduler": pi_sched.state_dict(),
    }
    path = os.path.join(out_dir, "cifar_full.pth.tar")
    save_published(ckpt, path, "best.pth.tar", set())
    return path, ckpt, count(pi_w), count(p_w)


# ----------------------------------------------------------------------------------------------
# 2-D toy pair: toy_example.py (ebm_mlp, ResnetBlock, unet_mlp, Unet_ResnetBlock, Langevin,
# gen_samples and its training loop)
# ----------------------------------------------------------------------------------------------

TOY_SZ_CONST = 1e-3  # sz_const: Langevin variance 2 sz_const c beta_i, anchor sz_const c
TOY_BATCH = 8
TOY_MUL = 4.0  # `mul`: the data's unit cells scaled by 4, points within +-8
TOY_PI_LR, TOY_P_LR = 3e-6, 1e-5
# final_dense (the EBM readout) is scaled so that Langevin moves stay moderate (docstring).
TOY_HEAD_SCALE = 0.25
# The 8 cells (i, j), i, j in -2..1, with i + j odd, of a 4x4 checkerboard: the toy data's squares.
TOY_CELLS = [(i, j) for i in range(-2, 2) for j in range(-2, 2) if (i + j) % 2 == 1]

TOY = {
    "ebm": dict(temb_dim=32, ch_mult=(1, 2, 2, 2), n_blocks=1, in_channel=2, use_sn=True),
    "initializer": dict(t_dim=32, h_dim=64, n_layer=2),
    "seed": 4004, "first_name": "0.pth.tar",
}


class ToyEBMBlock(nn.Module):
    """ResnetBlock of toy_example.py: Linear layers, gain g of shape [1, C]."""

    def __init__(self, cin, cout, emb_width, use_sn=True):
        super().__init__()
        self.conv1 = maybe_sn(nn.Linear(cin, cout), use_sn)
        self.conv2 = maybe_sn(nn.Linear(cout, cout), use_sn)
        self.temb_map = maybe_sn(nn.Linear(emb_width, cout), use_sn)
        self.g = nn.Parameter(torch.ones(1, cout))
        if cin != cout:
            self.short_cut = maybe_sn(nn.Linear(cin, cout), use_sn)
        else:
            self.short_cut = nn.Identity()

    def forward(self, x, emb):
        h = self.conv1(lrelu(x)) + lrelu(self.temb_map(lrelu(emb)))
        h = self.conv2(lrelu(h)) * self.g
        return h + self.short_cut(x)


class ToyEBM(nn.Module):
    """ebm_mlp of toy_example.py (act_fn 'lrelu', add_q off): pi(y; lam) -> [B]."""

    def __init__(self, temb_dim=128, ch_mult=(1, 2, 2, 2), n_blocks=1, in_channel=2, use_sn=True):
        super().__init__()
        self.temb_dim = temb_dim
        emb_width = 4 * temb_dim
        self.temb_map1 = maybe_sn(nn.Linear(temb_dim, emb_width), use_sn)
        self.temb_map2 = maybe_sn(nn.Linear(emb_width, emb_width), use_sn)
        layers = [maybe_sn(nn.Linear(in_channel, temb_dim), use_sn)]
        cin = temb_dim
        for mult in ch_mult:
            for _ in range(n_blocks):
                layers.append(ToyEBMBlock(cin, temb_dim * mult, emb_width, use_sn))
                cin = temb_dim * mult
        self.module_list = nn.ModuleList(layers)
        self.final_dense = nn.Linear(cin, 1, bias=False)

    def embed(self, lam):
        emb = ebm_sinusoid(level_input(lam), self.temb_dim)
        return self.temb_map2(lrelu(self.temb_map1(emb)))

    def forward(self, y, lam):
        emb = self.embed(lam)
        h = self.module_list[0](y)
        for block in self.module_list[1:]:
            h = block(h, emb)
        return torch.sum(self.final_dense(F.relu(h)), dim=1)


class ToyInitBlock(nn.Module):
    """Unet_ResnetBlock of toy_example.py: GroupNorm(32) on [B, C] vectors, Linear layers."""

    def __init__(self, dim, dim_out, t_dim):
        super().__init__()
        self.norm1 = nn.GroupNorm(32, dim, eps=1e-6)
        self.norm2 = nn.GroupNorm(32, dim_out, eps=1e-6)
        self.conv1 = nn.Linear(dim, dim_out)
        self.conv2 = nn.Linear(dim_out, dim_out)
        with torch.no_grad():
            self.conv2.weight.zero_()
        self.mlp = nn.Sequential(nn.SiLU(), nn.Linear(t_dim, 2 * dim_out))
        self.res_conv = nn.Linear(dim, dim_out) if dim != dim_out else nn.Identity()

    def forward(self, x, t):
        h = self.conv1(F.silu(self.norm1(x)))
        scale, shift = self.mlp(t).chunk(2, dim=1)
        h = self.norm2(h) * (1.0 + scale) + shift
        return self.conv2(F.silu(h)) + self.res_conv(x)


class ToyInitializer(nn.Module):
    """unet_mlp of toy_example.py: p(x; lam) = x + final_dense(silu(blocks(h1(x)))) -> [B, 2]."""

    def __init__(self, t_dim=128, h_dim=64, n_layer=1):
        super().__init__()
        self.t_dim = t_dim
        self.h1 = nn.Linear(2, h_dim)
        self.temb_map = nn.Sequential(nn.Linear(t_dim, t_dim), nn.SiLU(), nn.Linear(t_dim, t_dim))
        self.final_dense = nn.Linear(h_dim, 2, bias=False)
        with torch.no_grad():
            self.final_dense.weight.zero_()
        self.module_list = nn.ModuleList([ToyInitBlock(h_dim, h_dim, t_dim)
                                          for _ in range(n_layer)])

    def embed(self, lam):
        return self.temb_map(ebm_sinusoid(level_input(lam), self.t_dim))

    def forward(self, x, lam):
        t = self.embed(lam)
        h = self.h1(x)
        for block in self.module_list:
            h = block(h, t)
        return x + self.final_dense(F.silu(h))


def make_toy_schedule():
    """The image schedule with toy_example.py's constants: c_i = 1/sqrt(1 - sigmoid(lam_max))
    at every level (`ct_square`), s2_i = 2 sz_const c beta_i, anchor_i = sz_const c (i < T)."""
    s = make_schedule()
    del s["tweedie_s2"]
    coeff = 1.0 / (1.0 + math.exp(-LAMBDA_MAX))
    c = 1.0 / math.sqrt(1.0 - coeff)
    for i in range(1, T_LEVELS + 1):
        s["c"][i] = c
        s["s2"][i] = 2.0 * TOY_SZ_CONST * c * s["beta"][i]
        s["anchor"][i] = TOY_SZ_CONST * c if i < T_LEVELS else 0.0
    return s


def toy_points(gen, n):
    """Uniform points on the toy data's 8 squares (side TOY_MUL, within +-2 TOY_MUL)."""
    cell = torch.randint(0, len(TOY_CELLS), (n,), generator=gen)
    corner = torch.tensor(TOY_CELLS, dtype=torch.float32)[cell]
    return (corner + torch.rand((n, 2), generator=gen)) * TOY_MUL


def toy_training_step(pi, p, pi_opt, p_opt, pi_sched, p_sched, sched, gen, n=32):
    """One iteration shaped like toy_example.py's loop (its Langevin with noise in the middle),
    then two more training-mode EBM forwards: spectral-norm u/v after three power iterations."""
    x0 = toy_points(gen, n)
    levels = [int(i) for i in torch.randint(1, T_LEVELS + 1, (n,), generator=gen)]

    def col(key, shift=0):
        return torch.tensor([sched[key][i - shift] for i in levels], dtype=torch.float32)

    lam_t, lam_s = col("lambda"), col("lambda", 1)
    ab_t = torch.sigmoid(lam_t.double()).float()[:, None]
    ab_s = torch.sigmoid(lam_s.double()).float()[:, None]
    m, beta = col("m")[:, None], col("beta")[:, None]
    eps = torch.randn(x0.shape, generator=gen)
    xt = ab_t.sqrt() * x0 + (1 - ab_t).sqrt() * eps
    xs = ab_s.sqrt() * x0 + (1 - ab_s).sqrt() * eps
    weight = math.sqrt(sched["beta"][1]) / beta.sqrt()[:, 0]  # pi_loss_weight
    pi_opt.zero_grad()
    p_opt.zero_grad()
    pi.train()
    pos = pi(xs * m.sqrt(), lam_s)  # power iteration 1
    p.train()
    prop = p(xt, lam_t) + (col("beta_tilde")[:, None] * m).sqrt() * torch.randn(
        xt.shape, generator=gen)
    pi.eval()
    y = prop.detach()
    anchor, s2 = col("anchor")[:, None], col("s2")[:, None]
    for _ in range(K_STEPS):
        y_var = y.requires_grad_(True)
        en = pi(y_var, lam_s) - torch.sum((y_var - xt) ** 2, dim=1) * anchor[:, 0]
        (g,) = torch.autograd.grad(en.sum(), [y_var])
        y = (y.detach() + 0.5 * g + s2.sqrt() * torch.randn(y.shape, generator=gen)).detach()
    y = y / (m.sqrt() + 1e-8)
    neg = pi(y * m.sqrt(), lam_s)
    ((neg * weight).mean() - (pos * weight).mean()).backward()
    torch.nn.utils.clip_grad_norm_(pi.parameters(), max_norm=1.0)
    pi_opt.step()
    pi_sched.step()
    ((y * m.sqrt() - prop) ** 2).sum(dim=1).mean().backward()
    torch.nn.utils.clip_grad_norm_(p.parameters(), max_norm=1.0)
    p_opt.step()
    p_sched.step()
    pi.train()
    with torch.no_grad():
        pi(xs * m.sqrt(), lam_s)  # power iterations 2 and 3
        pi(y * m.sqrt(), lam_s)
    pi.eval()
    p.eval()


def toy_reference_outputs(pi, p, pi_ema, p_ema, sched, seed):
    pi.eval()
    p.eval()
    B = TOY_BATCH
    gen = torch.Generator().manual_seed(seed)
    out = {}
    x0 = toy_points(gen, B)
    inputs = level_inputs(x0, gen, sched)
    x_T = torch.randn((B, 2), generator=gen)

    with torch.no_grad():  # raw weights (and raw u/v), eval mode
        for i in range(1, T_LEVELS + 1):
            y, x_i = inputs[i]
            out[f"ebm_raw_L{i}_pi"] = pi(y, full(sched["lambda"][i - 1], B))
            out[f"init_raw_L{i}_proposal"] = p(x_i, full(sched["lambda"][i], B))

    with ema_weights(pi, pi_ema["shadow_params"]), ema_weights(p, p_ema["shadow_params"]):
        for i in range(1, T_LEVELS + 1):
            y, x_i = inputs[i]
            lam_s, lam_t = full(sched["lambda"][i - 1], B), full(sched["lambda"][i], B)
            out[f"ebm_L{i}_y"] = y
            out[f"ebm_L{i}_lambda"] = lam_s
            out[f"init_L{i}_x"] = x_i
            out[f"init_L{i}_lambda"] = lam_t
            with torch.no_grad():
                out[f"ebm_L{i}_emb"] = pi.embed(lam_s)
                out[f"init_L{i}_emb"] = p.embed(lam_t)
                out[f"init_L{i}_proposal"] = p(x_i, lam_t)
            out[f"ebm_L{i}_pi"], out[f"ebm_L{i}_grad"] = value_and_grad(
                lambda yy: pi(yy, lam_s), y)
        sample_noise_off(pi, p, sched, x_T, None, None, out, tweedie=False)

    out["schedule_lambda_f32_authors"] = authors_lambda_f32()
    for key in ("lambda", "alpha_bar", "r", "beta", "beta_tilde", "m", "c", "s2", "anchor",
                "proposal_std"):
        out[f"schedule_{key}"] = torch.tensor(sched[key], dtype=torch.float64)
    out["schedule_T_K"] = torch.tensor([T_LEVELS, K_STEPS], dtype=torch.int64)
    out["schedule_lambda_min_max"] = torch.tensor([LAMBDA_MIN, LAMBDA_MAX], dtype=torch.float64)
    out["schedule_sz_const"] = torch.tensor([TOY_SZ_CONST], dtype=torch.float64)
    for k, v in out.items():
        assert torch.isfinite(v.double()).all(), k
    return out


def build_toy(out_dir, sched):
    """toy.pth.tar in toy_example.py's save_dict layout, and its reference outputs."""
    cfg = TOY
    torch.manual_seed(cfg["seed"])
    gen = torch.Generator().manual_seed(cfg["seed"] + 1)
    pi = ToyEBM(**cfg["ebm"])
    p = ToyInitializer(**cfg["initializer"])
    perturb(pi, gen)
    perturb(p, gen)
    with torch.no_grad():
        pi.final_dense.weight.mul_(TOY_HEAD_SCALE)
    pi_opt = torch.optim.Adam(pi.parameters(), lr=TOY_PI_LR, betas=(0.9, 0.999))
    p_opt = torch.optim.AdamW(p.parameters(), lr=TOY_P_LR, betas=(0.9, 0.999), weight_decay=0.0)
    p_sched = torch.optim.lr_scheduler.LambdaLR(p_opt, lr_lambda=lr_lambda_p, last_epoch=-1)
    pi_sched = torch.optim.lr_scheduler.LambdaLR(pi_opt, lr_lambda=lr_lambda_pi, last_epoch=-1)
    toy_training_step(pi, p, pi_opt, p_opt, pi_sched, p_sched, sched, gen)
    pi_ema = ema_state(pi, gen, 0.05, False)
    p_ema = ema_state(p, gen, 0.05, False)
    ckpt = {  # no schedulers: the toy script's save_dict leaves them out
        "pi_state_dict": pi.state_dict(),
        "p_state_dict": p.state_dict(),
        "pi_ema_state_dict": pi_ema,
        "p_ema_state_dict": p_ema,
        "pi_optimizer": pi_opt.state_dict(),
        "p_optimizer": p_opt.state_dict(),
    }
    path = os.path.join(out_dir, "toy.pth.tar")
    save_published(ckpt, path, cfg["first_name"], optimizer_cpu_ptrs(pi_opt, p_opt))
    outputs = toy_reference_outputs(pi, p, pi_ema, p_ema, sched, cfg["seed"] + 2)
    return path, ckpt, outputs, pi, p


def key_listing(title, ckpt):
    lines = [f"## {title}"]
    for part in ("pi_state_dict", "p_state_dict"):
        sd = ckpt[part]
        lines.append(f"### {part} ({len(sd)} keys)")
        for k, v in sd.items():
            lines.append(f"{k} {list(v.shape)}")
    for part in ("pi_ema_state_dict", "p_ema_state_dict"):
        e = ckpt[part]
        col = e["collected_params"]
        lines.append(f"### {part}: decay {e['decay']}, num_updates {e['num_updates']}, "
                     f"shadow_params {len(e['shadow_params'])} tensors, collected_params "
                     + ("None" if col is None else f"{len(col)} tensors"))
    for part in ("pi_optimizer", "p_optimizer"):
        o = ckpt[part]
        g = {k: v for k, v in o["param_groups"][0].items() if k != "params"}
        st = o["state"]
        first = st[min(st)] if st else {}
        lines.append(f"### {part}: {len(st)} state entries "
                     f"{sorted(first.keys())}; param_groups[0] {g}")
    for part in ("pi_lr_scheduler", "p_lr_scheduler"):
        if part in ckpt:  # toy.pth.tar has none
            lines.append(f"### {part}: {ckpt[part]}")
    return lines


def jsonable(cfg):
    return {k: list(v) if isinstance(v, tuple) else v for k, v in cfg.items()}


def record_fixture(out_dir, name, cfg, path, ckpt, outputs, pi_w, p_w, meta, manifest, listing,
                   t0):
    """Writes NAME_outputs.safetensors, checks the archive and records it in the manifest."""
    meta = dict(meta)
    meta["config"] = json.dumps({"ebm": jsonable(cfg["ebm"]),
                                 "initializer": jsonable(cfg["initializer"])}, sort_keys=True)
    meta["checkpoint"] = os.path.basename(path)
    out_path = os.path.join(out_dir, name + "_outputs.safetensors")
    write_safetensors(out_path, outputs, meta)
    back, back_meta = read_safetensors(out_path)
    assert set(back) == set(outputs) and back_meta["config"] == meta["config"]
    for k, v in outputs.items():
        assert torch.equal(back[k], v.detach().cpu()), k
    info = inspect_archive(path)
    allowed = {".".join(g) for g in ALLOWED_GLOBALS}
    assert set(info["globals"]) <= allowed, info["globals"]
    assert info["pkl_has_cuda0"] and info["folder_differs_from_stem"], info
    assert info["top_keys"] == list(ckpt.keys()), info["top_keys"]
    # The checkpoint loads back (CPU) and the EMA shadows zip onto the state-dict keys.
    loaded = torch.load(path, map_location="cpu")
    for net in ("pi", "p"):
        keys = [k for k in loaded[f"{net}_state_dict"]
                if not k.endswith(("weight_u", "weight_v"))]
        shadows = loaded[f"{net}_ema_state_dict"]["shadow_params"]
        assert len(keys) == len(shadows)
        for k, s in zip(keys, shadows):
            assert loaded[f"{net}_state_dict"][k].shape == s.shape, k
    sample = outputs["sample_output"]
    manifest["fixtures"][name] = {
        "checkpoint": os.path.basename(path),
        "outputs": os.path.basename(out_path),
        "config": {"ebm": jsonable(cfg["ebm"]), "initializer": jsonable(cfg["initializer"])},
        "params": {"pi": count(pi_w), "p": count(p_w)},
        "archive": info,
        "outputs_size_bytes": os.path.getsize(out_path),
        "outputs_tensors": len(outputs),
        "sample_output_abs_max": float(sample.abs().max()),
        "seconds": round(time.time() - t0, 2),
    }
    listing += key_listing(f"{os.path.basename(path)} ({info['archive_folder']}/ inside)",
                           ckpt) + [""]
    print(f"{name}: pi {count(pi_w)} params, p {count(p_w)} params; "
          f"{info['size_bytes']} B checkpoint, {os.path.getsize(out_path)} B outputs; "
          f"|sample| max {float(sample.abs().max()):.3f}; {time.time() - t0:.1f} s")
    print(f"  archive folder {info['archive_folder']!r}, locations "
          f"{info['storage_locations']}, globals {info['globals']}")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("out_dir")
    ap.add_argument("--full-cifar", action="store_true")
    ap.add_argument("--published-size", action="store_true",
                    help="with --full-cifar: also the collected EMA copies and Adam moments")
    ap.add_argument("--keys-out", default=None)
    args = ap.parse_args()
    os.makedirs(args.out_dir, exist_ok=True)
    torch.set_num_threads(1)  # reduction order fixed: byte-identical reruns
    sched = make_schedule()
    toy_sched = make_toy_schedule()
    manifest = {"torch": torch.__version__, "fixtures": {}}
    listing = []
    t_start = time.time()
    for name, cfg in REDUCED.items():
        t0 = time.time()
        path, ckpt, outputs, pi_w, p_w = build_reduced(name, cfg, args.out_dir, sched)
        meta = {
            "weights": "EMA shadow_params copied into the parameters, raw weight_u/weight_v, "
                       "eval mode (raw_* tensors: raw weights)",
            "sampler": f"T={T_LEVELS} K={K_STEPS} lambda=[{LAMBDA_MIN},{LAMBDA_MAX}] noise off",
            "guidance_w": str(GUIDE_W) if cfg["ebm"]["num_classes"] else "none",
        }
        record_fixture(args.out_dir, name, cfg, path, ckpt, outputs, pi_w, p_w, meta, manifest,
                       listing, t0)
    t0 = time.time()
    path, ckpt, outputs, pi, p = build_toy(args.out_dir, toy_sched)
    meta = {
        "weights": "EMA shadow_params copied into the parameters, raw weight_u/weight_v, "
                   "eval mode (raw_* tensors: raw weights)",
        "sampler": f"toy_example.py: T={T_LEVELS} K={K_STEPS} lambda=[{LAMBDA_MIN},{LAMBDA_MAX}] "
                   f"sz_const={TOY_SZ_CONST} c=1/sqrt(1-sigmoid(lambda_max)) noise off, "
                   "no Tweedie step",
        "guidance_w": "none",
    }
    record_fixture(args.out_dir, "toy", TOY, path, ckpt, outputs, pi, p, meta, manifest, listing,
                   t0)
    if args.full_cifar:
        t0 = time.time()
        path, ckpt, n_pi, n_p = build_cifar(args.out_dir, args.published_size)
        info = inspect_archive(path)
        assert set(info["globals"]) <= {".".join(g) for g in ALLOWED_GLOBALS}
        manifest["fixtures"]["cifar_full"] = {
            "checkpoint": os.path.basename(path),
            "config": {"ebm": jsonable(CIFAR["ebm"]),
                       "initializer": jsonable(CIFAR["initializer"])},
            "params": {"pi": n_pi, "p": n_p},
            "archive": info,
            "seconds": round(time.time() - t0, 2),
        }
        listing += key_listing("cifar_full.pth.tar (published CIFAR-10 shapes)", ckpt) + [""]
        print(f"cifar_full: pi {n_pi} params ({n_pi / 1e6:.2f} M), p {n_p} params "
              f"({n_p / 1e6:.2f} M); {info['size_bytes']} B; {time.time() - t0:.1f} s")
    with open(os.path.join(args.out_dir, "manifest.json"), "w") as f:
        json.dump(manifest, f, indent=1, sort_keys=True)
        f.write("\n")
    if args.keys_out:
        with open(args.keys_out, "w") as f:
            f.write("# State-dict keys and shapes of the fixtures written by "
                    "make_official_fixtures.py (generated; do not edit)\n\n")
            f.write("\n".join(listing))
    print(f"done in {time.time() - t_start:.1f} s")


if __name__ == "__main__":
    main()
