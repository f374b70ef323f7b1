#!/usr/bin/env bash
# Packs what bench/gpu.sh needs on the GPU machine, which has no Node.js and no network, into the
# ignored folder .gpu-carry/ (about 35 MB; the device tool carries at most 64 MiB):
#   node.xz                 this machine's node binary
#   node_modules.tar.xz     node_modules without the lint/typecheck/browser tools
# Then: run(command="bash bench/gpu.sh", carry=[".gpu-carry"]).
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p .gpu-carry
xz -T0 -c "$(command -v node)" > .gpu-carry/node.xz
tar -cJf .gpu-carry/node_modules.tar.xz \
  --exclude='node_modules/@biomejs' --exclude='node_modules/typescript' \
  --exclude='node_modules/playwright-core' --exclude='node_modules/.cache' \
  node_modules
du -sh .gpu-carry/*
