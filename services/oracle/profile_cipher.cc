#include "services/oracle/profile_cipher.h"

#include <openssl/evp.h>
#include <openssl/rand.h>

#include <memory>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

namespace chainsync::oracle {
namespace {

constexpr size_t kKeyBytes = 32;
constexpr size_t kNonceBytes = 12;
constexpr size_t kTagBytes = 16;

struct ContextFree {
  void operator()(EVP_CIPHER_CTX* context) const {
    EVP_CIPHER_CTX_free(context);
  }
};
using CipherContext = std::unique_ptr<EVP_CIPHER_CTX, ContextFree>;

const unsigned char* Bytes(absl::string_view text) {
  return reinterpret_cast<const unsigned char*>(text.data());
}

}  // namespace

absl::StatusOr<ProfileCipher> ProfileCipher::FromSecret(const Secret& secret) {
  ProfileCipher cipher;
  int index = 0;
  for (absl::string_view entry : absl::StrSplit(
           secret.value(), absl::ByAnyChar(",\n"), absl::SkipWhitespace())) {
    ++index;
    entry = absl::StripAsciiWhitespace(entry);
    const size_t colon = entry.find(':');
    const absl::string_view id =
        colon == absl::string_view::npos ? "" : entry.substr(0, colon);
    const absl::string_view hex =
        colon == absl::string_view::npos ? "" : entry.substr(colon + 1);
    const bool hex_ok =
        hex.size() == 2 * kKeyBytes &&
        std::all_of(hex.begin(), hex.end(), [](char c) {
          return absl::ascii_isxdigit(static_cast<unsigned char>(c));
        });
    if (id.empty() || id.size() > 32 || !hex_ok) {
      return absl::InvalidArgumentError(absl::StrCat(
          "profile keys: entry ", index,
          " must be <id>:<64 hex digits> (a 256-bit key), id at most 32 "
          "characters"));
    }
    if (cipher.keys_.contains(id)) {
      return absl::InvalidArgumentError(
          absl::StrCat("profile keys: key id \"", id, "\" is given twice"));
    }
    if (cipher.sealing_key_id_.empty())
      cipher.sealing_key_id_ = std::string(id);
    cipher.keys_.emplace(std::string(id), Secret(absl::HexStringToBytes(hex)));
  }
  if (cipher.keys_.empty()) {
    return absl::InvalidArgumentError("profile keys: none given");
  }
  return cipher;
}

Sealed ProfileCipher::Seal(absl::string_view plaintext,
                           absl::string_view context) const {
  Sealed sealed{.key_id = sealing_key_id_,
                .nonce = std::string(kNonceBytes, '\0'),
                .ciphertext = std::string(plaintext.size() + kTagBytes, '\0')};
  // A random 96-bit nonce per value: far below the 2^32 values per key at
  // which random nonces would risk repeating.
  RAND_bytes(reinterpret_cast<unsigned char*>(sealed.nonce.data()),
             kNonceBytes);
  const CipherContext ctx(EVP_CIPHER_CTX_new());
  int length = 0;
  auto* out = reinterpret_cast<unsigned char*>(sealed.ciphertext.data());
  EVP_EncryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr,
                     Bytes(keys_.at(sealing_key_id_).value()),
                     Bytes(sealed.nonce));
  EVP_EncryptUpdate(ctx.get(), nullptr, &length, Bytes(context),
                    static_cast<int>(context.size()));
  EVP_EncryptUpdate(ctx.get(), out, &length, Bytes(plaintext),
                    static_cast<int>(plaintext.size()));
  EVP_EncryptFinal_ex(ctx.get(), out + length, &length);
  EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_GET_TAG, kTagBytes,
                      out + plaintext.size());
  return sealed;
}

absl::StatusOr<std::string> ProfileCipher::Open(
    const Sealed& sealed, absl::string_view context) const {
  const auto key = keys_.find(sealed.key_id);
  if (key == keys_.end()) {
    return absl::FailedPreconditionError(
        absl::StrCat("a profile value is sealed with key \"", sealed.key_id,
                     "\", which is no longer among the profile keys"));
  }
  if (sealed.nonce.size() != kNonceBytes ||
      sealed.ciphertext.size() < kTagBytes) {
    return absl::DataLossError("a sealed profile value is malformed");
  }
  const size_t size = sealed.ciphertext.size() - kTagBytes;
  std::string plaintext(size, '\0');
  const CipherContext ctx(EVP_CIPHER_CTX_new());
  int length = 0;
  auto* out = reinterpret_cast<unsigned char*>(plaintext.data());
  EVP_DecryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr,
                     Bytes(key->second.value()), Bytes(sealed.nonce));
  EVP_DecryptUpdate(ctx.get(), nullptr, &length, Bytes(context),
                    static_cast<int>(context.size()));
  EVP_DecryptUpdate(ctx.get(), out, &length, Bytes(sealed.ciphertext),
                    static_cast<int>(size));
  std::string tag = sealed.ciphertext.substr(size);
  EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_TAG, kTagBytes, tag.data());
  if (EVP_DecryptFinal_ex(ctx.get(), out + length, &length) != 1) {
    return absl::DataLossError(
        "a sealed profile value does not open: altered, or moved from "
        "another row");
  }
  return plaintext;
}

}  // namespace chainsync::oracle
