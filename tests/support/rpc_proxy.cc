#include "tests/support/rpc_proxy.h"

#include <thread>

#include "libs/common/http/http_client.h"
#include "tests/support/http_test_server.h"

namespace chainsync::testing {

struct RpcProxy::State {
  std::string upstream;
  Answer answer;
  std::unique_ptr<HttpClient> client;

  HttpResponse Send(const HttpRequest& request) {
    absl::StatusOr<HttpClientResponse> answer =
        client->Send({.method = "POST",
                      .url = upstream,
                      .headers = {{"content-type", "application/json"}},
                      .body = request.body});
    if (!answer.ok()) {
      return HttpResponse::Text(502, answer.status().ToString());
    }
    return HttpResponse::Json(answer->status, std::move(answer->body));
  }
};

RpcProxy::RpcProxy(std::string upstream, Answer answer)
    : state_(std::make_shared<State>()) {
  state_->upstream = std::move(upstream);
  state_->answer = std::move(answer);
  // One attempt: retrying is the proxied service's business.
  state_->client =
      *HttpClient::Create({.retry = {.max_attempts = 1}, .name = "proxy"});
  HttpRouter router;
  router.SetFallback([state = state_](HttpRequest request, HttpReply reply) {
    // The thread holds the state, so an answer held past the proxy's end
    // still finds it.
    std::thread([state, request = std::move(request),
                 reply = std::move(reply)]() mutable {
      if (request.method != "POST") {
        std::move(reply).Send(HttpResponse::Text(404, ""));
        return;
      }
      std::move(reply).Send(
          state->answer(request, [&] { return state->Send(request); }));
    }).detach();
  });
  server_ = StartHttpServer(std::move(router));
}

std::string RpcProxy::url() const { return UrlOf(*server_, "/"); }

}  // namespace chainsync::testing
