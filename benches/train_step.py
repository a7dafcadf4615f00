#!/usr/bin/env python3
"""PyTorch twin of benches/train_step.rs: the same image model, shapes and parts, timed the same
way (median of --steps runs after a warm-up), for side-by-side runs on the same machine.

    python3 benches/train_step.py [--n 128] [--m 192] [--batch 8] [--crop 128] [--steps 5] [--device cpu|cuda]

Written from the papers (Ballé et al. 2018; CompressAI's layer conventions), not copied.
"""
import argparse
import math
import statistics
import time

import torch
import torch.nn as nn
import torch.nn.functional as F


class GDN(nn.Module):
    def __init__(self, c, inverse=False):
        super().__init__()
        self.inverse = inverse
        self.beta = nn.Parameter(torch.ones(c))
        self.gamma = nn.Parameter(0.1 * torch.eye(c))

    def forward(self, x):
        c = x.shape[1]
        norm = F.conv2d(x * x, self.gamma.clamp_min(0).view(c, c, 1, 1), self.beta.clamp_min(1e-6))
        return x * torch.sqrt(norm) if self.inverse else x * torch.rsqrt(norm)


class Bottleneck(nn.Module):
    """Factorized density, filters (3, 3, 3), as in Ballé et al. 2018."""

    def __init__(self, c):
        super().__init__()
        f = [1, 3, 3, 3, 1]
        scale = 10 ** (1 / 4)
        self.matrices = nn.ParameterList()
        self.biases = nn.ParameterList()
        self.factors = nn.ParameterList()
        for i in range(4):
            init = math.log(math.expm1(1 / scale / f[i + 1]))
            self.matrices.append(nn.Parameter(torch.full((c, f[i + 1], f[i]), init)))
            self.biases.append(nn.Parameter(torch.rand(c, f[i + 1], 1) - 0.5))
            if i < 3:
                self.factors.append(nn.Parameter(torch.zeros(c, f[i + 1], 1)))
        self.quantiles = nn.Parameter(torch.tensor([-10.0, 0.0, 10.0]).repeat(c, 1, 1))

    def logits(self, x, detach=False):
        for i in range(4):
            m, b = self.matrices[i], self.biases[i]
            if detach:
                m, b = m.detach(), b.detach()
            x = torch.matmul(F.softplus(m), x) + b
            if i < 3:
                fac = self.factors[i].detach() if detach else self.factors[i]
                x = x + torch.tanh(fac) * torch.tanh(x)
        return x

    def likelihood(self, y):
        b, c, h, w = y.shape
        v = y.transpose(0, 1).reshape(c, 1, -1)
        lower, upper = self.logits(v - 0.5), self.logits(v + 0.5)
        sign = -torch.sign(lower + upper).detach()
        p = torch.abs(torch.sigmoid(sign * upper) - torch.sigmoid(sign * lower))
        return p.clamp_min(1e-9)

    def aux_loss(self):
        t = math.log(2 / 1e-9 - 1)
        target = torch.tensor([-t, 0.0, t], device=self.quantiles.device)
        return (self.logits(self.quantiles, detach=True) - target).abs().sum()


def down(i, o):
    return nn.Conv2d(i, o, 5, 2, 2)


def up(i, o):
    return nn.ConvTranspose2d(i, o, 5, 2, 2, output_padding=1)


class Model(nn.Module):
    def __init__(self, n, m):
        super().__init__()
        wa, ws = [3, n, n, n, m], [m, n, n, n, 3]
        self.ga = nn.ModuleList(down(wa[i], wa[i + 1]) for i in range(4))
        self.gdn = nn.ModuleList(GDN(n) for _ in range(3))
        self.gs = nn.ModuleList(up(ws[i], ws[i + 1]) for i in range(4))
        self.igdn = nn.ModuleList(GDN(n, True) for _ in range(3))
        self.eb = Bottleneck(m)

    def forward(self, x):
        for i, conv in enumerate(self.ga):
            x = conv(x)
            if i < 3:
                x = self.gdn[i](x)
        lik = self.eb.likelihood(x + torch.rand_like(x) - 0.5)
        y = x + (torch.round(x) - x).detach()
        for i, conv in enumerate(self.gs):
            y = conv(y)
            if i < 3:
                y = self.igdn[i](y)
        return y, -torch.log2(lik).sum()


def timed(steps, dev, f):
    def once():
        if dev.type == "cuda":
            torch.cuda.synchronize()
        t = time.perf_counter()
        f()
        if dev.type == "cuda":
            torch.cuda.synchronize()
        return time.perf_counter() - t

    once()
    return statistics.median(once() for _ in range(steps))


def main():
    ap = argparse.ArgumentParser()
    for k, v in dict(n=128, m=192, batch=8, crop=128, steps=5).items():
        ap.add_argument(f"--{k}", type=int, default=v)
    ap.add_argument("--device", default="cpu")
    a = ap.parse_args()
    dev = torch.device(a.device)
    n, m, b, c = a.n, a.m, a.batch, a.crop
    rows = []

    wa = [3, n, n, n, m]
    convs = nn.ModuleList(down(wa[i], wa[i + 1]) for i in range(4)).to(dev)
    x = (torch.rand(b, 3, c, c, device=dev) * 2 - 1).requires_grad_()
    flops = sum(2 * 25 * wa[i] * wa[i + 1] * b * (c >> (i + 1)) ** 2 for i in range(4))

    def f_conv():
        h = x
        for conv in convs:
            h = conv(h)
        h.sum().backward()

    rows.append(("conv 5x5 s2 (g_a) fwd+bwd", timed(a.steps, dev, f_conv), 3 * flops / 1e9))

    ws = [m, n, n, n, 3]
    ups = nn.ModuleList(up(ws[i], ws[i + 1]) for i in range(4)).to(dev)
    y = (torch.rand(b, m, c // 16, c // 16, device=dev) * 2 - 1).requires_grad_()
    flops = sum(2 * 25 * ws[i] * ws[i + 1] * b * (c >> (4 - i)) ** 2 for i in range(4))

    def f_up():
        h = y
        for u in ups:
            h = u(h)
        h.sum().backward()

    rows.append(("conv-transpose 5x5 s2 (g_s) fwd+bwd", timed(a.steps, dev, f_up), 3 * flops / 1e9))

    gdns = nn.ModuleList(GDN(n) for _ in range(3)).to(dev)
    feats = [(torch.rand(b, n, c >> i, c >> i, device=dev) * 2 - 1).requires_grad_() for i in range(1, 4)]

    def f_gdn():
        sum(g(f).sum() for g, f in zip(gdns, feats)).backward()

    rows.append(("GDN + IGDN (x2 of 3 layers) fwd+bwd", 2 * timed(a.steps, dev, f_gdn), 0))

    eb = Bottleneck(m).to(dev)

    def f_eb():
        (torch.log(eb.likelihood(y)).sum() + eb.aux_loss()).backward()

    rows.append(("entropy bottleneck fwd+bwd", timed(a.steps, dev, f_eb), 0))

    model = Model(n, m).to(dev)
    opt = torch.optim.Adam(model.parameters(), lr=1e-4)
    inp = torch.rand(b, 3, c, c, device=dev)

    def loss():
        xh, bits = model(inp)
        return F.mse_loss(xh, inp) * 845 + bits / (b * c * c) + model.eb.aux_loss()

    def f_fb():
        model.zero_grad(set_to_none=True)
        loss().backward()

    def f_step():
        opt.zero_grad(set_to_none=True)
        loss().backward()
        opt.step()

    fb = timed(a.steps, dev, f_fb)
    step = timed(a.steps, dev, f_step)
    rows.append(("optimizer (Adam) = step - fwd/bwd", max(step - fb, 0), 0))

    print(f"image model N={n} M={m}, batch {b} of {c}x{c}, device {a.device}, torch {torch.__version__}, threads {torch.get_num_threads()}")
    print(f"{'part':<40} {'ms':>10} {'GFLOP/s':>10}")
    for name, t, g in rows:
        rate = f"{g / t:.1f}" if g else "-"
        print(f"{name:<40} {t * 1e3:>10.1f} {rate:>10}")
    print(f"{'whole training step (fwd+bwd+Adam)':<40} {step * 1e3:>10.1f}")
    print(f"throughput: {b / step:.2f} img/s")


if __name__ == "__main__":
    main()
