#!/bin/sh
# The main job on the embedded default, a local-directory repository: back up examples/sample-data, list, verify,
# restore into a temporary directory and show that the restored tree is identical (content and metadata).
# Run it after building: ./mvnw -q -B -DskipTests package && examples/demo.sh
# MINT_BACKUP=/usr/bin/mint-backup examples/demo.sh runs it through another mint-backup (the installed package's).
set -eu
here=$(cd "$(dirname "$0")/.." && pwd -P)
mb="${MINT_BACKUP:-$here/bin/mint-backup}"
sample="$here/examples/sample-data"
work="$here/target/demo"
rm -rf "$work"
mkdir -p "$work"
repo="$work/repository"

step() { printf '\n==> %s\n' "$*"; }

step "mint-backup init --repo $repo"
"$mb" init --repo "$repo"

step "mint-backup backup --repo $repo --tag demo $sample"
"$mb" backup --repo "$repo" --tag demo "$sample"

step "mint-backup backup (again: nothing changed, nothing new is stored)"
"$mb" backup --repo "$repo" --tag demo "$sample"

step "mint-backup list --repo $repo"
"$mb" list --repo "$repo"

step "mint-backup verify --repo $repo --read-data"
"$mb" verify --repo "$repo" --read-data

restore="$(mktemp -d)"
trap 'rm -rf "$restore"' EXIT
step "mint-backup restore --repo $repo latest --target $restore"
"$mb" restore --repo "$repo" latest --target "$restore"

step "compare $sample with the restored copy"
restored="$restore$sample"
# Times to the microsecond: the JDK restores a symlink's own time through lutimes(), which has no nanoseconds.
listing() { (cd "$1" && find . -printf '%p %y %m %s %TY-%Tm-%Td %TT %l\n' | sed -E 's/(\.[0-9]{6})[0-9]+/\1/' | LC_ALL=C sort); }
diff -r --no-dereference "$sample" "$restored"
listing "$sample" > "$work/original.txt"
listing "$restored" > "$work/restored.txt"
diff "$work/original.txt" "$work/restored.txt"
echo "identical: $(wc -l < "$work/original.txt") files, directories and links, with the same content, modes and times"
echo "the repository stays in $repo"
