#pragma once

#include <functional>
#include <mutex>
#include <string>
#include <vector>

namespace chainsync {

// Readiness says whether a service should receive traffic. It drives both
// /readyz and the gRPC health status, so that Kubernetes probes and gRPC
// load balancers see the same answer. A service is not ready until its
// dependencies are up, and stops being ready when it starts draining, or
// while its work is blocked.
// DependencyState is what a service knows of one thing it calls.
struct DependencyState {
  std::string name;
  bool reachable = false;
  // How it stands, in the dependency's own terms ("ready", "connecting").
  std::string state;
};

class Readiness {
 public:
  // Set changes the state, and logs a change; `reason` says why when not
  // ready.
  void Set(bool ready, std::string reason = "");
  // SetBlocked marks the service's work as unable to go on, saying why, or
  // clears the mark (empty): while it lasts the service is not ready,
  // whatever Set said.
  void SetBlocked(std::string reason);

  bool ready() const;
  std::string reason() const;

  // SetDependencyProbe names what /readyz reports of the service's
  // dependencies; it is asked at every request and must not block.
  void SetDependencyProbe(std::function<std::vector<DependencyState>()> probe);
  // Dependencies asks the probe; empty without one.
  std::vector<DependencyState> Dependencies() const;

  // OnChange registers a listener called, under no lock of ours, with every
  // new state, and once immediately with the current one.
  void OnChange(std::function<void(bool ready)> listener);

 private:
  // Update applies `change` and tells the listeners and the log when the
  // service's readiness or its reason changed.
  void Update(const std::function<void()>& change);
  // Under mu_: what the service is, both marks taken together.
  bool Ready() const { return ready_ && blocked_.empty(); }
  std::string Reason() const { return !ready_ ? reason_ : blocked_; }

  mutable std::mutex mu_;
  bool ready_ = false;
  std::string reason_ = "starting";
  std::string blocked_;
  std::vector<std::function<void(bool)>> listeners_;
  std::function<std::vector<DependencyState>()> probe_;
};

}  // namespace chainsync
