#pragma once

// Signed bearer tokens for the gateway's tests.

#include <string>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "services/api-gateway/jwt.h"

namespace chainsync::gateway {

inline constexpr char kJwtSecret[] = "gateway-test-secret";

// SignHs256 makes an HS256 JWT of a claims object.
inline std::string SignHs256(const std::string& claims,
                             const std::string& secret = kJwtSecret) {
  return SignHs256(claims, Secret(secret));
}

// Token is an HS256 JWT for `subject`, with `role` when not empty, expiring
// at `expires`.
inline std::string Token(const std::string& subject, const std::string& role,
                         absl::Time expires,
                         const std::string& secret = kJwtSecret) {
  return SignHs256(
      absl::StrCat(
          R"({"sub":")", subject, R"(","exp":)", absl::ToUnixSeconds(expires),
          role.empty() ? "" : absl::StrCat(R"(,"role":")", role, "\""), "}"),
      secret);
}

}  // namespace chainsync::gateway
