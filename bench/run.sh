#!/bin/sh
# `make bench`: the Go micro-benchmarks next to the code, then the end-to-end load generator
# (cmd/loadgen), which rewrites the "End-to-end" section and the summary of docs/BENCHMARKS.md.
# Not part of `make test` or CI. Takes about 5–10 minutes on 2 cores; extra arguments go to
# loadgen (e.g. `make bench LOADGEN_ARGS="-java off"`).
#
# The machine may be shared: the load average is printed before each step, and the report
# quotes ratios measured in the same run rather than absolute figures alone.
set -eu
cd "$(dirname "$0")/.."
GO=${GO:-go}
BENCHTIME=${BENCHTIME:-500ms}
PKGS=${BENCH_PKGS:-"./remoting/... ./message/... ./store/..."}

echo "== $(nproc) CPUs, load average $(cut -d' ' -f1-3 /proc/loadavg)"
echo "== go test -bench (benchtime $BENCHTIME): $PKGS"
# shellcheck disable=SC2086
$GO test -run='^$' -bench=. -benchmem -benchtime="$BENCHTIME" -count=1 -timeout 15m $PKGS | tee bench.out

echo "== store paired benchmarks (append vs bare mmap copy, SYNC_FLUSH vs write+fdatasync, recovery)"
ROCKETGO_BENCH_REPORT="$PWD/bench-store.out" $GO test -count=1 -run '^TestStoreBenchReport$' ./store/ >/dev/null
cat bench-store.out

echo "== load average $(cut -d' ' -f1-3 /proc/loadavg)"
echo "== cmd/loadgen $*"
$GO run ./cmd/loadgen -report docs/BENCHMARKS.md "$@"
