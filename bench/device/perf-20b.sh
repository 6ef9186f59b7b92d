#!/usr/bin/env bash
# Profiles and benchmarks of the 20b shapes on the GPU machine, in one command (≤ 10 min):
#   source .device/setup.sh && bash bench/device/perf-20b.sh
# Everything lands in $OUT/perf-20b.tar.gz (one file: the device tool returns at most 8).
set -uo pipefail
OUT=${OUT:-out}; R=/tmp/perf-20b; mkdir -p "$OUT" "$R"
export XDG_RUNTIME_DIR=/tmp
pack() { tar -czf "$OUT/perf-20b.tar.gz" -C "$R" . ; ls -la "$R"; }
trap pack EXIT
node node_modules/typescript/bin/tsc -p tsconfig.json > "$R/tsc.log" 2>&1 || echo "tsc reported errors (continuing)"
W="node dist/src/cli/main.js"
TSX="node node_modules/tsx/dist/cli.mjs"
SYN=/tmp/syn-20b
gpumem() { nvidia-smi --query-gpu=memory.used --format=csv,noheader,nounits -lms 500 > "$1" & echo $!; }
step() { local name=$1 limit=$2; shift 2; echo "== $name"; local t0=$SECONDS; timeout "$limit" "$@" > "$R/$name.log" 2>&1; echo "   rc=$? $((SECONDS - t0)) s"; tail -4 "$R/$name.log"; }
step profile 110 $W profile --synthetic 20b --synthetic-dir $SYN --prompt-tokens 2048 --decode-steps 8 --depth 4096 --json "$R/profile-20b.json" --trace "$R/profile-20b.trace.json"
pid=$(gpumem "$R/kv-window-gpumem.txt")
step kv-window 90 $TSX bench/e2e/kv-window.bench.ts --model $SYN --tokens 4000 --max-kv-size 1024 --compare --out "$R/kv-window-20b.json" --svg "$R/kv-window-20b.svg"
kill "$pid"
step loop-detection 40 $TSX bench/e2e/loop-detection.bench.ts --model $SYN --tokens 256 --reps 5 --out "$R/loop-detection-20b.json"
step bench 300 $W bench --synthetic 20b --synthetic-dir $SYN --reps 2 --out "$R"
