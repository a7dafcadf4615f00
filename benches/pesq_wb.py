#!/usr/bin/env python3
"""Wideband PESQ (ITU-T P.862.2) of nmc and Opus on the speech clips of a folder, at 16 kHz.

    python3 benches/pesq_wb.py [--nmc target/release/nmc] [--data ../shared/data/audio/test]
                            [--qualities 1,2,3,4,5,6,7,8] [--opus 6,8,12,16,24,32]

Needs the `pesq` and `numpy` packages (`pip install pesq`); without them it says so and exits 0.
Speech clips are the files named `speech_*.wav`. The reference is resampled to 16 kHz here
(windowed-sinc polyphase filter); nmc decodes with `--rate 16000`, opusdec with `--rate 16000`.
"""
import argparse
import math
import os
import subprocess
import sys
import tempfile
import wave

try:
    import numpy as np
    from pesq import pesq
except ImportError as e:
    print(f"PESQ skipped: {e} (pip install pesq)")
    sys.exit(0)


def read_wav(path):
    with wave.open(path) as w:
        assert w.getsampwidth() == 2, f"{path}: 16-bit WAV expected"
        data = np.frombuffer(w.readframes(w.getnframes()), dtype="<i2").astype(np.float64) / 32768.0
        return w.getframerate(), data.reshape(-1, w.getnchannels()).mean(axis=1)


def resample(x, rate_in, rate_out):
    """Polyphase resampling by up/down with a Kaiser-windowed sinc low-pass."""
    g = math.gcd(rate_in, rate_out)
    up, down = rate_out // g, rate_in // g
    cutoff = 0.5 / max(up, down)
    taps = 64 * max(up, down) + 1
    n = np.arange(taps) - taps // 2
    h = 2 * cutoff * np.sinc(2 * cutoff * n) * np.kaiser(taps, 8.0) * up
    y = np.zeros(len(x) * up)
    y[::up] = x
    y = np.convolve(y, h, mode="same")
    return y[::down]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--nmc", default="target/release/nmc")
    ap.add_argument("--data", default="../shared/data/audio/test")
    ap.add_argument("--qualities", default="1,2,3,4,5,6,7,8")
    ap.add_argument("--opus", default="6,8,12,16,24,32")
    a = ap.parse_args()
    clips = sorted(os.path.join(a.data, f) for f in os.listdir(a.data) if f.startswith("speech_") and f.endswith(".wav"))
    if not clips:
        sys.exit(f"no speech_*.wav clips in {a.data}")
    have_opus = all(subprocess.run(["which", t], capture_output=True).returncode == 0 for t in ("opusenc", "opusdec"))
    settings = [("nmc", f"q{q}", q) for q in a.qualities.split(",") if q]
    if have_opus:
        settings += [("opus", f"{b} kbps", b) for b in a.opus.split(",") if b]
    else:
        print("Opus skipped: opusenc/opusdec not installed (apt-get install opus-tools)")
    print(f"{'codec / setting':<20} {'kbps':>8} {'PESQ-WB':>8}   ({len(clips)} speech clips)")
    with tempfile.TemporaryDirectory() as tmp:
        coded, decoded = os.path.join(tmp, "coded"), os.path.join(tmp, "decoded.wav")
        for codec, name, value in settings:
            kbps, scores = [], []
            for clip in clips:
                rate, ref = read_wav(clip)
                if codec == "nmc":
                    subprocess.run([a.nmc, "encode", clip, "-o", coded, "--force", "--quality", value], check=True, capture_output=True)
                    subprocess.run([a.nmc, "decode", coded, "-o", decoded, "--force", "--rate", "16000"], check=True, capture_output=True)
                else:
                    subprocess.run(["opusenc", "--quiet", "--bitrate", value, clip, coded], check=True)
                    subprocess.run(["opusdec", "--quiet", "--rate", "16000", coded, decoded], check=True)
                kbps.append(os.path.getsize(coded) * 8 / (len(ref) / rate) / 1000)
                ref16 = resample(ref, rate, 16000)
                _, deg = read_wav(decoded)
                n = min(len(ref16), len(deg))
                scores.append(pesq(16000, ref16[:n], deg[:n], "wb"))
            print(f"{codec + ' ' + name:<20} {np.mean(kbps):>8.3f} {np.mean(scores):>8.3f}")


if __name__ == "__main__":
    main()
