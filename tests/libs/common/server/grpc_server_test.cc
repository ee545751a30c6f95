#include "libs/common/server/grpc_server.h"

#include <catch2/catch.hpp>
#include <future>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "chainsync/indexer/v1/indexer.grpc.pb.h"
#include "grpcpp/create_channel.h"
#include "grpcpp/security/credentials.h"
#include "tests/support/grpc_probe.h"
#include "tests/support/promtool.h"

namespace chainsync {
namespace {

using testing::HealthStatus;

// The generated base answers UNIMPLEMENTED to every RPC.
std::vector<NamedService> IndexerServices() {
  return {{std::make_shared<indexer::v1::IndexerService::Service>(),
           indexer::v1::IndexerService::service_full_name()}};
}

// SlowIndexer answers GetBalances after 300 ms, like a call that is busy when
// the server is asked to stop.
class SlowIndexer final : public indexer::v1::IndexerService::Service {
 public:
  // received is set when the call has reached the handler.
  std::promise<void> received;

  grpc::Status GetBalances(
      grpc::ServerContext*, const indexer::v1::GetBalancesRequest* request,
      indexer::v1::GetBalancesResponse* response) override {
    received.set_value();
    absl::SleepFor(absl::Milliseconds(300));
    response->set_address(request->address());
    return grpc::Status::OK;
  }
};

struct TestServer {
  metrics::Registry registry;
  Readiness readiness;
  std::unique_ptr<GrpcServer> server;
  std::shared_ptr<grpc::Channel> channel;

  explicit TestServer(std::vector<NamedService> services = IndexerServices(),
                      GrpcServerOptions options = {}) {
    options.host = "127.0.0.1";
    auto started =
        GrpcServer::Start(options, std::move(services), registry, readiness);
    REQUIRE(started.ok());
    server = *std::move(started);
    channel = grpc::CreateChannel(absl::StrCat("127.0.0.1:", server->port()),
                                  grpc::InsecureChannelCredentials());
  }
};

TEST_CASE("gRPC health follows readiness", "[grpc_server]") {
  TestServer test;
  CHECK(*testing::CheckHealth(test.channel) == HealthStatus::kNotServing);
  test.readiness.Set(true);
  CHECK(*testing::CheckHealth(test.channel) == HealthStatus::kServing);
  CHECK(*testing::CheckHealth(test.channel,
                              "chainsync.indexer.v1.IndexerService") ==
        HealthStatus::kServing);
  test.readiness.Set(false, "draining");
  CHECK(*testing::CheckHealth(test.channel) == HealthStatus::kNotServing);
}

TEST_CASE("server reflection lists the served services", "[grpc_server]") {
  TestServer test;
  auto services = testing::ListServices(test.channel);
  REQUIRE(services.ok());
  CHECK_THAT(*services, Catch::Matchers::VectorContains(std::string(
                            "chainsync.indexer.v1.IndexerService")));
  CHECK_THAT(*services, Catch::Matchers::VectorContains(
                            std::string("grpc.health.v1.Health")));
  CHECK_THAT(*services, Catch::Matchers::VectorContains(std::string(
                            "grpc.reflection.v1alpha.ServerReflection")));
}

TEST_CASE("every call is counted by method and code", "[grpc_server]") {
  TestServer test;
  auto stub = indexer::v1::IndexerService::NewStub(test.channel);
  for (int i = 0; i < 2; ++i) {
    grpc::ClientContext context;
    indexer::v1::GetBalancesRequest request;
    indexer::v1::GetBalancesResponse response;
    CHECK(stub->GetBalances(&context, request, &response).error_code() ==
          grpc::StatusCode::UNIMPLEMENTED);
  }
  const std::string text = test.registry.Serialize();
  const std::string labels =
      R"(grpc_type="unary",grpc_service="chainsync.indexer.v1.IndexerService",grpc_method="GetBalances")";
  CHECK(text.find("grpc_server_started_total{" + labels + "} 2\n") !=
        std::string::npos);
  CHECK(text.find("grpc_server_handled_total{" + labels +
                  R"(,grpc_code="UNIMPLEMENTED"} 2)") != std::string::npos);
  CHECK(text.find("grpc_server_handling_seconds_count{" + labels + "} 2\n") !=
        std::string::npos);
  const auto lint = testing::CheckMetrics(text);
  INFO(lint.output);
  CHECK(lint.exit_code == 0);
}

TEST_CASE("shutdown lets a call in flight finish", "[grpc_server]") {
  auto slow = std::make_shared<SlowIndexer>();
  TestServer test({{slow, indexer::v1::IndexerService::service_full_name()}});
  auto stub = indexer::v1::IndexerService::NewStub(test.channel);
  auto call = std::async(std::launch::async, [&] {
    grpc::ClientContext context;
    indexer::v1::GetBalancesRequest request;
    request.set_address("0xabc");
    indexer::v1::GetBalancesResponse response;
    const grpc::Status status = stub->GetBalances(&context, request, &response);
    return std::make_pair(status.error_code(), response.address());
  });
  slow->received.get_future().wait();
  test.server->Shutdown(absl::Seconds(5));
  const auto [code, address] = call.get();
  CHECK(code == grpc::StatusCode::OK);
  CHECK(address == "0xabc");
}

TEST_CASE("messages over the size limit are refused", "[grpc_server]") {
  GrpcServerOptions options;
  options.max_receive_message_bytes = 1024;
  TestServer test(IndexerServices(), options);
  auto stub = indexer::v1::IndexerService::NewStub(test.channel);
  grpc::ClientContext context;
  indexer::v1::GetBalancesRequest request;
  request.set_address(std::string(4096, 'a'));
  indexer::v1::GetBalancesResponse response;
  CHECK(stub->GetBalances(&context, request, &response).error_code() ==
        grpc::StatusCode::RESOURCE_EXHAUSTED);
}

TEST_CASE("a gRPC port in use is an error naming the address",
          "[grpc_server]") {
  TestServer first;
  metrics::Registry registry;
  Readiness readiness;
  GrpcServerOptions options;
  options.host = "127.0.0.1";
  options.port = first.server->port();
  auto second =
      GrpcServer::Start(options, IndexerServices(), registry, readiness);
  REQUIRE(absl::IsUnavailable(second.status()));
  CHECK(std::string(second.status().message())
            .find(absl::StrCat("127.0.0.1:", first.server->port())) !=
        std::string::npos);
}

}  // namespace
}  // namespace chainsync
