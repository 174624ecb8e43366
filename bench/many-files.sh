#!/bin/sh
# A tree of many small files (bench/gen_many.py: COUNT files, nested, mostly small, half text), backed up with
# mint-backup in a 256 MiB heap and with restic (Debian's package), one tool after the other on the same machine:
# first backup, unchanged second backup, full restore. Prints wall-clock seconds and peak RSS (GNU time's maximum
# resident set size) of each, and checks both restores against the tree.
#
#   bench/many-files.sh [COUNT]               (default 1000000; needs a build: ./mvnw -q -DskipTests package,
#                                              and the time package: apt-get install time restic)
#
# JAVA_OPTS for mint-backup default to -Xmx256m (MB_JAVA_OPTS overrides). restic always encrypts; mint-backup is
# unencrypted here unless MB_ENCRYPT_TO names an OpenPGP public key (then MB_KEY and MB_PASSPHRASE_FILE open it).
# Caches are dropped before each command when the script may (root).
set -eu
here=$(cd "$(dirname "$0")/.." && pwd -P)
count=${1:-1000000}
work=${BENCH_DIR:-$here/bench/work-many}
mb="$here/bin/mint-backup"
command -v restic >/dev/null || { echo "restic is missing: apt-get install restic" >&2; exit 2; }
[ -x /usr/bin/time ] || { echo "GNU time is missing: apt-get install time" >&2; exit 2; }
[ -f "$here/backup-cli/target/mint-backup.jar" ] || { echo "build first: ./mvnw -q -DskipTests package" >&2; exit 2; }
JAVA_OPTS=${MB_JAVA_OPTS:--Xmx256m}
export JAVA_OPTS

rm -rf "$work"
mkdir -p "$work"
tree="$work/tree"
if [ -n "${MANY_TREE:-}" ]; then
  tree=$MANY_TREE    # an existing tree made by gen_many.py, to save generating it again
  count=$(find "$tree" -type f | wc -l)    # what the table's label says: the tree's files, not the argument
else
  echo "generating $count files in $tree ..."
  python3 "$here/bench/gen_many.py" create "$tree" "$count"
fi
sync

export RESTIC_PASSWORD=bench-password-not-secret
keys=""
if [ -n "${MB_ENCRYPT_TO:-}" ]; then
  keys="--key $MB_KEY --passphrase-file $MB_PASSPHRASE_FILE"
fi
# Runs a command under GNU time; prints "seconds peak-MiB".
measured() { # name command...
  name=$1; shift
  sync; echo 3 > /proc/sys/vm/drop_caches 2>/dev/null || true
  /usr/bin/time -v -o "$work/$name.time" "$@" >"$work/$name.log" 2>&1 || { echo "$name failed:" >&2; tail "$work/$name.log" >&2; exit 1; }
  wall=$(sed -n 's/.*Elapsed (wall clock) time (h:mm:ss or m:ss): //p' "$work/$name.time")
  rss=$(sed -n 's/.*Maximum resident set size (kbytes): //p' "$work/$name.time")
  secs=$(echo "$wall" | awk -F: '{ if (NF == 3) print $1 * 3600 + $2 * 60 + $3; else print $1 * 60 + $2 }')
  echo "$secs $((rss / 1024))"
}

if [ -n "${MB_ENCRYPT_TO:-}" ]; then
  "$mb" init --repo "$work/mb-repo" --encrypt-to "$MB_ENCRYPT_TO" >/dev/null
else
  "$mb" init --repo "$work/mb-repo" >/dev/null
fi
restic init --repo "$work/restic-repo" >/dev/null

# shellcheck disable=SC2086
mb1=$(measured mb-first "$mb" backup -q --no-cache --repo "$work/mb-repo" $keys "$tree")
r1=$(measured restic-first restic backup -q --repo "$work/restic-repo" "$tree")
# shellcheck disable=SC2086
mb2=$(measured mb-second "$mb" backup -q --no-cache --repo "$work/mb-repo" $keys "$tree")
r2=$(measured restic-second restic backup -q --repo "$work/restic-repo" "$tree")
# shellcheck disable=SC2086
mb3=$(measured mb-restore "$mb" restore -q --no-cache --repo "$work/mb-repo" $keys latest --target "$work/mb-restore")
r3=$(measured restic-restore restic restore -q --repo "$work/restic-repo" latest --target "$work/restic-restore")

same() { diff -r -q "$tree" "$1$tree" >/dev/null && echo identical || echo DIFFERENT; }
echo "mint-backup restore: $(same "$work/mb-restore"); restic restore: $(same "$work/restic-restore")"

row() { # name "mb-secs mb-mib" "r-secs r-mib"
  set -- "$1" $2 $3
  printf '| %s | %.1f | %.1f | %.2f | %d | %d |\n' "$1" "$2" "$4" "$(echo "scale=4; $4 / $2" | bc)" "$3" "$5"
}
echo
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(free -g | awk '/Mem/{print $2}') GiB RAM"
echo "tree: $count files, $(du -sb "$tree" | cut -f1) bytes (bench/gen_many.py); restic $(restic version | cut -d' ' -f2); $("$mb" --version | head -1); JAVA_OPTS=$JAVA_OPTS"
echo "| $count files | mint-backup s | restic s | time ratio (restic/mint) | mint-backup peak RSS MiB | restic peak RSS MiB |"
echo "| --- | --- | --- | --- | --- | --- |"
row "first backup" "$mb1" "$r1"
row "unchanged second backup" "$mb2" "$r2"
row "restore" "$mb3" "$r3"
echo "repository MiB: mint-backup $(($(du -sb "$work/mb-repo" | cut -f1) >> 20)), restic $(($(du -sb "$work/restic-repo" | cut -f1) >> 20))"
