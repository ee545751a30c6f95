// A real Prometheus server scrapes a running backend: what the registry
// renders must be ingested, not only pass the linter.
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "libs/common/http/http_client.h"
#include "simdjson.h"
#include "tests/support/protocol_workload.h"
#include "tests/support/subprocess.h"
#include "tests/support/test_env.h"

namespace chainsync {
namespace {

using testing::Subprocess;

int FreePort() {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address));
  socklen_t length = sizeof(address);
  getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length);
  close(fd);
  return ntohs(address.sin_port);
}

// Query runs an instant PromQL query and returns the first sample's value,
// or "" when there is none yet.
std::string Query(HttpClient& client, int port, const std::string& promql) {
  auto response =
      client.Send({.url = absl::StrCat("http://127.0.0.1:", port,
                                       "/api/v1/query?query=", promql)});
  if (!response.ok() || response->status != 200) return "";
  simdjson::dom::parser parser;
  simdjson::dom::element json;
  if (parser.parse(response->body).get(json) != simdjson::SUCCESS) return "";
  simdjson::dom::array results;
  if (json["data"]["result"].get(results) != simdjson::SUCCESS ||
      results.size() == 0) {
    return "";
  }
  std::string_view value;
  if (results.at(0)["value"].at(1).get(value) != simdjson::SUCCESS) return "";
  return std::string(value);
}

TEST_CASE("Prometheus scrapes a backend's /metrics", "[prometheus]") {
  testing::ScopedDatabase database;
  const std::string rpc_url = testing::GetTestEnvironment().rpc_url;
  const std::string deployment =
      absl::StrCat("/tmp/chainsync_scrape_", getpid(), ".json");
  std::ofstream(deployment)
      << testing::ProtocolWorkload::Deploy(rpc_url)->deployment().ToJson();
  // Its peers are nowhere: its runs fail, its metrics say so.
  auto backend = Subprocess::Start(
      {CHAINSYNC_RECONCILER_BIN, "--listen_host=127.0.0.1", "--grpc_port=0",
       "--admin_port=0", "--deployment_config=" + deployment,
       "--rpc_url=" + rpc_url, "--indexer_address=127.0.0.1:1",
       "--oracle_address=127.0.0.1:1",
       "--bitcoin_api_url=http://127.0.0.1:1/api"},
      {{"CHAINSYNC_DATABASE_URL", database.url()}});
  REQUIRE(backend.ok());
  auto serving =
      (*backend)->WaitForLine(R"("message":"serving")", absl::Seconds(30));
  REQUIRE(serving.has_value());
  simdjson::dom::parser parser;
  const int64_t admin_port =
      parser.parse(*serving)["http_port"].get_int64().value();

  char directory[] = "/tmp/chainsync_prometheus_XXXXXX";
  REQUIRE(mkdtemp(directory) != nullptr);
  const std::string config = absl::StrCat(directory, "/prometheus.yml");
  std::ofstream(config) << "global:\n  scrape_interval: 1s\n"
                        << "scrape_configs:\n  - job_name: reconciler\n"
                        << "    static_configs:\n      - targets: ['127.0.0.1:"
                        << admin_port << "']\n";
  const int prometheus_port = FreePort();
  auto prometheus = Subprocess::Start(
      {"/usr/bin/prometheus", absl::StrCat("--config.file=", config),
       absl::StrCat("--storage.tsdb.path=", directory, "/data"),
       absl::StrCat("--web.listen-address=127.0.0.1:", prometheus_port)});
  REQUIRE(prometheus.ok());

  auto client = *HttpClient::Create({.retry = {.max_attempts = 1}});
  std::string up;
  const absl::Time deadline = absl::Now() + absl::Seconds(60);
  while (up != "1" && absl::Now() < deadline) {
    absl::SleepFor(absl::Milliseconds(250));
    (*prometheus)->ReadLine(absl::ZeroDuration());  // keep its pipe drained
    up = Query(*client, prometheus_port, "up%7Bjob%3D%22reconciler%22%7D");
  }
  CHECK(up == "1");
  // A histogram and the process families made it into the database.
  CHECK_FALSE(
      Query(*client, prometheus_port, "process_start_time_seconds").empty());
  CHECK_FALSE(Query(*client, prometheus_port,
                    "scrape_samples_scraped%7Bjob%3D%22reconciler%22%7D")
                  .empty());

  (*prometheus)->Signal(SIGTERM);
  (void)(*prometheus)->Wait(absl::Seconds(20));
  (*backend)->Signal(SIGTERM);
  CHECK(*(*backend)->Wait(absl::Seconds(20)) == 0);
  std::filesystem::remove_all(directory);
  std::remove(deployment.c_str());
}

}  // namespace
}  // namespace chainsync
