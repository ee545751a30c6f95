// Gateway fan-out benchmark: N clients follow the gateway's realtime stream
// (Server-Sent Events or WebSocket) while bursts of events are mined: one
// block of `--burst` TransferSpray transfers at a time, through the indexer
// binary (newHeads) and the gateway binary. For each delivery of an event to
// a client it takes the time from the block being mined to the client
// reading the event, and prints p50 / p99 / max; and the gateway's resident
// memory per connected client. The clients run in this process on one
// thread, with Asio and Beast.
//
//   build/bench/gateway_fanout [--clients=1000,10000] [--burst=20]
//       [--bursts=5] [--transports=sse,websocket]
#include <algorithm>
#include <atomic>
#include <cstdio>
#include <future>
#include <thread>

#include "absl/flags/flag.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "bench/bench_main.h"
#include "bench/spray_chain.h"
#include "boost/asio/connect.hpp"
#include "boost/asio/io_context.hpp"
#include "boost/asio/ip/tcp.hpp"
#include "boost/asio/post.hpp"
#include "boost/asio/write.hpp"
#include "boost/beast/core.hpp"
#include "boost/beast/websocket.hpp"

ABSL_FLAG(std::vector<std::string>, clients,
          (std::vector<std::string>{"1000", "10000"}),
          "Client counts to measure, comma-separated.");
ABSL_FLAG(int, burst, 20, "Events per burst (one block).");
ABSL_FLAG(int, bursts, 5, "Bursts per client count.");
ABSL_FLAG(std::vector<std::string>, transports,
          (std::vector<std::string>{"sse", "websocket"}),
          "Transports to measure: sse, websocket.");

namespace chainsync::bench {
namespace {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace websocket = beast::websocket;
using tcp = net::ip::tcp;

// Connections opened at once while the clients start.
constexpr int kConnecting = 200;

double Percentile(std::vector<double>& sorted, double p) {
  return sorted[static_cast<size_t>(p * (sorted.size() - 1) + 0.5)];
}

// Followers are the benchmark's clients. Everything but the counters runs
// on the io thread.
class Followers {
 public:
  Followers(int port, bool websocket, int count)
      : endpoint_(net::ip::make_address("127.0.0.1"),
                  static_cast<uint16_t>(port)),
        websocket_(websocket),
        count_(count) {
    for (int i = 0; i < kConnecting && started_ < count_; ++i) StartNext();
    thread_ = std::thread([this] { io_.run(); });
  }
  ~Followers() {
    io_.stop();
    thread_.join();
  }

  int subscribed() const { return subscribed_.load(); }
  int failed() const { return failed_.load(); }
  int64_t delivered() const { return delivered_.load(); }

  // Burst marks the moment a burst is mined; latencies count from it.
  void Burst() { burst_start_.store(absl::GetCurrentTimeNanos()); }
  // TakeLatencies hands over the delivery latencies recorded so far
  // (milliseconds).
  std::vector<double> TakeLatencies() {
    std::promise<std::vector<double>> taken;
    net::post(io_, [&] {
      taken.set_value(std::move(latencies_ms_));
      latencies_ms_.clear();
    });
    return taken.get_future().get();
  }

 private:
  struct Client {
    explicit Client(net::io_context& io) : socket(io), ws(io) {}
    tcp::socket socket;
    websocket::stream<tcp::socket> ws;
    beast::flat_buffer buffer;
    std::string request;
    bool subscribed = false;
  };

  void StartNext() {
    ++started_;
    auto client = std::make_shared<Client>(io_);
    tcp::socket& socket = websocket_ ? client->ws.next_layer() : client->socket;
    socket.async_connect(endpoint_, [this, client](beast::error_code ec) {
      if (ec) return Fail();
      websocket_ ? HandshakeWebSocket(client) : RequestEventStream(client);
    });
  }

  void Fail() {
    failed_.fetch_add(1);
    if (started_ < count_) StartNext();
  }

  void Subscribed(Client& client) {
    client.subscribed = true;
    subscribed_.fetch_add(1);
    if (started_ < count_) StartNext();
  }

  void Record(int events) {
    const double ms = (absl::GetCurrentTimeNanos() - burst_start_.load()) / 1e6;
    for (int i = 0; i < events; ++i) latencies_ms_.push_back(ms);
    delivered_.fetch_add(events, std::memory_order_release);
  }

  void RequestEventStream(const std::shared_ptr<Client>& client) {
    client->request =
        "GET /api/realtime/stream HTTP/1.1\r\nhost: bench\r\n\r\n";
    net::async_write(client->socket, net::buffer(client->request),
                     [this, client](beast::error_code ec, size_t) {
                       if (ec) return Fail();
                       ReadEventStream(client);
                     });
  }

  void ReadEventStream(const std::shared_ptr<Client>& client) {
    client->socket.async_read_some(
        client->buffer.prepare(64 << 10),
        [this, client](beast::error_code ec, size_t size) {
          if (ec) return;
          client->buffer.commit(size);
          const std::string_view text(
              static_cast<const char*>(client->buffer.data().data()),
              client->buffer.size());
          if (!client->subscribed &&
              text.find(": subscribed after") != std::string::npos) {
            Subscribed(*client);
          }
          int events = 0;
          for (size_t at = text.find("\nid: "); at != std::string::npos;
               at = text.find("\nid: ", at + 1)) {
            ++events;
          }
          // Keep what could start a marker cut by this read's end.
          client->buffer.consume(text.size() -
                                 std::min<size_t>(4, text.size()));
          if (events > 0) Record(events);
          ReadEventStream(client);
        });
  }

  void HandshakeWebSocket(const std::shared_ptr<Client>& client) {
    client->ws.async_handshake(
        "127.0.0.1", "/api/realtime/ws", [this, client](beast::error_code ec) {
          if (ec) return Fail();
          client->request = R"({"type":"subscribe"})";
          client->ws.text(true);
          client->ws.async_write(net::buffer(client->request),
                                 [this, client](beast::error_code ec, size_t) {
                                   if (ec) return Fail();
                                   ReadWebSocket(client);
                                 });
        });
  }

  // ReadWebSocket reads the gateway's frames off the socket itself: Beast's
  // reader takes a system call per 1.5 KB, and the clients share the
  // gateway's two cores. The gateway's frames are unmasked, unfragmented
  // text (and no control frames come within a run).
  void ReadWebSocket(const std::shared_ptr<Client>& client) {
    client->ws.next_layer().async_read_some(
        client->buffer.prepare(64 << 10),
        [this, client](beast::error_code ec, size_t size) {
          if (ec) return;
          client->buffer.commit(size);
          while (true) {
            const auto* bytes =
                static_cast<const unsigned char*>(client->buffer.data().data());
            const size_t have = client->buffer.size();
            if (have < 2) break;
            size_t header = 2;
            uint64_t length = bytes[1] & 0x7f;
            if (length == 126) {
              header = 4;
              if (have < header) break;
              length = (uint64_t{bytes[2]} << 8) | bytes[3];
            } else if (length == 127) {
              header = 10;
              if (have < header) break;
              length = 0;
              for (int i = 2; i < 10; ++i) length = (length << 8) | bytes[i];
            }
            if (have < header + length) break;
            CountMessages(
                *client,
                std::string_view(reinterpret_cast<const char*>(bytes) + header,
                                 length));
            client->buffer.consume(header + length);
          }
          ReadWebSocket(client);
        });
  }

  // CountMessages handles one text message: one gateway message per line.
  void CountMessages(Client& client, std::string_view text) {
    int events = 0;
    for (size_t at = 0; at < text.size(); at = text.find('\n', at) + 1) {
      if (text.compare(at, 15, R"({"type":"event")") == 0) {
        ++events;
      } else if (text.compare(at, 20, R"({"type":"subscribed")") == 0) {
        Subscribed(client);
      }
      if (text.find('\n', at) == std::string::npos) break;
    }
    if (events > 0) Record(events);
  }

  net::io_context io_;
  const tcp::endpoint endpoint_;
  const bool websocket_;
  const int count_;
  int started_ = 0;
  std::vector<double> latencies_ms_;
  std::atomic<int> subscribed_{0};
  std::atomic<int> failed_{0};
  std::atomic<int64_t> delivered_{0};
  std::atomic<int64_t> burst_start_{0};
  std::thread thread_;
};

// WaitFor polls `done` until it holds; false after `timeout`.
template <typename Done>
bool WaitFor(Done done, absl::Duration timeout) {
  const absl::Time deadline = absl::Now() + timeout;
  while (!done()) {
    if (absl::Now() > deadline) return false;
    absl::SleepFor(absl::Milliseconds(2));
  }
  return true;
}

void Measure(SprayChain& chain, IndexerProcess& indexer,
             const std::string& transport, int count, int* next_holder) {
  // A gateway of its own, so that its memory is this round's.
  // Every client comes from one address.
  GatewayProcess gateway(indexer.grpc_port(),
                         {"--max_connections_per_address=0"});
  // The stream is served once the gateway has reached the indexer.
  const bool reached = WaitFor(
      [&] {
        return MetricSum(gateway.Metrics(), "realtime_upstream_connected") == 1;
      },
      absl::Seconds(30));
  if (!reached) {
    Check(absl::UnavailableError("the gateway did not reach the indexer"),
          "gateway");
  }
  const int burst = absl::GetFlag(FLAGS_burst);
  const int bursts = absl::GetFlag(FLAGS_bursts);
  const uint64_t idle_rss = gateway.RssBytes();
  const absl::Time start = absl::Now();
  Followers followers(gateway.http_port(), transport == "websocket", count);
  if (!WaitFor(
          [&] { return followers.subscribed() + followers.failed() == count; },
          absl::Minutes(5)) ||
      followers.failed() > 0) {
    Check(absl::UnavailableError(absl::StrCat(followers.subscribed(), " of ",
                                              count, " clients subscribed, ",
                                              followers.failed(), " failed")),
          "connecting");
  }
  const absl::Duration connect_time = absl::Now() - start;
  const uint64_t connected_rss = gateway.RssBytes();

  std::vector<double> latencies;
  for (int round = 0; round < bursts; ++round) {
    chain.Spray(burst, 1000, *next_holder);
    *next_holder += burst;
    const int64_t expected =
        followers.delivered() + static_cast<int64_t>(count) * burst;
    followers.Burst();
    chain.Mine();
    if (!WaitFor([&] { return followers.delivered() >= expected; },
                 absl::Minutes(2))) {
      Check(
          absl::DeadlineExceededError(absl::StrCat(
              followers.delivered(), " of ", expected, " deliveries arrived")),
          "burst");
    }
    std::vector<double> taken = followers.TakeLatencies();
    latencies.insert(latencies.end(), taken.begin(), taken.end());
    // Keep the log pipe drained.
    while (gateway.process().ReadLine(absl::ZeroDuration()).has_value()) {
    }
  }
  std::sort(latencies.begin(), latencies.end());
  const std::string metrics = gateway.Metrics();
  std::printf(
      "%-9s %6d clients: delivery p50 %7.1f ms  p99 %7.1f ms  max %7.1f ms  "
      "(%zu deliveries, %d bursts of %d)\n"
      "          connect %.1f s; gateway RSS idle %.1f MiB, connected %.1f "
      "MiB (%.1f KiB per client), peak %.1f MiB; dropped %.0f, slow "
      "disconnects %.0f\n",
      transport.c_str(), count, Percentile(latencies, 0.5),
      Percentile(latencies, 0.99), latencies.back(), latencies.size(), bursts,
      burst, absl::ToDoubleSeconds(connect_time), idle_rss / 1048576.0,
      connected_rss / 1048576.0,
      (static_cast<double>(connected_rss) - idle_rss) / count / 1024.0,
      gateway.PeakRssBytes() / 1048576.0,
      MetricSum(metrics, "realtime_messages_dropped_total"),
      MetricSum(metrics, "realtime_slow_client_disconnects_total"));
  std::fflush(stdout);
}

}  // namespace

void Run() {
  SprayChain chain;
  IndexerProcess indexer(chain, {});
  int next_holder = 0;
  for (const std::string& transport : absl::GetFlag(FLAGS_transports)) {
    for (const std::string& clients : absl::GetFlag(FLAGS_clients)) {
      int count = 0;
      if (!absl::SimpleAtoi(clients, &count) || count < 1) {
        Check(absl::InvalidArgumentError(
                  absl::StrCat("--clients: \"", clients, "\" is not a count")),
              "flags");
      }
      Measure(chain, indexer, transport, count, &next_holder);
    }
  }
}

}  // namespace chainsync::bench
