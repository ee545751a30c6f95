// Starts each chainsync binary as a real process against the fixture
// Postgres and checks what an operator relies on: migrations applied,
// health and reflection over gRPC, /metrics accepted by promtool, a clean
// exit on SIGTERM, and one clear log line when it cannot start.
#include <signal.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <fstream>
#include <sstream>
#include <string>

#include "absl/strings/str_cat.h"
#include "grpcpp/create_channel.h"
#include "grpcpp/security/credentials.h"
#include "libs/common/http/http_client.h"
#include "simdjson.h"
#include "tests/support/grpc_probe.h"
#include "tests/support/promtool.h"
#include "tests/support/protocol_workload.h"
#include "tests/support/subprocess.h"
#include "tests/support/test_env.h"

namespace chainsync {
namespace {

using testing::ScopedDatabase;
using testing::Subprocess;

// An idle gRPC client notices a server's GOAWAY only when its backup poller
// runs (every 5 s by default), and a draining server waits for the client to
// close the connection. Polling often keeps each SIGTERM case from waiting
// 5 s; gRPC reads the variable when it initialises, after this.
const bool kFastGrpcPolling =
    setenv("GRPC_CLIENT_CHANNEL_BACKUP_POLL_INTERVAL_MS", "100", 0) == 0;

struct Backend {
  const char* binary;
  const char* schema;
  const char* grpc_service;
  // The backends need a chain and the contracts.
  bool needs_chain = false;
  // Flags the backend requires besides the database.
  std::vector<std::string> required = {};
};

const Backend kBackends[] = {
    {CHAINSYNC_INDEXER_BIN, "indexer", "chainsync.indexer.v1.IndexerService",
     true},
    // Nothing answers on port 1: the oracle serves, its reads fail.
    {CHAINSYNC_ORACLE_BIN,
     "oracle",
     "chainsync.oracle.v1.OracleService",
     true,
     {"--bitcoin_api_url=http://127.0.0.1:1/api"}},
    // Nothing answers on port 1 either: its runs fail, it serves.
    {CHAINSYNC_RECONCILER_BIN,
     "reconciler",
     "chainsync.reconciler.v1.ReconcilerService",
     true,
     {"--indexer_address=127.0.0.1:1", "--oracle_address=127.0.0.1:1",
      "--bitcoin_api_url=http://127.0.0.1:1/api"}},
};

struct Ports {
  int64_t grpc = 0;
  // The gateway's public API; a backend's admin port.
  int64_t http = 0;
  int64_t admin = 0;
};

// WaitUntilReady reads the log until the service is ready and returns the
// ports its "serving" line reported.
Ports WaitUntilReady(Subprocess& process) {
  auto line = process.WaitForLine(R"("message":"serving")", absl::Seconds(30));
  if (!line.has_value() ||
      !process.WaitForLine(R"("message":"ready")", absl::Seconds(30))) {
    for (const auto& earlier : process.lines()) UNSCOPED_INFO(earlier);
    FAIL("the process did not become ready");
  }
  simdjson::dom::parser parser;
  simdjson::dom::element json = parser.parse(*line);
  return {json["grpc_port"].get_int64().value(),
          json["http_port"].get_int64().value(),
          json["admin_port"].get_int64().value()};
}

// FixtureChain is the reference protocol deployed once on the fixture
// chain: the configuration file the indexer and the oracle read, and the
// committee key the oracle signs with.
struct FixtureChain {
  std::string deployment_file;
  std::string committee_key;
};

const FixtureChain& Chain() {
  static const FixtureChain chain = [] {
    auto workload = testing::ProtocolWorkload::Deploy(
        testing::GetTestEnvironment().rpc_url);
    const std::string file =
        absl::StrCat("/tmp/chainsync_deployment_", getpid(), ".json");
    std::ofstream(file) << workload->deployment().ToJson();
    return FixtureChain{file, workload->committee_key()};
  }();
  return chain;
}

const std::string& DeploymentFile() { return Chain().deployment_file; }

std::unique_ptr<Subprocess> StartBackend(const Backend& backend,
                                         const std::string& url,
                                         std::vector<std::string> extra = {}) {
  std::vector<std::string> argv = {backend.binary, "--listen_host=127.0.0.1",
                                   "--grpc_port=0", "--admin_port=0"};
  if (backend.needs_chain) {
    argv.push_back("--deployment_config=" + DeploymentFile());
    argv.push_back("--rpc_url=" + testing::GetTestEnvironment().rpc_url);
  }
  argv.insert(argv.end(), backend.required.begin(), backend.required.end());
  argv.insert(argv.end(), extra.begin(), extra.end());
  auto process = Subprocess::Start(
      argv, {{"CHAINSYNC_DATABASE_URL", url},
             {"CHAINSYNC_ORACLE_KEY",
              backend.needs_chain ? Chain().committee_key : ""}});
  REQUIRE(process.ok());
  return *std::move(process);
}

std::string Scrape(int64_t port) {
  auto client = *HttpClient::Create({});
  auto response = client->Send(
      {.url = absl::StrCat("http://127.0.0.1:", port, "/metrics")});
  REQUIRE(response.ok());
  REQUIRE(response->status == 200);
  return response->body;
}

// The last log line, parsed, for the start-up failure cases.
std::string LastErrorMessage(Subprocess& process) {
  REQUIRE_FALSE(process.lines().empty());
  simdjson::dom::parser parser;
  simdjson::dom::element json;
  REQUIRE(parser.parse(process.lines().back()).get(json) == simdjson::SUCCESS);
  CHECK(std::string(json["level"].get_string().value()) == "error");
  return std::string(json["error"].get_string().value());
}

// RefusedDeployment runs the indexer on the deployment configuration as
// `change` leaves it, expects it to exit 1, and returns its error message.
template <typename Change>
std::string RefusedDeployment(const std::string& database_url,
                              const std::string& suffix, Change change) {
  std::ifstream in(DeploymentFile());
  std::stringstream text;
  text << in.rdbuf();
  auto deployment = contracts::Deployment::FromJson(text.str());
  REQUIRE(deployment.ok());
  change(*deployment);
  const std::string file = DeploymentFile() + suffix;
  std::ofstream(file) << deployment->ToJson();
  auto process =
      StartBackend(kBackends[0], database_url, {"--deployment_config=" + file});
  CHECK(*process->Wait(absl::Seconds(30)) == 1);
  return LastErrorMessage(*process);
}

TEST_CASE(
    "each backend migrates, serves health, reflection and metrics, and "
    "drains on SIGTERM",
    "[binaries]") {
  for (const Backend& backend : kBackends) {
    DYNAMIC_SECTION(backend.schema) {
      ScopedDatabase database;
      auto process = StartBackend(backend, database.url());
      const Ports ports = WaitUntilReady(*process);

      auto channel = grpc::CreateChannel(absl::StrCat("127.0.0.1:", ports.grpc),
                                         grpc::InsecureChannelCredentials());
      CHECK(*testing::CheckHealth(channel) == testing::HealthStatus::kServing);
      auto services = testing::ListServices(channel);
      REQUIRE(services.ok());
      CHECK_THAT(*services, Catch::Matchers::VectorContains(
                                std::string(backend.grpc_service)));
      CHECK_THAT(*services, Catch::Matchers::VectorContains(
                                std::string("grpc.health.v1.Health")));

      const std::string metrics = Scrape(ports.admin);
      CHECK(
          metrics.find(
              R"(grpc_server_handled_total{grpc_type="unary",grpc_service="grpc.health.v1.Health",grpc_method="Check",grpc_code="OK"} 1)") !=
          std::string::npos);
      CHECK(metrics.find("process_resident_memory_bytes ") !=
            std::string::npos);
      CHECK(metrics.find("chainsync_postgres_pool_connections{") !=
            std::string::npos);
      const auto lint = testing::CheckMetrics(metrics);
      INFO(lint.output);
      CHECK(lint.exit_code == 0);

      auto applied = database.Connect()->Exec(absl::StrCat(
          "SELECT count(*) FROM ", backend.schema, ".schema_migrations"));
      REQUIRE(applied.ok());
      CHECK(*applied->GetInt64(0, 0) >= 1);

      process->Signal(SIGTERM);
      auto status = process->Wait(absl::Seconds(20));
      REQUIRE(status.ok());
      CHECK(*status == 0);
      CHECK(process->lines().back().find(R"("message":"stopped")") !=
            std::string::npos);

      // A second start finds the schema up to date.
      auto restarted = StartBackend(backend, database.url());
      WaitUntilReady(*restarted);
      CHECK(std::any_of(restarted->lines().begin(), restarted->lines().end(),
                        [](const std::string& line) {
                          return line.find(R"("applied":0)") !=
                                 std::string::npos;
                        }));
      restarted->Signal(SIGINT);
      CHECK(*restarted->Wait(absl::Seconds(20)) == 0);
    }
  }
}

TEST_CASE("the gateway serves health, readiness and metrics on its admin port",
          "[binaries]") {
  auto process =
      Subprocess::Start({CHAINSYNC_GATEWAY_BIN, "--listen_host=127.0.0.1",
                         "--http_port=0", "--admin_port=0"});
  REQUIRE(process.ok());
  const Ports ports = WaitUntilReady(**process);
  CHECK(ports.grpc == 0);
  CHECK(ports.admin != ports.http);
  auto client = *HttpClient::Create({});
  for (const char* path : {"/healthz", "/readyz", "/metrics"}) {
    INFO(path);
    auto admin = client->Send(
        {.url = absl::StrCat("http://127.0.0.1:", ports.admin, path)});
    REQUIRE(admin.ok());
    CHECK(admin->status == 200);
    // The public port once served them to anyone, unthrottled.
    auto public_api = client->Send(
        {.url = absl::StrCat("http://127.0.0.1:", ports.http, path)});
    REQUIRE(public_api.ok());
    CHECK(public_api->status == 404);
  }
  const auto lint = testing::CheckMetrics(Scrape(ports.admin));
  CHECK(lint.exit_code == 0);
  (*process)->Signal(SIGTERM);
  CHECK(*(*process)->Wait(absl::Seconds(20)) == 0);
}

TEST_CASE("--help lists the flags with their environment variables",
          "[binaries]") {
  auto process = Subprocess::Start({CHAINSYNC_INDEXER_BIN, "--help"});
  REQUIRE(process.ok());
  REQUIRE(*(*process)->Wait(absl::Seconds(20)) == 0);
  std::string output;
  for (const auto& line : (*process)->lines())
    absl::StrAppend(&output, line, "\n");
  for (const char* expected :
       {"--database_url", "--database_pool_size", "--grpc_port", "--admin_port",
        "--log_level", "--drain_timeout", "CHAINSYNC_"}) {
    INFO(expected);
    CHECK(output.find(expected) != std::string::npos);
  }
}

TEST_CASE("bad configuration exits non-zero with one line naming the problem",
          "[binaries]") {
  ScopedDatabase database;
  SECTION("a flag with a bad value") {
    auto process =
        StartBackend(kBackends[0], database.url(), {"--grpc_port=abc"});
    CHECK(*process->Wait(absl::Seconds(20)) == 2);
    CHECK(LastErrorMessage(*process).find("--grpc_port") != std::string::npos);
    CHECK(process->lines().size() == 1);
  }
  SECTION("an unknown flag") {
    auto process =
        StartBackend(kBackends[1], database.url(), {"--no_such_flag=1"});
    CHECK(*process->Wait(absl::Seconds(20)) == 2);
    CHECK(LastErrorMessage(*process).find("--no_such_flag") !=
          std::string::npos);
  }
  SECTION("a bad environment value") {
    auto process = Subprocess::Start(
        {kBackends[2].binary}, {{"CHAINSYNC_DATABASE_POOL_SIZE", "many"}});
    REQUIRE(process.ok());
    CHECK(*(*process)->Wait(absl::Seconds(20)) == 2);
    CHECK(LastErrorMessage(**process).find("CHAINSYNC_DATABASE_POOL_SIZE") !=
          std::string::npos);
  }
  SECTION("gateway limits out of their range") {
    for (const char* flag :
         {"--realtime_ring=0", "--realtime_client_queue=0",
          "--realtime_send_buffer=-1", "--realtime_max_catch_ups=0",
          "--realtime_heartbeat=0s", "--cache_entries=-1"}) {
      auto process =
          Subprocess::Start({CHAINSYNC_GATEWAY_BIN, "--http_port=0", flag});
      REQUIRE(process.ok());
      INFO(flag);
      CHECK(*(*process)->Wait(absl::Seconds(20)) == 1);
      const std::string name(
          absl::string_view(flag).substr(0, absl::string_view(flag).find('=')));
      CHECK(LastErrorMessage(**process).find(name) != std::string::npos);
    }
  }
  SECTION("an oracle without a Bitcoin API") {
    auto process = Subprocess::Start(
        {CHAINSYNC_ORACLE_BIN, "--grpc_port=0", "--admin_port=0"},
        {{"CHAINSYNC_DATABASE_URL", database.url()}});
    REQUIRE(process.ok());
    CHECK(*(*process)->Wait(absl::Seconds(20)) == 1);
    CHECK(LastErrorMessage(**process).find("--bitcoin_api_url") !=
          std::string::npos);
  }
  SECTION("no database configured") {
    auto process = Subprocess::Start({kBackends[0].binary},
                                     {{"CHAINSYNC_DATABASE_URL", ""}});
    REQUIRE(process.ok());
    CHECK(*(*process)->Wait(absl::Seconds(20)) == 1);
    CHECK(LastErrorMessage(**process).find("--database_url") !=
          std::string::npos);
  }
  SECTION("an unreachable database") {
    auto process =
        StartBackend(kBackends[0], "postgresql://chainsync@127.0.0.1:1/none");
    CHECK(*process->Wait(absl::Seconds(30)) == 1);
    CHECK(LastErrorMessage(*process).find("cannot connect to Postgres") !=
          std::string::npos);
    CHECK(process->lines().size() == 1);
  }
  SECTION("a gRPC port in use") {
    ScopedDatabase other;
    auto holder = StartBackend(kBackends[1], other.url());
    const Ports taken = WaitUntilReady(*holder);
    auto process = StartBackend(kBackends[1], database.url(),
                                {absl::StrCat("--grpc_port=", taken.grpc)});
    CHECK(*process->Wait(absl::Seconds(30)) == 1);
    CHECK(LastErrorMessage(*process).find(absl::StrCat(":", taken.grpc)) !=
          std::string::npos);
    CHECK(process->lines().size() == 1);
    // Nothing was written: the schema was never created.
    CHECK(*database.Connect()
               ->Exec("SELECT count(*) FROM information_schema.schemata "
                      "WHERE schema_name = 'oracle'")
               ->GetInt64(0, 0) == 0);
  }
  SECTION("an indexer configured for another chain") {
    const std::string message = RefusedDeployment(
        database.url(), ".chain1",
        [](contracts::Deployment& deployment) { deployment.chain_id = 1; });
    CHECK(message.find("the node is chain 31337") != std::string::npos);
  }
  SECTION("an indexed address without code") {
    const std::string message = RefusedDeployment(
        database.url(), ".nocode", [](contracts::Deployment& deployment) {
          deployment.contracts[0].address = *evm::Address::Parse(
              "0x000000000000000000000000000000000000dEaD");
        });
    CHECK(message.find("has no code") != std::string::npos);
  }
  SECTION("an indexed contract whose ABI does not parse") {
    std::string name;
    const std::string message = RefusedDeployment(
        database.url(), ".badabi", [&](contracts::Deployment& deployment) {
          name = deployment.contracts[0].name;
          deployment.contracts[0].abi_json =
              R"([{"type":"event","name":"Odd","inputs":[{"name":"a","type":"uint7"}]}])";
        });
    CHECK(message.find(name) != std::string::npos);
    CHECK(message.find("uint7") != std::string::npos);
  }
  SECTION("an indexer batch of no events") {
    auto process =
        StartBackend(kBackends[0], database.url(), {"--max_batch_events=0"});
    CHECK(*process->Wait(absl::Seconds(30)) == 1);
    CHECK(LastErrorMessage(*process).find("max_batch_events") !=
          std::string::npos);
  }
  SECTION("an unreachable node") {
    auto process = StartBackend(kBackends[0], database.url(),
                                {"--rpc_url=http://127.0.0.1:1"});
    CHECK(*process->Wait(absl::Seconds(60)) == 1);
    CHECK(LastErrorMessage(*process).find("cannot reach the chain's node") !=
          std::string::npos);
  }
  SECTION("an applied migration that was edited") {
    auto first = StartBackend(kBackends[1], database.url());
    WaitUntilReady(*first);
    first->Signal(SIGTERM);
    REQUIRE(*first->Wait(absl::Seconds(20)) == 0);
    REQUIRE(
        database.Connect()
            ->Exec("UPDATE oracle.schema_migrations SET checksum = 'edited'")
            .ok());
    auto process = StartBackend(kBackends[1], database.url());
    CHECK(*process->Wait(absl::Seconds(30)) == 1);
    CHECK(LastErrorMessage(*process).find("changed after it was applied") !=
          std::string::npos);
  }
}

}  // namespace
}  // namespace chainsync
