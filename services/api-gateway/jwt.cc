#include "services/api-gateway/jwt.h"

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/param_build.h>

#include <cmath>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "simdjson.h"

namespace chainsync::gateway {
namespace {

absl::Status Unauthenticated(absl::string_view why) {
  return absl::UnauthenticatedError(absl::StrCat("bearer token: ", why));
}

std::string Text(simdjson::dom::element object, const char* key) {
  std::string_view value;
  return object[key].get(value) == simdjson::SUCCESS ? std::string(value)
                                                     : std::string();
}

// Hs256 is the HMAC-SHA256 of `data`.
std::string Hs256(absl::string_view data, const Secret& secret) {
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  HMAC(EVP_sha256(), secret.value().data(),
       static_cast<int>(secret.value().size()),
       reinterpret_cast<const unsigned char*>(data.data()), data.size(), mac,
       &length);
  return std::string(reinterpret_cast<const char*>(mac), length);
}

}  // namespace

std::string Base64Url(absl::string_view bytes) {
  std::string out;
  absl::WebSafeBase64Escape(bytes, &out);
  return out;
}

std::string SignHs256(absl::string_view claims_json, const Secret& secret) {
  const std::string signed_part = absl::StrCat(
      Base64Url(R"({"alg":"HS256","typ":"JWT"})"), ".", Base64Url(claims_json));
  return absl::StrCat(signed_part, ".", Base64Url(Hs256(signed_part, secret)));
}

struct JwtVerifier::RsaKey {
  std::string kid;
  std::shared_ptr<EVP_PKEY> key;
};

JwtVerifier::JwtVerifier(JwtOptions options) : options_(std::move(options)) {}
JwtVerifier::~JwtVerifier() = default;

absl::StatusOr<std::unique_ptr<JwtVerifier>> JwtVerifier::Create(
    JwtOptions options) {
  if (options.hs256_secret.empty() && options.jwks_json.empty()) {
    return absl::InvalidArgumentError(
        "no way to verify tokens: set the HS256 secret or a JWKS file");
  }
  std::unique_ptr<JwtVerifier> verifier(new JwtVerifier(std::move(options)));
  if (verifier->options_.jwks_json.empty()) return verifier;
  simdjson::dom::parser parser;
  simdjson::dom::array keys;
  if (parser.parse(verifier->options_.jwks_json)["keys"].get(keys) !=
      simdjson::SUCCESS) {
    return absl::InvalidArgumentError("JWKS: not a {\"keys\": [...]} document");
  }
  for (simdjson::dom::element jwk : keys) {
    if (Text(jwk, "kty") != "RSA") continue;
    std::string n, e;
    if (!absl::WebSafeBase64Unescape(Text(jwk, "n"), &n) ||
        !absl::WebSafeBase64Unescape(Text(jwk, "e"), &e) || n.empty() ||
        e.empty()) {
      return absl::InvalidArgumentError(absl::StrCat(
          "JWKS: key \"", Text(jwk, "kid"), "\" has no valid n and e"));
    }
    std::unique_ptr<OSSL_PARAM_BLD, decltype(&OSSL_PARAM_BLD_free)> build(
        OSSL_PARAM_BLD_new(), OSSL_PARAM_BLD_free);
    std::unique_ptr<BIGNUM, decltype(&BN_free)> modulus(
        BN_bin2bn(reinterpret_cast<const unsigned char*>(n.data()),
                  static_cast<int>(n.size()), nullptr),
        BN_free);
    std::unique_ptr<BIGNUM, decltype(&BN_free)> exponent(
        BN_bin2bn(reinterpret_cast<const unsigned char*>(e.data()),
                  static_cast<int>(e.size()), nullptr),
        BN_free);
    OSSL_PARAM_BLD_push_BN(build.get(), OSSL_PKEY_PARAM_RSA_N, modulus.get());
    OSSL_PARAM_BLD_push_BN(build.get(), OSSL_PKEY_PARAM_RSA_E, exponent.get());
    std::unique_ptr<OSSL_PARAM, decltype(&OSSL_PARAM_free)> params(
        OSSL_PARAM_BLD_to_param(build.get()), OSSL_PARAM_free);
    std::unique_ptr<EVP_PKEY_CTX, decltype(&EVP_PKEY_CTX_free)> context(
        EVP_PKEY_CTX_new_from_name(nullptr, "RSA", nullptr), EVP_PKEY_CTX_free);
    EVP_PKEY* key = nullptr;
    if (context == nullptr || EVP_PKEY_fromdata_init(context.get()) != 1 ||
        EVP_PKEY_fromdata(context.get(), &key, EVP_PKEY_PUBLIC_KEY,
                          params.get()) != 1) {
      return absl::InvalidArgumentError(absl::StrCat(
          "JWKS: key \"", Text(jwk, "kid"), "\" is not a usable RSA key"));
    }
    verifier->rsa_keys_.push_back(
        {Text(jwk, "kid"), std::shared_ptr<EVP_PKEY>(key, EVP_PKEY_free)});
  }
  if (verifier->rsa_keys_.empty()) {
    return absl::InvalidArgumentError("JWKS: no RSA key");
  }
  return verifier;
}

absl::StatusOr<Identity> JwtVerifier::Verify(absl::string_view token) const {
  const std::vector<absl::string_view> parts = absl::StrSplit(token, '.');
  if (parts.size() != 3) {
    return Unauthenticated("not a JWT (three dot-separated parts)");
  }
  std::string header_json, payload_json, signature;
  if (!absl::WebSafeBase64Unescape(parts[0], &header_json) ||
      !absl::WebSafeBase64Unescape(parts[1], &payload_json) ||
      !absl::WebSafeBase64Unescape(parts[2], &signature)) {
    return Unauthenticated("a part is not base64url");
  }
  simdjson::dom::parser header_parser;
  simdjson::dom::element header;
  if (header_parser.parse(header_json).get(header) != simdjson::SUCCESS) {
    return Unauthenticated("the header is not JSON");
  }
  const std::string alg = Text(header, "alg");
  const std::string signed_part =
      absl::StrCat(parts[0], ".", parts[1]);  // what the signature covers
  if (alg == "HS256" && !options_.hs256_secret.empty()) {
    const std::string mac = Hs256(signed_part, options_.hs256_secret);
    if (signature.size() != mac.size() ||
        CRYPTO_memcmp(mac.data(), signature.data(), mac.size()) != 0) {
      return Unauthenticated("bad signature");
    }
  } else if (alg == "RS256" && !rsa_keys_.empty()) {
    const std::string kid = Text(header, "kid");
    bool verified = false;
    for (const RsaKey& key : rsa_keys_) {
      if (!kid.empty() && key.kid != kid) continue;
      std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> context(
          EVP_MD_CTX_new(), EVP_MD_CTX_free);
      verified = EVP_DigestVerifyInit(context.get(), nullptr, EVP_sha256(),
                                      nullptr, key.key.get()) == 1 &&
                 EVP_DigestVerify(
                     context.get(),
                     reinterpret_cast<const unsigned char*>(signature.data()),
                     signature.size(),
                     reinterpret_cast<const unsigned char*>(signed_part.data()),
                     signed_part.size()) == 1;
      if (verified) break;
    }
    if (!verified) return Unauthenticated("bad signature");
  } else {
    return Unauthenticated(
        absl::StrCat("algorithm \"", alg, "\" not accepted"));
  }

  simdjson::dom::parser payload_parser;
  simdjson::dom::element claims;
  if (payload_parser.parse(payload_json).get(claims) != simdjson::SUCCESS ||
      !claims.is_object()) {
    return Unauthenticated("the claims are not a JSON object");
  }
  const absl::Time now = options_.clock->Now();
  double exp = 0;
  if (claims["exp"].get(exp) != simdjson::SUCCESS) {
    return Unauthenticated("no exp claim");
  }
  if (absl::FromUnixSeconds(static_cast<int64_t>(std::floor(exp))) +
          options_.leeway <
      now) {
    return Unauthenticated("expired");
  }
  double nbf = 0;
  if (claims["nbf"].get(nbf) == simdjson::SUCCESS &&
      absl::FromUnixSeconds(static_cast<int64_t>(std::floor(nbf))) >
          now + options_.leeway) {
    return Unauthenticated("not valid yet (nbf)");
  }
  if (!options_.issuer.empty() && Text(claims, "iss") != options_.issuer) {
    return Unauthenticated("not issued by the configured issuer (iss)");
  }
  if (!options_.audience.empty()) {
    bool named = Text(claims, "aud") == options_.audience;
    simdjson::dom::array audiences;
    if (claims["aud"].get(audiences) == simdjson::SUCCESS) {
      for (simdjson::dom::element audience : audiences) {
        std::string_view name;
        named = named || (audience.get(name) == simdjson::SUCCESS &&
                          name == options_.audience);
      }
    }
    if (!named) return Unauthenticated("not meant for this API (aud)");
  }
  Identity identity;
  identity.subject = Text(claims, "sub");
  if (identity.subject.empty()) return Unauthenticated("no sub claim");
  identity.admin = Text(claims, "role") == "admin";
  simdjson::dom::array roles;
  if (claims["roles"].get(roles) == simdjson::SUCCESS) {
    for (simdjson::dom::element role : roles) {
      std::string_view name;
      identity.admin = identity.admin ||
                       (role.get(name) == simdjson::SUCCESS && name == "admin");
    }
  }
  return identity;
}

}  // namespace chainsync::gateway
