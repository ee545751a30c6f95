#include "services/api-gateway/realtime_frames.h"

#include "absl/strings/str_cat.h"
#include "chainsync/gateway/v1/realtime.pb.h"
#include "google/protobuf/util/json_util.h"
#include "libs/common/logging/log.h"
#include "libs/common/status.h"
#include "services/api-gateway/transcoder.h"

namespace chainsync::gateway {

Frame MakeFrame(std::string text) {
  return std::make_shared<const std::string>(std::move(text));
}

std::shared_ptr<const RenderedEvent> RenderEvent(
    const indexer::v1::Event& event) {
  auto rendered = std::make_shared<RenderedEvent>();
  rendered->sequence = event.sequence();
  rendered->event = event;
  const std::string json = RenderResponse(event);
  rendered->event_stream = MakeFrame(
      absl::StrCat("id: ", event.sequence(), "\ndata: ", json, "\n\n"));
  rendered->websocket =
      MakeFrame(absl::StrCat(R"({"type":"event","sequence":")",
                             event.sequence(), R"(","event":)", json, "}"));
  return rendered;
}

Frame SubscribedFrame(Transport transport, uint64_t after_sequence) {
  return MakeFrame(
      transport == Transport::kWebSocket
          ? absl::StrCat(R"({"type":"subscribed","afterSequence":")",
                         after_sequence, R"("})")
          : absl::StrCat(": subscribed after ", after_sequence, "\n\n"));
}

Frame ErrorFrame(const absl::Status& status) {
  std::string text =
      absl::StrCat(R"({"type":"error","code":")", StatusCodeName(status.code()),
                   R"(","message":)");
  log::AppendJsonString(&text, status.message());
  text.append("}");
  return MakeFrame(std::move(text));
}

Frame UnsubscribedFrame() { return MakeFrame(R"({"type":"unsubscribed"})"); }

Frame PongFrame() { return MakeFrame(R"({"type":"pong"})"); }

absl::StatusOr<ClientCommand> ParseClientMessage(const std::string& text) {
  v1::ClientMessage message;
  google::protobuf::util::JsonParseOptions options;
  options.ignore_unknown_fields = false;
  if (const auto parsed =
          google::protobuf::util::JsonStringToMessage(text, &message, options);
      !parsed.ok()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "the message is not a ClientMessage: ", std::string(parsed.message())));
  }
  ClientCommand command;
  if (message.type() == "ping") {
    command.kind = ClientCommand::Kind::kPing;
  } else if (message.type() == "unsubscribe") {
    command.kind = ClientCommand::Kind::kUnsubscribe;
  } else if (message.type() == "subscribe") {
    command.kind = ClientCommand::Kind::kSubscribe;
    *command.subscribe.mutable_filter() = message.filter();
    if (message.has_after_sequence()) {
      command.subscribe.set_after_sequence(message.after_sequence());
    }
  } else {
    return absl::InvalidArgumentError(
        absl::StrCat("unknown message type \"", message.type(),
                     "\"; expected subscribe, unsubscribe or ping"));
  }
  return command;
}

}  // namespace chainsync::gateway
