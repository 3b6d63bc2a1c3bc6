#!/usr/bin/env bash
# The fuzz targets (fuzz/, cargo-fuzz), as CI and a person run them.
#
#   scripts/fuzz.sh smoke [SECONDS]   every target SECONDS (default 30) on its committed corpus:
#                                      what .ci/run does; fails on a crash, a timeout or a leak
#   scripts/fuzz.sh long [TARGET...]  each target (default: all) to ten million runs, one after
#                                      the other; logs in target/fuzz-logs/TARGET.log;
#                                      FUZZ_JOBS=N runs N processes of a target at once;
#                                      FUZZ_NO_TRACE_COMPARES=1 builds without compare tracing
#   scripts/fuzz.sh slowest [TARGET...] every input a long run kept, and the committed ones,
#                                      once each; fails on one that takes a second or more
#   scripts/fuzz.sh merge [TARGET...] minimizes what the runs found, with the seeds from
#                                      real sessions (fuzz/seeds/), into the committed corpora
#
# Failing inputs are saved in fuzz/artifacts/TARGET/; `cargo fuzz fmt TARGET FILE` shows one
# and `cargo fuzz run TARGET FILE` replays it.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD

# cargo-fuzz 0.13.2 (pinned): installed if missing.
if ! command -v cargo-fuzz >/dev/null 2>&1; then
  cargo install cargo-fuzz --version 0.13.2 --locked
fi
export RUSTC_BOOTSTRAP=1

# AddressSanitizer's costliest checks catch what safe Rust cannot do: a stack frame used
# after its function returned (each call's frame is moved to the heap for it), and a heap
# block used after it was freed (freed blocks wait in a quarantine). netui's crates have no
# unsafe code (the workspace denies it; the display-server program's two glibc calls are in
# no target), so those two are off, and reports carry no allocation stacks; out-of-bounds
# access (in the dependencies' unsafe code too), leaks, timeouts and panics are still caught.
# Up to twice the runs per second, a tenth of the memory (FUZZING.md). To see where a failing input's memory came
# from, replay it with ASAN_OPTIONS=malloc_context_size=30 (or any of these set back).
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_stack_use_after_return=0:quarantine_size_mb=0:malloc_context_size=0}

# FUZZ_NO_TRACE_COMPARES=1: a build without LLVM's compare tracing (`cargo fuzz
# --no-trace-compares`), in a target directory of its own so that it does not replace the
# usual build. The fuzzer no longer learns the operands of comparisons (values it must match
# to get past a check) and mutates without them; in exchange `server`, whose inputs spend half
# their time in those callbacks (the renderer's and encoders' per-pixel comparisons), runs
# twice as fast (FUZZING.md). For a long run from a corpus already grown with them.
build_flags=()
if [ "${FUZZ_NO_TRACE_COMPARES:-0}" = 1 ]; then
  build_flags=(--no-trace-compares --target-dir target/no-trace-compares)
fi

# Builds the targets named (default: all).
build() {
  if [ $# -eq 0 ]; then set -- ""; fi
  for target in "$@"; do
    (cd fuzz && cargo fuzz build "${build_flags[@]}" ${target:+"$target"})
  done
}

targets() {
  if [ $# -gt 0 ]; then printf '%s\n' "$@"; else (cd fuzz && cargo fuzz list); fi
}

# The scratch corpus (what a run finds; not committed) comes first: libFuzzer writes new
# inputs into the first directory only, so the committed corpus is only read.
run() {
  local target=$1; shift
  mkdir -p "fuzz/corpus/$target" "fuzz/corpora/$target"
  (cd fuzz && cargo fuzz run "${build_flags[@]}" "$target" "corpus/$target" "corpora/$target" -- \
    -timeout=1 -rss_limit_mb=2048 -detect_leaks=1 -print_final_stats=1 "$@")
}

mode=${1:-smoke}
shift || true
case $mode in
  smoke)
    seconds=${1:-30}
    build
    for target in $(targets); do
      echo "== fuzz $target: $seconds s"
      run "$target" -max_total_time="$seconds"
    done
    ;;
  long)
    build "$@"
    # FUZZ_JOBS=N: N processes of one target share its corpus (each reads what the others
    # found, libFuzzer's -reload) and the ten million runs, 10,000,000 / N each; a log each.
    # (libFuzzer's fork mode was tried: on `server` each of its short-lived processes ran at
    # 40% of one long-lived process's rate.)
    jobs=${FUZZ_JOBS:-1}
    mkdir -p target/fuzz-logs
    for target in $(targets "$@"); do
      echo "== fuzz $target: ten million runs in $jobs process(es) (logs: target/fuzz-logs/$target*.log)"
      logs=() pids=()
      for j in $(seq 1 "$jobs"); do
        log=target/fuzz-logs/$target.log
        [ "$jobs" -gt 1 ] && log=target/fuzz-logs/$target.$j.log
        # A timeout is 10 s, not 1: a process the machine descheduled for a second was
        # reported as one (FUZZING.md). `scripts/fuzz.sh slowest TARGET` then replays what
        # the run kept, one input at a time, and fails on one of a second or more.
        run "$target" -runs=$((10000000 / jobs)) -timeout=10 >"$log" 2>&1 &
        logs+=("$log") pids+=($!)
      done
      failed=0
      for j in "${!pids[@]}"; do
        if ! wait "${pids[$j]}"; then
          tail -30 "${logs[$j]}"
          failed=1
        fi
        grep -E '^#[0-9]+|stat::' "${logs[$j]}" | tail -4
      done
      [ "$failed" = 0 ] || exit 1
    done
    ;;
  slowest)
    build "$@"
    for target in $(targets "$@"); do
      echo "== fuzz $target: every input once"
      run "$target" -runs=0 -report_slow_units=1 2>&1 | grep -E 'INITED|Slowest|stat::'
    done
    ;;
  merge)
    build "$@"
    for target in $(targets "$@"); do
      mkdir -p "fuzz/corpora/$target" "fuzz/corpus/$target" "fuzz/seeds/$target"
      (cd fuzz && cargo fuzz run "${build_flags[@]}" "$target" "corpora/$target" "corpus/$target" "seeds/$target" -- -merge=1)
      (cd fuzz && cargo fuzz cmin "${build_flags[@]}" "$target" "corpora/$target")
      echo "$target: $(ls "fuzz/corpora/$target" | wc -l) inputs, $(du -sh "fuzz/corpora/$target" | cut -f1)"
    done
    ;;
  *)
    echo "usage: scripts/fuzz.sh smoke [SECONDS] | long [TARGET...] | slowest [TARGET...] | merge [TARGET...]" >&2
    exit 2
    ;;
esac
