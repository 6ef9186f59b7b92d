#!/usr/bin/env bash
# The 20b figures after split decode attention and the split argmax, on the GPU machine:
#   source .device/setup.sh && bash bench/device/final-20b.sh
# Results in $OUT/final-20b.tar.gz (the device tool returns at most 8 files).
set -uo pipefail
OUT=${OUT:-out}; R=/tmp/final-20b; mkdir -p "$OUT" "$R"
export XDG_RUNTIME_DIR=/tmp
pack() { tar -czf "$OUT/final-20b.tar.gz" -C "$R" . ; }
trap pack EXIT
W="node dist/src/cli/main.js"
SYN=/tmp/syn-20b
step() { local name=$1 limit=$2; shift 2; echo "== $name"; local t0=$SECONDS; timeout "$limit" "$@" > "$R/$name.log" 2>&1; echo "   rc=$? $((SECONDS - t0)) s"; tail -${TAIL:-14} "$R/$name.log"; }
step bench 150 $W bench --synthetic 20b --synthetic-dir $SYN --depths 0,1024,4096,16384,65536 --prompt-tokens 2048 --reps 2 --out "$R"
TAIL=40 step profile 90 $W profile --synthetic 20b --synthetic-dir $SYN --prompt-tokens 2048 --decode-steps 8 --depth 4096 --json "$R/profile-20b.json" --trace "$R/profile-20b.trace.json"
