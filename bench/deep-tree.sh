#!/bin/sh
# A chain of directories DEPTH levels deep (default 2,000, names of one letter, one file at the bottom; restic and tar
# handle it): how the time of a backup and of a restore grows with depth. Runs each at a quarter, half and the full
# depth; a restore whose time grows much faster than the depth is doing per entry work in proportion to it.
#
#   bench/deep-tree.sh [DEPTH]           (needs a build: ./mvnw -q -DskipTests package)
set -eu
here=$(cd "$(dirname "$0")/.." && pwd -P)
depth=${1:-2000}
work=${BENCH_DIR:-$here/bench/work-deep}
mb="$here/bin/mint-backup"
[ -f "$here/backup-cli/target/mint-backup.jar" ] || { echo "build first: ./mvnw -q -DskipTests package" >&2; exit 2; }
now() { date +%s.%N; }
rm -rf "$work"
mkdir -p "$work"
for d in $((depth / 4)) $((depth / 2)) "$depth"; do
  python3 -c "
import os, sys
os.makedirs(sys.argv[1]); os.chdir(sys.argv[1])
for _ in range(int(sys.argv[2])):
    os.mkdir('d'); os.chdir('d')
open('f', 'w').write('at the bottom\n')
" "$work/src-$d" "$d"
  "$mb" init -q --repo "$work/repo-$d"
  t0=$(now); "$mb" backup -q --repo "$work/repo-$d" "$work/src-$d"; t1=$(now)
  "$mb" restore -q --repo "$work/repo-$d" latest --target "$work/restore-$d"; t2=$(now)
  printf 'depth %5d: backup %6.2f s, restore %6.2f s\n' "$d" "$(echo "$t1 - $t0" | bc)" "$(echo "$t2 - $t1" | bc)"
  rm -rf "$work/src-$d" "$work/restore-$d"
done
