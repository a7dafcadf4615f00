#!/usr/bin/env bash
# Peak memory and time of a 1-hour audio encode and decode (README, "Memory:"): builds a 1-hour
# 24 kHz mono 16-bit WAV from ../shared/data/audio/test/*.wav played one after another (repeated),
# then runs `nmc encode` and `nmc decode` under /usr/bin/time -v with the shipped model.
#   scripts/audio-memory.sh [NMC [DIR]]   (default target/release/nmc, a fresh temp dir)
set -euo pipefail
cd "$(dirname "$0")/.."
nmc=$(realpath "${1:-target/release/nmc}")
dir=${2:-$(mktemp -d)}
mkdir -p "$dir"
python3 - "$dir/1h.wav" <<'PY'
import glob, sys, wave
data = b''
for f in sorted(glob.glob('../shared/data/audio/test/*.wav')):
    with wave.open(f) as w:
        assert (w.getframerate(), w.getnchannels(), w.getsampwidth()) == (24000, 1, 2), f
        data += w.readframes(w.getnframes())
left = 3600 * 24000 * 2
with wave.open(sys.argv[1], 'wb') as out:
    out.setnchannels(1); out.setsampwidth(2); out.setframerate(24000)
    while left > 0:
        out.writeframes(data[:left]); left -= min(left, len(data))
PY
for step in "encode $dir/1h.wav -o $dir/1h.nmc" "decode $dir/1h.nmc -o $dir/1h.out.wav"; do
  echo "nmc $step"
  /usr/bin/time -v "$nmc" $step --force 2>&1 | grep -E 'Elapsed|Maximum resident'
done
