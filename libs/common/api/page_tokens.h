#pragma once

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "libs/common/config/secret.h"

namespace chainsync {

// PageTokens makes and reads the page tokens of the indexer's lists: the
// keyset position of a page's last entry, opaque and signed (HMAC-SHA256),
// so that a client can neither depend on their form nor hand the queries a
// position they did not make. Every replica that serves a list must share
// the key (CHAINSYNC_PAGE_TOKEN_KEY or _FILE).
class PageTokens {
 public:
  // Without a key, one is drawn at random: tokens then hold for this
  // process only.
  explicit PageTokens(Secret key);

  std::string Encode(const std::vector<std::string>& fields) const;

  // Decode returns a token's `count` fields; a token this key did not
  // sign, or with another number of fields, is INVALID_ARGUMENT.
  absl::StatusOr<std::vector<std::string>> Decode(absl::string_view token,
                                                  size_t count) const;

 private:
  std::string Mac(absl::string_view payload) const;

  Secret key_;
};

// PageSize is the size of a page a list request asks for: `fallback` for
// 0, at most `maximum`; a negative one is INVALID_ARGUMENT.
absl::StatusOr<int> PageSize(int32_t requested, int fallback, int maximum);

}  // namespace chainsync
