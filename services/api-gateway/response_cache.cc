#include "services/api-gateway/response_cache.h"

#include "absl/strings/ascii.h"

namespace chainsync::gateway {

ResponseCache::ResponseCache(size_t max_entries) : max_entries_(max_entries) {}

uint64_t ResponseCache::Touched(absl::string_view account) const {
  const auto found = touched_.find(absl::AsciiStrToLower(account));
  return found == touched_.end() ? 0 : found->second;
}

void ResponseCache::StartOver() {
  ++epoch_;
  entries_.clear();
  touched_.clear();
}

std::optional<std::string> ResponseCache::Find(const std::string& key) {
  std::lock_guard<std::mutex> lock(mu_);
  if (!live_) return std::nullopt;
  const auto found = entries_.find(key);
  if (found == entries_.end()) return std::nullopt;
  const Entry& entry = found->second;
  if (entry.epoch != epoch_ || entry.touched != Touched(entry.account)) {
    entries_.erase(found);
    return std::nullopt;
  }
  return entry.answer;
}

std::optional<ResponseCache::Ticket> ResponseCache::Begin(
    absl::string_view account) {
  std::lock_guard<std::mutex> lock(mu_);
  if (!live_) return std::nullopt;
  return Ticket{.epoch = epoch_, .touched = Touched(account)};
}

void ResponseCache::Keep(std::string key, absl::string_view account,
                         const Ticket& ticket, std::string answer) {
  std::lock_guard<std::mutex> lock(mu_);
  if (!live_ || ticket.epoch != epoch_ || ticket.touched != Touched(account)) {
    return;
  }
  if (entries_.size() >= max_entries_) entries_.clear();
  entries_[std::move(key)] = Entry{.account = absl::AsciiStrToLower(account),
                                   .epoch = epoch_,
                                   .touched = ticket.touched,
                                   .answer = std::move(answer)};
}

void ResponseCache::Touch(absl::string_view account) {
  std::lock_guard<std::mutex> lock(mu_);
  if (touched_.size() >= max_entries_) StartOver();
  touched_[absl::AsciiStrToLower(account)] = ++touches_;
}

void ResponseCache::SetLive(bool live) {
  std::lock_guard<std::mutex> lock(mu_);
  if (live_ && !live) StartOver();
  live_ = live;
}

size_t ResponseCache::size() const {
  std::lock_guard<std::mutex> lock(mu_);
  return entries_.size();
}

}  // namespace chainsync::gateway
