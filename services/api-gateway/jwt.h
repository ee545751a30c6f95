#pragma once

// Bearer tokens: JSON Web Tokens signed with HS256 (a shared secret) or
// RS256 (public keys from a JWKS file). `sub` is the caller's account
// address; a `role` claim of "admin" (or "admin" in a `roles` array) grants
// the admin routes.

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "libs/common/clock.h"
#include "libs/common/config/secret.h"

namespace chainsync::gateway {

// Identity is who a verified token speaks for.
struct Identity {
  std::string subject;
  bool admin = false;
};

struct JwtOptions {
  // HS256: the shared secret; empty turns HS256 off.
  Secret hs256_secret;
  // RS256: the contents of a JWKS document ({"keys": [...]}); empty turns
  // RS256 off.
  std::string jwks_json;
  // When set, a token's `iss` must equal `issuer`, and its `aud` (a string
  // or an array of them) must name `audience`.
  std::string issuer;
  std::string audience;
  // Allowed clock skew for `exp` and `nbf`.
  absl::Duration leeway = absl::Seconds(30);
  Clock* clock = &SystemClock();
};

class JwtVerifier {
 public:
  // Create refuses a configuration with neither algorithm, and a JWKS
  // document without a usable RSA key, naming the problem.
  static absl::StatusOr<std::unique_ptr<JwtVerifier>> Create(
      JwtOptions options);
  ~JwtVerifier();

  // Verify checks a token's signature, `exp` and `nbf`, and returns its
  // identity; UNAUTHENTICATED saying what is wrong.
  absl::StatusOr<Identity> Verify(absl::string_view token) const;

 private:
  struct RsaKey;
  explicit JwtVerifier(JwtOptions options);

  JwtOptions options_;
  std::vector<RsaKey> rsa_keys_;
};

// Base64Url encodes without padding, as JWTs do.
std::string Base64Url(absl::string_view bytes);

// SignHs256 makes an HS256 token of a JSON claims object, for tools and
// tests that issue tokens the gateway accepts.
std::string SignHs256(absl::string_view claims_json, const Secret& secret);

}  // namespace chainsync::gateway
