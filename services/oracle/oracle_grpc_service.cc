#include "services/oracle/oracle_grpc_service.h"

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "libs/common/grpc_status.h"
#include "libs/common/logging/log.h"
#include "libs/common/status.h"

namespace chainsync::oracle {
namespace {

constexpr size_t kMaxLabelBytes = 100;
constexpr size_t kMaxEmailBytes = 254;

v1::BitcoinNetwork NetworkOf(bitcoin::Network network) {
  switch (network) {
    case bitcoin::Network::kMainnet:
      return v1::BITCOIN_NETWORK_MAINNET;
    case bitcoin::Network::kTestnet:
      return v1::BITCOIN_NETWORK_TESTNET;
    case bitcoin::Network::kRegtest:
      return v1::BITCOIN_NETWORK_REGTEST;
  }
  return v1::BITCOIN_NETWORK_UNSPECIFIED;
}

v1::BitcoinAddressType TypeOf(bitcoin::AddressType type) {
  switch (type) {
    case bitcoin::AddressType::kP2pkh:
      return v1::BITCOIN_ADDRESS_TYPE_P2PKH;
    case bitcoin::AddressType::kP2sh:
      return v1::BITCOIN_ADDRESS_TYPE_P2SH;
    case bitcoin::AddressType::kP2wpkh:
      return v1::BITCOIN_ADDRESS_TYPE_P2WPKH;
    case bitcoin::AddressType::kP2wsh:
      return v1::BITCOIN_ADDRESS_TYPE_P2WSH;
    case bitcoin::AddressType::kP2tr:
      return v1::BITCOIN_ADDRESS_TYPE_P2TR;
  }
  return v1::BITCOIN_ADDRESS_TYPE_UNSPECIFIED;
}

v1::BitcoinAddress AddressMessage(const AddressRecord& record) {
  v1::BitcoinAddress message;
  message.set_bitcoin_address(record.bitcoin_address);
  message.set_address(record.account.ToChecksumHex());
  message.set_network(NetworkOf(record.network));
  message.set_address_type(TypeOf(record.type));
  message.set_proof_kind(record.proof_kind == bitcoin::ProofKind::kLegacy
                             ? v1::OWNERSHIP_PROOF_KIND_LEGACY
                             : v1::OWNERSHIP_PROOF_KIND_BIP322_SIMPLE);
  message.mutable_verify_time()->set_seconds(
      absl::ToUnixSeconds(record.verified_at));
  message.set_monitored(record.monitored);
  message.set_confirmed_balance_sats("0");
  message.set_mempool_balance_sats("0");
  message.set_label(record.label);
  return message;
}

absl::Status CheckText(absl::string_view field, absl::string_view value,
                       size_t max_bytes) {
  if (value.size() > max_bytes) {
    return absl::InvalidArgumentError(absl::StrCat(
        field, ": at most ", max_bytes, " bytes, got ", value.size()));
  }
  for (const char c : value) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) {
      return absl::InvalidArgumentError(
          absl::StrCat(field, ": must not hold control characters"));
    }
  }
  return absl::OkStatus();
}

absl::Status CheckEmail(absl::string_view email) {
  if (absl::Status text = CheckText("email", email, kMaxEmailBytes);
      !text.ok()) {
    return text;
  }
  const size_t at = email.find('@');
  if (!email.empty() &&
      (at == 0 || at == absl::string_view::npos || at + 1 == email.size() ||
       email.find('@', at + 1) != absl::string_view::npos ||
       email.find(' ') != absl::string_view::npos)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "email: ", QuoteValue(email), " is not an e-mail address"));
  }
  return absl::OkStatus();
}

}  // namespace

OracleGrpcService::OracleGrpcService(std::shared_ptr<AccountStore> accounts,
                                     ProofRules rules, PageTokens page_tokens,
                                     Clock& clock, metrics::Registry& registry)
    : accounts_(std::move(accounts)),
      rules_(rules),
      page_tokens_(std::move(page_tokens)),
      clock_(clock),
      registrations_(registry.AddCounter(
          "chainsync_oracle_registrations_total",
          "Bitcoin address registrations, by outcome (a canonical code).",
          {"code"})) {}

absl::StatusOr<v1::BitcoinAddress> OracleGrpcService::Register(
    const v1::RegisterBitcoinAddressRequest& request) {
  if (absl::Status label = CheckText("label", request.label(), kMaxLabelBytes);
      !label.ok()) {
    return label;
  }
  if (absl::Status email = CheckEmail(request.email()); !email.ok()) {
    return email;
  }
  ProofClaim claim{.account = request.address(),
                   .bitcoin_address = request.bitcoin_address(),
                   .message = request.message(),
                   .signature = request.signature()};
  if (request.proof_kind() == v1::OWNERSHIP_PROOF_KIND_LEGACY) {
    claim.kind = bitcoin::ProofKind::kLegacy;
  } else if (request.proof_kind() == v1::OWNERSHIP_PROOF_KIND_BIP322_SIMPLE) {
    claim.kind = bitcoin::ProofKind::kBip322Simple;
  }
  absl::StatusOr<VerifiedProof> proof =
      VerifyProof(claim, rules_, clock_.Now());
  if (!proof.ok()) return proof.status();
  absl::StatusOr<AddressRecord> record =
      accounts_->Register({.proof = *proof,
                           .message = request.message(),
                           .signature = request.signature(),
                           .label = request.label(),
                           .email = request.email()});
  if (!record.ok()) return record.status();
  log::Info("bitcoin address registered",
            {{"account", record->account.ToChecksumHex()},
             {"bitcoin_address", record->bitcoin_address},
             {"proof_kind",
              request.proof_kind() == v1::OWNERSHIP_PROOF_KIND_UNSPECIFIED
                  ? "detected"
                  : v1::OwnershipProofKind_Name(request.proof_kind())}});
  return AddressMessage(*record);
}

grpc::ServerUnaryReactor* OracleGrpcService::RegisterBitcoinAddress(
    grpc::CallbackServerContext* context,
    const v1::RegisterBitcoinAddressRequest* request,
    v1::BitcoinAddress* response) {
  absl::StatusOr<v1::BitcoinAddress> result = Register(*request);
  registrations_
      .WithLabels(
          {std::string(absl::StatusCodeToString(result.status().code()))})
      .Increment();
  return Reply(context, std::move(result), response);
}

absl::StatusOr<v1::ListBitcoinAddressesResponse> OracleGrpcService::List(
    const v1::ListBitcoinAddressesRequest& request) {
  absl::StatusOr<evm::Address> account =
      evm::Address::Parse(request.address(), "address");
  if (!account.ok()) return account.status();
  absl::StatusOr<int> size = PageSize(request.page_size(), 50, 500);
  if (!size.ok()) return size.status();
  int64_t after = 0;
  if (!request.page_token().empty()) {
    absl::StatusOr<std::vector<std::string>> fields =
        page_tokens_.Decode(request.page_token(), 2);
    if (!fields.ok()) return fields.status();
    // A token names the account it pages, so that it cannot page another.
    if ((*fields)[0] != account->ToLowerHex() ||
        !absl::SimpleAtoi((*fields)[1], &after)) {
      return absl::InvalidArgumentError(
          "page_token is not a token of this list");
    }
  }
  absl::StatusOr<std::vector<AddressRecord>> records =
      accounts_->List(*account, after, *size + 1);
  if (!records.ok()) return records.status();
  v1::ListBitcoinAddressesResponse response;
  for (size_t i = 0; i < records->size() && i < static_cast<size_t>(*size);
       ++i) {
    *response.add_bitcoin_addresses() = AddressMessage((*records)[i]);
  }
  if (records->size() > static_cast<size_t>(*size)) {
    response.set_next_page_token(page_tokens_.Encode(
        {account->ToLowerHex(), absl::StrCat((*records)[*size - 1].sequence)}));
  }
  return response;
}

grpc::ServerUnaryReactor* OracleGrpcService::ListBitcoinAddresses(
    grpc::CallbackServerContext* context,
    const v1::ListBitcoinAddressesRequest* request,
    v1::ListBitcoinAddressesResponse* response) {
  return Reply(context, List(*request), response);
}

grpc::ServerUnaryReactor* OracleGrpcService::RemoveBitcoinAddress(
    grpc::CallbackServerContext* context,
    const v1::RemoveBitcoinAddressRequest* request,
    v1::RemoveBitcoinAddressResponse* response) {
  absl::StatusOr<evm::Address> account =
      evm::Address::Parse(request->address(), "address");
  if (!account.ok()) return Reply(context, account.status());
  if (request->bitcoin_address().empty()) {
    return Reply(context,
                 absl::InvalidArgumentError("bitcoin_address is required"));
  }
  // Stored as parsed: bech32 in lower case.
  absl::StatusOr<bitcoin::Address> address =
      bitcoin::Address::Parse(request->bitcoin_address());
  if (!address.ok()) return Reply(context, address.status());
  absl::StatusOr<std::vector<AddressRecord>> left =
      accounts_->Remove(*account, address->text);
  if (!left.ok()) return Reply(context, left.status());
  log::Info("bitcoin address removed", {{"account", account->ToChecksumHex()},
                                        {"bitcoin_address", address->text}});
  for (const AddressRecord& record : *left) {
    *response->add_bitcoin_addresses() = AddressMessage(record);
  }
  return Reply(context, absl::OkStatus());
}

}  // namespace chainsync::oracle
