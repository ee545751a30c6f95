// chainsync-oracle: mirrors users' Bitcoin balances on chain with signed sync()
// transactions.
#include "absl/flags/flag.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "chainsync/oracle/v1/oracle.grpc.pb.h"
#include "libs/common/config/flags.h"
#include "libs/common/config/secret.h"
#include "libs/common/server/backend.h"
#include "oracle_migrations.h"
#include "services/oracle/account_store.h"
#include "services/oracle/esplora_source.h"
#include "services/oracle/monitor_store.h"
#include "services/oracle/oracle_grpc_service.h"
#include "services/oracle/sweeper.h"

ABSL_FLAG(std::string, bitcoin_network, "mainnet",
          "The Bitcoin network of the addresses the oracle accepts: mainnet, "
          "testnet (and signet) or regtest.");
ABSL_FLAG(absl::Duration, proof_max_age, absl::Minutes(10),
          "How long after it was issued an ownership proof's message is "
          "accepted.");
ABSL_FLAG(std::vector<std::string>, bitcoin_api_url, {},
          "Esplora-compatible Bitcoin APIs, comma-separated in order of "
          "preference (e.g. https://mempool.space/api,"
          "https://blockstream.info/api); a request one fails goes to the "
          "next. Required.");
ABSL_FLAG(int32_t, btc_confirmations, 6,
          "Blocks (its own included) that must hold an output before it "
          "counts in a balance.");
ABSL_FLAG(int32_t, bitcoin_api_concurrency, 16,
          "Requests to the Bitcoin API in flight at once.");
ABSL_FLAG(double, bitcoin_api_rate, 0,
          "Requests a second to the Bitcoin API at most (0: no limit).");
ABSL_FLAG(absl::Duration, bitcoin_api_timeout, absl::Seconds(10),
          "How long one request to the Bitcoin API may take.");

namespace chainsync::oracle {
namespace {

absl::StatusOr<bitcoin::Network> NetworkFromFlag() {
  const std::string name = absl::GetFlag(FLAGS_bitcoin_network);
  for (const bitcoin::Network network :
       {bitcoin::Network::kMainnet, bitcoin::Network::kTestnet,
        bitcoin::Network::kRegtest}) {
    if (bitcoin::NetworkName(network) == name) return network;
  }
  return InvalidFlag("bitcoin_network", name,
                     "must be mainnet, testnet or regtest");
}

// OptionalSecret is the secret, or an empty one when it is not set.
absl::StatusOr<Secret> OptionalSecret(absl::string_view name) {
  absl::StatusOr<Secret> secret = ReadSecret(name);
  if (absl::IsNotFound(secret.status())) return Secret();
  return secret;
}

absl::StatusOr<std::shared_ptr<BitcoinSource>> SourceFromFlags() {
  const std::vector<std::string> urls = absl::GetFlag(FLAGS_bitcoin_api_url);
  if (urls.empty()) {
    return InvalidFlag("bitcoin_api_url", "",
                       "required: an Esplora API, e.g. "
                       "https://mempool.space/api");
  }
  const int32_t concurrency = absl::GetFlag(FLAGS_bitcoin_api_concurrency);
  if (concurrency < 1 || concurrency > 1024) {
    return InvalidFlag("bitcoin_api_concurrency", absl::StrCat(concurrency),
                       "must be from 1 to 1024");
  }
  const double rate = absl::GetFlag(FLAGS_bitcoin_api_rate);
  if (!(rate >= 0)) {
    return InvalidFlag("bitcoin_api_rate", absl::StrCat(rate),
                       "must not be negative");
  }
  const absl::Duration timeout = absl::GetFlag(FLAGS_bitcoin_api_timeout);
  if (timeout <= absl::ZeroDuration()) {
    return InvalidFlag("bitcoin_api_timeout", absl::FormatDuration(timeout),
                       "must be positive");
  }
  absl::StatusOr<std::unique_ptr<bitcoin::EsploraClient>> client =
      bitcoin::EsploraClient::Create({.base_urls = urls,
                                      .max_concurrency = concurrency,
                                      .rate_per_second = rate,
                                      .rate_burst = std::max(1.0, rate),
                                      .timeout = timeout});
  if (!client.ok()) {
    return InvalidFlag("bitcoin_api_url", absl::StrJoin(urls, ","),
                       client.status().message());
  }
  return std::make_shared<EsploraSource>(*std::move(client));
}

absl::StatusOr<BackendComponents> Build(PgPool& database) {
  absl::StatusOr<bitcoin::Network> network = NetworkFromFlag();
  if (!network.ok()) return network.status();
  const absl::Duration max_age = absl::GetFlag(FLAGS_proof_max_age);
  if (max_age <= absl::ZeroDuration() || max_age > absl::Hours(24)) {
    return InvalidFlag("proof_max_age", absl::FormatDuration(max_age),
                       "must be more than 0 and at most 24h");
  }
  absl::StatusOr<Secret> profile_keys = OptionalSecret("profile_keys");
  if (!profile_keys.ok()) return profile_keys.status();
  absl::StatusOr<Secret> page_token_key = OptionalSecret("page_token_key");
  if (!page_token_key.ok()) return page_token_key.status();

  std::optional<ProfileCipher> cipher;
  if (!profile_keys->empty()) {
    absl::StatusOr<ProfileCipher> keys =
        ProfileCipher::FromSecret(*profile_keys);
    if (!keys.ok()) return keys.status();
    cipher = *std::move(keys);
  }
  auto accounts = std::make_shared<AccountStore>(database, std::move(cipher));
  absl::StatusOr<std::shared_ptr<BitcoinSource>> source = SourceFromFlags();
  if (!source.ok()) return source.status();
  const int32_t confirmations = absl::GetFlag(FLAGS_btc_confirmations);
  if (confirmations < 1 || confirmations > 1000) {
    return InvalidFlag("btc_confirmations", absl::StrCat(confirmations),
                       "must be from 1 to 1000");
  }
  auto monitor = std::make_shared<MonitorStore>(database);
  auto sweeper =
      std::make_unique<Sweeper>(monitor, *std::move(source), confirmations);
  BackendComponents backend;
  backend.services.push_back(
      {std::make_shared<OracleGrpcService>(
           std::move(accounts), std::move(monitor), *sweeper,
           ProofRules{.network = *network, .max_age = max_age},
           PageTokens(*std::move(page_token_key))),
       v1::OracleService::service_full_name()});
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
