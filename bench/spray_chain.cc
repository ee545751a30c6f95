#include "bench/spray_chain.h"

#include <signal.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"
#include "contracts/deploy/deployment.h"
#include "libs/common/http/http_client.h"
#include "libs/evm/contract_abi.h"
#include "simdjson.h"
#include "tests/services/api-gateway/tokens.h"

namespace chainsync::bench {
namespace {

// anvil's first development account: unlocked, so eth_sendTransaction
// signs for it.
constexpr absl::string_view kSender =
    "0xf39fd6e51aad88f6f4ce6ab8827279cfffb92266";

evm::Hash SendTransaction(evm::JsonRpcClient& client, absl::string_view to,
                          const evm::Bytes& data, uint64_t gas) {
  const std::string result = Check(
      client.Call("eth_sendTransaction",
                  absl::StrCat(R"([{"from":")", kSender, R"(",)", to,
                               R"("data":")", evm::ToHex(data), R"(","gas":")",
                               absl::StrCat("0x", absl::Hex(gas)), R"("}])")),
      "eth_sendTransaction");
  return Check(evm::FixedFromHex<32>(
                   absl::StripPrefix(absl::StripSuffix(result, "\""), "\""),
                   "transaction hash"),
               "transaction hash");
}

// StartService runs a chainsync binary into `process` and returns its
// "serving" log line, which names its ports.
std::string StartService(const std::vector<std::string>& argv,
                         const std::map<std::string, std::string>& environment,
                         absl::string_view name,
                         std::unique_ptr<testing::Subprocess>* process) {
  *process = Check(testing::Subprocess::Start(argv, environment),
                   absl::StrCat("starting the ", name));
  std::optional<std::string> serving =
      (*process)->WaitForLine(R"("message":"serving")", absl::Seconds(30));
  if (!serving.has_value()) {
    Check(absl::UnavailableError(absl::StrCat("the ", name, " did not start")),
          name);
  }
  return *std::move(serving);
}

// LoggedPort reads a port from a service's "serving" log line.
int LoggedPort(const std::string& serving, const char* key) {
  simdjson::dom::parser parser;
  return static_cast<int>(parser.parse(serving)[key].get_int64().value());
}

// Scrape returns the /metrics text of a service on `port`.
std::string Scrape(int port) {
  static const std::unique_ptr<HttpClient> http =
      Check(HttpClient::Create({}), "HTTP client");
  return Check(http->Send({.url = absl::StrCat("http://127.0.0.1:", port,
                                               "/metrics")}),
               "scraping /metrics")
      .body;
}

// StatusBytes reads a memory figure of /proc/<pid>/status, such as
// "VmHWM:".
uint64_t StatusBytes(pid_t pid, absl::string_view field) {
  std::ifstream status(absl::StrCat("/proc/", pid, "/status"));
  std::string line;
  while (std::getline(status, line)) {
    absl::string_view value = line;
    uint64_t kib = 0;
    if (absl::ConsumePrefix(&value, field) &&
        absl::SimpleAtoi(
            absl::StripSuffix(absl::StripAsciiWhitespace(value), " kB"),
            &kib)) {
      return kib * 1024;
    }
  }
  return 0;
}

// ProcessTimes is what /proc/<pid>/stat says of one process.
struct ProcessTimes {
  pid_t parent = 0;
  // utime + stime + cutime + cstime, in clock ticks.
  uint64_t ticks = 0;
};

// AllProcesses reads /proc/<pid>/stat of every process there is.
std::map<pid_t, ProcessTimes> AllProcesses() {
  std::map<pid_t, ProcessTimes> processes;
  for (const auto& entry : std::filesystem::directory_iterator("/proc")) {
    pid_t pid = 0;
    if (!absl::SimpleAtoi(entry.path().filename().string(), &pid)) continue;
    std::ifstream file(entry.path() / "stat");
    std::string stat;
    if (!std::getline(file, stat)) continue;
    // The name in parentheses may hold spaces: fields count from its end.
    const size_t name_end = stat.rfind(')');
    if (name_end == std::string::npos) continue;
    const std::vector<absl::string_view> fields = absl::StrSplit(
        absl::string_view(stat).substr(name_end + 2), ' ', absl::SkipEmpty());
    if (fields.size() < 15) continue;
    ProcessTimes times;
    if (!absl::SimpleAtoi(fields[1], &times.parent)) continue;
    // Fields 14 to 17 of stat(5), counted from the state (field 3).
    for (size_t field = 11; field <= 14; ++field) {
      uint64_t ticks = 0;
      if (absl::SimpleAtoi(fields[field], &ticks)) times.ticks += ticks;
    }
    processes[pid] = times;
  }
  return processes;
}

}  // namespace

uint64_t PeakRssBytes(pid_t pid) { return StatusBytes(pid, "VmHWM:"); }

double CpuSeconds(pid_t root) {
  const std::map<pid_t, ProcessTimes> processes = AllProcesses();
  std::map<pid_t, std::vector<pid_t>> children;
  for (const auto& [pid, times] : processes) {
    children[times.parent].push_back(pid);
  }
  uint64_t ticks = 0;
  std::vector<pid_t> pending = {root};
  while (!pending.empty()) {
    const pid_t pid = pending.back();
    pending.pop_back();
    if (const auto found = processes.find(pid); found != processes.end()) {
      ticks += found->second.ticks;
    }
    for (pid_t child : children[pid]) pending.push_back(child);
  }
  return static_cast<double>(ticks) / static_cast<double>(sysconf(_SC_CLK_TCK));
}

void Check(const absl::Status& status, absl::string_view what) {
  if (status.ok()) return;
  std::fprintf(stderr, "bench: %s: %s\n", std::string(what).c_str(),
               status.ToString().c_str());
  std::exit(1);
}

SprayChain::SprayChain()
    : client_(Check(evm::JsonRpcClient::Create(
                        {.endpoints = {environment_.environment().rpc_url}}),
                    "JSON-RPC client")),
      deployment_file_(absl::StrCat("/tmp/chainsync_bench_", getpid(), "_",
                                    environment_.environment().pg_port,
                                    ".json")) {
  const contracts::ContractArtifact artifact = Check(
      contracts::LoadArtifact(CHAINSYNC_BENCH_ARTIFACTS_DIR, "TransferSpray"),
      "TransferSpray artifact");
  const evm::Hash deploy =
      SendTransaction(*client_, "", artifact.bytecode, 1'000'000);
  std::optional<evm::Receipt> receipt;
  for (int i = 0; i < 100 && !receipt.has_value(); ++i) {
    absl::SleepFor(absl::Milliseconds(i == 0 ? 0 : 20));
    receipt =
        Check(client_->GetTransactionReceipt(deploy), "deployment receipt");
  }
  if (!receipt.has_value() || !receipt->contract_address.has_value()) {
    Check(absl::InternalError("no contract address"), "deployment");
  }
  token_ = *receipt->contract_address;
  const evm::Address sender =
      Check(evm::Address::Parse(kSender, "sender"), "sender");
  contracts::Deployment deployment{.chain_id = Check(client_->ChainId(), "id"),
                                   .owner = sender,
                                   .committee = sender};
  deployment.contracts.push_back({.name = "TransferSpray",
                                  .address = token_,
                                  .start_block = receipt->block_number,
                                  .abi_json = artifact.abi_json});
  std::ofstream(deployment_file_) << deployment.ToJson();
  Check(client_->Call("evm_setAutomine", "[false]").status(), "automine off");
}

uint64_t SprayChain::Mine() {
  Check(client_->Call("evm_mine", "[]").status(), "evm_mine");
  return Check(client_->BlockNumber(), "block number");
}

SprayChain::~SprayChain() { std::remove(deployment_file_.c_str()); }

void SprayChain::Spray(int count, int holders, int first) {
  static const evm::AbiFunction spray =
      Check(evm::AbiFunction::Parse("spray(uint256,uint256,uint256)"), "spray");
  SendTransaction(
      *client_, absl::StrCat(R"("to":")", token_.ToLowerHex(), R"(",)"),
      Check(spray.EncodeCall({evm::Uint256(count), evm::Uint256(holders),
                              evm::Uint256(first)}),
            "spray call"),
      60'000 + 2'500 * static_cast<uint64_t>(count));
}

IndexerProcess::IndexerProcess(const SprayChain& chain,
                               const std::vector<std::string>& flags)
    : IndexerProcess(chain.database_url(), chain.deployment_file(),
                     chain.rpc_url(), flags) {}

IndexerProcess::IndexerProcess(const std::string& database_url,
                               const std::string& deployment_file,
                               const std::string& rpc_url,
                               const std::vector<std::string>& flags) {
  std::vector<std::string> argv = {CHAINSYNC_INDEXER_BIN,
                                   "--listen_host=127.0.0.1",
                                   "--grpc_port=0",
                                   "--admin_port=0",
                                   "--deployment_config=" + deployment_file,
                                   "--rpc_url=" + rpc_url};
  argv.insert(argv.end(), flags.begin(), flags.end());
  const std::string serving = StartService(
      argv, {{"CHAINSYNC_DATABASE_URL", database_url}}, "indexer", &process_);
  grpc_port_ = LoggedPort(serving, "grpc_port");
  http_port_ = LoggedPort(serving, "http_port");
  if (!process_->WaitForLine(R"("message":"ready")", absl::Seconds(30))) {
    Check(absl::UnavailableError("the indexer did not become ready"),
          "indexer");
  }
  database_ = Check(PgConnection::Connect({.url = database_url}), "database");
}

IndexerProcess::~IndexerProcess() {
  process_->Signal(SIGTERM);
  (void)process_->Wait(absl::Seconds(20));
}

bool IndexerProcess::WaitForIndexed(uint64_t block, absl::Duration timeout) {
  const absl::Time deadline = absl::Now() + timeout;
  while (absl::Now() < deadline) {
    const PgResult result =
        Check(database_->Exec("SELECT coalesce((SELECT indexed_block FROM "
                              "indexer.chains), -1)"),
              "reading the cursor");
    if (*result.GetInt64(0, 0) >= static_cast<int64_t>(block)) return true;
    // Every 10 ms: finer polling costs CPU the indexer and Postgres share.
    while (process_->ReadLine(absl::Milliseconds(10)).has_value()) {
    }
  }
  return false;
}

std::string IndexerProcess::Metrics() const { return Scrape(http_port_); }

uint64_t IndexerProcess::PeakRssBytes() const {
  return bench::PeakRssBytes(process_->pid());
}

GatewayProcess::GatewayProcess(int indexer_grpc_port,
                               const std::vector<std::string>& flags) {
  std::vector<std::string> argv = {
      CHAINSYNC_GATEWAY_BIN,
      "--listen_host=127.0.0.1",
      "--http_port=0",
      "--admin_port=0",
      "--rate_limit=1000000000",
      "--rate_burst=1000000000",
      absl::StrCat("--indexer_address=127.0.0.1:", indexer_grpc_port)};
  argv.insert(argv.end(), flags.begin(), flags.end());
  const std::string serving =
      StartService(argv, {{"CHAINSYNC_JWT_SECRET", gateway::kJwtSecret}},
                   "gateway", &process_);
  http_port_ = LoggedPort(serving, "http_port");
  admin_port_ = LoggedPort(serving, "admin_port");
}

GatewayProcess::~GatewayProcess() {
  process_->Signal(SIGTERM);
  (void)process_->Wait(absl::Seconds(20));
}

std::string GatewayProcess::Metrics() const { return Scrape(admin_port_); }

uint64_t GatewayProcess::RssBytes() const {
  return StatusBytes(process_->pid(), "VmRSS:");
}

uint64_t GatewayProcess::PeakRssBytes() const {
  return bench::PeakRssBytes(process_->pid());
}

double MetricSum(absl::string_view text, absl::string_view name,
                 absl::string_view labels) {
  double sum = 0;
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    if (!absl::ConsumePrefix(&line, name)) continue;
    if (line.empty() || (line[0] != '{' && line[0] != ' ')) continue;
    const size_t space = line.rfind(' ');
    if (!absl::StrContains(line.substr(0, space), labels)) continue;
    double value = 0;
    if (absl::SimpleAtod(line.substr(space + 1), &value)) sum += value;
  }
  return sum;
}

}  // namespace chainsync::bench
