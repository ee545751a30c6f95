#include "libs/crypto/hashes.h"

#include <openssl/evp.h>

#include <cstdlib>
#include <vector>

namespace chainsync::crypto {
namespace {

template <size_t N>
std::array<uint8_t, N> Digest(const EVP_MD* algorithm,
                              absl::Span<const uint8_t> data) {
  std::array<uint8_t, N> out;
  unsigned int length = 0;
  if (algorithm == nullptr ||
      EVP_Digest(data.data(), data.size(), out.data(), &length, algorithm,
                 nullptr) != 1 ||
      length != N) {
    // OpenSSL without SHA-256 or RIPEMD-160 is a broken installation.
    std::abort();
  }
  return out;
}

}  // namespace

Digest32 Sha256(absl::Span<const uint8_t> data) {
  return Digest<32>(EVP_sha256(), data);
}

Digest32 Sha256d(absl::Span<const uint8_t> data) {
  return Sha256(Sha256(data));
}

Digest20 Hash160(absl::Span<const uint8_t> data) {
  return Digest<20>(EVP_ripemd160(), Sha256(data));
}

Digest32 TaggedHash(absl::string_view tag, absl::Span<const uint8_t> data) {
  const Digest32 tag_hash = Sha256(BytesOf(tag));
  std::vector<uint8_t> input(tag_hash.begin(), tag_hash.end());
  input.insert(input.end(), tag_hash.begin(), tag_hash.end());
  input.insert(input.end(), data.begin(), data.end());
  return Sha256(input);
}

}  // namespace chainsync::crypto
