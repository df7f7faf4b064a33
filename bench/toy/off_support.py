#!/usr/bin/python3
"""How much of a 2-D model's sample lies off the data's support — the haze between thin
structures that the energy distance of centred, unit-scale shapes barely sees (docs/models.md,
"The toy2d study"). For each point, the distance to its nearest neighbour in a reference draw of
the data; a second draw of the data sets the floor. Prints the median of those distances (model
and second draw) and the share of model points farther than the second draw's 99th percentile
(0.01 for a perfect model).
Usage: off_support.py SAMPLES.csv REFERENCE.csv SECOND_DRAW.csv   (CSV with a header line)"""
import sys

import numpy as np


def read(path):
    return np.loadtxt(path, delimiter=",", skiprows=1)


def nearest(points, reference, chunk=1000):
    out = []
    for start in range(0, len(points), chunk):
        d = points[start:start + chunk, None, :] - reference[None, :, :]
        out.append(np.sqrt((d ** 2).sum(-1)).min(1))
    return np.concatenate(out)


samples, reference, second = (read(p) for p in sys.argv[1:4])
model = nearest(samples, reference)
floor = nearest(second, reference)
cut = np.quantile(floor, 0.99)
print(f"median nearest distance: model {np.median(model):.4f}, second draw {np.median(floor):.4f}; "
      f"share beyond the second draw's 99th percentile ({cut:.4f}): {(model > cut).mean():.3f}")
