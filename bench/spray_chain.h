#pragma once

// What the benchmarks share: a private Postgres and anvil with the
// TransferSpray token, the indexer and gateway binaries run against them, and
// their figures (metrics, memory).

#include <memory>
#include <string>
#include <vector>

#include "libs/evm/json_rpc_client.h"
#include "tests/support/subprocess.h"
#include "tests/support/test_env.h"

namespace chainsync::bench {

// Check ends the benchmark with a message when `status` is not OK.
void Check(const absl::Status& status, absl::string_view what);
template <typename T>
T Check(absl::StatusOr<T> value, absl::string_view what) {
  Check(value.status(), what);
  return *std::move(value);
}

// SprayChain is a private Postgres cluster and anvil node holding the
// TransferSpray token, deployed by anvil's first development account, and
// the deployment configuration the indexer reads, written to a file.
class SprayChain {
 public:
  SprayChain();
  ~SprayChain();

  // Spray sends a transaction emitting `count` transfers to `holders`
  // rotating accounts, starting with holder `first`. It waits in the pool
  // until Mine: the chain mines only when asked.
  void Spray(int count, int holders, int first);
  // Mine mines a block of the pending transactions and returns its number.
  uint64_t Mine();

  evm::JsonRpcClient& client() { return *client_; }
  const std::string& deployment_file() const { return deployment_file_; }
  std::string database_url() const { return environment_.database_url(); }
  const std::string& rpc_url() const {
    return environment_.environment().rpc_url;
  }

 private:
  testing::PrivateEnvironment environment_;
  std::unique_ptr<evm::JsonRpcClient> client_;
  evm::Address token_;
  std::string deployment_file_;
};

// IndexerProcess is the chainsync-indexer binary on a SprayChain, or on a
// deployment of a benchmark's own.
class IndexerProcess {
 public:
  IndexerProcess(const SprayChain& chain,
                 const std::vector<std::string>& flags);
  IndexerProcess(const std::string& database_url,
                 const std::string& deployment_file, const std::string& rpc_url,
                 const std::vector<std::string>& flags);
  ~IndexerProcess();

  // WaitForIndexed waits until the cursor reaches `block`, reading the
  // process's logs meanwhile; false after `timeout`.
  bool WaitForIndexed(uint64_t block, absl::Duration timeout);
  // Metrics is the text of the process's /metrics.
  std::string Metrics() const;
  // PeakRssBytes is the process's high-water resident memory so far.
  uint64_t PeakRssBytes() const;
  int grpc_port() const { return grpc_port_; }
  testing::Subprocess& process() { return *process_; }

 private:
  std::unique_ptr<testing::Subprocess> process_;
  std::unique_ptr<PgConnection> database_;
  int grpc_port_ = 0;
  int http_port_ = 0;
};

// GatewayProcess is the chainsync-gateway binary in front of an indexer,
// with no rate limit and the tests' HS256 token secret.
class GatewayProcess {
 public:
  GatewayProcess(int indexer_grpc_port, const std::vector<std::string>& flags);
  ~GatewayProcess();

  int http_port() const { return http_port_; }
  // Metrics is the text of the process's /metrics.
  std::string Metrics() const;
  // RssBytes is the process's resident memory now; PeakRssBytes its
  // high-water mark so far.
  uint64_t RssBytes() const;
  uint64_t PeakRssBytes() const;
  testing::Subprocess& process() { return *process_; }

 private:
  std::unique_ptr<testing::Subprocess> process_;
  int http_port_ = 0;
  int admin_port_ = 0;
};

// PeakRssBytes is the high-water resident memory of process `pid` so far.
uint64_t PeakRssBytes(pid_t pid);

// CpuSeconds is the CPU time (user and system) that process `root` and every
// process under it have used so far, the children it reaped included.
double CpuSeconds(pid_t root);

// MetricSum adds up the samples named `name` whose labels contain
// `labels` (for example method="eth_getLogs"), in Prometheus text.
double MetricSum(absl::string_view text, absl::string_view name,
                 absl::string_view labels = "");

}  // namespace chainsync::bench
