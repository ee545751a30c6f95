#pragma once

#include <cstddef>
#include <map>
#include <mutex>
#include <optional>
#include <string>

#include "absl/strings/string_view.h"

namespace chainsync {

// ConnectionLimits counts a server's open connections, in all and by client
// address, and says whether one more may open, so that nobody can take
// every descriptor and lock everyone else out. Thread-safe.
class ConnectionLimits {
 public:
  // `max_total` 0 is as many as the process's descriptor limit leaves room
  // for; `max_per_address` 0 is no cap per address.
  ConnectionLimits(size_t max_total, size_t max_per_address);

  // Open counts a connection from `address`, or names the cap it would
  // pass ("total", "per_address") and counts nothing.
  std::optional<absl::string_view> Open(const std::string& address);
  // Close uncounts a connection Open counted.
  void Close(const std::string& address);

  size_t max_total() const { return max_total_; }

 private:
  const size_t max_total_;
  const size_t max_per_address_;
  std::mutex mu_;
  size_t open_ = 0;
  std::map<std::string, size_t> by_address_;
};

}  // namespace chainsync
