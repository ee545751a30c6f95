// chainsync-reconciler: compares chain, indexer and oracle, runs disputes,
// scores health and publishes proof of reserves.
#include "absl/flags/flag.h"
#include "absl/strings/str_cat.h"
#include "chainsync/reconciler/v1/reconciler.grpc.pb.h"
#include "contracts/deploy/deployment_flag.h"
#include "grpcpp/create_channel.h"
#include "libs/bitcoin/bitcoin_flags.h"
#include "libs/common/config/flags.h"
#include "libs/common/config/secret.h"
#include "libs/common/logging/log.h"
#include "libs/common/server/backend.h"
#include "libs/common/server/mutual_tls.h"
#include "reconciler_migrations.h"
#include "services/reconciler/dispute_peers.h"
#include "services/reconciler/index_repairer.h"
#include "services/reconciler/live_views.h"
#include "services/reconciler/proof_publisher.h"
#include "services/reconciler/reconciler.h"
#include "services/reconciler/reconciler_grpc_service.h"

ABSL_FLAG(std::vector<std::string>, rpc_url, {"http://127.0.0.1:8545"},
          "JSON-RPC endpoints of the chain, comma-separated in order of "
          "preference.");
ABSL_FLAG(std::string, indexer_address, "127.0.0.1:50051",
          "The indexer's gRPC address (mutual TLS with the --tls_* flags).");
ABSL_FLAG(std::string, oracle_address, "127.0.0.1:50052",
          "The oracle's gRPC address (mutual TLS with the --tls_* flags).");
ABSL_FLAG(absl::Duration, reconcile_interval, absl::Minutes(5),
          "Between scheduled reconciliation runs.");
ABSL_FLAG(std::string, health_weights,
          "contract_deployment=0.25,transaction_logging=0.2,user_management="
          "0.2,emergency_burn_sync=0.15,oracle_operations_log=0.1,yield_"
          "readiness=0.1",
          "The health components' weights, name=weight, summing to 1.");
ABSL_FLAG(absl::Duration, por_interval, absl::ZeroDuration(),
          "Between two proofs of reserves: a run makes one when the last is "
          "at least this old (0: every run). Each is published on chain "
          "when a publisher key is set (CHAINSYNC_PUBLISHER_KEY or _FILE).");
ABSL_FLAG(int32_t, max_indexer_lag, 12,
          "Blocks the indexer may trail the chain's head by.");
ABSL_FLAG(int64_t, sync_tolerance_sats, 0,
          "Satoshis by which a mirrored balance may differ from its Bitcoin "
          "total.");
ABSL_FLAG(int32_t, max_repairs_per_run, 20,
          "Repairs a run may make (asking the oracle to force-sync an "
          "account whose mirror is wrong); 0 repairs nothing.");
ABSL_FLAG(absl::Duration, repair_backoff, absl::Minutes(30),
          "How long before the same discrepancy is repaired again.");
ABSL_FLAG(absl::Duration, settle_after, absl::Minutes(3),
          "How long a difference the system repairs by itself (a sync on its "
          "way) may last before it counts.");

namespace chainsync::reconciler {
namespace {

absl::StatusOr<ReconcilerOptions> OptionsFromFlags(PgPool& database) {
  ReconcilerOptions options{.lock_connection = database.connect_options()};
  absl::StatusOr<Weights> weights =
      ParseWeights(absl::GetFlag(FLAGS_health_weights));
  if (!weights.ok()) {
    return InvalidFlag("health_weights", absl::GetFlag(FLAGS_health_weights),
                       weights.status().message());
  }
  options.weights = *weights;
  options.interval = absl::GetFlag(FLAGS_reconcile_interval);
  if (options.interval < absl::Seconds(1)) {
    return InvalidFlag("reconcile_interval",
                       absl::FormatDuration(options.interval),
                       "must be at least 1s");
  }
  options.proof_interval = absl::GetFlag(FLAGS_por_interval);
  if (options.proof_interval < absl::ZeroDuration()) {
    return InvalidFlag("por_interval",
                       absl::FormatDuration(options.proof_interval),
                       "must not be negative");
  }
  const int32_t lag = absl::GetFlag(FLAGS_max_indexer_lag);
  if (lag < 0) {
    return InvalidFlag("max_indexer_lag", absl::StrCat(lag),
                       "must not be negative");
  }
  const int64_t tolerance = absl::GetFlag(FLAGS_sync_tolerance_sats);
  if (tolerance < 0) {
    return InvalidFlag("sync_tolerance_sats", absl::StrCat(tolerance),
                       "must not be negative");
  }
  const absl::Duration settle = absl::GetFlag(FLAGS_settle_after);
  if (settle < absl::ZeroDuration()) {
    return InvalidFlag("settle_after", absl::FormatDuration(settle),
                       "must not be negative");
  }
  options.max_repairs_per_run = absl::GetFlag(FLAGS_max_repairs_per_run);
  if (options.max_repairs_per_run < 0) {
    return InvalidFlag("max_repairs_per_run",
                       absl::StrCat(options.max_repairs_per_run),
                       "must not be negative");
  }
  options.repair_backoff = absl::GetFlag(FLAGS_repair_backoff);
  if (options.repair_backoff < absl::ZeroDuration()) {
    return InvalidFlag("repair_backoff",
                       absl::FormatDuration(options.repair_backoff),
                       "must not be negative");
  }
  options.rules = {.max_indexer_lag = static_cast<uint64_t>(lag),
                   .sync_tolerance_sats = static_cast<uint64_t>(tolerance),
                   .settle_after = settle};
  return options;
}

// Peers are the views a run reads, the oracle and the indexer that repair,
// and what disputes are checked against.
struct Peers {
  std::unique_ptr<ViewSource> views;
  std::shared_ptr<Repairer> repairer;
  std::shared_ptr<IndexRepairer> index_repairer;
  std::shared_ptr<DisputePeers> disputes;
  // None without a publisher key.
  std::shared_ptr<ProofPublisher> publisher;
};

// PublisherFromSecret publishes proofs with the key CHAINSYNC_PUBLISHER_KEY
// (or _FILE) names; without one, proofs are made and served, not published.
absl::StatusOr<std::shared_ptr<ProofPublisher>> PublisherFromSecret(
    std::shared_ptr<evm::JsonRpcClient> client,
    const contracts::Deployment& deployment) {
  absl::StatusOr<std::unique_ptr<evm::LocalKeySigner>> signer =
      evm::LocalKeySigner::FromSecret("publisher_key");
  if (absl::IsNotFound(signer.status())) {
    log::Warning(
        "no publisher key (CHAINSYNC_PUBLISHER_KEY or _FILE): proofs of "
        "reserves are not published on chain");
    return nullptr;
  }
  if (!signer.ok()) return signer.status();
  absl::StatusOr<std::unique_ptr<ChainProofPublisher>> publisher =
      ChainProofPublisher::FromDeployment(std::move(client), *std::move(signer),
                                          deployment);
  if (!publisher.ok()) return publisher.status();
  return std::shared_ptr<ProofPublisher>(*std::move(publisher));
}

absl::StatusOr<Peers> PeersFromFlags() {
  absl::StatusOr<contracts::Deployment> deployment =
      contracts::DeploymentFromFlag({"OracleAggregator", "RBTCSynth"});
  if (!deployment.ok()) return deployment.status();
  // Runs and disputes read the chain on threads of their own, each with its
  // client.
  std::shared_ptr<evm::JsonRpcClient> clients[2];
  for (std::shared_ptr<evm::JsonRpcClient>& client : clients) {
    absl::StatusOr<std::unique_ptr<evm::JsonRpcClient>> created =
        evm::JsonRpcClient::Create({.endpoints = absl::GetFlag(FLAGS_rpc_url)});
    if (!created.ok()) return created.status();
    client = *std::move(created);
  }
  absl::StatusOr<std::unique_ptr<ChainReader>> chain =
      ChainReader::FromDeployment(clients[0], *deployment);
  if (!chain.ok()) return chain.status();
  // Runs publish on their own thread, after their reads.
  absl::StatusOr<std::shared_ptr<ProofPublisher>> publisher =
      PublisherFromSecret(clients[0], *deployment);
  if (!publisher.ok()) return publisher.status();
  absl::StatusOr<std::optional<MutualTls>> tls = MutualTlsFromFlags();
  if (!tls.ok()) return tls.status();
  for (const auto& [flag, value] :
       {std::pair{"indexer_address", absl::GetFlag(FLAGS_indexer_address)},
        std::pair{"oracle_address", absl::GetFlag(FLAGS_oracle_address)}}) {
    if (value.empty()) return InvalidFlag(flag, "", "required: host:port");
  }
  const contracts::DeployedContract& token = *deployment->Find("RBTCSynth");
  // Channels connect when first used: a peer that is down fails a run,
  // which is retried at the next, not the start.
  auto indexer = std::make_shared<IndexerReader>(
      grpc::CreateChannel(absl::GetFlag(FLAGS_indexer_address),
                          ChannelCredentials(*tls)),
      token.address, deployment->Find("OracleAggregator")->address,
      absl::Seconds(30));
  auto oracle = std::make_shared<OracleReader>(
      grpc::CreateChannel(absl::GetFlag(FLAGS_oracle_address),
                          ChannelCredentials(*tls)),
      absl::Seconds(30));
  return Peers{
      .views = std::make_unique<LiveViews>(*std::move(chain), indexer, oracle),
      .repairer = oracle,
      .index_repairer = std::make_shared<LiveIndexRepairer>(
          indexer, clients[0], token.address, token.start_block),
      .disputes =
          std::make_shared<LiveDisputePeers>(oracle, clients[1], token.address),
      .publisher = *std::move(publisher)};
}

absl::StatusOr<BackendComponents> Build(PgPool& database) {
  absl::StatusOr<ReconcilerOptions> options = OptionsFromFlags(database);
  if (!options.ok()) return options.status();
  absl::StatusOr<Peers> peers = PeersFromFlags();
  if (!peers.ok()) return peers.status();
  absl::StatusOr<Secret> page_token_key = ReadOptionalSecret("page_token_key");
  if (!page_token_key.ok()) return page_token_key.status();
  absl::StatusOr<bitcoin::Network> network = bitcoin::NetworkFromFlag();
  if (!network.ok()) return network.status();
  absl::StatusOr<std::shared_ptr<bitcoin::BitcoinSource>> bitcoin =
      bitcoin::BitcoinSourceFromFlags();
  if (!bitcoin.ok()) return bitcoin.status();
  absl::StatusOr<int> confirmations = bitcoin::ConfirmationsFromFlag();
  if (!confirmations.ok()) return confirmations.status();
  auto store = std::make_shared<DiscrepancyStore>(database);
  auto proofs = std::make_shared<ProofStore>(database);
  auto dispute_store = std::make_shared<DisputeStore>(database);
  auto disputes = std::make_unique<DisputeDesk>(
      dispute_store, std::move(peers->disputes), *std::move(bitcoin),
      DisputeOptions{.network = *network,
                     .confirmations = *confirmations,
                     .tolerance_sats = options->rules.sync_tolerance_sats});
  auto reconciler = std::make_unique<Reconciler>(
      std::move(peers->views), std::move(peers->repairer),
      std::move(peers->index_repairer), store, proofs,
      std::move(peers->publisher), *options);
  BackendComponents backend;
  backend.services.push_back(
      {std::make_shared<ReconcilerGrpcService>(
           *reconciler, store, proofs, *disputes, dispute_store,
           PageTokens(*std::move(page_token_key))),
       v1::ReconcilerService::service_full_name()});
  backend.workers.push_back(std::move(reconciler));
  backend.workers.push_back(std::move(disputes));
  return backend;
}

}  // namespace
}  // namespace chainsync::reconciler

int main(int argc, char** argv) {
  return chainsync::RunBackend(
      {.service = "reconciler",
       .usage = "chainsync-reconciler: compares chain, indexer and oracle, "
                "runs disputes, scores health and publishes proof of reserves.",
       .defaults = {.grpc_port = 50053, .admin_port = 9103},
       .migrations = &chainsync::reconciler::ReconcilerMigrations()},
      argc, argv, chainsync::reconciler::Build);
}
