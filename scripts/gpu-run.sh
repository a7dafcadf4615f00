#!/usr/bin/env bash
# Runs on the GPU machine (see scripts/stage-gpu.sh): the training-step benchmarks of burn-cuda,
# burn-tch (LibTorch CUDA) and the PyTorch twin side by side, then the image model resumed from
# gpu/model.nmcm, the audio model resumed from gpu/audio.nmcm and a video fit of the sample clip,
# all on `--device libtorch-cuda` (the machine's own PyTorch 2.11 supplies LibTorch).
# Results come back in $OUT: bench.txt, train.log, model.nmcm, audio.log, audio.nmcm (+ optimizer
# states), video.log. Pack a trained model before shipping it: `nmc train pack`.
#   TRAIN_SECONDS (default 330): wall time for image training, its last fifth at a tenth of
#   IMAGE_LR (so the model comes back annealed: on CPU, stretches at a high rate that were not
#   annealed came back worse than the model they started from); AUDIO_SECONDS (default 120): audio;
#   VIDEO_SECONDS (default 60): the video fit (1000 steps of samples/bunny.y4m).
#   IMAGE_LR (default 5e-4): the image learning rate (on CPU, 600 steps at 1e-3 reached a 1.8× lower loss than at 2e-4).
#   BATCH (default 16), CROP (default 256): image batches.
set -uo pipefail
export PYTHONUNBUFFERED=1
for b in nmc train_step-tch train_step-cuda; do
  python3 -c "import lzma,sys; open('gpu/$b','wb').write(lzma.open('gpu/$b.xz').read())" && chmod +x "gpu/$b"
done
# burn-tch links LibTorch dynamically: use the one inside the machine's PyTorch.
LD_LIBRARY_PATH="$(python3 -c 'import torch, os; print(os.path.dirname(torch.__file__))')/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
export LD_LIBRARY_PATH
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv | tee "$OUT/bench.txt"
# The training records name the card this run got (H100 or H200).
hardware="$(nvidia-smi --query-gpu=name --format=csv,noheader | head -n 1) (burn-tch, LibTorch CUDA)"
python3 -c 'import torch; print("torch", torch.__version__, "cuda", torch.version.cuda)' | tee -a "$OUT/bench.txt"
for args in "--n 128 --m 192 --batch 16 --crop 256" "--n 64 --m 96 --batch 16 --crop 128"; do
  timeout 120 ./gpu/train_step-cuda --device cuda --steps 10 $args 2>&1 | tee -a "$OUT/bench.txt"
  timeout 120 ./gpu/train_step-tch --device libtorch-cuda --steps 10 $args 2>&1 | tee -a "$OUT/bench.txt"
  timeout 120 python3 benches/train_step.py --device cuda --steps 10 $args 2>&1 | tee -a "$OUT/bench.txt"
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
# train_image SECONDS LR: image training for up to SECONDS (the step target is out of reach on
# purpose; checkpoints every 500), continuing from the last checkpoint once there is one.
train_image() {
  [ -f "$OUT/model.nmcm" ] && start=(--resume "$OUT/model.nmcm")
  timeout "$1" ./gpu/nmc train image --device libtorch-cuda --data gpu/train --out "$OUT/model.nmcm" \
    "${start[@]}" --steps $((steps + 1000000)) --batch "${BATCH:-16}" --crop "${CROP:-256}" --lr "$2" \
    --checkpoint-every 500 --hardware "$hardware" 2>&1 | tee -a "$OUT/train.log"
}
seconds=${TRAIN_SECONDS:-330}
lr=${IMAGE_LR:-5e-4}
train_image $((seconds - seconds / 5)) "$lr"
train_image $((seconds / 5)) "$(python3 -c "print($lr / 10)")"
if [ -f gpu/audio.nmcm ] && ls gpu/audio/*.wav >/dev/null 2>&1; then
  cp gpu/audio.nmcm "$OUT/audio.nmcm"
  [ -f gpu/audio.nmcm.optim.bin ] && cp gpu/audio.nmcm.optim.bin "$OUT/audio.nmcm.optim.bin"
  timeout "${AUDIO_SECONDS:-120}" ./gpu/nmc train audio --device libtorch-cuda --data gpu/audio --out "$OUT/audio.nmcm" \
    --resume "$OUT/audio.nmcm" --steps 10000000 --batch 16 --lr 5e-4 \
    --checkpoint-every 500 --hardware "$hardware" 2>&1 | tee "$OUT/audio.log"
fi
{ time timeout "${VIDEO_SECONDS:-60}" ./gpu/nmc encode samples/bunny.y4m -o "$OUT/bunny.nmc" --device libtorch-cuda --steps 1000 \
    && ./gpu/nmc info "$OUT/bunny.nmc"; } > "$OUT/video.log" 2>&1
ls -la "$OUT"
