#!/usr/bin/env bash
# Trains the demo model on the GPU machine in one go, within DEMO_TOTAL_SECONDS (default 470 s)
# of DEMO_T0: generates the data with the project's renderer (node + tsx, in parallel shards),
# trains, exports and checks (train.py), and leaves 7 files in $OUT (README.md lists them).
# From the repository root on the GPU machine:
#   export DEMO_T0=$(date +%s); source .device/setup.sh && bash tools/demo-model/run-gpu.sh
set -euo pipefail

T0=${DEMO_T0:-$(date +%s)}
DEADLINE=$((T0 + ${DEMO_TOTAL_SECONDS:-470}))
: "${OUT:?OUT must name the results folder}"
WORK=${DEMO_WORK:-/tmp/demo-model-run}
SEED=${DEMO_SEED:-20261122}
TRAIN=${DEMO_TRAIN:-300000}
VALID=${DEMO_VALID:-2000}
SHARDS=${DEMO_SHARDS:-8}
TRAIN_SECONDS=${DEMO_TRAIN_SECONDS:-300}
TOKENS_PER_BATCH=${DEMO_TOKENS_PER_BATCH:-65536}

say() { echo "[run-gpu $(($(date +%s) - T0))s] $*"; }

rm -rf "$WORK"
mkdir -p "$WORK/data" "$OUT"
say "node $(node --version), $(python3 --version 2>&1), $(nproc) cores; $TRAIN conversations in $SHARDS shards (seed $SEED)"
pids=()
for ((shard = 0; shard < SHARDS; shard++)); do
  node node_modules/tsx/dist/cli.mjs tools/demo-model/generate-data.ts --out "$WORK/data" --seed "$SEED" --train "$TRAIN" \
    --valid "$VALID" --shards "$SHARDS" --shard "$shard" >"$WORK/generate-$shard.log" 2>&1 &
  pids+=($!)
done
failed=0
for pid in "${pids[@]}"; do wait "$pid" || failed=1; done
grep -h "sequences" "$WORK"/generate-*.log || true
if [ "$failed" != 0 ]; then
  tail -n 20 "$WORK"/generate-*.log
  exit 1
fi
say "data ready ($(du -sh "$WORK/data" | cut -f1))"
python3 - "$WORK/data" "$OUT/data-summary.json" <<'PY'
import glob, json, os, sys
data, out = sys.argv[1], sys.argv[2]
metas = [json.load(open(p)) for p in sorted(glob.glob(os.path.join(data, '*.meta.json')))]
json.dump({'manifest': json.load(open(os.path.join(data, 'manifest.json'))), 'shards': metas}, open(out, 'w'), indent=1)
PY

say "training; deadline in $((DEADLINE - $(date +%s))) s"
status=0
PYTHONUNBUFFERED=1 PYTORCH_CUDA_ALLOC_CONF=expandable_segments:True timeout --signal=TERM $((DEADLINE - $(date +%s) + 30)) \
  python3 tools/demo-model/train.py --data "$WORK/data" --out "$OUT" --work "$WORK/train" \
  --time-budget "$TRAIN_SECONDS" --deadline "$DEADLINE" --tokens-per-batch "$TOKENS_PER_BATCH" || status=$?
say "train.py exit status $status; outputs:"
ls -la "$OUT"
grep -h "FINAL\|quick eval\|demo-model.tar.gz\|layout probe\|identical\|fixture:\|failed" "$OUT/train-log.txt" | cut -c1-400 || true
exit "$status"
