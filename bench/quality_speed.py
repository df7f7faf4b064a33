#!/usr/bin/env python3
"""Quality against speed for K' Langevin steps per level (issue 5, item 4).

Runs `cdrl eval` on a model for K' = 15, 8, 5, 3 (the paper's step-size adjustment, §4), then
writes a markdown table and a plot of the Fréchet distance and images/s against K', beside the
paper's CIFAR-10 FID for the same K' (4.31, 4.58, 5.37, 9.67) as the shape to compare with.

    cmake --build build/cpu-release --target cdrl
    /usr/bin/python3 bench/quality_speed.py            # ~2 min on the 2-core machine

Needs matplotlib (Debian: python3-matplotlib) for the plot; `--from-json` replots a saved run.
"""

import argparse
import json
import os
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PAPER_CIFAR10_FID = {15: 4.31, 8: 4.58, 5: 5.37, 3: 9.67}  # ALGORITHM.md, K' table


def parse_args():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    models = os.path.join(ROOT, "resources", "models")
    p.add_argument("--cdrl", default=os.path.join(ROOT, "build", "cpu-release", "app", "cdrl"))
    p.add_argument("--checkpoint", default=os.path.join(models, "fmnist-tiny.safetensors"))
    p.add_argument("--classifier", default=os.path.join(models, "fmnist-classifier.safetensors"))
    p.add_argument("-n", "--count", type=int, default=400, help="samples per K' (default 400)")
    p.add_argument("--steps", default="15,8,5,3")
    p.add_argument("--json", default=os.path.join(ROOT, "out", "bench", "quality_speed.json"))
    p.add_argument("--plot", default=os.path.join(ROOT, "docs", "quality-speed.png"))
    p.add_argument("--from-json", action="store_true", help="replot --json, run nothing")
    return p.parse_args()


def run_eval(a):
    for path, what in ((a.cdrl, "the cdrl binary (build it first)"), (a.checkpoint, "the model"),
                       (a.classifier, "the classifier")):
        if not os.path.exists(path):
            sys.exit(f"quality_speed: {what} not found: {path}")
    os.makedirs(os.path.dirname(a.json), exist_ok=True)
    cmd = [a.cdrl, "eval", a.checkpoint, "--classifier", a.classifier, "-n", str(a.count),
           "--steps", *a.steps.split(","), "--guidance", "0", "--json", a.json]
    print("$", " ".join(os.path.relpath(c, ROOT) if c.startswith(ROOT) else c for c in cmd),
          flush=True)
    subprocess.run(cmd, check=True)


def table(rows):
    base = rows[0]
    lines = ["| K' | Fréchet distance (classifier features) | vs K' = 15 | images/s | speed vs K' = 15 "
             "| paper CIFAR-10 FID | vs K' = 15 |", "|---|---|---|---|---|---|---|"]
    for r in rows:
        k = r["steps"]
        paper = PAPER_CIFAR10_FID.get(k)
        lines.append("| %d | %.1f | %.3f× | %.2f | %.2f× | %s | %s |" % (
            k, r["frechet_distance"], r["frechet_distance"] / base["frechet_distance"],
            r["images_per_second"], r["images_per_second"] / base["images_per_second"],
            "%.2f" % paper if paper else "–",
            "%.3f×" % (paper / PAPER_CIFAR10_FID[15]) if paper else "–"))
    return "\n".join(lines)


def plot(rows, path, title):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    ks = [r["steps"] for r in rows]
    fd = [r["frechet_distance"] / rows[0]["frechet_distance"] for r in rows]
    speed = [r["images_per_second"] for r in rows]
    paper = [PAPER_CIFAR10_FID[k] / PAPER_CIFAR10_FID[15] for k in ks if k in PAPER_CIFAR10_FID]
    fig, (left, right) = plt.subplots(1, 2, figsize=(9, 3.6))
    left.plot(ks, fd, "o-", label=title)
    left.plot([k for k in ks if k in PAPER_CIFAR10_FID], paper, "s--", label="paper, CIFAR-10 FID")
    left.set_xlabel("K' (Langevin steps per level)")
    left.set_ylabel("distance relative to K' = 15")
    left.invert_xaxis()
    left.legend()
    left.grid(alpha=0.3)
    right.plot(ks, speed, "o-", color="tab:green")
    right.set_xlabel("K' (Langevin steps per level)")
    right.set_ylabel("images/s")
    right.invert_xaxis()
    right.grid(alpha=0.3)
    fig.suptitle("Quality against speed, " + title)
    fig.tight_layout()
    os.makedirs(os.path.dirname(path), exist_ok=True)
    fig.savefig(path, dpi=100)
    print("plot:", os.path.relpath(path, ROOT))


def main():
    a = parse_args()
    if not a.from_json:
        run_eval(a)
    with open(a.json) as f:
        report = json.load(f)
    rows = report["steps_table"]
    if not rows or "frechet_distance" not in rows[0]:
        sys.exit("quality_speed: the eval report has no Fréchet distances (no classifier?)")
    name = os.path.basename(report["checkpoint"]).replace(".safetensors", "")
    print(table(rows))
    plot(rows, a.plot, "%s, %d samples" % (name, report["count"]))


if __name__ == "__main__":
    main()
