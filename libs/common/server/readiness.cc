#include "libs/common/server/readiness.h"

#include "libs/common/logging/log.h"

namespace chainsync {

void Readiness::Update(const std::function<void()>& change) {
  std::vector<std::function<void(bool)>> listeners;
  bool changed;
  bool ready;
  std::string reason;
  {
    std::lock_guard<std::mutex> lock(mu_);
    const bool was = Ready();
    const std::string was_reason = Reason();
    change();
    ready = Ready();
    reason = Reason();
    changed = was != ready || was_reason != reason;
    listeners = listeners_;
  }
  for (const auto& listener : listeners) listener(ready);
  // Logged once every listener (gRPC health) reflects the change, so that a
  // reader of the log never sees the old state afterwards.
  if (changed && ready) log::Info("ready");
  if (changed && !ready) log::Info("not ready", {{"reason", reason}});
}

void Readiness::Set(bool ready, std::string reason) {
  Update([&] {
    ready_ = ready;
    reason_ = ready ? "" : std::move(reason);
  });
}

void Readiness::SetBlocked(std::string reason) {
  Update([&] { blocked_ = std::move(reason); });
}

bool Readiness::ready() const {
  std::lock_guard<std::mutex> lock(mu_);
  return Ready();
}

std::string Readiness::reason() const {
  std::lock_guard<std::mutex> lock(mu_);
  return Reason();
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
    ready = Ready();
  }
  listener(ready);
}

}  // namespace chainsync
