#pragma once

// The oracle binary on a private database, for the oracle's tests.

#include <unistd.h>

#include <atomic>
#include <catch2/catch.hpp>
#include <fstream>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "chainsync/oracle/v1/oracle.grpc.pb.h"
#include "grpcpp/create_channel.h"
#include "libs/bitcoin/address.h"
#include "libs/bitcoin/signed_message.h"
#include "libs/crypto/secp256k1.h"
#include "services/oracle/ownership_proof.h"
#include "tests/support/btcsim_process.h"
#include "tests/support/protocol_workload.h"
#include "tests/support/subprocess.h"
#include "tests/support/test_env.h"

namespace chainsync::oracle {

inline constexpr char kProfileKeys[] =
    "k1:00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff";

// OracleChain is the reference protocol deployed on an anvil as the
// oracle's deployment configuration, with the committee key the oracle signs
// with.
struct OracleChain {
  std::string rpc_url;
  std::unique_ptr<testing::ProtocolWorkload> workload;
  std::string deployment_file;

  static OracleChain Deploy(const std::string& rpc_url) {
    static std::atomic<int> deployed{0};
    OracleChain chain;
    chain.rpc_url = rpc_url;
    chain.workload = testing::ProtocolWorkload::Deploy(rpc_url);
    chain.deployment_file = absl::StrCat("/tmp/chainsync_oracle_", getpid(),
                                         "_", deployed++, ".json");
    std::ofstream(chain.deployment_file)
        << chain.workload->deployment().ToJson();
    return chain;
  }

  // Shared is the one deployed on the fixture's anvil, once per process.
  static OracleChain& Shared() {
    static OracleChain chain = Deploy(testing::GetTestEnvironment().rpc_url);
    return chain;
  }
};

// OracleProcess runs chainsync-oracle on regtest against `database`, reading
// the Bitcoin API simulator `bitcoin` and mirroring to the shared chain.
class OracleProcess {
 public:
  OracleProcess(const testing::ScopedDatabase& database,
                const testing::BtcsimProcess& bitcoin,
                const std::vector<std::string>& flags = {},
                std::map<std::string, std::string> environment =
                    {{"CHAINSYNC_PROFILE_KEYS", kProfileKeys}},
                const OracleChain& chain = OracleChain::Shared()) {
    std::vector<std::string> argv = {
        CHAINSYNC_ORACLE_BIN,
        "--listen_host=127.0.0.1",
        "--grpc_port=0",
        "--admin_port=0",
        "--bitcoin_network=regtest",
        "--bitcoin_api_url=" + bitcoin.api("regtest"),
        "--bitcoin_api_timeout=2s",
        "--deployment_config=" + chain.deployment_file,
        "--rpc_url=" + chain.rpc_url,
        "--chain_confirmations=2"};
    argv.insert(argv.end(), flags.begin(), flags.end());
    environment["CHAINSYNC_DATABASE_URL"] = database.url();
    environment["CHAINSYNC_ORACLE_KEY"] = chain.workload->committee_key();
    auto process = testing::Subprocess::Start(argv, environment);
    if (!process.ok()) std::abort();
    process_ = *std::move(process);
    const auto serving = testing::WaitForServing(*process_);
    if (!serving.has_value() ||
        !process_->WaitForLine(R"("message":"ready")", absl::Seconds(30))) {
      std::abort();
    }
    port_ = serving->grpc;
    admin_port_ = serving->admin;
    stub_ = v1::OracleService::NewStub(
        grpc::CreateChannel(address(), grpc::InsecureChannelCredentials()));
  }

  std::string address() const { return absl::StrCat("127.0.0.1:", port_); }
  int admin_port() const { return admin_port_; }
  v1::OracleService::Stub& stub() { return *stub_; }
  testing::Subprocess& process() { return *process_; }

 private:
  std::unique_ptr<testing::Subprocess> process_;
  int port_ = 0;
  int admin_port_ = 0;
  std::unique_ptr<v1::OracleService::Stub> stub_;
};

inline const evm::Address kAlice =
    *evm::Address::Parse("0x52908400098527886E0F7030069857D2E4169EE7");
inline const evm::Address kBob =
    *evm::Address::Parse("0x8617E340B3D01FA5F11F306F4090FD50E238070D");

inline crypto::PrivateKey Key(uint8_t seed) {
  crypto::PrivateKey key{};
  key[0] = 2;
  key[31] = seed;
  return key;
}

inline std::array<uint8_t, 33> CompressedKey(uint8_t seed) {
  return crypto::CompressPublicKey(*crypto::DerivePublicKey(Key(seed)));
}

// Request signs a registration of `bitcoin_address` (of key `seed`) for
// `account`, issued `age` ago.
inline v1::RegisterBitcoinAddressRequest Request(
    uint8_t seed, const std::string& bitcoin_address, bitcoin::AddressType type,
    const evm::Address& account, bool bip322 = false,
    absl::Duration age = absl::ZeroDuration()) {
  v1::RegisterBitcoinAddressRequest request;
  request.set_address(account.ToChecksumHex());
  request.set_bitcoin_address(bitcoin_address);
  request.set_message(
      ProofMessage(bitcoin_address, account, absl::Now() - age));
  request.set_signature(
      bip322 ? *bitcoin::SignBip322Simple(Key(seed), request.message())
             : *bitcoin::SignLegacyMessage(Key(seed), type, request.message()));
  return request;
}

inline grpc::Status Register(OracleProcess& oracle,
                             const v1::RegisterBitcoinAddressRequest& request,
                             v1::BitcoinAddress* response = nullptr) {
  v1::BitcoinAddress ignored;
  grpc::ClientContext context;
  return oracle.stub().RegisterBitcoinAddress(
      &context, request, response == nullptr ? &ignored : response);
}

// RegisterAddress registers the P2WPKH address of key `seed` for `account`.
inline std::string RegisterAddress(OracleProcess& oracle, uint8_t seed,
                                   const evm::Address& account) {
  const std::string address =
      bitcoin::P2wpkhAddress(CompressedKey(seed), bitcoin::Network::kRegtest);
  REQUIRE(Register(oracle, Request(seed, address, bitcoin::AddressType::kP2wpkh,
                                   account))
              .ok());
  return address;
}

// ForceUserSync has the oracle read `account` now and returns its status.
inline v1::UserSyncStatus ForceUserSync(OracleProcess& oracle,
                                        const evm::Address& account) {
  v1::ForceUserSyncRequest request;
  request.set_address(account.ToLowerHex());
  v1::UserSyncStatus status;
  grpc::ClientContext context;
  const grpc::Status result =
      oracle.stub().ForceUserSync(&context, request, &status);
  INFO(result.error_message());
  REQUIRE(result.ok());
  return status;
}

// AccountOf is an EVM account of the tests, told apart by `seed`.
inline evm::Address AccountOf(uint8_t seed) {
  std::array<uint8_t, 20> bytes{};
  bytes[0] = 0xab;
  bytes[19] = seed;
  return evm::Address(bytes);
}

// FundAndRead gives `address` an output of `sats` one block deep (the tests'
// oracles count one confirmation) and has the oracle read `account` now.
inline v1::UserSyncStatus FundAndRead(OracleProcess& oracle,
                                      testing::BtcsimProcess& sim,
                                      const std::string& address,
                                      const evm::Address& account,
                                      uint64_t sats) {
  sim.Fund("regtest", address, sats);
  sim.Mine("regtest", 1);
  return ForceUserSync(oracle, account);
}

}  // namespace chainsync::oracle
