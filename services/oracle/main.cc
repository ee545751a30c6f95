// chainsync-oracle: mirrors users' Bitcoin balances on chain with signed sync()
// transactions.
#include "absl/flags/flag.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "chainsync/oracle/v1/oracle.grpc.pb.h"
#include "contracts/deploy/deployment_flag.h"
#include "grpcpp/create_channel.h"
#include "libs/bitcoin/bitcoin_flags.h"
#include "libs/common/config/flags.h"
#include "libs/common/config/secret.h"
#include "libs/common/server/backend.h"
#include "libs/common/server/mutual_tls.h"
#include "libs/common/server/service_host.h"
#include "libs/evm/signer.h"
#include "oracle_migrations.h"
#include "services/oracle/account_store.h"
#include "services/oracle/indexer_pool_view.h"
#include "services/oracle/mirror.h"
#include "services/oracle/monitor_store.h"
#include "services/oracle/oracle_grpc_service.h"
#include "services/oracle/sweeper.h"

ABSL_FLAG(absl::Duration, proof_max_age, absl::Minutes(10),
          "How long after it was issued an ownership proof's message is "
          "accepted.");
ABSL_FLAG(std::vector<std::string>, rpc_url, {"http://127.0.0.1:8545"},
          "JSON-RPC endpoints of the EVM chain the balances are mirrored to, "
          "comma-separated, in order of preference.");
ABSL_FLAG(int32_t, chain_confirmations, 12,
          "Blocks, its own included, over a sync's transaction before it is "
          "final.");
ABSL_FLAG(absl::Duration, stuck_after, absl::Minutes(2),
          "How long a sync's transaction may wait to be mined before it is "
          "replaced with raised fees.");
ABSL_FLAG(std::string, sync_fee_wei, "0",
          "The fee each sync charges from the account's FeeVault deposit, in "
          "wei; an account that cannot pay is burned (an emergency burn).");
ABSL_FLAG(int32_t, max_accounts_per_transaction, 100,
          "Accounts one syncBatch transaction mirrors at most.");
ABSL_FLAG(std::string, indexer_address, "127.0.0.1:50051",
          "The indexer's gRPC address (host:port), whose indexed balances "
          "and pool events decide an account's yield standing; reached with "
          "the --tls_* credentials when they are set.");
ABSL_FLAG(std::string, yield_rates_bps, "100,150,200,300",
          "The yield pool's yearly rate of each loyalty tier, bronze, silver, "
          "gold and platinum, in basis points.");

namespace chainsync::oracle {
namespace {

absl::StatusOr<std::shared_ptr<PoolView>> PoolViewFromFlags(
    const contracts::Deployment& deployment) {
  const std::string address = absl::GetFlag(FLAGS_indexer_address);
  if (address.empty()) {
    return InvalidFlag("indexer_address", "", "required: host:port");
  }
  absl::StatusOr<std::optional<MutualTls>> tls = MutualTlsFromFlags();
  if (!tls.ok()) return tls.status();
  // The channel connects when first used: an indexer that is down makes
  // GetYieldStatus UNAVAILABLE, not the oracle unable to start.
  return std::make_shared<IndexerPoolView>(
      grpc::CreateChannel(address, ChannelCredentials(*tls)),
      deployment.Find("RBTCSynth")->address, absl::Seconds(5));
}

absl::StatusOr<std::unique_ptr<Mirror>> MirrorFromFlags(
    PgPool& database, const contracts::Deployment& deployment,
    std::shared_ptr<OperationStore> operations) {
  const contracts::DeployedContract* aggregator =
      deployment.Find("OracleAggregator");
  absl::StatusOr<std::unique_ptr<evm::LocalKeySigner>> key =
      evm::LocalKeySigner::FromSecret("oracle_key");
  if (!key.ok()) return key.status();
  std::shared_ptr<evm::Signer> signer = *std::move(key);
  absl::StatusOr<std::unique_ptr<evm::JsonRpcClient>> client =
      evm::JsonRpcClient::Create({.endpoints = absl::GetFlag(FLAGS_rpc_url)});
  if (!client.ok()) {
    return InvalidFlag("rpc_url",
                       absl::StrJoin(absl::GetFlag(FLAGS_rpc_url), ","),
                       client.status().message());
  }
  const int32_t confirmations = absl::GetFlag(FLAGS_chain_confirmations);
  if (confirmations < 1 || confirmations > 1000) {
    return InvalidFlag("chain_confirmations", absl::StrCat(confirmations),
                       "must be from 1 to 1000");
  }
  const absl::Duration stuck_after = absl::GetFlag(FLAGS_stuck_after);
  if (stuck_after < absl::Seconds(1)) {
    return InvalidFlag("stuck_after", absl::FormatDuration(stuck_after),
                       "must be at least 1s");
  }
  absl::StatusOr<evm::Uint256> fee =
      evm::ParseUint256(absl::GetFlag(FLAGS_sync_fee_wei), "--sync_fee_wei");
  if (!fee.ok()) return fee.status();
  const int32_t per_transaction =
      absl::GetFlag(FLAGS_max_accounts_per_transaction);
  if (per_transaction < 1 || per_transaction > 1000) {
    return InvalidFlag("max_accounts_per_transaction",
                       absl::StrCat(per_transaction), "must be from 1 to 1000");
  }
  const evm::Address sender = signer->address();
  return std::make_unique<Mirror>(
      std::move(operations),
      std::make_shared<JsonRpcMirrorChain>(
          std::shared_ptr<evm::JsonRpcClient>(*std::move(client)),
          aggregator->address, sender),
      std::move(signer),
      MirrorOptions{
          .aggregator = aggregator->address,
          .chain_id = deployment.chain_id,
          .rules = {.confirmations = static_cast<uint64_t>(confirmations),
                    .stuck_after = stuck_after},
          .sync_fee_wei = *fee,
          .max_accounts_per_transaction = static_cast<size_t>(per_transaction),
          .lock_connection = database.connect_options()});
}

absl::StatusOr<BackendComponents> Build(PgPool& database) {
  absl::StatusOr<bitcoin::Network> network = bitcoin::NetworkFromFlag();
  if (!network.ok()) return network.status();
  const absl::Duration max_age = absl::GetFlag(FLAGS_proof_max_age);
  if (max_age <= absl::ZeroDuration() || max_age > absl::Hours(24)) {
    return InvalidFlag("proof_max_age", absl::FormatDuration(max_age),
                       "must be more than 0 and at most 24h");
  }
  absl::StatusOr<Secret> profile_keys = ReadOptionalSecret("profile_keys");
  if (!profile_keys.ok()) return profile_keys.status();
  absl::StatusOr<Secret> page_token_key = ReadOptionalSecret("page_token_key");
  if (!page_token_key.ok()) return page_token_key.status();

  std::optional<ProfileCipher> cipher;
  if (!profile_keys->empty()) {
    absl::StatusOr<ProfileCipher> keys =
        ProfileCipher::FromSecret(*profile_keys);
    if (!keys.ok()) return keys.status();
    cipher = *std::move(keys);
  }
  auto accounts = std::make_shared<AccountStore>(database, std::move(cipher));
  absl::StatusOr<std::shared_ptr<bitcoin::BitcoinSource>> source =
      bitcoin::BitcoinSourceFromFlags();
  if (!source.ok()) return source.status();
  absl::StatusOr<int> confirmations = bitcoin::ConfirmationsFromFlag();
  if (!confirmations.ok()) return confirmations.status();
  auto monitor = std::make_shared<MonitorStore>(database);
  auto sweeper =
      std::make_unique<Sweeper>(monitor, *std::move(source), *confirmations);
  absl::StatusOr<contracts::Deployment> deployment =
      contracts::DeploymentFromFlag({"OracleAggregator", "RBTCSynth"});
  if (!deployment.ok()) return deployment.status();
  absl::StatusOr<std::shared_ptr<PoolView>> pool =
      PoolViewFromFlags(*deployment);
  if (!pool.ok()) return pool.status();
  absl::StatusOr<std::array<uint32_t, 4>> rates =
      ParseRates(absl::GetFlag(FLAGS_yield_rates_bps));
  if (!rates.ok()) {
    return InvalidFlag("yield_rates_bps", absl::GetFlag(FLAGS_yield_rates_bps),
                       rates.status().message());
  }
  auto operations = std::make_shared<OperationStore>(database);
  absl::StatusOr<std::unique_ptr<Mirror>> mirror =
      MirrorFromFlags(database, *deployment, operations);
  if (!mirror.ok()) return mirror.status();
  sweeper->OnRead(
      [sender = mirror->get()](const std::vector<evm::Address>& accounts) {
        sender->Request(accounts);
      });
  sweeper->LeadWhile([sender = mirror->get()] { return sender->sending(); });
  BackendComponents backend;
  backend.services.push_back(
      {std::make_shared<OracleGrpcService>(
           std::move(accounts), std::move(monitor), operations, *sweeper,
           ProofRules{.network = *network, .max_age = max_age},
           PageTokens(*std::move(page_token_key)), *std::move(pool),
           YieldRules{.minimum_sats = deployment->yield_minimum_sats,
                      .rate_bps = *rates}),
       v1::OracleService::service_full_name()});
  backend.workers.push_back(*std::move(mirror));
  backend.workers.push_back(std::move(sweeper));
  return backend;
}

}  // namespace
}  // namespace chainsync::oracle

int main(int argc, char** argv) {
  return chainsync::RunBackend(
      {.service = "oracle",
       .usage = "chainsync-oracle: mirrors users' Bitcoin balances on chain "
                "with signed sync() transactions.",
       .defaults = {.grpc_port = 50052, .admin_port = 9102},
       .migrations = &chainsync::oracle::OracleMigrations()},
      argc, argv, chainsync::oracle::Build);
}
