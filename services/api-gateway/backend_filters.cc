#include "services/api-gateway/backend_filters.h"

#include "absl/strings/str_cat.h"
#include "chainsync/indexer/v1/indexer.pb.h"
#include "libs/common/grpc_status.h"
#include "services/api-gateway/transcoder.h"

namespace chainsync::gateway {
namespace {

absl::Status NoBackend(const Route& route) {
  return absl::UnavailableError(absl::StrCat(
      "no backend configured for ", route.method->service()->full_name()));
}

}  // namespace

void StreamFilter::Handle(std::shared_ptr<Exchange> exchange, Next next) const {
  const Route& route = exchange->route();
  if (!route.streaming) {
    next(std::move(exchange));
    return;
  }
  if (hub_ == nullptr) {
    exchange->Fail(NoBackend(route));
    return;
  }
  if (exchange->request.websocket_upgrade) {
    exchange->Stream(101, [this](HttpReply& reply) {
      hub_->ServeWebSocket(std::move(reply));
      return absl::OkStatus();
    });
    return;
  }
  if (route.path == kWebSocketPath) {
    HttpResponse response =
        HttpResponse::Error(426, absl::StatusCode::kFailedPrecondition,
                            absl::StrCat(kWebSocketPath,
                                         " speaks WebSocket; send an upgrade "
                                         "request, or use Server-Sent Events"));
    response.headers.emplace_back("upgrade", "websocket");
    exchange->Answer(std::move(response));
    return;
  }
  const auto& subscribe =
      static_cast<const indexer::v1::SubscribeRequest&>(*exchange->message);
  exchange->Stream(200, [this, &subscribe, &exchange](HttpReply& reply) {
    return hub_->ServeEventStream(subscribe, exchange->headers, reply);
  });
}

void CallFilter::Handle(std::shared_ptr<Exchange> exchange, Next) const {
  const Route& route = exchange->route();
  const auto backend = backends_.find(route.method->service()->full_name());
  if (backend == backends_.end()) {
    exchange->Fail(NoBackend(route));
    return;
  }
  // The call's state lives until its completion callback.
  struct Call {
    grpc::ClientContext context;
    grpc::ByteBuffer request;
    grpc::ByteBuffer response;
  };
  auto call = std::make_shared<Call>();
  call->context.set_deadline(std::chrono::system_clock::now() +
                             absl::ToChronoMilliseconds(timeout_));
  call->context.AddMetadata("x-request-id", exchange->request_id);
  if (const std::optional<Identity>& caller = exchange->caller();
      caller.has_value()) {
    call->context.AddMetadata("x-chainsync-subject", caller->subject);
    call->context.AddMetadata("x-chainsync-role",
                              caller->admin ? "admin" : "user");
  }
  grpc::Slice slice(exchange->message->SerializeAsString());
  call->request = grpc::ByteBuffer(&slice, 1);
  backend->second.stub->UnaryCall(
      &call->context, route.grpc_path, grpc::StubOptions(), &call->request,
      &call->response, [call, exchange](grpc::Status status) {
        if (!status.ok()) {
          exchange->Fail(FromGrpcStatus(status));
          return;
        }
        std::unique_ptr<google::protobuf::Message> response(
            google::protobuf::MessageFactory::generated_factory()
                ->GetPrototype(exchange->route().method->output_type())
                ->New());
        std::vector<grpc::Slice> slices;
        std::string bytes;
        if (call->response.Dump(&slices).ok()) {
          for (const grpc::Slice& piece : slices) {
            bytes.append(reinterpret_cast<const char*>(piece.begin()),
                         piece.size());
          }
        }
        if (!response->ParseFromString(bytes)) {
          exchange->Fail(
              absl::InternalError("the backend's answer does not parse"));
          return;
        }
        exchange->Answer(HttpResponse::Json(200, RenderResponse(*response)));
      });
}

}  // namespace chainsync::gateway
