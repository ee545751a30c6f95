#!/usr/bin/env bash
# Starts and stops chainsync's local environment: a private PostgreSQL
# cluster in a directory of the project (its own port and a unix socket in
# that directory) and an anvil node. Nothing is installed system-wide and
# nothing stays running after `stop`.
#
#   scripts/local-env.sh start [--dir DIR] [--settings development|stock]
#                                            # default DIR: .local/env
#   scripts/local-env.sh stop  [--dir DIR]   # stops both and removes DIR
#   scripts/local-env.sh status [--dir DIR]
#   scripts/local-env.sh restart-postgres [--dir DIR]  # a fast restart, same port
#   scripts/local-env.sh restart-anvil [--dir DIR]     # a fresh chain, same port
#
# `start` writes DIR/env, a shell file with the connection settings:
#   CHAINSYNC_DATABASE_URL, CHAINSYNC_RPC_URL, CHAINSYNC_CHAIN_ID, PGPORT,
#   PGHOST (the socket directory), ANVIL_PORT.
# ANVIL_ARGS adds flags to anvil (for example --block-time 1).
# --settings stock keeps Postgres's own durability and memory settings (fsync
# and full_page_writes on, 128 MB of shared buffers): what a user's database
# has, for benchmarks' headline figures. The default, development, turns
# fsync off and gives bulk loads room.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
command=${1:-}
shift || true
dir="$root/.local/env"
settings=development
while (($#)); do
  case $1 in
    --dir) dir=$2; shift 2 ;;
    --settings) settings=$2; shift 2 ;;
    *) echo "local-env: unknown argument $1" >&2; exit 2 ;;
  esac
done

pg_bin=$(pg_config --bindir 2>/dev/null || true)
[[ -x "$pg_bin/initdb" ]] || pg_bin=/usr/lib/postgresql/15/bin

# PostgreSQL refuses to run as root; as root, run it as the postgres user.
as_pg() {
  if [[ $(id -u) -eq 0 ]]; then runuser -u postgres -- "$@"; else "$@"; fi
}

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

wait_for() { # description, command...
  local what=$1; shift
  for _ in $(seq 1 300); do
    if "$@" >/dev/null 2>&1; then return 0; fi
    sleep 0.1
  done
  echo "local-env: $what did not come up" >&2
  return 1
}

start() {
  if [[ -f "$dir/env" ]]; then
    echo "local-env: already running in $dir (run stop first)" >&2
    exit 1
  fi
  mkdir -p "$dir"
  dir=$(cd "$dir" && pwd)
  local pgdata="$dir/pgdata" socket="$dir/run" logs="$dir/logs"
  mkdir -p "$pgdata" "$socket" "$logs"
  if [[ $(id -u) -eq 0 ]]; then
    chown postgres: "$pgdata" "$socket" "$logs"
    # The postgres user must be able to reach its directories.
    local d="$dir"
    while [[ "$d" != / ]]; do chmod o+x "$d" 2>/dev/null || true; d=$(dirname "$d"); done
  fi
  as_pg "$pg_bin/initdb" -D "$pgdata" -U chainsync -A trust -E UTF8 --locale=C.UTF-8 >"$logs/initdb.log" 2>&1 \
    || { cat "$logs/initdb.log" >&2; exit 1; }
  echo "max_connections = 200" >>"$pgdata/postgresql.conf"
  case $settings in
    stock) ;;
    development)
      # A development cluster: no fsync, and room for bulk loads (the
      # indexer's backfill) without evicting its indexes or checkpointing
      # every few seconds.
      cat >>"$pgdata/postgresql.conf" <<'CONF'
fsync = off
shared_buffers = 512MB
max_wal_size = 4GB
checkpoint_timeout = 30min
CONF
      ;;
    *) echo "local-env: --settings is development or stock, not $settings" >&2; exit 2 ;;
  esac

  local pg_port anvil_port
  pg_port=$(free_port)
  as_pg "$pg_bin/pg_ctl" -D "$pgdata" -l "$logs/postgres.log" -w -t 60 \
    -o "-p $pg_port -k $socket -c listen_addresses=127.0.0.1 " start >/dev/null \
    || { cat "$logs/postgres.log" >&2; exit 1; }
  "$pg_bin/psql" -h "$socket" -p "$pg_port" -U chainsync -d postgres -qAt -c "CREATE DATABASE chainsync" >/dev/null

  anvil_port=$(free_port)
  echo "$anvil_port ${ANVIL_ARGS:-}" >"$dir/anvil.args"
  start_anvil

  cat >"$dir/env" <<ENV
export CHAINSYNC_DATABASE_URL=postgresql://chainsync@127.0.0.1:$pg_port/chainsync
export CHAINSYNC_RPC_URL=http://127.0.0.1:$anvil_port
export CHAINSYNC_CHAIN_ID=31337
export PGHOST=$socket
export PGPORT=$pg_port
export PGUSER=chainsync
export ANVIL_PORT=$anvil_port
ENV
  echo "local-env: Postgres on 127.0.0.1:$pg_port (socket $socket), anvil on 127.0.0.1:$anvil_port; settings in $dir/env"
}

# start_anvil starts anvil with the port and arguments of anvil.args.
start_anvil() {
  local port args
  read -r port args <"$dir/anvil.args"
  # setsid: anvil leaves with `stop`, not with the shell that started it.
  # --cache-path: a long chain's historical states spill to disk, about a
  # gigabyte for the backfill benchmark's; kept in the directory, `stop`
  # removes them (anvil's default, ~/.foundry/anvil/tmp, is never emptied).
  # shellcheck disable=SC2086
  setsid "$root/node_modules/.bin/anvil" --host 127.0.0.1 --port "$port" \
    --cache-path "$dir/anvil-states" $args >>"$dir/logs/anvil.log" 2>&1 </dev/null &
  echo $! >"$dir/anvil.pid"
  wait_for "anvil on port $port" curl -sf -X POST -H 'content-type: application/json' \
    --data '{"jsonrpc":"2.0","id":1,"method":"eth_chainId","params":[]}' "http://127.0.0.1:$port"
}

stop_anvil() {
  [[ -f "$dir/anvil.pid" ]] || return 0
  local pid
  pid=$(cat "$dir/anvil.pid")
  kill "$pid" 2>/dev/null || true
  for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.05; done
  rm -rf "$dir/anvil.pid" "$dir/anvil-states"
}

stop() {
  [[ -d "$dir" ]] || return 0
  stop_anvil
  if [[ -f "$dir/pgdata/postmaster.pid" ]]; then
    as_pg "$pg_bin/pg_ctl" -D "$dir/pgdata" -m fast -w -t 60 stop >/dev/null 2>&1 || true
  fi
  rm -rf "$dir"
}

restart_postgres() {
  [[ -f "$dir/env" ]] || { echo "local-env: not running in $dir" >&2; exit 1; }
  as_pg "$pg_bin/pg_ctl" -D "$dir/pgdata" -l "$dir/logs/postgres.log" -m fast -w -t 60 restart >/dev/null \
    || { cat "$dir/logs/postgres.log" >&2; exit 1; }
}

status() {
  if [[ -f "$dir/env" ]]; then cat "$dir/env"; else echo "local-env: not running in $dir"; exit 1; fi
}

case $command in
  start) start ;;
  stop) stop ;;
  status) status ;;
  restart-postgres) restart_postgres ;;
  restart-anvil) stop_anvil; start_anvil ;;
  *) echo "usage: $0 start|stop|status|restart-postgres|restart-anvil [--dir DIR]" >&2; exit 2 ;;
esac
