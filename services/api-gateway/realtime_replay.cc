#include "services/api-gateway/realtime_replay.h"

#include "chainsync/indexer/v1/indexer.grpc.pb.h"
#include "grpcpp/client_context.h"
#include "libs/common/grpc_status.h"

namespace chainsync::gateway {
namespace {

class IndexerReplayCall final : public ReplayCall {
 public:
  IndexerReplayCall(indexer::v1::IndexerService::Stub& stub,
                    const indexer::v1::EventFilter& filter,
                    uint64_t after_sequence) {
    indexer::v1::SubscribeRequest request;
    *request.mutable_filter() = filter;
    request.set_after_sequence(after_sequence);
    reader_ = stub.Subscribe(&context_, request);
  }

  std::optional<ReplayMessage> Next() override {
    indexer::v1::SubscribeResponse message;
    if (!reader_->Read(&message)) return std::nullopt;
    if (message.has_event()) return ReplayMessage{RenderEvent(message.event())};
    return ReplayMessage{.caught_up = message.caught_up().last_sequence()};
  }

  void Cancel() override { context_.TryCancel(); }

  absl::Status Finish() override { return FromGrpcStatus(reader_->Finish()); }

 private:
  grpc::ClientContext context_;
  std::unique_ptr<grpc::ClientReader<indexer::v1::SubscribeResponse>> reader_;
};

class IndexerReplaySource final : public ReplaySource {
 public:
  explicit IndexerReplaySource(std::shared_ptr<grpc::Channel> indexer)
      : stub_(indexer::v1::IndexerService::NewStub(std::move(indexer))) {}

  std::unique_ptr<ReplayCall> Open(const indexer::v1::EventFilter& filter,
                                   uint64_t after_sequence) override {
    return std::make_unique<IndexerReplayCall>(*stub_, filter, after_sequence);
  }

 private:
  std::unique_ptr<indexer::v1::IndexerService::Stub> stub_;
};

}  // namespace

std::unique_ptr<ReplaySource> MakeIndexerReplaySource(
    std::shared_ptr<grpc::Channel> indexer) {
  return std::make_unique<IndexerReplaySource>(std::move(indexer));
}

}  // namespace chainsync::gateway
