// Fuzzes the gateway's HTTP → proto translation: the input is a request
// line's method, path and query, then a body. Nothing may crash; a request
// that is accepted becomes a message that proto3 JSON renders and reads back
// to the same message.
#include <cstdint>
#include <string>

#include "absl/strings/str_split.h"
#include "google/protobuf/util/json_util.h"
#include "google/protobuf/util/message_differencer.h"
#include "services/api-gateway/gateway.h"
#include "services/api-gateway/transcoder.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const std::unique_ptr<chainsync::gateway::Gateway> gateway =
      *chainsync::gateway::Gateway::Create({});
  if (size == 0) return 0;
  constexpr const char* kMethods[] = {"GET", "POST", "PUT", "DELETE", "PATCH"};
  const std::string method = kMethods[data[0] % 5];
  const std::string text(reinterpret_cast<const char*>(data + 1), size - 1);
  // "<path>?<query>\n<body>"
  const std::pair<std::string, std::string> line_and_body =
      absl::StrSplit(text, absl::MaxSplits('\n', 1));
  const std::pair<std::string, std::string> path_and_query =
      absl::StrSplit(line_and_body.first, absl::MaxSplits('?', 1));
  const auto match = gateway->routes().Match(method, path_and_query.first);
  if (!match.ok()) return 0;
  const auto message = chainsync::gateway::BuildRequest(
      *match, path_and_query.second, line_and_body.second);
  if (!message.ok()) return 0;
  const std::string json = chainsync::gateway::RenderResponse(**message);
  std::unique_ptr<google::protobuf::Message> read((*message)->New());
  if (!google::protobuf::util::JsonStringToMessage(json, read.get()).ok() ||
      !google::protobuf::util::MessageDifferencer::Equals(**message, *read)) {
    __builtin_trap();
  }
  return 0;
}
