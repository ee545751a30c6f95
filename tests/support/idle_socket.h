#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <utility>

namespace chainsync::testing {

// IdleSocket connects to a server from a loopback `source` address and
// sends nothing, as a connection flood does.
class IdleSocket {
 public:
  IdleSocket(int port, const char* source)
      : fd_(::socket(AF_INET, SOCK_STREAM, 0)) {
    sockaddr_in from{};
    from.sin_family = AF_INET;
    ::inet_pton(AF_INET, source, &from.sin_addr);
    REQUIRE(::bind(fd_, reinterpret_cast<sockaddr*>(&from), sizeof(from)) == 0);
    sockaddr_in to{};
    to.sin_family = AF_INET;
    to.sin_port = htons(static_cast<uint16_t>(port));
    ::inet_pton(AF_INET, "127.0.0.1", &to.sin_addr);
    REQUIRE(::connect(fd_, reinterpret_cast<sockaddr*>(&to), sizeof(to)) == 0);
  }
  IdleSocket(IdleSocket&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
  ~IdleSocket() {
    if (fd_ >= 0) ::close(fd_);
  }

  // ClosedByServer tells whether the server closed the connection, waiting
  // up to `wait` for it.
  bool ClosedByServer(
      std::chrono::milliseconds wait = std::chrono::milliseconds(300)) const {
    pollfd ready{.fd = fd_, .events = POLLIN};
    if (::poll(&ready, 1, static_cast<int>(wait.count())) <= 0) return false;
    char byte;
    return ::recv(fd_, &byte, 1, MSG_DONTWAIT) == 0;
  }

 private:
  int fd_;
};

}  // namespace chainsync::testing
