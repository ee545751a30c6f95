#include "services/oracle/ownership_proof.h"

#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "libs/common/status.h"

namespace chainsync::oracle {
namespace {

constexpr absl::string_view kTitle =
    "chainsync: prove Bitcoin address ownership";
constexpr absl::string_view kAddressLine = "Bitcoin address: ";
constexpr absl::string_view kAccountLine = "Account: ";
constexpr absl::string_view kIssuedLine = "Issued at: ";
constexpr char kTimeFormat[] = "%Y-%m-%d%ET%H:%M:%SZ";

absl::Status Invalid(absl::string_view what) {
  return absl::InvalidArgumentError(absl::StrCat("message: ", what));
}

}  // namespace

std::string ProofMessage(absl::string_view bitcoin_address,
                         const evm::Address& account, absl::Time issued) {
  return absl::StrCat(
      kTitle, "\n", kAddressLine, bitcoin_address, "\n", kAccountLine,
      account.ToChecksumHex(), "\n", kIssuedLine,
      absl::FormatTime(kTimeFormat, issued, absl::UTCTimeZone()));
}

absl::StatusOr<VerifiedProof> VerifyProof(const ProofClaim& claim,
                                          const ProofRules& rules,
                                          absl::Time now) {
  absl::StatusOr<evm::Address> account = evm::Address::Parse(claim.account);
  if (!account.ok()) return account.status();
  absl::StatusOr<bitcoin::Address> address =
      bitcoin::Address::Parse(claim.bitcoin_address, rules.network);
  if (!address.ok()) return address.status();
  if (claim.signature.empty()) {
    return absl::InvalidArgumentError("signature: required");
  }

  const std::vector<absl::string_view> lines =
      absl::StrSplit(claim.message, '\n');
  if (lines.size() != 4 || lines[0] != kTitle ||
      !absl::StartsWith(lines[1], kAddressLine) ||
      !absl::StartsWith(lines[2], kAccountLine) ||
      !absl::StartsWith(lines[3], kIssuedLine)) {
    return Invalid(
        "must be the four lines \"chainsync: prove Bitcoin address "
        "ownership\", \"Bitcoin address: ...\", \"Account: ...\" and "
        "\"Issued at: ...\", separated by \\n");
  }
  const absl::string_view named_address = lines[1].substr(kAddressLine.size());
  if (named_address != claim.bitcoin_address) {
    return Invalid(absl::StrCat("names Bitcoin address ",
                                QuoteValue(named_address), ", not ",
                                QuoteValue(claim.bitcoin_address)));
  }
  const absl::string_view named_account = lines[2].substr(kAccountLine.size());
  if (absl::AsciiStrToLower(named_account) != account->ToLowerHex()) {
    return Invalid(absl::StrCat("names account ", QuoteValue(named_account),
                                ", not ", account->ToChecksumHex()));
  }
  absl::Time issued;
  std::string error;
  if (!absl::ParseTime(kTimeFormat, lines[3].substr(kIssuedLine.size()),
                       absl::UTCTimeZone(), &issued, &error)) {
    return Invalid(absl::StrCat("\"Issued at\" must be a UTC time such as ",
                                "2026-12-05T07:40:00Z"));
  }
  if (issued < now - rules.max_age) {
    return Invalid(
        absl::StrCat("issued at ",
                     absl::FormatTime(kTimeFormat, issued, absl::UTCTimeZone()),
                     ", more than ", absl::FormatDuration(rules.max_age),
                     " ago; sign a new one"));
  }
  if (issued > now + rules.max_skew) {
    return Invalid(
        absl::StrCat("issued at ",
                     absl::FormatTime(kTimeFormat, issued, absl::UTCTimeZone()),
                     ", in the future; check the wallet's clock"));
  }
  absl::StatusOr<bitcoin::ProofKind> kind =
      bitcoin::VerifyMessage(*address, claim.message, claim.signature);
  if (!kind.ok()) return kind.status();
  if (claim.kind.has_value() && *claim.kind != *kind) {
    return absl::InvalidArgumentError(absl::StrCat(
        "proof_kind: the signature is ",
        *kind == bitcoin::ProofKind::kLegacy ? "a legacy signed message"
                                             : "a BIP-322 simple signature",
        ", not the kind named"));
  }
  return VerifiedProof{.account = *account,
                       .address = *std::move(address),
                       .kind = *kind,
                       .issued = issued};
}

}  // namespace chainsync::oracle
