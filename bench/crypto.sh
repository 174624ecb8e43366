#!/usr/bin/env bash
# Encryption is not the bottleneck: backs up the same generated data into an unencrypted and an encrypted chunked
# repository (local directory, zstd, default chunking), and through a writer key, and prints the throughputs, their
# ratios (target >= 0.90) and the CPU time per GiB of each (steadier than wall time on a busy machine).
# Usage: bench/crypto.sh [MiB of data, default 512] [rounds, default 3]
set -euo pipefail
cd "$(dirname "$0")/.."
cp_file=$(mktemp)
trap 'rm -f "$cp_file"' EXIT
./mvnw -q -o -pl backup-crypto -am test-compile dependency:build-classpath \
  -Dmdep.includeScope=test -Dmdep.outputFile="$cp_file" >/dev/null
cp="backup-crypto/target/test-classes:backup-crypto/target/classes:backup-core/target/classes:backup-testkit/target/classes:$(cat "$cp_file")"
# the JIT settings bin/mint-backup uses (see there)
jit="-XX:CompileCommand=quiet -XX:CompileCommand=CompileThresholdScaling,com.sun.crypto.provider.*::*,0.01"
jit="$jit -XX:CompileCommand=CompileThresholdScaling,sun.security.provider.*::*,0.01"
exec java -Xmx3g $jit -cp "$cp" com.mintreplica.backup.crypto.CryptoBench "${1:-512}" "${2:-3}"
