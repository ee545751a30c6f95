// Backends that trust nobody: under mutual TLS a backend serves only the
// callers whose certificate its CA signed and, when it names them, only the
// allowed ones; the gateway presents its certificate and is served.
#include "libs/common/server/mutual_tls.h"

#include <catch2/catch.hpp>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "chainsync/indexer/v1/indexer.grpc.pb.h"
#include "grpcpp/create_channel.h"
#include "tests/services/api-gateway/indexed_chain.h"
#include "tests/support/test_certificates.h"

namespace chainsync::gateway {
namespace {

using testing::TestCertificates;

std::vector<std::string> TlsFlags(const TestCertificates& ca,
                                  const TestCertificates::Issued& issued) {
  return {"--tls_cert_file=" + issued.cert_file,
          "--tls_key_file=" + issued.key_file, "--tls_ca_file=" + ca.ca_file()};
}

MutualTls Presenting(const TestCertificates& ca,
                     const TestCertificates::Issued& issued) {
  return {.cert_file = issued.cert_file,
          .key_file = issued.key_file,
          .ca_file = ca.ca_file()};
}

// SyncStatus calls the indexer at `port` with `credentials`.
grpc::Status SyncStatus(
    int port, const std::shared_ptr<grpc::ChannelCredentials>& credentials) {
  auto stub = indexer::v1::IndexerService::NewStub(
      grpc::CreateChannel(absl::StrCat("127.0.0.1:", port), credentials));
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() +
                       std::chrono::seconds(5));
  indexer::v1::GetSyncStatusResponse response;
  return stub->GetSyncStatus(&context, {}, &response);
}

// ExitLine runs the indexer with `flags` and returns its last log line once
// it has exited, which must have been with a failure.
std::string ExitLine(const IndexedChain& chain,
                     const std::vector<std::string>& flags) {
  auto process =
      indexer::StartIndexer(chain.database.url(), chain.deployment,
                            testing::GetTestEnvironment().rpc_url, flags);
  const absl::StatusOr<int> status = process->Wait(absl::Seconds(20));
  REQUIRE(status.ok());
  CHECK(*status != 0);
  const std::vector<std::string>& lines = process->lines();
  REQUIRE_FALSE(lines.empty());
  return lines.back();
}

TEST_CASE("a backend under mutual TLS serves only the callers it admits",
          "[security]") {
  IndexedChain chain;
  TestCertificates ca;
  const auto server = ca.Issue("chainsync-indexer", {"IP:127.0.0.1"});
  std::vector<std::string> flags = TlsFlags(ca, server);
  flags.push_back("--tls_allowed_peers=chainsync-gateway,chainsync-oracle-*");
  // A second indexer on the same database (a standby, which serves the API
  // too).
  auto secured =
      indexer::StartIndexer(chain.database.url(), chain.deployment,
                            testing::GetTestEnvironment().rpc_url, flags);
  const int port = indexer::GrpcPortWhenReady(*secured);

  SECTION("plaintext is refused") {
    CHECK(SyncStatus(port, grpc::InsecureChannelCredentials()).error_code() ==
          grpc::StatusCode::UNAVAILABLE);
  }
  SECTION("TLS without a client certificate is refused") {
    grpc::SslCredentialsOptions options;
    std::ifstream in(ca.ca_file());
    options.pem_root_certs.assign(std::istreambuf_iterator<char>(in), {});
    CHECK(SyncStatus(port, grpc::SslCredentials(options)).error_code() ==
          grpc::StatusCode::UNAVAILABLE);
  }
  SECTION("a certificate another CA signed is refused") {
    TestCertificates other;
    const auto stranger = other.Issue("chainsync-gateway");
    MutualTls tls = Presenting(other, stranger);
    // It trusts the right CA, so only its own certificate is wrong.
    tls.ca_file = ca.ca_file();
    CHECK(SyncStatus(port, ChannelCredentials(tls)).error_code() ==
          grpc::StatusCode::UNAVAILABLE);
  }
  SECTION("a certificate of the CA naming no allowed peer is denied") {
    const grpc::Status denied = SyncStatus(
        port, ChannelCredentials(Presenting(ca, ca.Issue("intruder"))));
    CHECK(denied.error_code() == grpc::StatusCode::PERMISSION_DENIED);
    CHECK(absl::StrContains(denied.error_message(), "intruder"));
    CHECK(secured->WaitForLine("caller refused", absl::Seconds(5)).has_value());
  }
  SECTION("the allowed peers are served, by name or by prefix") {
    CHECK(SyncStatus(port, ChannelCredentials(
                               Presenting(ca, ca.Issue("chainsync-gateway"))))
              .ok());
    CHECK(SyncStatus(port, ChannelCredentials(
                               Presenting(ca, ca.Issue("chainsync-oracle-0"))))
              .ok());
  }
  SECTION("a caller refuses a backend whose certificate is not for it") {
    // The indexer's certificate names 127.0.0.1; dialled as localhost, the
    // caller does not take it.
    auto stub = indexer::v1::IndexerService::NewStub(grpc::CreateChannel(
        absl::StrCat("localhost:", port),
        ChannelCredentials(Presenting(ca, ca.Issue("chainsync-gateway")))));
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() +
                         std::chrono::seconds(5));
    indexer::v1::GetSyncStatusResponse response;
    CHECK(stub->GetSyncStatus(&context, {}, &response).error_code() ==
          grpc::StatusCode::UNAVAILABLE);
  }
  SECTION("the gateway presents its certificate; without one it is refused") {
    const std::vector<std::string> to_secured = {
        absl::StrCat("--indexer_address=127.0.0.1:", port)};
    std::vector<std::string> presenting = to_secured;
    for (const std::string& flag :
         TlsFlags(ca, ca.Issue("chainsync-gateway"))) {
      presenting.push_back(flag);
    }
    chain.StartGateway(presenting);
    CHECK(chain.gateway->Send("GET", "/api/indexer/sync-status").status == 200);

    chain.StartGateway(to_secured);
    CHECK(chain.gateway->Send("GET", "/api/indexer/sync-status").status == 503);
    CHECK(absl::StrContains(
        chain.gateway->Admin("/readyz").body,
        R"({"name":"chainsync.indexer.v1.IndexerService","reachable":false,)"));
  }
}

TEST_CASE("a mutual TLS configuration that cannot work stops the start",
          "[security]") {
  IndexedChain chain;
  TestCertificates ca;
  const auto server = ca.Issue("chainsync-indexer", {"IP:127.0.0.1"});
  const auto other = ca.Issue("chainsync-other");
  {
    const std::string line =
        ExitLine(chain, {"--tls_cert_file=" + server.cert_file});
    CHECK(absl::StrContains(line, "set together or not at all"));
  }
  {
    const std::string line =
        ExitLine(chain, {"--tls_cert_file=" + server.cert_file,
                         "--tls_key_file=" + other.key_file,
                         "--tls_ca_file=" + ca.ca_file()});
    CHECK(absl::StrContains(line, "--tls_key_file"));
    CHECK(absl::StrContains(line, "is not the key of"));
  }
  {
    const std::string line =
        ExitLine(chain, {"--tls_cert_file=" + server.cert_file,
                         "--tls_key_file=" + server.key_file,
                         "--tls_ca_file=/nonexistent/ca.pem"});
    CHECK(absl::StrContains(line, "--tls_ca_file=/nonexistent/ca.pem"));
    CHECK(absl::StrContains(line, "cannot be read"));
  }
  {
    const std::string line =
        ExitLine(chain, {"--tls_allowed_peers=chainsync-gateway"});
    CHECK(absl::StrContains(line, "--tls_allowed_peers"));
  }
}

}  // namespace
}  // namespace chainsync::gateway
