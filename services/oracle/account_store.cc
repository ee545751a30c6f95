#include "services/oracle/account_store.h"

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "libs/crypto/hashes.h"
#include "services/oracle/sql_values.h"

namespace chainsync::oracle {
namespace {

// The columns AddressFromRow reads, in its order.
constexpr char kAddressColumns[] =
    "bitcoin_address, encode(user_address, 'hex'), network, address_type, "
    "proof_kind, (extract(epoch FROM verified_at) * 1000000)::bigint, "
    "monitored, label_key_id, encode(label_nonce, 'hex'), "
    "encode(label_ciphertext, 'hex'), registered_seq, "
    "coalesce(confirmed_sats, 0), coalesce(pending_sats, 0), (SELECT "
    "(extract(epoch FROM u.checked_at) * 1000000)::bigint FROM oracle.users "
    "u WHERE u.address = user_address)";

constexpr PgStatement kUseProof = {
    "oracle_use_proof",
    "INSERT INTO oracle.used_proofs (message_sha256, bitcoin_address, "
    "user_address) VALUES ($1::bytea, $2, $3::bytea) ON CONFLICT DO NOTHING"};
constexpr PgStatement kAddUser = {
    "oracle_add_user",
    "INSERT INTO oracle.users (address) VALUES ($1::bytea) ON CONFLICT DO "
    "NOTHING"};
constexpr PgStatement kSetEmail = {
    "oracle_set_email",
    "UPDATE oracle.users SET email_key_id = $2, email_nonce = $3::bytea, "
    "email_ciphertext = $4::bytea WHERE address = $1::bytea"};
constexpr PgStatement kEmails = {
    "oracle_emails",
    "SELECT email_key_id, encode(email_nonce, 'hex'), "
    "encode(email_ciphertext, 'hex'), encode(address, 'hex') FROM "
    "oracle.users WHERE address IN (SELECT decode(a, 'hex') FROM "
    "unnest($1::text[]) AS a) AND email_ciphertext IS NOT NULL"};

absl::string_view ProofKindName(bitcoin::ProofKind kind) {
  return kind == bitcoin::ProofKind::kLegacy ? "legacy" : "bip322_simple";
}

std::string LabelContext(absl::string_view bitcoin_address,
                         const evm::Address& account) {
  return absl::StrCat("label:", bitcoin_address, ":", account.ToLowerHex());
}

std::string EmailContext(const evm::Address& account) {
  return absl::StrCat("email:", account.ToLowerHex());
}

// Parameters of a sealed field: key id, nonce, ciphertext (NULLs when
// absent).
void AddSealed(PgParams& params, const std::optional<Sealed>& sealed) {
  if (!sealed.has_value()) {
    params.AddNull().AddNull().AddNull();
    return;
  }
  params.Add(sealed->key_id)
      .Add(Bytea(sealed->nonce))
      .Add(Bytea(sealed->ciphertext));
}

template <typename Enum>
absl::StatusOr<Enum> EnumNamed(absl::string_view name,
                               absl::string_view (*render)(Enum),
                               std::initializer_list<Enum> values) {
  for (const Enum value : values) {
    if (render(value) == name) return value;
  }
  return absl::DataLossError(absl::StrCat("unknown stored value ", name));
}

}  // namespace

absl::StatusOr<std::optional<Sealed>> AccountStore::SealField(
    absl::string_view value, absl::string_view context) {
  if (value.empty()) return std::nullopt;
  if (!cipher_.has_value()) {
    return absl::FailedPreconditionError(
        "the oracle has no profile keys (CHAINSYNC_PROFILE_KEYS) to seal "
        "labels and e-mails with; send the request without them");
  }
  return cipher_->Seal(value, context);
}

absl::StatusOr<AddressRecord> AccountStore::Register(
    const Registration& registration) {
  const VerifiedProof& proof = registration.proof;
  const std::string& bitcoin_address = proof.address.text;
  absl::StatusOr<std::optional<Sealed>> label = SealField(
      registration.label, LabelContext(bitcoin_address, proof.account));
  if (!label.ok()) return label.status();
  absl::StatusOr<std::optional<Sealed>> email =
      SealField(registration.email, EmailContext(proof.account));
  if (!email.ok()) return email.status();
  const crypto::Digest32 message_hash =
      crypto::Sha256(crypto::BytesOf(registration.message));

  std::optional<AddressRecord> stored;
  absl::Status status = pool_.InTransaction([&](PgConnection& connection)
                                                -> absl::Status {
    absl::StatusOr<PgResult> used = connection.Exec(
        kUseProof, PgParams()
                       .Add(Bytea(absl::string_view(
                           reinterpret_cast<const char*>(message_hash.data()),
                           message_hash.size())))
                       .Add(bitcoin_address)
                       .Add(Bytea(proof.account)));
    if (!used.ok()) return used.status();
    if (used->affected_rows() == 0) {
      return absl::InvalidArgumentError(
          "message: this proof was used before; sign a new message");
    }
    absl::StatusOr<PgResult> user =
        connection.Exec(kAddUser, PgParams().Add(Bytea(proof.account)));
    if (!user.ok()) return user.status();
    if (email->has_value()) {
      PgParams params;
      params.Add(Bytea(proof.account));
      AddSealed(params, *email);
      absl::StatusOr<PgResult> set = connection.Exec(kSetEmail, params);
      if (!set.ok()) return set.status();
    }
    // The owner may prove again; another account's address stays theirs
    // (the update's condition fails and no row comes back).
    PgParams params;
    params.Add(bitcoin_address)
        .Add(Bytea(proof.account))
        .Add(bitcoin::NetworkName(proof.address.network))
        .Add(bitcoin::AddressTypeName(proof.address.type))
        .Add(ProofKindName(proof.kind))
        .Add(registration.message)
        .Add(registration.signature);
    AddSealed(params, *label);
    absl::StatusOr<PgResult> row = connection.Exec(
        absl::StrCat(
            "INSERT INTO oracle.bitcoin_addresses (bitcoin_address, "
            "user_address, network, address_type, proof_kind, "
            "signed_message, signature, label_key_id, label_nonce, "
            "label_ciphertext) VALUES ($1, $2::bytea, $3, $4, $5, $6, $7, $8, "
            "$9::bytea, $10::bytea) ON CONFLICT (bitcoin_address) DO UPDATE "
            "SET proof_kind = EXCLUDED.proof_kind, signed_message = "
            "EXCLUDED.signed_message, signature = EXCLUDED.signature, "
            "verified_at = now(), label_key_id = "
            "coalesce(EXCLUDED.label_key_id, "
            "bitcoin_addresses.label_key_id), label_nonce = "
            "coalesce(EXCLUDED.label_nonce, bitcoin_addresses.label_nonce), "
            "label_ciphertext = coalesce(EXCLUDED.label_ciphertext, "
            "bitcoin_addresses.label_ciphertext) WHERE "
            "bitcoin_addresses.user_address = EXCLUDED.user_address "
            "RETURNING ",
            kAddressColumns),
        params);
    if (!row.ok()) return row.status();
    if (row->rows() == 0) {
      return absl::AlreadyExistsError(
          absl::StrCat("bitcoin_address: ", bitcoin_address,
                       " is registered to another account"));
    }
    absl::StatusOr<AddressRecord> record = AddressFromRow(*row, 0);
    if (!record.ok()) return record.status();
    stored = *std::move(record);
    return absl::OkStatus();
  });
  if (!status.ok()) return status;
  return *std::move(stored);
}

absl::StatusOr<std::vector<AddressRecord>> AccountStore::Remove(
    const evm::Address& account, absl::string_view bitcoin_address) {
  std::vector<AddressRecord> left;
  absl::Status status = pool_.InTransaction([&](PgConnection& connection)
                                                -> absl::Status {
    absl::StatusOr<PgResult> removed = connection.Exec(
        "DELETE FROM oracle.bitcoin_addresses WHERE bitcoin_address = $1 AND "
        "user_address = $2::bytea",
        PgParams().Add(bitcoin_address).Add(Bytea(account)));
    if (!removed.ok()) return removed.status();
    if (removed->affected_rows() == 0) {
      return absl::NotFoundError(
          absl::StrCat("bitcoin_address: ", bitcoin_address.substr(0, 100),
                       " is not registered to ", account.ToChecksumHex()));
    }
    absl::StatusOr<PgResult> rows = connection.Exec(
        absl::StrCat("SELECT ", kAddressColumns,
                     " FROM oracle.bitcoin_addresses WHERE user_address = "
                     "$1::bytea ORDER BY registered_seq"),
        PgParams().Add(Bytea(account)));
    if (!rows.ok()) return rows.status();
    left.clear();
    for (int row = 0; row < rows->rows(); ++row) {
      absl::StatusOr<AddressRecord> record = AddressFromRow(*rows, row);
      if (!record.ok()) return record.status();
      left.push_back(*std::move(record));
    }
    return absl::OkStatus();
  });
  if (!status.ok()) return status;
  return left;
}

absl::StatusOr<std::vector<AddressRecord>> AccountStore::List(
    const evm::Address& account, int64_t after_sequence, int limit) {
  absl::StatusOr<PgResult> rows = pool_.Exec(
      absl::StrCat("SELECT ", kAddressColumns,
                   " FROM oracle.bitcoin_addresses WHERE user_address = "
                   "$1::bytea AND registered_seq > $2 ORDER BY registered_seq "
                   "LIMIT $3"),
      PgParams().Add(Bytea(account)).Add(after_sequence).Add(limit));
  if (!rows.ok()) return rows.status();
  std::vector<AddressRecord> records;
  for (int row = 0; row < rows->rows(); ++row) {
    absl::StatusOr<AddressRecord> record = AddressFromRow(*rows, row);
    if (!record.ok()) return record.status();
    records.push_back(*std::move(record));
  }
  return records;
}

absl::StatusOr<absl::flat_hash_map<evm::Address, std::string>>
AccountStore::Emails(const std::vector<evm::Address>& accounts) {
  absl::StatusOr<PgResult> rows =
      pool_.Exec(kEmails, PgParams().AddArray(HexOf(accounts)));
  if (!rows.ok()) return rows.status();
  absl::flat_hash_map<evm::Address, std::string> emails;
  for (int row = 0; row < rows->rows(); ++row) {
    absl::StatusOr<evm::Address> account = AccountFromHex(rows->Get(row, 3));
    if (!account.ok()) return account.status();
    absl::StatusOr<std::string> email =
        Open(*rows, row, 0, EmailContext(*account));
    if (!email.ok()) return email.status();
    emails[*account] = *std::move(email);
  }
  return emails;
}

absl::StatusOr<std::string> AccountStore::Open(
    const PgResult& rows, int row, int column,
    absl::string_view context) const {
  if (rows.IsNull(row, column)) return std::string();
  if (!cipher_.has_value()) {
    return absl::FailedPreconditionError(
        "stored profile values are sealed, and the oracle has no profile "
        "keys (CHAINSYNC_PROFILE_KEYS) to open them");
  }
  return cipher_->Open(
      {.key_id = std::string(rows.Get(row, column)),
       .nonce = absl::HexStringToBytes(rows.Get(row, column + 1)),
       .ciphertext = absl::HexStringToBytes(rows.Get(row, column + 2))},
      context);
}

absl::StatusOr<AddressRecord> AccountStore::AddressFromRow(const PgResult& rows,
                                                           int row) const {
  AddressRecord record;
  record.bitcoin_address = std::string(rows.Get(row, 0));
  absl::StatusOr<evm::Address> account = AccountFromHex(rows.Get(row, 1));
  if (!account.ok()) return account.status();
  record.account = *account;
  absl::StatusOr<bitcoin::Network> network = EnumNamed<bitcoin::Network>(
      rows.Get(row, 2), &bitcoin::NetworkName,
      {bitcoin::Network::kMainnet, bitcoin::Network::kTestnet,
       bitcoin::Network::kRegtest});
  if (!network.ok()) return network.status();
  record.network = *network;
  absl::StatusOr<bitcoin::AddressType> type = EnumNamed<bitcoin::AddressType>(
      rows.Get(row, 3), &bitcoin::AddressTypeName,
      {bitcoin::AddressType::kP2pkh, bitcoin::AddressType::kP2sh,
       bitcoin::AddressType::kP2wpkh, bitcoin::AddressType::kP2wsh,
       bitcoin::AddressType::kP2tr});
  if (!type.ok()) return type.status();
  record.type = *type;
  record.proof_kind = rows.Get(row, 4) == "legacy"
                          ? bitcoin::ProofKind::kLegacy
                          : bitcoin::ProofKind::kBip322Simple;
  absl::StatusOr<int64_t> micros = rows.GetInt64(row, 5);
  if (!micros.ok()) return micros.status();
  record.verified_at = absl::FromUnixMicros(*micros);
  record.monitored = rows.Get(row, 6) == "t";
  absl::StatusOr<std::string> label =
      Open(rows, row, 7, LabelContext(record.bitcoin_address, record.account));
  if (!label.ok()) return label.status();
  record.label = *std::move(label);
  absl::StatusOr<int64_t> sequence = rows.GetInt64(row, 10);
  if (!sequence.ok()) return sequence.status();
  record.sequence = *sequence;
  record.confirmed_sats = *rows.GetInt64(row, 11);
  record.pending_sats = *rows.GetInt64(row, 12);
  if (!rows.IsNull(row, 13)) {
    record.checked_at = absl::FromUnixMicros(*rows.GetInt64(row, 13));
  }
  return record;
}

}  // namespace chainsync::oracle
