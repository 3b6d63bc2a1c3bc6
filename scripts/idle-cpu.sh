#!/usr/bin/env bash
# Measures the CPU that an idle desktop uses: the windowed display server under Xvfb with the
# launcher and the clock running, over SECONDS (default 20) after a settling pause.
# Needs Xvfb (Debian: xvfb) and a release build: cargo build --release -p demos -p netui-display-server
set -euo pipefail
seconds=${1:-20}
root=$(cd "$(dirname "$0")/.." && pwd)
bin=$root/target/release
runtime=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null; rm -rf "$runtime"' EXIT

Xvfb :97 -screen 0 1280x800x24 -noreset -nolisten tcp >/dev/null 2>&1 &
sleep 1
DISPLAY=:97 XDG_RUNTIME_DIR=$runtime "$bin/display-server" --display :7 --no-tcp >/dev/null 2>&1 &
server=$!
sleep 1
XDG_RUNTIME_DIR=$runtime NETUI_DISPLAY=:7 "$bin/netui" launcher &
launcher=$!
XDG_RUNTIME_DIR=$runtime NETUI_DISPLAY=:7 "$bin/netui" clock &
clock=$!
sleep 3

# utime + stime in clock ticks, fields 14 and 15 of /proc/PID/stat
ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
hz=$(getconf CLK_TCK)
declare -A before
for p in $server $launcher $clock; do before[$p]=$(ticks "$p"); done
sleep "$seconds"
for p in $server $launcher $clock; do
  used=$(( $(ticks "$p") - ${before[$p]} ))
  name=$(tr '\0' ' ' < "/proc/$p/cmdline" | awk '{print $1" "$2}')
  awk -v n="$name" -v u="$used" -v hz="$hz" -v s="$seconds" \
    'BEGIN { printf "%-40s %6.2f s CPU in %d s = %.3f%% of one core\n", n, u/hz, s, 100*u/hz/s }'
done
