#pragma once

// What the realtime streams say to browsers, apart from who they say it to
// (realtime_hub.h): an event framed once per transport — a Server-Sent
// Events block, a WebSocket JSON message — and the WebSocket protocol's
// other messages both ways (docs/realtime.md).

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "chainsync/indexer/v1/indexer.pb.h"

namespace chainsync::gateway {

enum class Transport { kEventStream, kWebSocket };

// Frame is one message as streams send it; shared by every client it goes
// to.
using Frame = std::shared_ptr<const std::string>;

// MakeFrame wraps a message's text.
Frame MakeFrame(std::string text);

// RenderedEvent is an event framed for each transport, once for every
// client.
struct RenderedEvent {
  uint64_t sequence = 0;
  indexer::v1::Event event;
  Frame event_stream;  // "id: <sequence>\ndata: <event JSON>\n\n"
  Frame websocket;     // {"type":"event","sequence":"<n>","event":{...}}

  const Frame& For(Transport transport) const {
    return transport == Transport::kWebSocket ? websocket : event_stream;
  }
};

// RenderEvent frames an event for both transports.
std::shared_ptr<const RenderedEvent> RenderEvent(
    const indexer::v1::Event& event);

// SubscribedFrame acknowledges a subscription, with the sequence it starts
// after: an SSE comment, or {"type":"subscribed","afterSequence":"<n>"}
// (proto3 JSON's lowerCamelCase, as every other message).
Frame SubscribedFrame(Transport transport, uint64_t after_sequence);

// ErrorFrame is a WebSocket {"type":"error","code","message"} message.
Frame ErrorFrame(const absl::Status& status);

// The WebSocket protocol's answers to unsubscribe and ping.
Frame UnsubscribedFrame();
Frame PongFrame();

// ClientCommand is a WebSocket client's message, read.
struct ClientCommand {
  enum class Kind { kSubscribe, kUnsubscribe, kPing };
  Kind kind = Kind::kPing;
  // subscribe: which events, and after which sequence (unset: live only).
  indexer::v1::SubscribeRequest subscribe;
};

// ParseClientMessage reads a gateway.v1.ClientMessage in JSON. Text that is
// not one, or names another type, is INVALID_ARGUMENT saying so.
absl::StatusOr<ClientCommand> ParseClientMessage(const std::string& text);

}  // namespace chainsync::gateway
