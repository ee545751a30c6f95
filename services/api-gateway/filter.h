#pragma once

// The gateway handles an API request as a chain of small filters, each one
// concern: CORS, rate limit, authenticate, route, authorize, cache, then
// the backend call or the event stream (gateway_filters.h). A filter
// answers the request itself or passes it on; none can be skipped, so a
// rule a filter enforces holds for every route.

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "google/protobuf/message.h"
#include "libs/common/server/http_server.h"
#include "services/api-gateway/jwt.h"
#include "services/api-gateway/route_table.h"

namespace chainsync::gateway {

// Exchange is one API request on its way through the filters: the request,
// what the filters learnt of it, and the one answer it gets.
class Exchange {
 public:
  Exchange(HttpRequest request, absl::StatusOr<RouteMatch> match,
           std::string request_id)
      : request(std::move(request)),
        match(std::move(match)),
        request_id(std::move(request_id)) {}
  virtual ~Exchange() = default;

  const HttpRequest request;
  // The route of the request, or why it has none.
  const absl::StatusOr<RouteMatch> match;
  const std::string request_id;
  // The caller, once a filter verified its token; nullopt for anonymous
  // callers, an error for a token that does not verify.
  std::optional<absl::StatusOr<std::optional<Identity>>> identity;
  // The RPC's request message, once the route filter built it.
  std::unique_ptr<google::protobuf::Message> message;
  // Headers every answer carries (the request id, CORS).
  std::vector<std::pair<std::string, std::string>> headers;
  // Called with a successful (2xx) answer before it is sent: a cache keeps
  // it.
  std::vector<std::function<void(const HttpResponse&)>> on_success;

  // route is the matched route; only after the route filter passed.
  const Route& route() const { return *match->route; }
  // caller is the verified identity; only after authentication passed.
  const std::optional<Identity>& caller() const { return **identity; }

  // Answer sends `response` with the exchange's headers, and records it.
  void Answer(HttpResponse response);
  // Fail answers the status as a JSON error; a `retry_after` adds that
  // header, UNAUTHENTICATED a WWW-Authenticate challenge.
  void Fail(const absl::Status& status,
            absl::Duration retry_after = absl::ZeroDuration());
  // Stream hands the connection to `serve`, which starts a stream on it,
  // recorded as an answer of `status`; when `serve` refuses, the exchange
  // answers its error instead.
  void Stream(int status,
              const std::function<absl::Status(HttpReply& reply)>& serve);

 protected:
  // Send delivers an answer; Record counts and logs it.
  virtual void Send(HttpResponse response) = 0;
  virtual void Record(int status) = 0;
  // Connection is the reply a stream takes over; null when the exchange
  // has no connection (a test's).
  virtual HttpReply* Connection() = 0;
};

// Next passes an exchange to the rest of the chain.
using Next = std::function<void(std::shared_ptr<Exchange>)>;

// Filter is one step of a request's way.
class Filter {
 public:
  virtual ~Filter() = default;
  // Handle answers the exchange, or passes it to `next` — at once or later,
  // from another thread.
  virtual void Handle(std::shared_ptr<Exchange> exchange, Next next) const = 0;
};

// FilterChain runs filters in order. An exchange that passes them all is
// answered 500: the last filter is expected to answer.
class FilterChain {
 public:
  explicit FilterChain(std::vector<std::unique_ptr<Filter>> filters)
      : filters_(std::move(filters)) {}

  void Run(std::shared_ptr<Exchange> exchange) const {
    RunFrom(0, std::move(exchange));
  }

 private:
  void RunFrom(size_t i, std::shared_ptr<Exchange> exchange) const;

  std::vector<std::unique_ptr<Filter>> filters_;
};

}  // namespace chainsync::gateway
