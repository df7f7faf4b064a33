#!/usr/bin/python3
"""A fresh draw of `toy:rings` (core/data/toy_data.cpp: radii 0.25, 0.5, 0.75, each point on one
ring at random, Gaussian noise 0.025) as CSV, the reference and second draw of off_support.py.
Usage: make_rings.py OUT.csv [N=5000] [SEED=1]"""
import sys

import numpy as np

out = sys.argv[1]
n = int(sys.argv[2]) if len(sys.argv) > 2 else 5000
rng = np.random.default_rng(int(sys.argv[3]) if len(sys.argv) > 3 else 1)
radius = np.array([0.25, 0.5, 0.75])[rng.integers(0, 3, n)]
angle = rng.uniform(0.0, 2.0 * np.pi, n)
points = np.stack([radius * np.cos(angle), radius * np.sin(angle)], axis=1)
points += rng.normal(scale=0.025, size=points.shape)
np.savetxt(out, points, delimiter=",", header="x,y", comments="", fmt="%.6f")
