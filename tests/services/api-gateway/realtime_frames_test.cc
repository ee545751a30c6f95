// The realtime streams' frames and the WebSocket protocol's messages, as a
// browser reads and writes them (docs/realtime.md).
#include "services/api-gateway/realtime_frames.h"

#include <catch2/catch.hpp>

#include "absl/strings/match.h"

namespace chainsync::gateway {
namespace {

TEST_CASE("an event is framed once per transport", "[gateway][realtime]") {
  indexer::v1::Event event;
  event.set_sequence(42);
  event.set_event_name("Transfer");
  const auto rendered = RenderEvent(event);
  CHECK(rendered->sequence == 42);
  const std::string& sse = *rendered->For(Transport::kEventStream);
  CHECK(absl::StartsWith(sse, "id: 42\ndata: {"));
  CHECK(absl::StrContains(sse, R"("eventName":"Transfer")"));
  CHECK(absl::EndsWith(sse, "}\n\n"));
  const std::string& ws = *rendered->For(Transport::kWebSocket);
  CHECK(absl::StartsWith(ws, R"({"type":"event","sequence":"42","event":{)"));
  CHECK(*SubscribedFrame(Transport::kWebSocket, 7) ==
        R"({"type":"subscribed","afterSequence":"7"})");
  CHECK(*SubscribedFrame(Transport::kEventStream, 7) ==
        ": subscribed after 7\n\n");
  CHECK(*ErrorFrame(absl::UnavailableError("say \"later\"")) ==
        R"({"type":"error","code":"UNAVAILABLE","message":"say \"later\""})");
}

TEST_CASE("client messages are read, or refused naming the problem",
          "[gateway][realtime]") {
  const auto subscribe = ParseClientMessage(
      R"({"type":"subscribe","afterSequence":"9","filter":{"eventNames":["Synced"]}})");
  REQUIRE(subscribe.ok());
  CHECK(subscribe->kind == ClientCommand::Kind::kSubscribe);
  CHECK(subscribe->subscribe.after_sequence() == 9);
  CHECK(subscribe->subscribe.filter().event_names(0) == "Synced");
  const auto live = ParseClientMessage(R"({"type":"subscribe"})");
  REQUIRE(live.ok());
  CHECK_FALSE(live->subscribe.has_after_sequence());
  CHECK(ParseClientMessage(R"({"type":"ping"})")->kind ==
        ClientCommand::Kind::kPing);
  CHECK(ParseClientMessage(R"({"type":"unsubscribe"})")->kind ==
        ClientCommand::Kind::kUnsubscribe);

  const auto unknown = ParseClientMessage(R"({"type":"dance"})");
  REQUIRE(absl::IsInvalidArgument(unknown.status()));
  CHECK(absl::StrContains(unknown.status().message(), "\"dance\""));
  const auto garbled = ParseClientMessage(R"({"type":)");
  REQUIRE(absl::IsInvalidArgument(garbled.status()));
  CHECK(absl::StrContains(garbled.status().message(), "not a ClientMessage"));
  CHECK(absl::IsInvalidArgument(
      ParseClientMessage(R"({"type":"ping","volume":11})").status()));
}

}  // namespace
}  // namespace chainsync::gateway
