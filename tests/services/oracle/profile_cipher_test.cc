// Profile fields sealed with AES-256-GCM: bound to their row, rotatable.
#include "services/oracle/profile_cipher.h"

#include <catch2/catch.hpp>

#include "absl/strings/match.h"

namespace chainsync::oracle {
namespace {

const std::string kOld =
    "old:000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";
const std::string kNew =
    "new:1f1e1d1c1b1a191817161514131211100f0e0d0c0b0a09080706050403020100";

TEST_CASE("a sealed value opens only in its own place", "[oracle]") {
  const ProfileCipher cipher = *ProfileCipher::FromSecret(Secret(kOld));
  const Sealed sealed = cipher.Seal("alice@example.com", "email:0xabc");
  CHECK(sealed.key_id == "old");
  CHECK(sealed.nonce.size() == 12);
  CHECK(sealed.ciphertext.find("alice") == std::string::npos);
  CHECK(*cipher.Open(sealed, "email:0xabc") == "alice@example.com");
  // Moved to another row, or altered, it does not open.
  CHECK(absl::IsDataLoss(cipher.Open(sealed, "email:0xdef").status()));
  Sealed altered = sealed;
  altered.ciphertext[0] ^= 1;
  CHECK(absl::IsDataLoss(cipher.Open(altered, "email:0xabc").status()));
  // The same value sealed twice differs: a fresh nonce each time.
  CHECK(cipher.Seal("alice@example.com", "email:0xabc").ciphertext !=
        sealed.ciphertext);
}

TEST_CASE("keys rotate: new values take the first key, old ones still open",
          "[oracle]") {
  const Sealed old = ProfileCipher::FromSecret(Secret(kOld))->Seal("x", "c");
  const ProfileCipher rotated =
      *ProfileCipher::FromSecret(Secret(kNew + "," + kOld));
  CHECK(rotated.sealing_key_id() == "new");
  CHECK(*rotated.Open(old, "c") == "x");
  CHECK(rotated.Seal("y", "c").key_id == "new");
  // A key that was dropped names itself.
  const auto dropped =
      ProfileCipher::FromSecret(Secret(kNew))->Open(old, "c").status();
  CHECK(absl::IsFailedPrecondition(dropped));
  CHECK(absl::StrContains(dropped.message(), "\"old\""));
}

TEST_CASE("malformed keys are refused without quoting them", "[oracle]") {
  for (const std::string text :
       {std::string(""), std::string("nokey"), std::string("id:abcd"),
        kOld + "," + kOld, "id:" + std::string(64, 'z')}) {
    const auto cipher = ProfileCipher::FromSecret(Secret(text));
    REQUIRE_FALSE(cipher.ok());
    CHECK(absl::IsInvalidArgument(cipher.status()));
    CHECK_FALSE(absl::StrContains(cipher.status().message(), "0001020304"));
  }
}

}  // namespace
}  // namespace chainsync::oracle
