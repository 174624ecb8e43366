#!/bin/sh
# A local Sink's first writes (bench/SinkFirstWrites.java) on a synthetic repository of 70,000 files: 60,000 empty
# pack-named files in data/xx/, 10,000 in snapshots/ (what a repository of a TiB holds). Issue 12: the first write
# used to walk the whole tree for dead writers' temporary files. Cold (caches dropped, when root may) and warm, for
# this build and, with OTHER=path/to/mint-backup.jar, another one, interleaved.
#
#   bench/first-write.sh [ROUNDS]             (default 3; needs a build: ./mvnw -q -DskipTests package)
set -eu
here=$(cd "$(dirname "$0")/.." && pwd -P)
rounds=${1:-3}
work=${BENCH_DIR:-$here/bench/work-first-write}
jar="$here/backup-cli/target/mint-backup.jar"
[ -f "$jar" ] || { echo "build first: ./mvnw -q -DskipTests package" >&2; exit 2; }
if [ ! -f "$work/repo/config" ]; then
  rm -rf "$work"
  python3 - "$work/repo" <<'PY'
import hashlib, os, sys
root = sys.argv[1]
def touch(directory, name):
    os.makedirs(directory, exist_ok=True)
    open(os.path.join(directory, name), 'w').close()
for i in range(60000):
    h = hashlib.sha256(b'pack%d' % i).hexdigest()
    touch(os.path.join(root, 'data', h[:2]), h)
for i in range(10000):
    touch(os.path.join(root, 'snapshots'), hashlib.sha256(b'snapshot%d' % i).hexdigest())
os.makedirs(os.path.join(root, 'locks'), exist_ok=True)
touch(root, 'config')
PY
fi
drop() { sync; [ "$(id -u)" = 0 ] && echo 3 > /proc/sys/vm/drop_caches || true; }
one() { # label jar
  java -XX:TieredStopAtLevel=1 -cp "$2" "$here/bench/SinkFirstWrites.java" "$work/repo" | sed "s/^/$1 (load $(cut -d' ' -f1 /proc/loadavg)): /"
}
i=0
while [ "$i" -lt "$rounds" ]; do
  i=$((i + 1))
  drop; one "this cold" "$jar"; one "this warm" "$jar"
  if [ -n "${OTHER:-}" ]; then
    drop; one "other cold" "$OTHER"; one "other warm" "$OTHER"
  fi
done
