#pragma once

// ProfileCipher seals the personal data the oracle keeps (an account's
// e-mail, its addresses' labels) with AES-256-GCM before it reaches
// Postgres. Each sealed value names the key that sealed it, so that keys can
// be rotated: new values take the first key, old ones open with theirs. The
// additional data binds a value to its row and field, so that a sealed value
// moved to another row does not open.

#include <map>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "libs/common/config/secret.h"

namespace chainsync::oracle {

struct Sealed {
  std::string key_id;
  std::string nonce;       // 12 bytes
  std::string ciphertext;  // the plaintext's length, then the 16-byte tag
};

class ProfileCipher {
 public:
  // FromSecret reads keys written "<id>:<64 hex digits>", separated by
  // commas or newlines; the first seals. INVALID_ARGUMENT says which entry
  // is malformed, never the key.
  static absl::StatusOr<ProfileCipher> FromSecret(const Secret& secret);

  const std::string& sealing_key_id() const { return sealing_key_id_; }

  Sealed Seal(absl::string_view plaintext, absl::string_view context) const;
  // Open is FAILED_PRECONDITION for a key no longer configured and
  // DATA_LOSS for a value that was altered or belongs elsewhere.
  absl::StatusOr<std::string> Open(const Sealed& sealed,
                                   absl::string_view context) const;

 private:
  ProfileCipher() = default;

  std::string sealing_key_id_;
  std::map<std::string, Secret, std::less<>> keys_;
};

}  // namespace chainsync::oracle
