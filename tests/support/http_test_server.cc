#include "tests/support/http_test_server.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"

namespace chainsync::testing {

std::unique_ptr<HttpServer> StartHttpServer(HttpRouter router,
                                            HttpServerOptions options) {
  options.host = "127.0.0.1";
  options.port = 0;
  auto server = HttpServer::Start(
      options, std::make_shared<const HttpRouter>(std::move(router)));
  if (!server.ok()) {
    std::fprintf(stderr, "%s\n", server.status().ToString().c_str());
    std::abort();
  }
  return *std::move(server);
}

std::string UrlOf(const HttpServer& server, const std::string& path) {
  return absl::StrCat("http://127.0.0.1:", server.port(), path);
}

void ReplyAfter(HttpReply reply, absl::Duration delay, HttpResponse response) {
  std::thread([reply = std::move(reply), delay,
               response = std::move(response)]() mutable {
    absl::SleepFor(delay);
    std::move(reply).Send(std::move(response));
  }).detach();
}

std::string SendRaw(const HttpServer& server, const std::string& bytes) {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<uint16_t>(server.port()));
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  std::string answer;
  if (connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) ==
          0 &&
      write(fd, bytes.data(), bytes.size()) ==
          static_cast<ssize_t>(bytes.size())) {
    pollfd descriptor{fd, POLLIN, 0};
    char buffer[4096];
    while (poll(&descriptor, 1, 2000) > 0) {
      const ssize_t count = read(fd, buffer, sizeof(buffer));
      if (count <= 0) break;
      answer.append(buffer, static_cast<size_t>(count));
    }
  }
  close(fd);
  return answer;
}

}  // namespace chainsync::testing
