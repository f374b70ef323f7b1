#!/usr/bin/env bash
# Packs what bench/gpu.sh needs on a GPU machine that has no Node.js and no network into the ignored
# folder .gpu-carry/ (about 35 MB, small enough to carry along with a checkout):
#   node.xz                 this machine's node binary
#   node_modules.tar.xz     node_modules without the lint/typecheck/browser tools
# Then, on the GPU machine, in a checkout with .gpu-carry/ beside it: bash bench/gpu.sh. The committed
# prebuilds travel with the checkout; build outputs (build/, build-cuda/) do not need to.
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p .gpu-carry
xz -T0 -c "$(command -v node)" > .gpu-carry/node.xz
tar -cJf .gpu-carry/node_modules.tar.xz \
  --exclude='node_modules/@biomejs' --exclude='node_modules/typescript' \
  --exclude='node_modules/playwright-core' --exclude='node_modules/.cache' \
  node_modules
du -sh .gpu-carry/*
