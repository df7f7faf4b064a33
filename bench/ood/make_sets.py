#!/usr/bin/python3
"""Out-of-distribution image sets for the Fashion-MNIST OOD study (docs/models.md).

Writes 28x28 grey PGM folders under OUT: noise/ (Gaussian noise), uniform/ (uniform noise),
constant/ (one random grey level per image), inverted/ and vflipped/ (the first N Fashion-MNIST
test images with inverted intensity / flipped upside down) and digits/ (scikit-learn's 8x8
handwritten digits, bilinearly upscaled to 28x28).
Needs Debian's python3-numpy, python3-torch and python3-sklearn (run with /usr/bin/python3).
Usage: make_sets.py OUT [N] [FASHION_MNIST_DIR]
"""
import gzip
import os
import sys

import numpy as np
import torch
import torch.nn.functional as F
from sklearn.datasets import load_digits


def read_idx_images(path):
    with gzip.open(path, "rb") as f:
        data = f.read()
    n, rows, cols = (int.from_bytes(data[k:k + 4], "big") for k in (4, 8, 12))
    return np.frombuffer(data, np.uint8, offset=16).reshape(n, rows, cols)


def write_pgm_folder(folder, images):
    os.makedirs(folder, exist_ok=True)
    for k, image in enumerate(images):
        with open(os.path.join(folder, f"{k:05d}.pgm"), "wb") as f:
            f.write(b"P5 %d %d 255\n" % (image.shape[1], image.shape[0]))
            f.write(np.ascontiguousarray(image, np.uint8).tobytes())


def main():
    out = sys.argv[1]
    n = int(sys.argv[2]) if len(sys.argv) > 2 else 1000
    fmnist_dir = sys.argv[3] if len(sys.argv) > 3 else "/usr/share/datasets/fashion-mnist"
    rng = np.random.default_rng(0)
    test = read_idx_images(os.path.join(fmnist_dir, "t10k-images-idx3-ubyte.gz"))[:n]
    noise = np.clip(127.5 + 64.0 * rng.standard_normal((n, 28, 28)), 0, 255).round()
    digits = load_digits().images[:n] / 16.0  # 8x8 in [0, 1]
    upscaled = F.interpolate(torch.tensor(digits, dtype=torch.float32)[:, None], size=(28, 28),
                             mode="bilinear", align_corners=False)[:, 0].numpy()
    uniform = rng.integers(0, 256, (n, 28, 28))
    constant = np.repeat(rng.integers(0, 256, (n, 1, 1)), 28 * 28).reshape(n, 28, 28)
    write_pgm_folder(os.path.join(out, "noise"), noise)
    write_pgm_folder(os.path.join(out, "uniform"), uniform)
    write_pgm_folder(os.path.join(out, "constant"), constant)
    write_pgm_folder(os.path.join(out, "inverted"), 255 - test)
    write_pgm_folder(os.path.join(out, "vflipped"), test[:, ::-1, :])
    write_pgm_folder(os.path.join(out, "digits"), np.clip(upscaled * 255, 0, 255).round())


if __name__ == "__main__":
    main()
