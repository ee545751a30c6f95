// Bearer token verification: signatures, algorithms, time claims and roles.
#include "services/api-gateway/jwt.h"

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/rsa.h>

#include <catch2/catch.hpp>

#include "absl/strings/match.h"
#include "tests/services/api-gateway/tokens.h"
#include "tests/support/fake_clock.h"

namespace chainsync::gateway {
namespace {

std::unique_ptr<JwtVerifier> Hs256Verifier(Clock& clock) {
  auto verifier = JwtVerifier::Create(
      {.hs256_secret = Secret(kJwtSecret), .clock = &clock});
  REQUIRE(verifier.ok());
  return *std::move(verifier);
}

std::string Claims(absl::Time exp, const std::string& extra = "") {
  return absl::StrCat(R"({"sub":"0xabc","exp":)", absl::ToUnixSeconds(exp),
                      extra, "}");
}

TEST_CASE("a configured issuer and audience are required", "[gateway]") {
  testing::FakeClock clock;
  const auto verifier =
      *JwtVerifier::Create({.hs256_secret = Secret(kJwtSecret),
                            .issuer = "https://auth.example",
                            .audience = "chainsync",
                            .clock = &clock});
  const absl::Time exp = clock.Now() + absl::Minutes(1);
  const auto verify = [&](const std::string& extra) {
    return verifier->Verify(SignHs256(Claims(exp, extra)));
  };
  CHECK(verify(R"(,"iss":"https://auth.example","aud":"chainsync")").ok());
  CHECK(verify(R"(,"iss":"https://auth.example","aud":["web","chainsync"])")
            .ok());
  const auto missing_audience = verify(R"(,"iss":"https://auth.example")");
  REQUIRE(absl::IsUnauthenticated(missing_audience.status()));
  CHECK(absl::StrContains(missing_audience.status().message(), "aud"));
  const auto other_issuer =
      verify(R"(,"iss":"https://evil.example","aud":"chainsync")");
  REQUIRE(absl::IsUnauthenticated(other_issuer.status()));
  CHECK(absl::StrContains(other_issuer.status().message(), "iss"));
  CHECK_FALSE(verify(R"(,"iss":"https://auth.example","aud":["web"])").ok());
}

TEST_CASE("HS256 tokens are checked for signature, time and claims",
          "[gateway]") {
  testing::FakeClock clock;
  const auto verifier = Hs256Verifier(clock);
  const absl::Time now = clock.Now();

  auto identity = verifier->Verify(SignHs256(Claims(now + absl::Minutes(1))));
  REQUIRE(identity.ok());
  CHECK(identity->subject == "0xabc");
  CHECK(!identity->admin);
  CHECK(verifier
            ->Verify(
                SignHs256(Claims(now + absl::Minutes(1), R"(,"role":"admin")")))
            ->admin);
  CHECK(verifier
            ->Verify(SignHs256(
                Claims(now + absl::Minutes(1), R"(,"roles":["user","admin"])")))
            ->admin);

  const auto refused = [&](const std::string& token, const char* why) {
    const auto result = verifier->Verify(token);
    INFO(token << ": " << result.status());
    CHECK(absl::IsUnauthenticated(result.status()));
    CHECK(absl::StrContains(result.status().message(), why));
  };
  // Within the leeway of 30 s an expired token still passes; not after.
  CHECK(verifier->Verify(SignHs256(Claims(now - absl::Seconds(20)))).ok());
  refused(SignHs256(Claims(now - absl::Seconds(40))), "expired");
  refused(SignHs256(Claims(
              now + absl::Minutes(1),
              absl::StrCat(R"(,"nbf":)",
                           absl::ToUnixSeconds(now + absl::Minutes(1))))),
          "not valid yet");
  refused(SignHs256(Claims(now + absl::Minutes(1)), "another secret"),
          "bad signature");
  refused(SignHs256(R"({"sub":"0xabc"})"), "no exp");
  refused(SignHs256(absl::StrCat(
              R"({"exp":)", absl::ToUnixSeconds(now + absl::Minutes(1)), "}")),
          "no sub");
  refused("abc", "three");
  refused("a.b!.c", "base64url");
  // An unsigned token ("alg": "none") is never accepted.
  refused(absl::StrCat(Base64Url(R"({"alg":"none"})"), ".",
                       Base64Url(Claims(now + absl::Minutes(1))), "."),
          "\"none\" not accepted");
  // Nor is a token signed with an algorithm the gateway was not given.
  refused(absl::StrCat(Base64Url(R"({"alg":"RS256"})"), ".",
                       Base64Url(Claims(now + absl::Minutes(1))), ".c2ln"),
          "\"RS256\" not accepted");
}

// An RSA key pair, its public half as a JWKS document, and RS256 signing.
struct RsaSigner {
  RsaSigner() : key(EVP_RSA_gen(2048), EVP_PKEY_free) {
    BIGNUM* n = nullptr;
    BIGNUM* e = nullptr;
    REQUIRE(EVP_PKEY_get_bn_param(key.get(), OSSL_PKEY_PARAM_RSA_N, &n) == 1);
    REQUIRE(EVP_PKEY_get_bn_param(key.get(), OSSL_PKEY_PARAM_RSA_E, &e) == 1);
    const auto bytes = [](const BIGNUM* number) {
      std::string out(BN_num_bytes(number), '\0');
      BN_bn2bin(number, reinterpret_cast<unsigned char*>(out.data()));
      return Base64Url(out);
    };
    jwks = absl::StrCat(R"({"keys":[{"kty":"RSA","kid":"k1","n":")", bytes(n),
                        R"(","e":")", bytes(e), R"("}]})");
    BN_free(n);
    BN_free(e);
  }

  std::string Sign(const std::string& claims) const {
    const std::string signed_part = absl::StrCat(
        Base64Url(R"({"alg":"RS256","kid":"k1"})"), ".", Base64Url(claims));
    std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> context(
        EVP_MD_CTX_new(), EVP_MD_CTX_free);
    size_t length = 0;
    REQUIRE(EVP_DigestSignInit(context.get(), nullptr, EVP_sha256(), nullptr,
                               key.get()) == 1);
    REQUIRE(EVP_DigestSign(
                context.get(), nullptr, &length,
                reinterpret_cast<const unsigned char*>(signed_part.data()),
                signed_part.size()) == 1);
    std::string signature(length, '\0');
    REQUIRE(EVP_DigestSign(
                context.get(),
                reinterpret_cast<unsigned char*>(signature.data()), &length,
                reinterpret_cast<const unsigned char*>(signed_part.data()),
                signed_part.size()) == 1);
    signature.resize(length);
    return absl::StrCat(signed_part, ".", Base64Url(signature));
  }

  std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)> key;
  std::string jwks;
};

TEST_CASE("RS256 tokens are checked against the JWKS keys", "[gateway]") {
  testing::FakeClock clock;
  const RsaSigner signer;
  auto verifier =
      JwtVerifier::Create({.jwks_json = signer.jwks, .clock = &clock});
  REQUIRE(verifier.ok());
  const std::string claims = Claims(clock.Now() + absl::Minutes(1));
  const auto identity = (*verifier)->Verify(signer.Sign(claims));
  REQUIRE(identity.ok());
  CHECK(identity->subject == "0xabc");

  const RsaSigner stranger;
  CHECK(absl::IsUnauthenticated(
      (*verifier)->Verify(stranger.Sign(claims)).status()));
  // HS256 is off without a secret: a token signed with some secret fails.
  CHECK(
      absl::IsUnauthenticated((*verifier)->Verify(SignHs256(claims)).status()));
}

TEST_CASE("a verifier configuration that cannot work is refused", "[gateway]") {
  CHECK(absl::IsInvalidArgument(JwtVerifier::Create({}).status()));
  CHECK(absl::IsInvalidArgument(
      JwtVerifier::Create({.jwks_json = "[]"}).status()));
  CHECK(absl::IsInvalidArgument(
      JwtVerifier::Create({.jwks_json = R"({"keys":[{"kty":"RSA","n":"!"}]})"})
          .status()));
  CHECK(absl::IsInvalidArgument(
      JwtVerifier::Create({.jwks_json = R"({"keys":[{"kty":"EC"}]})"})
          .status()));
}

}  // namespace
}  // namespace chainsync::gateway
