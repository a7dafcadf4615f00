#!/usr/bin/env bash
# Peak memory and time of 1-hour audio encodes and decodes (README, "Memory:"): builds a 1-hour
# 24 kHz mono 16-bit WAV from ../shared/data/audio/test/*.wav played one after another (repeated)
# and, with ffmpeg, a 44.1 kHz stereo one from it (right = left / 2), then runs `nmc encode` and
# `nmc decode` on each under /usr/bin/time -v with the shipped model.
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
clips=1h
if command -v ffmpeg >/dev/null; then
  ffmpeg -loglevel error -y -i "$dir/1h.wav" -af 'pan=stereo|c0=c0|c1=0.5*c0' -ar 44100 "$dir/1h-stereo.wav"
  clips="1h 1h-stereo"
fi
for clip in $clips; do
  for step in "encode $dir/$clip.wav -o $dir/$clip.nmc" "decode $dir/$clip.nmc -o $dir/$clip.out.wav"; do
    echo "nmc $step"
    /usr/bin/time -v "$nmc" $step --force 2>&1 | grep -E 'Elapsed|Maximum resident'
  done
done
