#!/usr/bin/env bash
# Packs apps/cli/src/bench-backends.ts for a GPU machine that has no Node and no node_modules:
# one bundled script, this machine's node binary, Dawn's addon (the `webgpu` package) and TF.js's
# wasm binaries, all under .dev/ (about 35 MB), plus run.sh to start there. On that machine:
#   bash .dev/run.sh     (it writes backends-*.json and the tables into $OUT, or .dev/out)
# Vulkan's loader comes from Debian's libvulkan1 in .gl/ (see run.sh); the GPU driver must be there.
set -euo pipefail
cd "$(dirname "$0")/../.."
rm -rf .dev && mkdir -p .dev/node_modules/webgpu/dist/linux-x64
npx esbuild apps/cli/src/bench-backends.ts --bundle --platform=node --format=cjs --target=node20 \
  --outfile=.dev/bench-backends.cjs --log-level=error
xz -T2 -6 -c "$(command -v node)" > .dev/node.xz
cp node_modules/webgpu/index.js node_modules/webgpu/package.json .dev/node_modules/webgpu/
xz -T2 -6 -c node_modules/webgpu/dist/linux-x64/dawn.node > .dev/dawn.node.xz
cp node_modules/@tensorflow/tfjs-backend-wasm/dist/*.wasm .dev/
cp scripts/gpu-bench/run.sh .dev/run.sh
if [ ! -d .gl ]; then
  mkdir -p .gl /tmp/amd64/partial
  o='-oAPT::Architecture=amd64 -oAPT::Architectures=amd64 -oDir::State::Lists=/tmp/amd64'
  apt-get $o update >/dev/null
  (cd .gl && apt-get $o download libvulkan1)
fi
du -sh .dev .gl
