#pragma once

// PendingReplies finishes unary calls whose answer is not ready when they
// arrive — an emergency burn's operation exists once the sending oracle has
// journaled it — from a thread of its own that looks for each call's answer
// every `poll`, so that no gRPC callback thread sleeps waiting for it. A
// call whose answer is not ready within `patience` is answered with its
// fallback; one whose look fails, with the error.

#include <condition_variable>
#include <functional>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#include "absl/status/statusor.h"
#include "grpcpp/grpcpp.h"
#include "libs/common/clock.h"
#include "libs/common/grpc_status.h"

namespace chainsync::oracle {

template <typename Response>
class PendingReplies {
 public:
  // Look answers the call when it is ready to, nullopt until then.
  using Look = std::function<absl::StatusOr<std::optional<Response>>()>;

  PendingReplies(Clock& clock, absl::Duration patience, absl::Duration poll)
      : clock_(clock),
        patience_(patience),
        poll_(poll),
        thread_([this] { Run(); }) {}

  // Every call still waiting is answered with its fallback.
  ~PendingReplies() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      stopping_ = true;
    }
    wake_.notify_all();
    thread_.join();
    for (Waiting& waiting : waiting_) Finish(waiting, waiting.fallback);
  }

  // Wait finishes `context`'s call with what `look` answers, into
  // `response`.
  grpc::ServerUnaryReactor* Wait(grpc::CallbackServerContext* context,
                                 Look look, Response fallback,
                                 Response* response) {
    grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
    {
      std::lock_guard<std::mutex> lock(mu_);
      waiting_.push_back({.context = context,
                          .reactor = reactor,
                          .response = response,
                          .look = std::move(look),
                          .fallback = std::move(fallback),
                          .deadline = clock_.Now() + patience_});
    }
    wake_.notify_all();
    return reactor;
  }

 private:
  struct Waiting {
    grpc::CallbackServerContext* context;
    grpc::ServerUnaryReactor* reactor;
    Response* response;
    Look look;
    Response fallback;
    absl::Time deadline;
  };

  static void Finish(Waiting& waiting, absl::StatusOr<Response> answer) {
    chainsync::Finish(waiting.reactor, *waiting.context, std::move(answer),
                      waiting.response);
  }

  // Answered finishes the call when its answer is ready or its patience
  // is spent.
  bool Answered(Waiting& waiting) {
    absl::StatusOr<std::optional<Response>> answer = waiting.look();
    if (!answer.ok()) {
      Finish(waiting, answer.status());
    } else if (answer->has_value()) {
      Finish(waiting, **std::move(answer));
    } else if (clock_.Now() >= waiting.deadline) {
      Finish(waiting, waiting.fallback);
    } else {
      return false;
    }
    return true;
  }

  void Run() {
    std::unique_lock<std::mutex> lock(mu_);
    while (true) {
      // An hour at a time: an infinite wait overflows the steady clock.
      clock_.WaitFor(wake_, lock, absl::Hours(1),
                     [this] { return stopping_ || !waiting_.empty(); });
      if (stopping_) return;
      // Looked at without the lock, so that calls keep arriving.
      std::vector<Waiting> looking;
      looking.swap(waiting_);
      lock.unlock();
      std::vector<Waiting> still;
      for (Waiting& waiting : looking) {
        if (!Answered(waiting)) still.push_back(std::move(waiting));
      }
      lock.lock();
      for (Waiting& waiting : still) waiting_.push_back(std::move(waiting));
      if (!waiting_.empty()) {
        clock_.WaitFor(wake_, lock, poll_, [this] { return stopping_; });
      }
    }
  }

  Clock& clock_;
  const absl::Duration patience_;
  const absl::Duration poll_;
  std::mutex mu_;
  std::condition_variable wake_;
  std::vector<Waiting> waiting_;
  bool stopping_ = false;
  // Declared last: it runs on the members above.
  std::thread thread_;
};

}  // namespace chainsync::oracle
