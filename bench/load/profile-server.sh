#!/usr/bin/env bash
# The same prompt list as profile-cli.sh, through `wgh serve` and `wgh chat --server`: the server
# writes logs/server + metrics/server (report.md, plots) and the client logs/cli, side by side.
#   bench/load/profile-server.sh [--model DIR] [--prompts FILE] [--runs-dir DIR] [more wgh chat flags]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
prompts="$here/prompts.txt"
runs="runs"
serve_args=()
chat_args=()
while [ $# -gt 0 ]; do
  case "$1" in
    --prompts) prompts=$2; shift 2 ;;
    --runs-dir) runs=$2; shift 2 ;;
    --model) serve_args+=(--model "$2"); shift 2 ;;
    *) chat_args+=("$1"); shift ;;
  esac
done
log=$(mktemp)
node "$root/dist/src/cli/main.js" serve --port 0 --runs-dir "$runs" ${serve_args[@]+"${serve_args[@]}"} >"$log" 2>&1 &
server=$!
# (|| true: under set -e a kill of the server already stopped below would make the script exit 1)
trap 'kill "$server" 2>/dev/null || true; wait "$server" 2>/dev/null || true; rm -f "$log"' EXIT
url=""
for _ in $(seq 1 600); do
  url=$(sed -n 's/^listening on \(http[^ ]*\).*/\1/p' "$log" | head -1)
  if [ -n "$url" ] && grep -q '^ready:' "$log"; then break; fi
  if ! kill -0 "$server" 2>/dev/null; then cat "$log" >&2; exit 1; fi
  sleep 0.5
done
[ -n "$url" ] || { echo "wgh serve did not start" >&2; cat "$log" >&2; exit 1; }
node "$root/dist/src/cli/main.js" chat --server "$url" --prompts "$prompts" --runs-dir "$runs" --seed 1 ${chat_args[@]+"${chat_args[@]}"}
kill "$server"; wait "$server" 2>/dev/null || true
server_run=$(sed -n 's/.*; artifacts \([^;]*\).*/\1/p' "$log" | head -1)
echo "server run: $server_run (report: $server_run/metrics/server/report.md); client run: $(ls -1dt "$runs"/*/ | head -1)"
