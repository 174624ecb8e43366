#!/bin/sh
# Makes the golden repositories of one format version, once: see README.md beside this script.
# Usage (from the repository root): backup-cli/src/test/resources/golden/make.sh v2
set -eu
version=${1:?usage: make.sh vN (the new format version; an existing version is never rewritten)}
out=backup-cli/src/test/resources/golden/$version
[ ! -e "$out" ] || { echo "$out exists: a version's fixtures are made once and never rewritten" >&2; exit 2; }
./mvnw -B -q -pl backup-cli -am test-compile \
    org.apache.maven.plugins:maven-dependency-plugin:3.8.1:build-classpath \
    -Dmdep.outputFile=target/test.classpath -Dmdep.includeScope=test
java -cp "backup-cli/target/test-classes:backup-cli/target/classes:$(cat backup-cli/target/test.classpath)" \
    com.mintreplica.backup.cli.MakeGoldenRepositories "$out"
