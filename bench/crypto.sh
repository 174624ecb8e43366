#!/usr/bin/env bash
# Encryption is not the bottleneck: backs up the same generated data into an unencrypted and an encrypted chunked
# repository (local directory, zstd, default chunking), and through a writer key, inside one JVM: a warm-up round of
# each first (not counted), then the rounds, the order of the modes rotating from round to round. Prints each mode's
# best and median throughput and CPU time per GiB, and the ratios to unencrypted (target >= 0.90): of the bests, of
# the medians, and the median of the ratios within each round. CPU time is steadier than wall time on a busy machine.
# Usage: bench/crypto.sh [MiB of data, default 512] [rounds, default 3]
set -euo pipefail
cd "$(dirname "$0")/.."
# The modules' classes as built, then the CLI's jar for every library they use; the bench and its keys are test code.
# (The classpath used to come from maven-dependency-plugin's build-classpath, which an offline build often cannot
# resolve: the script then stopped without a word, its output sent to /dev/null.)
jar=backup-cli/target/mint-backup.jar
[ -f "$jar" ] || { echo "build first: ./mvnw -q -DskipTests package" >&2; exit 2; }
./mvnw -q -o -pl backup-crypto -am test-compile >/dev/null || { echo "compiling the bench failed: run ./mvnw -pl backup-crypto -am test-compile" >&2; exit 1; }
cp="backup-crypto/target/test-classes:backup-crypto/target/classes:backup-core/target/classes:backup-testkit/target/classes:$jar"
# the JIT settings and the collector bin/mint-backup uses (see there): what the command runs is what is measured
# (with the JVM's default collector, G1 on most machines, CPU time varies more from run to run)
jit="-XX:Tier4InvocationThreshold=50000 -XX:Tier4MinInvocationThreshold=6000 -XX:Tier4CompileThreshold=150000"
jit="$jit -XX:Tier4BackEdgeThreshold=400000 -XX:InlineSmallCode=1000"
jit="$jit -XX:CompileCommand=quiet -XX:CompileCommand=CompileThresholdScaling,sun.security.provider.*::*,0.1"
for c in GHASH GCTR CounterMode; do
  jit="$jit -XX:CompileCommand=CompileThresholdScaling,com.sun.crypto.provider.$c::*,0.001"
done
jit="$jit -XX:CompileCommand=MaxNodeLimit,com.sun.crypto.provider.AESCrypt::makeSessionKey,3000"
case " ${JAVA_OPTS:-} " in
  *" -XX:+Use"*"GC "*) ;;
  *) jit="$jit -XX:+UseSerialGC" ;;
esac
# JAVA_OPTS adds JVM options, e.g. -XX:StartFlightRecording=filename=crypto.jfr to profile, or -Dbench.modes=encrypted
# to run one mode only. The runs' own log lines are left out (warnings still show).
exec java -Xmx3g $jit -Dorg.slf4j.simpleLogger.defaultLogLevel=warn ${JAVA_OPTS:-} -cp "$cp" \
  com.mintreplica.backup.crypto.CryptoBench "${1:-512}" "${2:-3}"
