#!/usr/bin/env bash
# Drives a multi-turn prompt list through `wgh chat` (the local engine) and leaves a run directory
# with logs/cli, metrics/cli/timing.csv, report.md and the SVG plots. Compare with profile-server.sh.
#   bench/load/profile-cli.sh [--model DIR] [--prompts FILE] [--runs-dir DIR] [more wgh chat flags]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
prompts="$here/prompts.txt"
runs="runs"
args=()
while [ $# -gt 0 ]; do
  case "$1" in
    --prompts) prompts=$2; shift 2 ;;
    --runs-dir) runs=$2; shift 2 ;;
    *) args+=("$1"); shift ;;
  esac
done
node "$root/dist/src/cli/main.js" chat --prompts "$prompts" --runs-dir "$runs" --seed 1 ${args[@]+"${args[@]}"}
latest=$(ls -1dt "$runs"/*/ | head -1)
echo "run directory: $latest (report: ${latest}metrics/cli/report.md)"
