#!/usr/bin/python3
"""A user's own 2-D point set for the toy2d study (docs/models.md): a spiral with several thin
arms, written as CSV with a header. Usage: make_spiral.py OUT.csv [N=20000] [ARMS=3] [SEED=0]"""
import sys

import numpy as np

out = sys.argv[1]
n = int(sys.argv[2]) if len(sys.argv) > 2 else 20000
arms = int(sys.argv[3]) if len(sys.argv) > 3 else 3
rng = np.random.default_rng(int(sys.argv[4]) if len(sys.argv) > 4 else 0)
t = np.sqrt(rng.uniform(0.02, 1.0, n))          # even density along each arm's length
arm = rng.integers(0, arms, n)
angle = 3.0 * np.pi * t + 2.0 * np.pi * arm / arms
radius = 4.0 * t
points = np.stack([radius * np.cos(angle), radius * np.sin(angle)], axis=1)
points += rng.normal(scale=0.06, size=points.shape)  # thin: arms 0.06 wide, 1.3 apart at the rim
np.savetxt(out, points, delimiter=",", header="x,y", comments="", fmt="%.6f")
