#pragma once

#include <memory>
#include <string>

#include "absl/time/time.h"
#include "libs/common/server/http_server.h"

namespace chainsync::testing {

// StartHttpServer starts a server for `router` on a free loopback port.
std::unique_ptr<HttpServer> StartHttpServer(HttpRouter router,
                                            HttpServerOptions options = {});

// UrlOf is http://127.0.0.1:<port><path> of a test server.
std::string UrlOf(const HttpServer& server, const std::string& path);

// ReplyAfter answers `reply` from another thread after `delay`, like a
// handler waiting for a backend.
void ReplyAfter(HttpReply reply, absl::Duration delay, HttpResponse response);

// SendRaw writes `bytes` to the server on a new connection and returns what
// it answers until it closes (or 2 s pass).
std::string SendRaw(const HttpServer& server, const std::string& bytes);

}  // namespace chainsync::testing
