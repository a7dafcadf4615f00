#!/usr/bin/env python3
"""Where the log-mel distance of decoded audio comes from: by mel band and by reference level.

    python3 benches/mel_breakdown.py [--nmc target/release/nmc] [--data ../shared/data/audio/test]
                                     [--quality 8]

Encodes and decodes every WAV of the folder with nmc, then prints each clip's log-mel distance
and the distance split by mel band and by the reference's log10 mel magnitude, with the mean
signed difference (decoded − reference: positive where the decoded clip is louder). The distance
is the eval's (`src/audio/loss.rs`): 80 Slaney mel bands of the magnitude spectrum, periodic Hann
windows of 512, 1024 and 2048 samples, hop a quarter window, centred frames, floor 1e-5, log10.
Needs `numpy`; 16-bit WAV clips.
"""
import argparse
import glob
import os
import subprocess
import sys
import tempfile
import wave

try:
    import numpy as np
except ImportError as e:
    print(f"skipped: {e} (pip install numpy)")
    sys.exit(0)

WINDOWS = (512, 1024, 2048)
BANDS = 80
LEVELS = (-6, -4, -3, -2, -1, 0, 3)


def read_wav(path):
    with wave.open(path) as w:
        assert w.getsampwidth() == 2, f"{path}: 16-bit WAV expected"
        data = np.frombuffer(w.readframes(w.getnframes()), dtype="<i2").astype(np.float64) / 32768.0
        return data.reshape(-1, w.getnchannels()).mean(axis=1), w.getframerate()


def hz_to_mel(f):
    return np.where(f < 1000, 3 * f / 200, 15 + np.log(np.maximum(f, 1e-9) / 1000) / (np.log(6.4) / 27))


def mel_to_hz(m):
    return np.where(m < 15, 200 * m / 3, 1000 * np.exp((m - 15) * np.log(6.4) / 27))


def filterbank(rate, n_fft):
    """`[bins, BANDS]` Slaney mel filters with area normalisation, and the band centres in Hz."""
    nyquist = rate / 2
    edges = mel_to_hz(hz_to_mel(np.array(nyquist)) * np.arange(BANDS + 2) / (BANDS + 1))
    f = nyquist * np.arange(n_fft // 2 + 1) / (n_fft // 2)
    lower = (f[:, None] - edges[None, :-2]) / (edges[1:-1] - edges[:-2])
    upper = (edges[None, 2:] - f[:, None]) / (edges[2:] - edges[1:-1])
    return np.maximum(np.minimum(lower, upper), 0) * 2 / (edges[2:] - edges[:-2]), edges[1:-1]


def log_mel(x, rate, n_fft):
    hop = n_fft // 4
    window = 0.5 - 0.5 * np.cos(2 * np.pi * np.arange(n_fft) / n_fft)
    frames = np.lib.stride_tricks.sliding_window_view(np.pad(x, n_fft // 2), n_fft)[::hop] * window
    magnitude = np.sqrt(np.abs(np.fft.rfft(frames, axis=1)) ** 2 + 1e-7)
    return np.log10(np.maximum(magnitude @ filterbank(rate, n_fft)[0], 1e-5))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--nmc", default="target/release/nmc")
    ap.add_argument("--data", default="../shared/data/audio/test")
    ap.add_argument("--quality", default="8")
    args = ap.parse_args()
    by_band = np.zeros((2, BANDS))
    by_level = np.zeros((3, len(LEVELS) - 1))
    clips = sorted(glob.glob(os.path.join(args.data, "*.wav")))
    with tempfile.TemporaryDirectory() as tmp:
        for clip in clips:
            name = os.path.splitext(os.path.basename(clip))[0]
            coded, decoded = os.path.join(tmp, name + ".nmc"), os.path.join(tmp, name + ".wav")
            subprocess.run([args.nmc, "encode", clip, "-o", coded, "--quality", args.quality], check=True, capture_output=True)
            subprocess.run([args.nmc, "decode", coded, "-o", decoded], check=True, capture_output=True)
            (x, rate), (y, _) = read_wav(clip), read_wav(decoded)
            n = min(len(x), len(y))
            distances = []
            for n_fft in WINDOWS:
                ref, dec = log_mel(x[:n], rate, n_fft), log_mel(y[:n], rate, n_fft)
                diff = dec - ref
                distances.append(np.abs(diff).mean())
                by_band += np.stack([np.abs(diff).mean(axis=0), diff.mean(axis=0)]) / (len(WINDOWS) * len(clips))
                for i, (lo, hi) in enumerate(zip(LEVELS, LEVELS[1:])):
                    cells = (ref >= lo) & (ref < hi)
                    by_level[:, i] += [cells.sum(), np.abs(diff)[cells].sum(), diff[cells].sum()]
            print(f"{np.mean(distances):.3f}  {os.path.basename(clip)}")
    centres = filterbank(rate, 2048)[1]
    print("\nband  centre Hz  |diff|  decoded - reference")
    for b in range(0, BANDS, 5):
        print(f"{b:4d} {centres[b]:10.0f} {by_band[0, b]:7.3f} {by_band[1, b]:+8.3f}")
    print("\nreference log10 mel  share of cells  |diff|  decoded - reference  share of the distance")
    total = by_level[0].sum()
    for i, (lo, hi) in enumerate(zip(LEVELS, LEVELS[1:])):
        count, absolute, signed = by_level[:, i]
        if count:
            print(f"[{lo:3d}, {hi:3d})  {count / total:14.3f} {absolute / count:7.3f} {signed / count:+10.3f} {absolute / total:12.3f}")


if __name__ == "__main__":
    main()
