// chainsync-deploy: deploys the reference protocol to a chain and writes the
// configuration file the services read.
#include <fstream>

#include "absl/flags/flag.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "contracts/deploy/deployment.h"
#include "libs/common/config/flags.h"
#include "libs/common/logging/log.h"
#include "libs/common/server/service_host.h"
#include "libs/evm/keccak.h"

ABSL_FLAG(std::string, rpc_url, "http://127.0.0.1:8545",
          "JSON-RPC endpoint of the chain.");
ABSL_FLAG(
    std::string, artifacts_dir, CHAINSYNC_DEFAULT_ARTIFACTS_DIR,
    "Directory of the solcjs artifacts (<Name>_sol_<Name>.abi and .bin).");
ABSL_FLAG(std::string, output, "deployment.json",
          "Where to write the configuration.");
ABSL_FLAG(
    std::string, committee_address, "",
    "The oracle's signing address, allowed to call OracleAggregator.sync. "
    "This or --committee_key_file is required.");
ABSL_FLAG(
    std::string, committee_key_file, "",
    "A file holding the oracle's private key (hex); its address becomes the "
    "committee. The key itself is neither used nor copied.");
ABSL_FLAG(std::string, publisher_address, "",
          "The reconciler's signing address, allowed to publish the roots of "
          "proofs of reserves on the ReserveProofs contract. With neither "
          "this nor --publisher_key_file, ReserveProofs is not deployed.");
ABSL_FLAG(std::string, publisher_key_file, "",
          "A file holding the reconciler's private key (hex); its address "
          "becomes the publisher. The key itself is neither used nor copied.");
ABSL_FLAG(
    uint64_t, yield_minimum_sats, 10000,
    "rBTC balance, in satoshis, from which a holder may join the yield pool.");
ABSL_FLAG(
    bool, dev_fund_deployer, false,
    "Local chains only: when no deployer key is set, make one and fund it with "
    "anvil_setBalance.");

namespace {

// RoleFromFlags reads a role's address from `--<role>_address`, or from the
// key in `--<role>_key_file`; empty when neither is set.
absl::StatusOr<std::optional<chainsync::evm::Address>> RoleFromFlags(
    const std::string& role, const std::string& address,
    const std::string& key_file) {
  if (key_file.empty()) {
    if (address.empty()) return std::nullopt;
    return chainsync::evm::Address::Parse(address, "--" + role + "_address");
  }
  std::ifstream in(key_file);
  std::string key;
  if (!(in >> key)) {
    return absl::InvalidArgumentError(
        absl::StrCat("--", role, "_key_file: cannot read ", key_file));
  }
  absl::StatusOr<std::unique_ptr<chainsync::evm::LocalKeySigner>> signer =
      chainsync::evm::LocalKeySigner::Create(chainsync::Secret(key));
  if (!signer.ok()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "--", role, "_key_file ", key_file, ": ", signer.status().message()));
  }
  return (*signer)->address();
}

absl::StatusOr<chainsync::evm::Address> CommitteeFromFlags() {
  absl::StatusOr<std::optional<chainsync::evm::Address>> committee =
      RoleFromFlags("committee", absl::GetFlag(FLAGS_committee_address),
                    absl::GetFlag(FLAGS_committee_key_file));
  if (!committee.ok()) return committee.status();
  if (!committee->has_value()) {
    return absl::InvalidArgumentError(
        "--committee_address or --committee_key_file is required");
  }
  return **committee;
}

}  // namespace

int main(int argc, char** argv) {
  chainsync::InitTool(
      "deploy", argc, argv,
      "chainsync-deploy: deploys the reference protocol and writes the "
      "configuration the services read. The deployer key comes from "
      "CHAINSYNC_DEPLOYER_KEY or the file named by "
      "CHAINSYNC_DEPLOYER_KEY_FILE.");
  using chainsync::ValueOrExit;
  const chainsync::evm::Address committee =
      ValueOrExit(CommitteeFromFlags(), "configuration");
  const std::optional<chainsync::evm::Address> publisher = ValueOrExit(
      RoleFromFlags("publisher", absl::GetFlag(FLAGS_publisher_address),
                    absl::GetFlag(FLAGS_publisher_key_file)),
      "configuration");
  auto client = ValueOrExit(chainsync::evm::JsonRpcClient::Create(
                                {.endpoints = {absl::GetFlag(FLAGS_rpc_url)}}),
                            "configuration");

  absl::StatusOr<std::unique_ptr<chainsync::evm::LocalKeySigner>> signer =
      chainsync::evm::LocalKeySigner::FromSecret("deployer_key");
  if (absl::IsNotFound(signer.status()) &&
      absl::GetFlag(FLAGS_dev_fund_deployer)) {
    const chainsync::evm::Hash random = chainsync::evm::Keccak256(absl::StrCat(
        "chainsync dev deployer ", absl::ToUnixNanos(absl::Now())));
    signer = chainsync::evm::LocalKeySigner::Create(
        chainsync::Secret(chainsync::evm::ToHex(random)));
    if (signer.ok()) {
      chainsync::OkOrExit(
          client
              ->Call("anvil_setBalance",
                     absl::StrCat(R"([")", (*signer)->address().ToLowerHex(),
                                  R"(","0x56bc75e2d63100000"])"))
              .status(),
          "funding the deployer");
    }
  }
  auto deployer = ValueOrExit(std::move(signer), "deployer key");
  const chainsync::contracts::Deployment deployment = ValueOrExit(
      chainsync::contracts::DeployReferenceProtocol(
          *client, *deployer,
          {.artifacts_dir = absl::GetFlag(FLAGS_artifacts_dir),
           .committee = committee,
           .yield_minimum_sats = absl::GetFlag(FLAGS_yield_minimum_sats),
           .publisher = publisher}),
      "deployment");
  const std::string path = absl::GetFlag(FLAGS_output);
  std::ofstream out(path);
  out << deployment.ToJson();
  out.close();
  if (!out) {
    chainsync::OkOrExit(
        absl::UnavailableError(absl::StrCat("cannot write ", path)), "output");
  }
  chainsync::log::Info("deployment written",
                       {{"path", path},
                        {"chain_id", deployment.chain_id},
                        {"contracts", deployment.contracts.size()}});
  return 0;
}
