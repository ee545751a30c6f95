#pragma once

// BtcsimProcess runs chainsync-btcsim on a free port for a test, and drives
// its control routes. Define CHAINSYNC_BTCSIM_BIN to use it.

#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "libs/common/http/http_client.h"
#include "simdjson.h"
#include "tests/support/subprocess.h"

namespace chainsync::testing {

class BtcsimProcess {
 public:
  BtcsimProcess() {
    auto process = Subprocess::Start(
        {CHAINSYNC_BTCSIM_BIN, "--listen_host=127.0.0.1", "--http_port=0"});
    if (!process.ok()) std::abort();
    process_ = *std::move(process);
    const auto serving = WaitForServing(*process_);
    if (!serving.has_value()) std::abort();
    port_ = serving->http;
    client_ = *HttpClient::Create(
        {.retry = {.max_attempts = 1}, .name = "btcsim_control"});
  }

  int port() const { return port_; }
  std::string url() const { return absl::StrCat("http://127.0.0.1:", port_); }
  // The Esplora base URL of a network: mainnet, testnet or regtest.
  std::string api(absl::string_view network) const {
    return network == "mainnet" ? url() + "/api"
                                : absl::StrCat(url(), "/", network, "/api");
  }
  Subprocess& process() { return *process_; }

  // Control posts (or deletes) a control route and returns the answer.
  HttpClientResponse Control(const std::string& path, const std::string& body,
                             const std::string& method = "POST") {
    return *client_->Send(
        {.method = method, .url = url() + path, .body = body});
  }
  // Fund pays `sats` to `address` and returns the txid.
  std::string Fund(absl::string_view network, absl::string_view address,
                   int64_t sats) {
    return TxidOf(Control(
        absl::StrCat("/sim/", network, "/fund"),
        absl::StrCat(R"({"address":")", address, R"(","sats":)", sats, "}")));
  }
  std::string Spend(absl::string_view network, absl::string_view address,
                    int64_t sats) {
    return TxidOf(Control(
        absl::StrCat("/sim/", network, "/spend"),
        absl::StrCat(R"({"address":")", address, R"(","sats":)", sats, "}")));
  }
  void Mine(absl::string_view network, int blocks) {
    Control(absl::StrCat("/sim/", network, "/mine"),
            absl::StrCat(R"({"blocks":)", blocks, "}"));
  }

 private:
  static std::string TxidOf(const HttpClientResponse& response) {
    simdjson::dom::parser parser;
    std::string_view txid;
    if (response.status != 200 ||
        parser.parse(response.body)["txid"].get(txid) != simdjson::SUCCESS) {
      return "";
    }
    return std::string(txid);
  }

  std::unique_ptr<Subprocess> process_;
  int port_ = 0;
  std::unique_ptr<HttpClient> client_;
};

}  // namespace chainsync::testing
