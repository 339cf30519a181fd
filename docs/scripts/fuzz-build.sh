#!/usr/bin/env bash
# Builds a coverage-guided libFuzzer binary for the parser and checker (TPSyntax + TPCore),
# with AddressSanitizer, and runs it on the shipped examples and fixtures as the seed corpus.
#
#   docs/scripts/fuzz-build.sh            # build, then fuzz for 10 minutes
#   FUZZ_SECONDS=3600 docs/scripts/fuzz-build.sh
#   FUZZ_LEAKS=1 docs/scripts/fuzz-build.sh   # also report leaks (see docs/robustness.md)
#
# Output: .build-fuzz/checker-fuzzer, findings as .build-fuzz/crash-* (see docs/robustness.md).
set -euo pipefail
cd "$(dirname "$0")/../.."
out=.build-fuzz
mkdir -p "$out/corpus"
flags=(-O -parse-as-library -sanitize=fuzzer,address -swift-version 6)

swiftc "${flags[@]}" -emit-library -static -emit-module -module-name TPSyntax \
  -emit-module-path "$out/TPSyntax.swiftmodule" -o "$out/libTPSyntax.a" Sources/TPSyntax/*.swift
swiftc "${flags[@]}" -emit-library -static -emit-module -module-name TPCore -I "$out" \
  -emit-module-path "$out/TPCore.swiftmodule" -o "$out/libTPCore.a" Sources/TPCore/*.swift
swiftc "${flags[@]}" -I "$out" -L "$out" -lTPCore -lTPSyntax \
  docs/scripts/fuzz/CheckerFuzzer.swift -o "$out/checker-fuzzer"

cp examples/*.tp Tests/TPCoreTests/Fixtures/*.tp "$out/corpus/" 2>/dev/null || true
cd "$out"
./checker-fuzzer corpus -max_total_time="${FUZZ_SECONDS:-600}" -timeout=10 -rss_limit_mb=2048 \
  -max_len=4096 -detect_leaks="${FUZZ_LEAKS:-0}" -print_final_stats=1
