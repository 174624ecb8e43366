#!/bin/sh
# Sustained WAL archive throughput: a throwaway PostgreSQL cluster with archive_mode=on and archive_command calling
# bin/mint-backup wal-push into a local-directory repository, after pgbench -i -s SCALE. Two figures: under load
# (pgbench -c 4 -j 2 -T SECONDS with the archiver running: segments per second until the archiver has the last one, and
# how far behind it was when the load ended), and capacity (with archiving off, pgbench -i at scale BACKLOG_SCALE
# (default 30) and the same load again, then the backlog of ready segments drained: segments per second). Once with the spool (batches, acknowledgements, the launcher's fast path)
# and once without it (one JVM per segment), each on a fresh cluster and repository.
#
#   bench/wal-archive.sh [SECONDS] [SCALE]     (defaults 20 and 5; needs a build: ./mvnw -q -DskipTests package)
#
# The cluster runs with fsync=off and synchronous_commit=off (the load makes WAL as fast as it can; the repository's
# writes are fsynced as always) and full_page_writes=on (realistic WAL volume). Run as root, the server runs as the
# postgres user. PGBIN overrides /usr/lib/postgresql/15/bin.
set -eu
here=$(cd "$(dirname "$0")/.." && pwd -P)
seconds=${1:-20}
scale=${2:-5}
backlog=${BACKLOG_SCALE:-30}
pgbin=${PGBIN:-/usr/lib/postgresql/15/bin}
mb="$here/bin/mint-backup"
[ -f "$here/backup-cli/target/mint-backup.jar" ] || { echo "build first: ./mvnw -q -DskipTests package" >&2; exit 2; }
work=$(mktemp -d /tmp/mint-wal-bench.XXXXXX)
chmod 755 "$work"
as_pg() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
export PGHOST=127.0.0.1 PGPORT=$port PGUSER=postgres PGDATABASE=postgres
java=$(command -v java)
cleanup() {
  as_pg "$pgbin/pg_ctl" -D "$work/data" -m immediate -w stop >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT INT TERM

archived_up_to() { # waits until the archiver has archived $1; bounded
  i=0
  while :; do
    archived=$("$pgbin/psql" -XAtc "select coalesce(last_archived_wal, '') from pg_stat_archiver")
    [ "$archived" \< "$1" ] || break
    i=$((i + 1)); [ $i -lt 6000 ] || { echo "the archiver did not catch up in 10 minutes" >&2; exit 1; }
    sleep 0.1
  done
}
segno() { echo $(( $(printf '%d' "0x$(echo "$1" | cut -c9-16)") * 256 + $(printf '%d' "0x$(echo "$1" | cut -c17-24)") )); }
now() { date +%s.%N; }

run() { # $1: label, $2: extra wal-push options
  as_pg "$pgbin/pg_ctl" -D "$work/data" -m immediate -w stop >/dev/null 2>&1 || true
  rm -rf "$work/data" "$work/repo" "$work/spool" "$work/log"
  mkdir -p "$work/data" "$work/spool" "$work/log"
  [ "$(id -u)" = 0 ] && chown postgres: "$work/data" "$work/spool" "$work/log"
  as_pg "$pgbin/initdb" -D "$work/data" -U postgres --auth=trust -E UTF8 --locale=C --no-sync >/dev/null
  "$mb" init --repo "$work/repo" -q >/dev/null
  [ "$(id -u)" = 0 ] && chown -R postgres: "$work/repo"
  cat >> "$work/data/postgresql.conf" <<CONF
port = $port
listen_addresses = '127.0.0.1'
unix_socket_directories = ''
fsync = off
synchronous_commit = off
max_wal_size = 4GB
archive_mode = on
CONF
  command="JAVA=$java $mb wal-push --repo $work/repo --cluster bench --no-cache $2 %p"
  as_pg "$pgbin/pg_ctl" -D "$work/data" -l "$work/log/server.log" -w start >/dev/null
  "$pgbin/psql" -XAqc "alter system set archive_command = '$command'" -c "select pg_reload_conf()" >/dev/null
  "$pgbin/pgbench" -i -s "$scale" -q >/dev/null 2>&1
  archived_up_to "$("$pgbin/psql" -XAtc "select pg_walfile_name(pg_switch_wal())")"
  # 1. under load: pgbench and the archiver together; how far behind is the archiver when the load ends?
  first=$("$pgbin/psql" -XAtc "select pg_walfile_name(pg_current_wal_lsn())")
  start=$(now)
  tps=$("$pgbin/pgbench" -c 4 -j 2 -T "$seconds" -n 2>/dev/null | sed -n 's/^tps = \([0-9.]*\).*/\1/p' | head -1)
  last=$("$pgbin/psql" -XAtc "select pg_walfile_name(pg_switch_wal())")
  loaded=$(now)
  archived_up_to "$last"
  end=$(now)
  segs=$(( $(segno "$last") - $(segno "$first") + 1 ))
  awk -v l="$1" -v n="$segs" -v s="$start" -v e="$end" -v d="$loaded" -v t="$tps" 'BEGIN {
    printf "%-34s under load: %4d segments in %5.1f s (%5.2f/s; %4.1f s behind at the end); pgbench %.0f tps\n",
      l, n, e - s, n / (e - s), e - d, t }'
  # 2. capacity: a backlog made with archiving off (pgbench -i at scale BACKLOG_SCALE, then the same load), drained
  "$pgbin/psql" -XAqc "alter system set archive_command = ''" -c "select pg_reload_conf()" >/dev/null
  first=$("$pgbin/psql" -XAtc "select pg_walfile_name(pg_current_wal_lsn())")
  "$pgbin/pgbench" -i -s "$backlog" -q >/dev/null 2>&1
  "$pgbin/pgbench" -c 4 -j 2 -T "$seconds" -n >/dev/null 2>&1
  last=$("$pgbin/psql" -XAtc "select pg_walfile_name(pg_switch_wal())")
  start=$(now)
  "$pgbin/psql" -XAqc "alter system set archive_command = '$command'" -c "select pg_reload_conf()" >/dev/null
  archived_up_to "$last"
  end=$(now)
  segs=$(( $(segno "$last") - $(segno "$first") + 1 ))
  failed=$("$pgbin/psql" -XAtc "select failed_count from pg_stat_archiver")
  awk -v l="$1" -v n="$segs" -v s="$start" -v e="$end" -v f="$failed" 'BEGIN {
    printf "%-34s backlog:    %4d segments in %5.1f s = %6.2f segments/s (%.0f MiB/s); %d archive_command failures\n",
      l, n, e - s, n / (e - s), 16 * n / (e - s), f }'
}

echo "pgbench -c 4 -j 2 -T $seconds at scale $scale, backlog from scale $backlog; $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"
run "batched (--spool, --batch 64)" "--spool $work/spool --batch 64 --parallel 2"
run "one JVM per segment (no --spool)" ""
