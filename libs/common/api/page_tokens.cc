#include "libs/common/api/page_tokens.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include <algorithm>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"

namespace chainsync {
namespace {

// Bytes of the MAC a token carries: 128 bits.
constexpr size_t kMacBytes = 16;

absl::Status NotOurs() {
  return absl::InvalidArgumentError("page_token is not a token of this list");
}

}  // namespace

PageTokens::PageTokens(Secret key) : key_(std::move(key)) {
  if (!key_.empty()) return;
  std::string random(32, '\0');
  RAND_bytes(reinterpret_cast<unsigned char*>(random.data()),
             static_cast<int>(random.size()));
  key_ = Secret(std::move(random));
}

std::string PageTokens::Mac(absl::string_view payload) const {
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  HMAC(EVP_sha256(), key_.value().data(), static_cast<int>(key_.value().size()),
       reinterpret_cast<const unsigned char*>(payload.data()), payload.size(),
       mac, &length);
  return std::string(reinterpret_cast<const char*>(mac), kMacBytes);
}

std::string PageTokens::Encode(const std::vector<std::string>& fields) const {
  const std::string payload = absl::StrJoin(fields, "|");
  return absl::WebSafeBase64Escape(absl::StrCat(Mac(payload), payload));
}

absl::StatusOr<std::vector<std::string>> PageTokens::Decode(
    absl::string_view token, size_t count) const {
  std::string text;
  if (!absl::WebSafeBase64Unescape(token, &text) || text.size() < kMacBytes) {
    return NotOurs();
  }
  const absl::string_view payload = absl::string_view(text).substr(kMacBytes);
  const std::string mac = Mac(payload);
  if (CRYPTO_memcmp(mac.data(), text.data(), kMacBytes) != 0) return NotOurs();
  std::vector<std::string> fields = absl::StrSplit(payload, '|');
  if (fields.size() != count) return NotOurs();
  return fields;
}

absl::StatusOr<int> PageSize(int32_t requested, int fallback, int maximum) {
  if (requested < 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("page_size must not be negative, got ", requested));
  }
  return requested == 0 ? fallback : std::min<int>(requested, maximum);
}

}  // namespace chainsync
