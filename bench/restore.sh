#!/bin/sh
# Restore only, side by side: one encrypted mint-backup repository and one restic repository of the same tree, restored
# by each of the given mint-backup launchers (for an A/B of two builds on the same data: the repository is made once,
# by the first launcher) and by restic, interleaved, ROUNDS times. Prints every round's seconds and the range.
#
#   bench/restore.sh mixed [SIZE_MIB]         the bench/compare-restic.sh tree (bench/gen_tree.py, default 1024 MiB)
#   bench/restore.sh many [COUNT]             the bench/many-files.sh tree (bench/gen_many.py, default 200000)
#
# MB_LAUNCHERS="name=path ..." (default: "this=bin/mint-backup"); ROUNDS (default 2); BENCH_DIR (default
# bench/work-restore-KIND); JAVA_OPTS (default -Xmx256m). The repositories are kept in BENCH_DIR between runs (delete
# it to start again), so a second build can be measured later on the same data. mint-backup's repository is encrypted
# to an ed25519/cv25519 key made by gpg --quick-gen-key (restic always encrypts).
set -eu
here=$(cd "$(dirname "$0")/.." && pwd -P)
kind=${1:-many}
case "$kind" in
  mixed) size=${2:-1024} ;;
  many) size=${2:-200000} ;;
  *) echo "usage: bench/restore.sh mixed|many [SIZE]" >&2; exit 2 ;;
esac
work=${BENCH_DIR:-$here/bench/work-restore-$kind}
launchers=${MB_LAUNCHERS:-this=$here/bin/mint-backup}
rounds=${ROUNDS:-2}
JAVA_OPTS=${JAVA_OPTS:--Xmx256m}
export JAVA_OPTS
export RESTIC_PASSWORD=bench-password-not-secret
command -v restic >/dev/null || { echo "restic is missing: apt-get install restic" >&2; exit 2; }
first=${launchers%% *}; first=${first#*=}

mkdir -p "$work"
tree="$work/tree"
key="--key $work/secret.asc --passphrase-file $work/passphrase"
if [ ! -f "$work/ready" ]; then
  rm -rf "$work"; mkdir -p "$work"
  if [ "$kind" = mixed ]; then
    python3 "$here/bench/gen_tree.py" create "$tree" "$size"
  else
    python3 "$here/bench/gen_many.py" create "$tree" "$size"
  fi
  gnupg="$work/gnupg"; mkdir -p "$gnupg"; chmod 700 "$gnupg"
  printf 'bench-passphrase-not-secret\n' > "$work/passphrase"
  gpg --homedir "$gnupg" --batch --pinentry-mode loopback --passphrase-file "$work/passphrase" \
    --quick-gen-key "Bench <bench@mint.example>" future-default default never 2>/dev/null
  gpg --homedir "$gnupg" --batch --armor --export bench@mint.example > "$work/public.asc"
  gpg --homedir "$gnupg" --batch --pinentry-mode loopback --passphrase-file "$work/passphrase" --armor \
    --export-secret-keys bench@mint.example > "$work/secret.asc"
  "$first" init --repo "$work/mb-repo" --encrypt-to "$work/public.asc" >/dev/null
  # shellcheck disable=SC2086
  "$first" backup -q --no-cache --repo "$work/mb-repo" $key "$tree" >/dev/null
  restic init --repo "$work/restic-repo" >/dev/null
  restic backup -q --repo "$work/restic-repo" "$tree" >/dev/null
  touch "$work/ready"
fi

now() { date +%s.%N; }
timed() { # name command...
  name=$1; shift
  rm -rf "$work/restore"
  sync; echo 3 > /proc/sys/vm/drop_caches 2>/dev/null || true
  t0=$(now); "$@" >"$work/$name.log" 2>&1 || { echo "$name failed: see $work/$name.log" >&2; exit 1; }; t1=$(now)
  if [ "$i" = 1 ]; then  # the first round checks the restored tree (not timed)
    diff -r -q "$tree" "$work/restore$tree" >/dev/null || { echo "$name: the restored tree DIFFERS" >&2; exit 1; }
  fi
  echo "$t1 - $t0" | bc
}

echo "$kind tree: $size ($(du -sb "$tree" | cut -f1) bytes, $(find "$tree" -type f | wc -l) files); restic $(restic version | cut -d' ' -f2);" \
  "JAVA_OPTS=$JAVA_OPTS; $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"
results=""
for i in $(seq "$rounds"); do
  for l in $launchers; do
    name=${l%%=*}; launcher=${l#*=}
    # shellcheck disable=SC2086
    s=$(timed "mb-$name" "$launcher" restore -q --no-cache --repo "$work/mb-repo" $key latest --target "$work/restore")
    echo "round $i: mint-backup ($name) $s s"
    results="$results mb-$name:$s"
  done
  s=$(timed restic restic restore -q --repo "$work/restic-repo" latest --target "$work/restore")
  echo "round $i: restic $s s"
  results="$results restic:$s"
done
rm -rf "$work/restore"
echo "$results" | tr ' ' '\n' | awk -F: 'NF == 2 { n = $1; v = $2; if (!(n in lo) || v < lo[n]) lo[n] = v; if (!(n in hi) || v > hi[n]) hi[n] = v }
  END { for (n in lo) printf "%-24s %8.2f - %8.2f s\n", n, lo[n], hi[n] }' | sort
echo "(load at the end: $(cut -d' ' -f1-3 /proc/loadavg))"
