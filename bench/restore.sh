#!/bin/sh
# Restore only, side by side: one encrypted mint-backup repository and one restic repository of the same tree, restored
# by each of the given mint-backup launchers (for an A/B of two builds on the same data: the repository is made once,
# by the first launcher) and by restic, interleaved, ROUNDS times. Prints every round's wall-clock and CPU seconds and
# their ranges.
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

# Prints "wall-seconds cpu-seconds peak-RSS-MiB" (CPU: user + system, of the command and its children, steadier than
# wall time on a busy machine; RSS: the largest of the process and its children, from GNU time's %M) of a restore;
# the first round also checks the restored tree (not timed).
timed() { # name command...
  name=$1; shift
  rm -rf "$work/restore"
  sync; echo 3 > /proc/sys/vm/drop_caches 2>/dev/null || true
  /usr/bin/time -f '%e %U %S %M' -o "$work/$name.time" "$@" >"$work/$name.log" 2>&1 \
    || { echo "$name failed: see $work/$name.log" >&2; exit 1; }
  if [ "$i" = 1 ]; then
    diff -r -q "$tree" "$work/restore$tree" >/dev/null || { echo "$name: the restored tree DIFFERS" >&2; exit 1; }
  fi
  awk '{ printf "%.2f %.2f %.0f\n", $1, $2 + $3, $4 / 1024 }' "$work/$name.time"
}

echo "$kind tree: $size ($(du -sb "$tree" | cut -f1) bytes, $(find "$tree" -type f | wc -l) files); restic $(restic version | cut -d' ' -f2);" \
  "JAVA_OPTS=$JAVA_OPTS; $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"
results=""
for i in $(seq "$rounds"); do
  for l in $launchers; do
    name=${l%%=*}; launcher=${l#*=}
    # shellcheck disable=SC2086
    s=$(timed "mb-$name" "$launcher" restore -q --no-cache --repo "$work/mb-repo" $key latest --target "$work/restore")
    set -- $s
    echo "round $i: mint-backup ($name) wall $1 s, cpu $2 s, peak RSS $3 MiB"
    results="$results mb-$name:$1:$2:$3"
  done
  s=$(timed restic restic restore -q --repo "$work/restic-repo" latest --target "$work/restore")
  set -- $s
  echo "round $i: restic wall $1 s, cpu $2 s, peak RSS $3 MiB"
  results="$results restic:$1:$2:$3"
done
rm -rf "$work/restore"
echo "$results" | tr ' ' '\n' | awk -F: 'NF == 4 { n = $1
    if (!(n in wl) || $2 < wl[n]) wl[n] = $2; if (!(n in wh) || $2 > wh[n]) wh[n] = $2
    if (!(n in cl) || $3 < cl[n]) cl[n] = $3; if (!(n in ch) || $3 > ch[n]) ch[n] = $3
    if (!(n in rl) || $4 < rl[n]) rl[n] = $4; if (!(n in rh) || $4 > rh[n]) rh[n] = $4 }
  END { for (n in wl) printf "%-20s wall %7.2f - %7.2f s   cpu %7.2f - %7.2f s   peak RSS %5d - %5d MiB\n", n, wl[n], wh[n], cl[n], ch[n], rl[n], rh[n] }' | sort
echo "(load at the end: $(cut -d' ' -f1-3 /proc/loadavg))"
