#!/bin/sh
# Backs up the same generated mixed tree with mint-backup and with restic (Debian's package), on the same machine:
# first backup, unchanged second backup, backup after 2% of the files changed, and a full restore. Prints wall-clock
# seconds and the ratio restic/mint-backup per row (above 1: mint-backup is faster), and repository sizes.
#
#   bench/compare-restic.sh [SIZE_MIB]        (default 1024; needs a build: ./mvnw -q -DskipTests package)
#
# Both tools get the same tree, a fresh repository on the same disk, and a cold start per command. restic always
# encrypts (AES-256-CTR + Poly1305) and compresses with zstd ("auto"); mint-backup runs unencrypted (zstd level 3), and
# encrypted to an ed25519/cv25519 key made by gpg --quick-gen-key (passphrase-protected): backups through a writer key
# (no secret key), restores with the secret key. ROUNDS=N repeats every timed command N times, interleaved, and keeps
# the fastest (steadier on a busy machine).
set -eu
here=$(cd "$(dirname "$0")/.." && pwd -P)
size=${1:-1024}
work=${BENCH_DIR:-$here/bench/work}
mb="$here/bin/mint-backup"
command -v restic >/dev/null || { echo "restic is missing: apt-get install restic" >&2; exit 2; }
[ -f "$here/backup-cli/target/mint-backup.jar" ] || { echo "build first: ./mvnw -q -DskipTests package" >&2; exit 2; }

rm -rf "$work"
mkdir -p "$work"
tree="$work/tree"
echo "generating a ${size} MiB tree in $tree ..."
python3 "$here/bench/gen_tree.py" create "$tree" "$size"
sync

export RESTIC_PASSWORD=bench-password-not-secret
rounds=${ROUNDS:-1}
gnupg="$work/gnupg"; mkdir -p "$gnupg"; chmod 700 "$gnupg"
printf 'bench-passphrase-not-secret\n' > "$work/passphrase"
gpg --homedir "$gnupg" --batch --pinentry-mode loopback --passphrase-file "$work/passphrase" \
  --quick-gen-key "Bench <bench@mint.example>" future-default default never 2>/dev/null
gpg --homedir "$gnupg" --batch --armor --export bench@mint.example > "$work/bench.asc"
gpg --homedir "$gnupg" --batch --pinentry-mode loopback --passphrase-file "$work/passphrase" --armor \
  --export-secret-keys bench@mint.example > "$work/bench-secret.asc"
key="--key $work/bench-secret.asc --passphrase-file $work/passphrase"
writer="--writer-key $work/writer.key --cache-dir $work/writer-cache"
now() { date +%s.%N; }
secs() { echo "$2 - $1" | bc; }
timed() { # name command...
  name=$1; shift
  sync; echo 3 > /proc/sys/vm/drop_caches 2>/dev/null || true
  t0=$(now); "$@" >"$work/$name.log" 2>&1 || { echo "$name failed: see $work/$name.log" >&2; exit 1; }; t1=$(now)
  secs "$t0" "$t1"
}
min() { echo "$1 $2" | awk '{print ($1 < $2) ? $1 : $2}'; }
size_of() { du -sb "$1" | cut -f1; }

"$mb" init --repo "$work/mb-repo" >/dev/null
"$mb" init --repo "$work/mbe-repo" --encrypt-to "$work/bench.asc" >/dev/null
"$mb" key writer export --repo "$work/mbe-repo" $key --name bench --out "$work/writer.key" >/dev/null
restic init --repo "$work/restic-repo" >/dev/null

# Each row: mint-backup, mint-backup through a writer key (encrypted), restic; with ROUNDS > 1 the state moves on
# between rounds for backups (the first backup runs once; each round of the 2% row changes other files), restores are
# repeated as they are.
mb1=$(timed mb-first "$mb" backup --repo "$work/mb-repo" "$tree")
mbe1=$(timed mbe-first "$mb" backup --repo "$work/mbe-repo" $writer "$tree")
r1=$(timed restic-first restic backup --repo "$work/restic-repo" "$tree")
mbs1=$(size_of "$work/mb-repo"); mbes1=$(size_of "$work/mbe-repo"); rs1=$(size_of "$work/restic-repo")
mb2=999; mbe2=999; r2=999
for i in $(seq "$rounds"); do
  mb2=$(min "$mb2" "$(timed mb-second "$mb" backup --repo "$work/mb-repo" "$tree")")
  mbe2=$(min "$mbe2" "$(timed mbe-second "$mb" backup --repo "$work/mbe-repo" $writer "$tree")")
  r2=$(min "$r2" "$(timed restic-second restic backup --repo "$work/restic-repo" "$tree")")
done
mbs2=$(size_of "$work/mb-repo"); mbes2=$(size_of "$work/mbe-repo"); rs2=$(size_of "$work/restic-repo")
# Each round changes another 2% of the files (seeds 7, 8, ...), then all three back them up.
mb3=999; mbe3=999; r3=999
for i in $(seq "$rounds"); do
  python3 "$here/bench/gen_tree.py" change "$tree" 2 $((6 + i))
  mb3=$(min "$mb3" "$(timed mb-changed "$mb" backup --repo "$work/mb-repo" "$tree")")
  mbe3=$(min "$mbe3" "$(timed mbe-changed "$mb" backup --repo "$work/mbe-repo" $writer "$tree")")
  r3=$(min "$r3" "$(timed restic-changed restic backup --repo "$work/restic-repo" "$tree")")
done
mbs3=$(size_of "$work/mb-repo"); mbes3=$(size_of "$work/mbe-repo"); rs3=$(size_of "$work/restic-repo")
mb4=999; mbe4=999; r4=999
for i in $(seq "$rounds"); do
  rm -rf "$work/mb-restore" "$work/mbe-restore" "$work/restic-restore"
  mb4=$(min "$mb4" "$(timed mb-restore "$mb" restore --repo "$work/mb-repo" latest --target "$work/mb-restore")")
  mbe4=$(min "$mbe4" "$(timed mbe-restore "$mb" restore --repo "$work/mbe-repo" $key latest --target "$work/mbe-restore")")
  r4=$(min "$r4" "$(timed restic-restore restic restore --repo "$work/restic-repo" latest --target "$work/restic-restore")")
done

diff -r "$tree" "$work/mb-restore$tree" >/dev/null && echo "mint-backup restore: identical to the tree"
diff -r "$tree" "$work/mbe-restore$tree" >/dev/null && echo "mint-backup encrypted restore: identical to the tree"

row() { printf '%-28s %10.2f %10.2f %10.2f %8.2f %8.2f\n' "$1" "$2" "$3" "$4" "$(echo "scale=4; $4 / $2" | bc)" \
  "$(echo "scale=4; $4 / $3" | bc)"; }
echo
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(free -g | awk '/Mem/{print $2}') GiB RAM; load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "tree: ${size} MiB generated by bench/gen_tree.py; restic $(restic version | cut -d' ' -f2); $("$mb" --version | head -1); rounds $rounds"
printf '%-28s %10s %10s %10s %8s %8s\n' "seconds" "mint" "mint-enc" "restic" "ratio" "ratio-enc"
row "first backup" "$mb1" "$mbe1" "$r1"
row "unchanged second backup" "$mb2" "$mbe2" "$r2"
row "backup after 2% changed" "$mb3" "$mbe3" "$r3"
row "restore" "$mb4" "$mbe4" "$r4"
printf '%-28s %10s %10s %10s\n' "repository MiB after 1/2/3" "$((mbs1>>20))/$((mbs2>>20))/$((mbs3>>20))" \
  "$((mbes1>>20))/$((mbes2>>20))/$((mbes3>>20))" "$((rs1>>20))/$((rs2>>20))/$((rs3>>20))"
echo "(mint-enc: encrypted to an ed25519 key; backups through a writer key, restores with the secret key. ratio: restic"
echo " over mint, ratio-enc: restic over mint-enc; above 1, mint-backup is faster)"
