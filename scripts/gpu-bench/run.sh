#!/bin/bash
# Runs on the GPU machine, from the repository root, after scripts/gpu-bench/pack.sh: steps/s per
# backend for each built-in task (Node + Dawn on Vulkan), as measured for BENCHMARKS.md section 6.
set -o pipefail
OUT=${OUT:-$PWD/.dev/out}; mkdir -p "$OUT"
for f in .gl/*.deb; do dpkg -x $f /; done; ldconfig
ICD=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
[ -f $ICD ] && export VK_DRIVER_FILES=$ICD
nvidia-smi -L; nproc; ls /usr/local/nvidia/share/vulkan/icd.d/ 2>&1; ldconfig -p | grep -i vulkan
cd .dev || exit 1
xz -dc node.xz > /tmp/node && chmod +x /tmp/node && /tmp/node -v || exit 1
xz -dc dawn.node.xz > node_modules/webgpu/dist/linux-x64/dawn.node || exit 1
F='^    at \|^$\|=====\|Hi, looks\|^ - \|^validation\|is invalid due'
timeout 240 /tmp/node bench-backends.cjs --tasks mnist-mlp,mnist-cnn,char-lm --batches 32 --seconds 2 --out $OUT/backends-h200-b32.json 2>&1 | grep -v "$F" | tee $OUT/b32.log
timeout 150 /tmp/node bench-backends.cjs --tasks mnist-mlp,mnist-cnn,char-lm --backends webgpu,wasm --batches 128,512 --seconds 2 --out $OUT/backends-h200-big.json 2>&1 | grep -v "$F" | tee $OUT/big.log
