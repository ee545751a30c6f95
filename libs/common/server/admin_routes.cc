#include "libs/common/server/admin_routes.h"

#include <string>

#include "libs/common/logging/log.h"

namespace chainsync {

void AddAdminRoutes(HttpRouter& router, const metrics::Registry& registry,
                    const Readiness& readiness) {
  router.Handle("GET", "/metrics", [&registry](HttpRequest, HttpReply reply) {
    HttpResponse response;
    response.headers.emplace_back("content-type",
                                  "text/plain; version=0.0.4; charset=utf-8");
    response.body = registry.Serialize();
    std::move(reply).Send(std::move(response));
  });
  router.Handle("GET", "/healthz", [](HttpRequest, HttpReply reply) {
    std::move(reply).Send(HttpResponse::Json(200, R"({"status":"ok"})"));
  });
  router.Handle("GET", "/readyz", [&readiness](HttpRequest, HttpReply reply) {
    if (readiness.ready()) {
      std::move(reply).Send(HttpResponse::Json(200, R"({"status":"ready"})"));
      return;
    }
    std::string body = R"({"status":"not ready","reason":)";
    log::AppendJsonString(&body, readiness.reason());
    body.push_back('}');
    std::move(reply).Send(HttpResponse::Json(503, std::move(body)));
  });
}

}  // namespace chainsync
