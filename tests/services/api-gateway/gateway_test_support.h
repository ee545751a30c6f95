#pragma once

// What the gateway's end-to-end tests share: the gateway binary on a free
// port, and in-process stand-ins for the backends that have no service of
// their own yet.

#include <catch2/catch.hpp>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"
#include "grpcpp/generic/async_generic_service.h"
#include "grpcpp/server.h"
#include "grpcpp/server_builder.h"
#include "libs/common/http/http_client.h"
#include "simdjson.h"
#include "tests/services/api-gateway/tokens.h"
#include "tests/support/subprocess.h"

namespace chainsync::gateway {

// EmptyAnswers is a gRPC server that answers every unary call with an
// empty message (every field at its default), keeping the metadata of the
// last call: a stand-in for a backend whose service is not built yet.
class EmptyAnswers {
 public:
  EmptyAnswers() {
    grpc::ServerBuilder builder;
    builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(),
                             &port_);
    builder.RegisterCallbackGenericService(&service_);
    server_ = builder.BuildAndStart();
  }
  ~EmptyAnswers() { server_->Shutdown(); }

  std::string address() const { return absl::StrCat("127.0.0.1:", port_); }
  // The value of `key` in the metadata of the last call.
  std::string LastMetadata(const std::string& key) const {
    std::lock_guard<std::mutex> lock(service_.mu);
    const auto found = service_.metadata.find(key);
    return found == service_.metadata.end() ? "" : found->second;
  }

 private:
  struct Service final : grpc::CallbackGenericService {
    grpc::ServerGenericBidiReactor* CreateReactor(
        grpc::GenericCallbackServerContext* context) override {
      {
        std::lock_guard<std::mutex> lock(mu);
        metadata.clear();
        for (const auto& [key, value] : context->client_metadata()) {
          metadata[std::string(key.data(), key.size())] =
              std::string(value.data(), value.size());
        }
      }
      struct Reactor final : grpc::ServerGenericBidiReactor {
        Reactor() { StartRead(&request); }
        void OnReadDone(bool) override {
          grpc::Slice empty("");
          response = grpc::ByteBuffer(&empty, 1);
          StartWriteAndFinish(&response, grpc::WriteOptions(),
                              grpc::Status::OK);
        }
        void OnDone() override { delete this; }
        grpc::ByteBuffer request;
        grpc::ByteBuffer response;
      };
      return new Reactor;
    }
    mutable std::mutex mu;
    std::map<std::string, std::string> metadata;
  };

  int port_ = 0;
  Service service_;
  std::unique_ptr<grpc::Server> server_;
};

// GatewayProcess is the gateway binary with the HS256 test secret.
class GatewayProcess {
 public:
  explicit GatewayProcess(const std::vector<std::string>& flags) {
    std::vector<std::string> argv = {CHAINSYNC_GATEWAY_BIN,
                                     "--listen_host=127.0.0.1", "--http_port=0",
                                     "--admin_port=0"};
    argv.insert(argv.end(), flags.begin(), flags.end());
    auto process = testing::Subprocess::Start(
        argv, {{"CHAINSYNC_JWT_SECRET", kJwtSecret}});
    if (!process.ok()) std::abort();
    process_ = *std::move(process);
    const auto serving = testing::WaitForServing(*process_);
    if (!serving.has_value()) std::abort();
    port_ = serving->http;
    admin_port_ = serving->admin;
    client_ = *HttpClient::Create(
        {.retry = {.max_attempts = 1}, .name = "gateway_test"});
  }

  int port() const { return port_; }

  // Send makes a request with a bearer token when `token` is not empty.
  HttpClientResponse Send(
      const std::string& method, const std::string& target,
      const std::string& token = "", const std::string& body = "",
      const std::vector<std::pair<std::string, std::string>>& headers = {}) {
    return SendTo(port_, method, target, token, body, headers);
  }

  // Admin is a GET of /metrics, /healthz or /readyz on the admin port.
  HttpClientResponse Admin(const std::string& path) {
    return SendTo(admin_port_, "GET", path);
  }

  HttpClientResponse SendTo(
      int port, const std::string& method, const std::string& target,
      const std::string& token = "", const std::string& body = "",
      const std::vector<std::pair<std::string, std::string>>& headers = {}) {
    HttpClientRequest request{
        .method = method,
        .url = absl::StrCat("http://127.0.0.1:", port, target),
        .body = body};
    if (!token.empty()) {
      request.headers.emplace_back("authorization",
                                   absl::StrCat("Bearer ", token));
    }
    if (!body.empty()) {
      request.headers.emplace_back("content-type", "application/json");
    }
    request.headers.insert(request.headers.end(), headers.begin(),
                           headers.end());
    DrainLog();
    auto response = client_->Send(request);
    INFO(method << " " << target << ": " << response.status());
    REQUIRE(response.ok());
    return *std::move(response);
  }

  // DrainLog reads the log lines written so far, so that the process never
  // blocks on its pipe.
  void DrainLog() {
    while (process_->ReadLine(absl::ZeroDuration()).has_value()) ++log_lines_;
  }
  // log_lines counts the lines the gateway logged and DrainLog read.
  int log_lines() const { return log_lines_; }

  // Metric reads one sample of the gateway's /metrics, 0 when absent.
  double Metric(const std::string& sample) {
    const HttpClientResponse response = Admin("/metrics");
    for (absl::string_view line : absl::StrSplit(response.body, '\n')) {
      if (absl::ConsumePrefix(&line, sample + " ")) {
        double value = 0;
        if (absl::SimpleAtod(line, &value)) return value;
      }
    }
    return 0;
  }

 private:
  std::unique_ptr<testing::Subprocess> process_;
  std::unique_ptr<HttpClient> client_;
  int port_ = 0;
  int admin_port_ = 0;
  int log_lines_ = 0;
};

}  // namespace chainsync::gateway
