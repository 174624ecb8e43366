#!/bin/sh
# A repository of many snapshots (default 10,000, hourly, made by bench/ManySnapshots.java): how long `list`,
# `prune --dry-run` and a backup's start (finding its parent) take, without the local summary cache (--no-cache: every
# snapshot object is read, in parallel) and with it (first run fills it, the next reads only the listing), next to
# the same commands on a repository of one snapshot. Wall-clock seconds and peak RSS of each, JVM start included.
#
#   bench/many-snapshots.sh [COUNT]           (needs a build: ./mvnw -q -DskipTests package; apt-get install time)
set -eu
here=$(cd "$(dirname "$0")/.." && pwd -P)
count=${1:-10000}
work=${BENCH_DIR:-$here/bench/work-snapshots}
mb="$here/bin/mint-backup"
jar="$here/backup-cli/target/mint-backup.jar"
[ -f "$jar" ] || { echo "build first: ./mvnw -q -DskipTests package" >&2; exit 2; }
[ -x /usr/bin/time ] || { echo "GNU time is missing: apt-get install time" >&2; exit 2; }
rm -rf "$work"
mkdir -p "$work/data"
echo "making $count snapshots ..."
java -cp "$jar" "$here/bench/ManySnapshots.java" "$work/repo" "$count"
java -cp "$jar" "$here/bench/ManySnapshots.java" "$work/one" 1
echo "one small file" > "$work/data/small.txt"
export XDG_CACHE_HOME="$work/cache"

measured() { # name command...
  name=$1; shift
  /usr/bin/time -v -o "$work/$name.time" "$@" >"$work/$name.log" 2>&1 || { echo "$name failed:" >&2; tail "$work/$name.log" >&2; exit 1; }
  wall=$(sed -n 's/.*Elapsed (wall clock) time (h:mm:ss or m:ss): //p' "$work/$name.time")
  rss=$(sed -n 's/.*Maximum resident set size (kbytes): //p' "$work/$name.time")
  secs=$(echo "$wall" | awk -F: '{ if (NF == 3) print $1 * 3600 + $2 * 60 + $3; else print $1 * 60 + $2 }')
  printf '%.2f s, %d MiB' "$secs" "$((rss / 1024))"
}
prune="prune --dry-run --keep-daily 7 --keep-weekly 4 --keep-monthly 12"
row() { # what command...
  what=$1; shift
  one=$(measured "one-$what" "$@" --repo "$work/one")
  nocache=$(measured "nocache-$what" "$@" --no-cache --repo "$work/repo")
  fill=$(measured "fill-$what" "$@" --repo "$work/repo")
  cached=$(measured "cached-$what" "$@" --repo "$work/repo")
  echo "| $what | $one | $nocache | $fill | $cached |"
}
echo
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'); $("$mb" --version | head -1)"
echo "| command | 1 snapshot | $count snapshots, no cache | $count, filling the cache | $count, cached |"
echo "| --- | --- | --- | --- | --- |"
rm -rf "$work/cache"
row "list" "$mb" list -q
rm -rf "$work/cache"
# shellcheck disable=SC2086
row "prune --dry-run" "$mb" $prune -q
rm -rf "$work/cache"
row "backup of one file" "$mb" backup -q "$work/data"
echo "snapshots listed: $(grep -c '^20' "$work/cached-list.log" || true); prune: $(grep -ci 'keep\|remove' "$work/cached-prune --dry-run.log" || true) lines"
