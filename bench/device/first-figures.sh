#!/usr/bin/env bash
# First engine figures on the GPU machine (issue: engine core). Run from the project root there:
#   source .device/setup.sh && bash bench/device/first-figures.sh
# Writes JSON records and logs under $OUT (default ./out).
set -uo pipefail
OUT=${OUT:-out}; mkdir -p "$OUT"
export XDG_RUNTIME_DIR=/tmp
node node_modules/typescript/bin/tsc -p tsconfig.json || echo "tsc reported errors (continuing with the emitted JS)"
wgh() { node dist/src/cli/main.js "$@"; }
wgh info --json > "$OUT/info.json"; wgh info
# Correctness on this adapter: kernels and the transformers oracle.
node node_modules/vitest/vitest.mjs run tests/kernels tests/model/oracle.test.ts 2>&1 | tail -25 | tee "$OUT/tests.log"
IDS=$(node -e 'console.log(Array.from({length:64},(_, i)=>(i*7919)%200000).join(","))')
gpumem() { nvidia-smi --query-gpu=memory.used --format=csv,noheader,nounits -lms 250 > "$1" & echo $!; }
run_preset() { # preset dir
  local preset=$1 dir=$2
  wgh create-test-model --preset "$preset" --out "$dir" 2>&1 | tail -3 | tee "$OUT/create-$preset.log"
  local pid; pid=$(gpumem "$OUT/gpumem-$preset.txt")
  wgh generate --model "$dir" --ids "$IDS" --max-tokens 32 --json > "$OUT/generate-$preset.json" 2> "$OUT/generate-$preset.err"
  kill "$pid"; cat "$OUT/generate-$preset.json"; tail -2 "$OUT/generate-$preset.err"
  echo "peak GPU MiB ($preset): $(sort -n "$OUT/gpumem-$preset.txt" | tail -1)"
  rm -rf "$dir"
}
run_preset 20b /tmp/m20
if [ "${WITH_120B:-1}" = 1 ]; then
  # 120b is 61 GiB: more than the machine's disk leaves free, so it lives in RAM (tmpfs).
  mount -o remount,size=110G /dev/shm && run_preset 120b /dev/shm/m120
fi
