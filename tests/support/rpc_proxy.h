#pragma once

#include <functional>
#include <memory>
#include <string>

#include "libs/common/server/http_server.h"

namespace chainsync::testing {

// RpcProxy stands between a service and its JSON-RPC node, so that a test
// can alter, delay or hold what the node answers. Every POST is answered
// from a thread of its own, so one held or slow answer holds up nothing else.
class RpcProxy {
 public:
  // Forward sends the request on to the node and returns its answer (a 502
  // naming the problem when the node cannot be reached).
  using Forward = std::function<HttpResponse()>;
  // Answer decides each POST's answer, forwarding it or not.
  using Answer =
      std::function<HttpResponse(const HttpRequest& request, Forward forward)>;

  RpcProxy(std::string upstream, Answer answer);

  std::string url() const;

 private:
  struct State;
  std::shared_ptr<State> state_;
  std::unique_ptr<HttpServer> server_;
};

}  // namespace chainsync::testing
