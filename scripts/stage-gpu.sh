#!/usr/bin/env bash
# Builds the CUDA binaries here and stages what a GPU run needs in gpu/ (git-ignored, ≤ 64 MiB),
# to be carried to the GPU machine: `run(command="bash scripts/gpu-run.sh", carry=["gpu"])`.
#   scripts/stage-gpu.sh [MODEL [AUDIO_MODEL]]
#     MODEL: image checkpoint to resume, default models/image-hyperprior.nmcm; `new` stages none:
#            gpu-run.sh then starts a new hyperprior model.
#     AUDIO_MODEL: audio checkpoint to resume, default models/audio.nmcm (`new`: a new model).
set -euo pipefail
cd "$(dirname "$0")/.."
model=${1:-models/image-hyperprior.nmcm}
audio_model=${2:-models/audio.nmcm}
cargo build --release --features cuda --target-dir target/cuda --bins --bench train_step
rm -rf gpu && mkdir -p gpu/train gpu/audio
# Stripped and xz-compressed (the CUDA binaries are ~45 MB each; the carry limit is 64 MiB).
bench=$(ls -t target/cuda/release/deps/train_step-* | grep -v '\.d$' | head -n 1)
for pair in "target/cuda/release/nmc nmc" "$bench train_step"; do
  set -- $pair
  strip -o "gpu/$2" "$1" && xz -T2 -6 "gpu/$2"
done
if [ "$model" != new ]; then
  cp "$model" gpu/model.nmcm
  [ -f "$model.optim.bin" ] && cp "$model.optim.bin" gpu/model.nmcm.optim.bin
fi
if [ "$audio_model" != new ]; then
  cp "$audio_model" gpu/audio.nmcm
  [ -f "$audio_model.optim.bin" ] && cp "$audio_model.optim.bin" gpu/audio.nmcm.optim.bin
fi
# All training audio (about 21 MB), then training images, as many as fit beside the binaries.
cp ../shared/data/audio/train/*.wav gpu/audio/
budget=$((60 * 1024 * 1024 - $(du -cb gpu | tail -n 1 | cut -f1)))
for f in ../shared/data/images/train/*.png; do
  size=$(stat -c %s "$f")
  [ "$size" -lt "$budget" ] || break
  cp "$f" gpu/train/ && budget=$((budget - size))
done
echo "staged: $(ls gpu/train | wc -l) training images, $(ls gpu/audio | wc -l) clips, $(du -sh gpu | cut -f1) in gpu/"
