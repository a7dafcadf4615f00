#!/usr/bin/env python3
"""PyTorch twin of the transform stages of benches/image_speed.rs: g_a and g_s of the default
image model's shape (N = 64, M = 192; 5x5 stride-2 convolutions with GDN / IGDN) on one image,
untiled, under inference mode; medians of --runs after a warm-up, for side-by-side runs on the
same machine (random weights: the time does not depend on them).

    python3 benches/image_speed.py [--n 64] [--m 192] [--width 768] [--height 512] [--runs 5] [--threads 2]
"""
import argparse

import torch

from train_step import Model, timed


def main():
    ap = argparse.ArgumentParser()
    for k, v in dict(n=64, m=192, width=768, height=512, runs=5, threads=2).items():
        ap.add_argument(f"--{k}", type=int, default=v)
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    model = Model(a.n, a.m).eval()
    dev = torch.device("cpu")
    x = torch.rand(1, 3, a.height, a.width)
    megapixels = a.width * a.height / 1e6

    def chain(convs, norms, h):
        for i, conv in enumerate(convs):
            h = conv(h)
            if i < len(norms):
                h = norms[i](h)
        return h

    def g_a(x):
        return chain(model.ga, model.gdn, x)

    def g_s(y):
        return chain(model.gs, model.igdn, y)

    with torch.inference_mode():
        y = torch.round(g_a(x))
        t_a = timed(a.runs, dev, lambda: g_a(x))
        t_s = timed(a.runs, dev, lambda: g_s(y))
    print(f"PyTorch {torch.__version__}, {a.threads} threads: {a.width}x{a.height}, N={a.n} M={a.m}")
    print(f"{'stage':<44} {'s':>8} {'MP/s':>8}")
    for name, t in [("g_a (analysis transform)", t_a), ("g_s (synthesis transform)", t_s)]:
        print(f"{name:<44} {t:>8.3f} {megapixels / t:>8.2f}")


if __name__ == "__main__":
    main()
