#include "libs/common/server/readiness.h"

#include "libs/common/logging/log.h"

namespace chainsync {

void Readiness::Set(bool ready, std::string reason) {
  std::vector<std::function<void(bool)>> listeners;
  bool changed;
  {
    std::lock_guard<std::mutex> lock(mu_);
    changed = ready_ != ready || reason_ != reason;
    ready_ = ready;
    reason_ = ready ? "" : reason;
    listeners = listeners_;
  }
  for (const auto& listener : listeners) listener(ready);
  // Logged once every listener (gRPC health) reflects the change, so that a
  // reader of the log never sees the old state afterwards.
  if (changed && ready) log::Info("ready");
  if (changed && !ready) log::Info("not ready", {{"reason", reason}});
}

bool Readiness::ready() const {
  std::lock_guard<std::mutex> lock(mu_);
  return ready_;
}

std::string Readiness::reason() const {
  std::lock_guard<std::mutex> lock(mu_);
  return reason_;
}

void Readiness::SetDependencyProbe(
    std::function<std::vector<DependencyState>()> probe) {
  std::lock_guard<std::mutex> lock(mu_);
  probe_ = std::move(probe);
}

std::vector<DependencyState> Readiness::Dependencies() const {
  std::function<std::vector<DependencyState>()> probe;
  {
    std::lock_guard<std::mutex> lock(mu_);
    probe = probe_;
  }
  return probe ? probe() : std::vector<DependencyState>();
}

void Readiness::OnChange(std::function<void(bool)> listener) {
  bool ready;
  {
    std::lock_guard<std::mutex> lock(mu_);
    listeners_.push_back(listener);
    ready = ready_;
  }
  listener(ready);
}

}  // namespace chainsync
