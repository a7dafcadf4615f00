#!/usr/bin/env bash
# Builds the GPU binaries here and stages what a GPU run needs in gpu/ (git-ignored, ≤ 64 MiB),
# to be carried to the GPU machine: `run(command="bash scripts/gpu-run.sh", carry=["gpu"])`.
#   scripts/stage-gpu.sh [MODEL [AUDIO_MODEL]]
#     MODEL: image checkpoint to resume, default models/image-hyperprior.nmcm; `new` stages none:
#            gpu-run.sh then starts a new hyperprior model.
#     AUDIO_MODEL: audio checkpoint to resume, default models/audio.nmcm (`new`: a new model).
# Two builds: burn-cuda (`--features cuda`, its benchmark only) and burn-tch against the
# LibTorch of the GPU machine's PyTorch (2.11, CUDA 13), for `--device libtorch-cuda`. The second
# needs that wheel here: TORCH_VENV (default ~/torch211) gets `pip install torch==2.11.0` if missing.
set -euo pipefail
cd "$(dirname "$0")/.."
model=${1:-models/image-hyperprior.nmcm}
audio_model=${2:-models/audio.nmcm}
venv=${TORCH_VENV:-$HOME/torch211}
[ -x "$venv/bin/python" ] || { python3 -m venv "$venv" && "$venv/bin/pip" install -q torch==2.11.0; }
cargo build --release --features cuda --target-dir target/cuda --bench train_step
PATH="$venv/bin:$PATH" LIBTORCH_USE_PYTORCH=1 LIBTORCH_BYPASS_VERSION_CHECK=1 \
  cargo build --release --features tch --bins --bench train_step
rm -rf gpu && mkdir -p gpu/train gpu/audio
# Stripped and xz-compressed (the carry limit is 64 MiB): nmc on burn-tch trains and fits video
# (`--device libtorch-cuda`); the two training-step benchmarks compare burn-cuda, burn-tch and
# PyTorch (issue 4). burn-cuda's nmc is left out: it trained 121x slower than PyTorch on an H200.
newest() { ls -t "$1"/release/deps/train_step-* | grep -v '\.d$' | head -n 1; }
for pair in "target/release/nmc nmc" "$(newest target) train_step-tch" "$(newest target/cuda) train_step-cuda"; do
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
# Training images first (the image model matters most), then training audio, as much as fits.
budget=$((60 * 1024 * 1024 - $(du -cb gpu | tail -n 1 | cut -f1)))
for f in ../shared/data/images/train/*.png ../shared/data/audio/train/*.wav; do
  size=$(stat -c %s "$f")
  [ "$size" -lt "$budget" ] || continue
  case "$f" in *.png) cp "$f" gpu/train/ ;; *) cp "$f" gpu/audio/ ;; esac
  budget=$((budget - size))
done
echo "staged: $(ls gpu/train | wc -l) training images, $(ls gpu/audio | wc -l) clips, $(du -sh gpu | cut -f1) in gpu/"
