#include "libs/evm/new_heads_subscription.h"

#include <sys/socket.h>

#include <mutex>

#include "absl/strings/str_cat.h"
#include "boost/asio/connect.hpp"
#include "boost/asio/io_context.hpp"
#include "boost/asio/ip/tcp.hpp"
#include "boost/beast/core.hpp"
#include "boost/beast/websocket.hpp"
#include "libs/common/logging/log.h"
#include "libs/evm/json_rpc_client.h"
#include "re2/re2.h"
#include "simdjson.h"

namespace chainsync::evm {

namespace beast = boost::beast;
namespace net = boost::asio;
namespace websocket = beast::websocket;
using tcp = net::ip::tcp;

// Session is one connection with its subscription.
class NewHeadsSubscription::Session {
 public:
  static absl::StatusOr<std::shared_ptr<Session>> Open(const std::string& url) {
    static const LazyRE2 kUrl = {R"(ws://([^/:]+)(?::(\d+))?(/.*)?)"};
    std::string host, port, path;
    if (!RE2::FullMatch(url, *kUrl, &host, &port, &path)) {
      return absl::InvalidArgumentError(absl::StrCat(
          "WebSocket URL \"", url, "\" is not ws://host[:port][/path]"));
    }
    if (port.empty()) port = "80";
    if (path.empty()) path = "/";
    auto session = std::shared_ptr<Session>(new Session);
    beast::error_code ec;
    tcp::resolver resolver(session->io_context_);
    const auto endpoints = resolver.resolve(host, port, ec);
    if (!ec) net::connect(session->ws_.next_layer(), endpoints, ec);
    if (!ec) session->ws_.handshake(absl::StrCat(host, ":", port), path, ec);
    if (ec) {
      return absl::UnavailableError(
          absl::StrCat("WebSocket ", host, ":", port, ": ", ec.message()));
    }
    session->descriptor_.store(session->ws_.next_layer().native_handle());
    session->ws_.write(
        net::buffer(std::string(
            R"({"jsonrpc":"2.0","id":1,"method":"eth_subscribe","params":["newHeads"]})")),
        ec);
    if (ec)
      return absl::UnavailableError(
          absl::StrCat("eth_subscribe: ", ec.message()));
    // The answer to the subscription, then notifications.
    absl::StatusOr<std::string> answer = session->ReadText();
    if (!answer.ok()) return answer.status();
    simdjson::dom::parser parser;
    simdjson::dom::element document;
    if (parser.parse(*answer).get(document) != simdjson::SUCCESS) {
      return absl::UnavailableError("eth_subscribe: malformed answer");
    }
    std::string_view id;
    if (document["result"].get(id) != simdjson::SUCCESS) {
      std::string_view message = "no subscription id";
      int64_t code = 0;
      simdjson::dom::element error;
      if (document["error"].get(error) == simdjson::SUCCESS) {
        if (error["message"].get(message) != simdjson::SUCCESS)
          message = "refused";
        if (error["code"].get(code) != simdjson::SUCCESS) code = 0;
      }
      const std::string text =
          absl::StrCat("eth_subscribe newHeads: ",
                       absl::string_view(message.data(), message.size()));
      return code == -32601 ? absl::UnimplementedError(text)
                            : absl::UnavailableError(text);
    }
    session->subscription_ = std::string(id);
    return session;
  }

  // Next waits for the next message: a header of this subscription, or
  // nullopt for anything else. An error means the connection is gone.
  absl::StatusOr<std::optional<BlockHeader>> Next() {
    absl::StatusOr<std::string> text = ReadText();
    if (!text.ok()) return text.status();
    simdjson::dom::element document;
    if (parser_.parse(*text).get(document) != simdjson::SUCCESS) {
      return absl::UnavailableError("newHeads: malformed notification");
    }
    std::string_view subscription;
    simdjson::dom::element header;
    if (document["params"]["subscription"].get(subscription) !=
            simdjson::SUCCESS ||
        subscription != subscription_ ||
        document["params"]["result"].get(header) != simdjson::SUCCESS) {
      return std::nullopt;
    }
    absl::StatusOr<BlockHeader> parsed = BlockHeaderFromJson(header);
    if (!parsed.ok()) {
      return absl::UnavailableError(absl::StrCat("newHeads: malformed header: ",
                                                 parsed.status().message()));
    }
    return *parsed;
  }

  // Interrupt ends a Next() blocked on another thread. shutdown(2) on the
  // descriptor is safe from any thread; the socket object is not touched.
  void Interrupt() {
    const int descriptor = descriptor_.load();
    if (descriptor >= 0) ::shutdown(descriptor, SHUT_RDWR);
  }

 private:
  Session() : ws_(io_context_) {}

  absl::StatusOr<std::string> ReadText() {
    buffer_.clear();
    beast::error_code ec;
    ws_.read(buffer_, ec);
    if (ec)
      return absl::UnavailableError(
          absl::StrCat("WebSocket read: ", ec.message()));
    return beast::buffers_to_string(buffer_.data());
  }

  net::io_context io_context_;
  websocket::stream<tcp::socket> ws_;
  beast::flat_buffer buffer_;
  simdjson::dom::parser parser_;
  std::string subscription_;
  std::atomic<int> descriptor_{-1};
};

absl::StatusOr<std::unique_ptr<NewHeadsSubscription>>
NewHeadsSubscription::Start(Options options, Callback on_head) {
  absl::StatusOr<std::shared_ptr<Session>> first = Session::Open(options.url);
  if (!first.ok()) return first.status();
  std::unique_ptr<NewHeadsSubscription> subscription(
      new NewHeadsSubscription(std::move(options), std::move(on_head)));
  subscription->connected_.store(true);
  subscription->current_ = *first;
  subscription->thread_ =
      std::thread([raw = subscription.get()] { raw->Run(); });
  return subscription;
}

NewHeadsSubscription::NewHeadsSubscription(Options options, Callback on_head)
    : options_(std::move(options)), on_head_(std::move(on_head)) {}

NewHeadsSubscription::~NewHeadsSubscription() {
  stopping_.store(true);
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (current_ != nullptr) current_->Interrupt();
  }
  if (thread_.joinable()) thread_.join();
}

void NewHeadsSubscription::Run() {
  auto& connected_gauge =
      options_.registry
          ->AddGauge(
              "chainsync_evm_newheads_connected",
              "1 while the newHeads WebSocket subscription is connected.")
          .WithLabels({});
  auto& reconnects = options_.registry
                         ->AddCounter("chainsync_evm_newheads_reconnects_total",
                                      "newHeads subscriptions re-established.")
                         .WithLabels({});
  auto& received = options_.registry
                       ->AddCounter("chainsync_evm_newheads_received_total",
                                    "Block headers received over WebSocket.")
                       .WithLabels({});
  Backoff backoff(options_.reconnect);
  std::shared_ptr<Session> session;
  {
    std::lock_guard<std::mutex> lock(mu_);
    session = current_;
  }
  while (!stopping_.load()) {
    if (session == nullptr) {
      const absl::Duration delay = backoff.NextDelay();
      Clock& clock = *options_.clock;
      for (absl::Time until = clock.Now() + delay;
           clock.Now() < until && !stopping_.load();) {
        clock.SleepFor(absl::Milliseconds(20));
      }
      if (stopping_.load()) break;
      absl::StatusOr<std::shared_ptr<Session>> opened =
          Session::Open(options_.url);
      if (!opened.ok()) {
        log::Warning(
            "newHeads subscription failed",
            {{"error", opened.status()}, {"attempt", backoff.attempt()}});
        continue;
      }
      session = *opened;
      {
        std::lock_guard<std::mutex> lock(mu_);
        current_ = session;
        // The destructor may have run its Interrupt() before this session
        // was current.
        if (stopping_.load()) session->Interrupt();
      }
      reconnects.Increment();
      log::Info("newHeads subscription re-established");
      backoff.Reset();
    }
    connected_.store(true);
    connected_gauge.Set(1);
    while (!stopping_.load()) {
      absl::StatusOr<std::optional<BlockHeader>> next = session->Next();
      if (!next.ok()) {
        if (!stopping_.load()) {
          log::Warning("newHeads subscription lost",
                       {{"error", next.status()}});
        }
        break;
      }
      if (next->has_value()) {
        received.Increment();
        on_head_(**next);
      }
    }
    connected_.store(false);
    connected_gauge.Set(0);
    std::lock_guard<std::mutex> lock(mu_);
    current_.reset();
    session.reset();
  }
}

}  // namespace chainsync::evm
