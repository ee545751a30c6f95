// Page tokens: opaque, and good only when this key signed them.
#include "libs/common/api/page_tokens.h"

#include <catch2/catch.hpp>

#include "absl/strings/escaping.h"

namespace chainsync {
namespace {

TEST_CASE("a page token carries its fields, signed", "[page_tokens]") {
  const PageTokens tokens(Secret("key one"));
  const std::string token = tokens.Encode({"1041", "7"});
  const auto fields = tokens.Decode(token, 2);
  REQUIRE(fields.ok());
  CHECK(*fields == std::vector<std::string>{"1041", "7"});
  // Another list's token (another number of fields) is not this one's.
  CHECK(absl::IsInvalidArgument(tokens.Decode(token, 4).status()));
}

TEST_CASE("a crafted or foreign page token is refused", "[page_tokens]") {
  const PageTokens tokens(Secret("key one"));
  const std::string token = tokens.Encode({"1041", "7"});
  // The old form: the fields alone, in base64.
  CHECK(absl::IsInvalidArgument(
      tokens.Decode(absl::WebSafeBase64Escape("1|x'; DROP"), 2).status()));
  // One bit changed.
  std::string raw;
  REQUIRE(absl::WebSafeBase64Unescape(token, &raw));
  raw.back() ^= 1;
  CHECK(absl::IsInvalidArgument(
      tokens.Decode(absl::WebSafeBase64Escape(raw), 2).status()));
  // Signed with another key: another replica configured apart.
  CHECK(absl::IsInvalidArgument(
      PageTokens(Secret("key two")).Decode(token, 2).status()));
  CHECK(absl::IsInvalidArgument(tokens.Decode("", 2).status()));
  CHECK(absl::IsInvalidArgument(tokens.Decode("%%%", 2).status()));
  // Without a key, each process draws its own.
  CHECK_FALSE(
      PageTokens(Secret()).Decode(PageTokens(Secret()).Encode({"1"}), 1).ok());
}

}  // namespace
}  // namespace chainsync
