#pragma once

// The oracle binary on a private database, for the oracle's tests.

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "chainsync/oracle/v1/oracle.grpc.pb.h"
#include "grpcpp/create_channel.h"
#include "tests/support/subprocess.h"
#include "tests/support/test_env.h"

namespace chainsync::oracle {

inline constexpr char kProfileKeys[] =
    "k1:00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff";

// OracleProcess runs chainsync-oracle on regtest against `database`.
class OracleProcess {
 public:
  explicit OracleProcess(const testing::ScopedDatabase& database,
                         const std::vector<std::string>& flags = {},
                         std::map<std::string, std::string> environment = {
                             {"CHAINSYNC_PROFILE_KEYS", kProfileKeys}}) {
    std::vector<std::string> argv = {
        CHAINSYNC_ORACLE_BIN, "--listen_host=127.0.0.1", "--grpc_port=0",
        "--admin_port=0", "--bitcoin_network=regtest"};
    argv.insert(argv.end(), flags.begin(), flags.end());
    environment["CHAINSYNC_DATABASE_URL"] = database.url();
    auto process = testing::Subprocess::Start(argv, environment);
    if (!process.ok()) std::abort();
    process_ = *std::move(process);
    const auto serving = testing::WaitForServing(*process_);
    if (!serving.has_value() ||
        !process_->WaitForLine(R"("message":"ready")", absl::Seconds(30))) {
      std::abort();
    }
    port_ = serving->grpc;
    stub_ = v1::OracleService::NewStub(
        grpc::CreateChannel(address(), grpc::InsecureChannelCredentials()));
  }

  std::string address() const { return absl::StrCat("127.0.0.1:", port_); }
  v1::OracleService::Stub& stub() { return *stub_; }
  testing::Subprocess& process() { return *process_; }

 private:
  std::unique_ptr<testing::Subprocess> process_;
  int port_ = 0;
  std::unique_ptr<v1::OracleService::Stub> stub_;
};

}  // namespace chainsync::oracle
