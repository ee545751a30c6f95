// chainsync-oracle: mirrors users' Bitcoin balances on chain with signed sync()
// transactions.
#include "absl/flags/flag.h"
#include "chainsync/oracle/v1/oracle.grpc.pb.h"
#include "libs/common/config/flags.h"
#include "libs/common/config/secret.h"
#include "libs/common/server/backend.h"
#include "oracle_migrations.h"
#include "services/oracle/account_store.h"
#include "services/oracle/oracle_grpc_service.h"

ABSL_FLAG(std::string, bitcoin_network, "mainnet",
          "The Bitcoin network of the addresses the oracle accepts: mainnet, "
          "testnet (and signet) or regtest.");
ABSL_FLAG(absl::Duration, proof_max_age, absl::Minutes(10),
          "How long after it was issued an ownership proof's message is "
          "accepted.");

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
  BackendComponents backend;
  backend.services.push_back(
      {std::make_shared<OracleGrpcService>(
           std::move(accounts),
           ProofRules{.network = *network, .max_age = max_age},
           PageTokens(*std::move(page_token_key))),
       v1::OracleService::service_full_name()});
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
