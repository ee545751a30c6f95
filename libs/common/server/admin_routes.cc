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
    const bool ready = readiness.ready();
    std::string body =
        ready ? R"({"status":"ready")" : R"({"status":"not ready","reason":)";
    if (!ready) log::AppendJsonString(&body, readiness.reason());
    const std::vector<DependencyState> dependencies = readiness.Dependencies();
    if (!dependencies.empty()) {
      body.append(R"(,"dependencies":[)");
      for (size_t i = 0; i < dependencies.size(); ++i) {
        if (i > 0) body.push_back(',');
        body.append(R"({"name":)");
        log::AppendJsonString(&body, dependencies[i].name);
        body.append(dependencies[i].reachable
                        ? R"(,"reachable":true,"state":)"
                        : R"(,"reachable":false,"state":)");
        log::AppendJsonString(&body, dependencies[i].state);
        body.push_back('}');
      }
      body.push_back(']');
    }
    body.push_back('}');
    std::move(reply).Send(
        HttpResponse::Json(ready ? 200 : 503, std::move(body)));
  });
}

}  // namespace chainsync
