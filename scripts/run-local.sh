#!/usr/bin/env bash
# Installs, builds and runs the whole chainsync suite locally on its embedded
# default: a private Postgres cluster, an anvil chain and the Bitcoin API
# simulator in .local/, and the four services on fixed ports (override with the variables below). Ctrl-C
# stops everything and removes the environment.
#
#   INDEXER_GRPC_PORT=50051 INDEXER_ADMIN_PORT=9101
#   ORACLE_GRPC_PORT=50052  ORACLE_ADMIN_PORT=9102
#   RECONCILER_GRPC_PORT=50053 RECONCILER_ADMIN_PORT=9103
#   GATEWAY_HTTP_PORT=8080     GATEWAY_ADMIN_PORT=9100
#   BTCSIM_HTTP_PORT=8094 (the Bitcoin API simulator the oracle reads)
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

scripts/install-deps.sh
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build --target chainsync-indexer chainsync-oracle chainsync-reconciler \
  chainsync-gateway chainsync-deploy chainsync-token chainsync-btcsim

env_dir="$root/.local/env"
log_dir="$root/.local/logs"
mkdir -p "$log_dir"
scripts/local-env.sh stop --dir "$env_dir"
scripts/local-env.sh start --dir "$env_dir"
# shellcheck source=/dev/null
source "$env_dir/env"

# The reference protocol on the local chain, with fresh keys for the oracle
# (the committee that may call sync) and the reconciler (the publisher of
# proofs of reserves); the services read deployment.json.
for key in oracle publisher; do
  python3 -c 'import secrets; print(secrets.token_hex(32))' >"$env_dir/$key.key"
  chmod 600 "$env_dir/$key.key"
done
"$root/build/contracts/deploy/chainsync-deploy" --rpc_url="$CHAINSYNC_RPC_URL" \
  --committee_key_file="$env_dir/oracle.key" \
  --publisher_key_file="$env_dir/publisher.key" --dev_fund_deployer \
  --output="$env_dir/deployment.json" 2>"$log_dir/deploy.log" \
  || { echo "deploying the contracts failed:" >&2; tail -n 3 "$log_dir/deploy.log" >&2; exit 1; }
# Both pay for their transactions: fund them on anvil.
for role in committee publisher; do
  address=$(python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["roles"][sys.argv[2]])' \
    "$env_dir/deployment.json" "$role")
  curl -sf -H 'content-type: application/json' "$CHAINSYNC_RPC_URL" -o /dev/null \
    -d "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"anvil_setBalance\",\"params\":[\"$address\",\"0x56bc75e2d63100000\"]}"
done

# The key the oracle seals labels and e-mails with.
echo "local:$(python3 -c 'import secrets; print(secrets.token_hex(32))')" >"$env_dir/profile.keys"
chmod 600 "$env_dir/profile.keys"
export CHAINSYNC_PROFILE_KEYS_FILE="$env_dir/profile.keys"
# The oracle signs its sync() transactions with the committee key, the
# reconciler its publications with the publisher key.
export CHAINSYNC_ORACLE_KEY_FILE="$env_dir/oracle.key"
export CHAINSYNC_PUBLISHER_KEY_FILE="$env_dir/publisher.key"

# The gateway's token secret; chainsync-token signs with the same file.
python3 -c 'import secrets; print(secrets.token_hex(32))' >"$env_dir/jwt.secret"
chmod 600 "$env_dir/jwt.secret"
export CHAINSYNC_JWT_SECRET_FILE="$env_dir/jwt.secret"

pids=()
stop_all() {
  trap - INT TERM EXIT
  echo
  echo "stopping..."
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  scripts/local-env.sh stop --dir "$env_dir"
  echo "stopped; logs are in $log_dir"
}
trap stop_all EXIT
trap 'stop_all; exit 0' INT TERM

# Every service listens on loopback only: the local run is for this machine.
start() { # name, binary, flags...
  local name=$1 binary=$2
  shift 2
  "$root/build/$binary" --listen_host=127.0.0.1 "$@" 2>"$log_dir/$name.log" &
  pids+=($!)
}
start btcsim tools/btcsim/chainsync-btcsim --http_port="${BTCSIM_HTTP_PORT:-8094}"
start indexer services/indexer/chainsync-indexer \
  --grpc_port="${INDEXER_GRPC_PORT:-50051}" --admin_port="${INDEXER_ADMIN_PORT:-9101}" \
  --deployment_config="$env_dir/deployment.json" --rpc_url="$CHAINSYNC_RPC_URL" \
  --confirmations=2
start oracle services/oracle/chainsync-oracle \
  --grpc_port="${ORACLE_GRPC_PORT:-50052}" --admin_port="${ORACLE_ADMIN_PORT:-9102}" \
  --bitcoin_network=regtest \
  --bitcoin_api_url="http://127.0.0.1:${BTCSIM_HTTP_PORT:-8094}/regtest/api" \
  --deployment_config="$env_dir/deployment.json" --rpc_url="$CHAINSYNC_RPC_URL" \
  --btc_confirmations=1 --chain_confirmations=2
start reconciler services/reconciler/chainsync-reconciler \
  --grpc_port="${RECONCILER_GRPC_PORT:-50053}" --admin_port="${RECONCILER_ADMIN_PORT:-9103}" \
  --deployment_config="$env_dir/deployment.json" --rpc_url="$CHAINSYNC_RPC_URL" \
  --indexer_address="127.0.0.1:${INDEXER_GRPC_PORT:-50051}" \
  --oracle_address="127.0.0.1:${ORACLE_GRPC_PORT:-50052}" --reconcile_interval=1m \
  --bitcoin_network=regtest \
  --bitcoin_api_url="http://127.0.0.1:${BTCSIM_HTTP_PORT:-8094}/regtest/api" \
  --btc_confirmations=1
start gateway services/api-gateway/chainsync-gateway --http_port="${GATEWAY_HTTP_PORT:-8080}" \
  --admin_port="${GATEWAY_ADMIN_PORT:-9100}" \
  --indexer_address="127.0.0.1:${INDEXER_GRPC_PORT:-50051}" \
  --oracle_address="127.0.0.1:${ORACLE_GRPC_PORT:-50052}" \
  --reconciler_address="127.0.0.1:${RECONCILER_GRPC_PORT:-50053}"

# Each service logs "ready" once it serves with its schema up to date.
for name in btcsim indexer oracle reconciler gateway; do
  for _ in $(seq 1 300); do
    grep -q '"message":"ready"' "$log_dir/$name.log" 2>/dev/null && break
    if ! kill -0 "${pids[@]}" 2>/dev/null; then
      echo "a service failed to start:" >&2
      tail -n 3 "$log_dir"/*.log >&2
      exit 1
    fi
    sleep 0.1
  done
done

cat <<TABLE

chainsync is running (Ctrl-C stops everything):

  service     gRPC                       admin (/metrics /healthz /readyz)
  indexer     127.0.0.1:${INDEXER_GRPC_PORT:-50051}            http://127.0.0.1:${INDEXER_ADMIN_PORT:-9101}
  oracle      127.0.0.1:${ORACLE_GRPC_PORT:-50052}            http://127.0.0.1:${ORACLE_ADMIN_PORT:-9102}
  reconciler  127.0.0.1:${RECONCILER_GRPC_PORT:-50053}            http://127.0.0.1:${RECONCILER_ADMIN_PORT:-9103}
  gateway     HTTP API on http://127.0.0.1:${GATEWAY_HTTP_PORT:-8080}     http://127.0.0.1:${GATEWAY_ADMIN_PORT:-9100}

  Postgres    ${CHAINSYNC_DATABASE_URL}
  anvil       ${CHAINSYNC_RPC_URL} (chain id ${CHAINSYNC_CHAIN_ID}), WebSocket ${CHAINSYNC_RPC_URL/http/ws}
  bitcoin     http://127.0.0.1:${BTCSIM_HTTP_PORT:-8094}/regtest/api (Esplora; /api mainnet, /testnet/api),
              control: curl -d '{"address":"bcrt1...","sats":100000}' http://127.0.0.1:${BTCSIM_HTTP_PORT:-8094}/sim/regtest/fund
  contracts   $env_dir/deployment.json (the reference protocol; oracle key in $env_dir/oracle.key)
  logs        $log_dir/<service>.log (JSON lines)
  tokens      CHAINSYNC_JWT_SECRET_FILE=$env_dir/jwt.secret \\
                build/services/api-gateway/chainsync-token --sub=0x... [--role=admin]

TABLE
wait -n "${pids[@]}" || true
echo "a service exited; see $log_dir" >&2
