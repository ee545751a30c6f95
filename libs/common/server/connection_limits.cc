#include "libs/common/server/connection_limits.h"

#include <sys/resource.h>

#include <algorithm>
#include <limits>

namespace chainsync {
namespace {

// Descriptors kept for what else the process opens (database and backend
// connections, files) when the cap follows the descriptor limit.
constexpr size_t kReservedDescriptors = 256;

// TotalCap is `configured`, within what the descriptor limit leaves room
// for.
size_t TotalCap(size_t configured) {
  rlimit limit{};
  size_t room = std::numeric_limits<size_t>::max();
  if (getrlimit(RLIMIT_NOFILE, &limit) == 0 &&
      limit.rlim_cur != RLIM_INFINITY) {
    room = limit.rlim_cur > 2 * kReservedDescriptors
               ? limit.rlim_cur - kReservedDescriptors
               : limit.rlim_cur / 2;
  }
  return configured == 0 ? room : std::min(configured, room);
}

}  // namespace

ConnectionLimits::ConnectionLimits(size_t max_total, size_t max_per_address)
    : max_total_(TotalCap(max_total)), max_per_address_(max_per_address) {}

std::optional<absl::string_view> ConnectionLimits::Open(
    const std::string& address) {
  std::lock_guard<std::mutex> lock(mu_);
  if (open_ >= max_total_) return "total";
  size_t& from_address = by_address_[address];
  if (max_per_address_ > 0 && from_address >= max_per_address_) {
    if (from_address == 0) by_address_.erase(address);
    return "per_address";
  }
  ++from_address;
  ++open_;
  return std::nullopt;
}

void ConnectionLimits::Close(const std::string& address) {
  std::lock_guard<std::mutex> lock(mu_);
  --open_;
  if (--by_address_[address] == 0) by_address_.erase(address);
}

}  // namespace chainsync
