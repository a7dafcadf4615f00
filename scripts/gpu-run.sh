#!/usr/bin/env bash
# Runs on the GPU machine (see scripts/stage-gpu.sh): the training-step benchmark of burn-cuda
# and of the PyTorch twin side by side, then training resumed from gpu/model.nmcm on the GPU.
# then the audio model resumed from gpu/audio.nmcm, then the video fit time of the sample clip.
# Results come back in $OUT: bench.txt, train.log, model.nmcm, audio.log, audio.nmcm (+ optimizer
# states), video.log.
#   TRAIN_SECONDS (default 330): wall time for image training; AUDIO_SECONDS (default 120): audio;
#   VIDEO_SECONDS (default 60): the video fit (1000 steps of samples/bunny.y4m with --device cuda).
#   IMAGE_LR (default 5e-4): the image learning rate (on CPU, 600 steps at 1e-3 reached a 1.8× lower loss than at 2e-4).
set -uo pipefail
export PYTHONUNBUFFERED=1
for b in nmc train_step; do
  python3 -c "import lzma,sys; open('gpu/$b','wb').write(lzma.open('gpu/$b.xz').read())" && chmod +x "gpu/$b"
done
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv | tee "$OUT/bench.txt"
for args in "--n 128 --m 192 --batch 16 --crop 256" "--n 64 --m 96 --batch 16 --crop 128"; do
  timeout 120 ./gpu/train_step --device cuda --steps 5 $args 2>&1 | tee -a "$OUT/bench.txt"
  timeout 120 python3 benches/train_step.py --device cuda --steps 5 $args 2>&1 | tee -a "$OUT/bench.txt"
done
if [ -f gpu/model.nmcm ]; then
  cp gpu/model.nmcm "$OUT/model.nmcm"
  [ -f gpu/model.nmcm.optim.bin ] && cp gpu/model.nmcm.optim.bin "$OUT/model.nmcm.optim.bin"
  steps=$(python3 -c "import json,struct;d=open('gpu/model.nmcm','rb').read();n=struct.unpack('<I',d[6:10])[0];print(json.loads(d[10:10+n])['training']['steps'])")
  start=(--resume "$OUT/model.nmcm")
else
  steps=0
  start=(--arch hyperprior --n 128 --m 192)
fi
# Up to TRAIN_SECONDS of training (the step target is out of reach on purpose; checkpoints every 200).
timeout "${TRAIN_SECONDS:-330}" ./gpu/nmc train image --device cuda --data gpu/train --out "$OUT/model.nmcm" \
  "${start[@]}" --steps $((steps + 1000000)) --batch 16 --crop 256 --lr "${IMAGE_LR:-5e-4}" \
  --checkpoint-every 200 --hardware "NVIDIA H200 (burn-cuda)" 2>&1 | tee "$OUT/train.log"
if [ -f gpu/audio.nmcm ]; then
  cp gpu/audio.nmcm "$OUT/audio.nmcm"
  [ -f gpu/audio.nmcm.optim.bin ] && cp gpu/audio.nmcm.optim.bin "$OUT/audio.nmcm.optim.bin"
  audio_start=(--resume "$OUT/audio.nmcm")
else
  audio_start=()
fi
timeout "${AUDIO_SECONDS:-120}" ./gpu/nmc train audio --device cuda --data gpu/audio --out "$OUT/audio.nmcm" \
  "${audio_start[@]}" --steps 10000000 --batch 16 --lr 5e-4 \
  --checkpoint-every 200 --hardware "NVIDIA H200 (burn-cuda)" 2>&1 | tee "$OUT/audio.log"
{ time timeout "${VIDEO_SECONDS:-60}" ./gpu/nmc encode samples/bunny.y4m -o "$OUT/bunny.nmc" --device cuda --steps 1000 \
    && ./gpu/nmc info "$OUT/bunny.nmc"; } > "$OUT/video.log" 2>&1
ls -la "$OUT"
