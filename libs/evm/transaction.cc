#include "libs/evm/transaction.h"

#include "libs/evm/keccak.h"
#include "libs/evm/rlp.h"

namespace chainsync::evm {
namespace {

ByteSpan Destination(const std::optional<Address>& to) {
  return to.has_value() ? ByteSpan(to->bytes()) : ByteSpan();
}

// SignPayload signs the hash of a transaction's signing payload, refusing a
// chain id of 0.
template <typename Transaction>
absl::StatusOr<crypto::RecoverableSignature> SignPayload(
    const Transaction& transaction, Signer& signer) {
  if (transaction.chain_id == 0) {
    return absl::InvalidArgumentError(
        "transaction chain_id is 0: refusing to sign a replayable transaction");
  }
  return signer.Sign(Keccak256(ByteSpan(SigningPayload(transaction))));
}

// Strips leading zero bytes, as RLP integers require.
ByteSpan Minimal(const std::array<uint8_t, 32>& word) {
  size_t first = 0;
  while (first < word.size() && word[first] == 0) ++first;
  return ByteSpan(word).subspan(first);
}

RlpList Eip1559Fields(const Eip1559Transaction& transaction) {
  RlpList fields;
  fields.AddUint(transaction.chain_id)
      .AddUint(transaction.nonce)
      .AddUint(transaction.max_priority_fee_per_gas)
      .AddUint(transaction.max_fee_per_gas)
      .AddUint(transaction.gas_limit)
      .AddBytes(Destination(transaction.to))
      .AddUint(transaction.value)
      .AddBytes(transaction.data)
      .AddEncoded(RlpList().Encode());  // empty access list
  return fields;
}

RlpList LegacyFields(const LegacyTransaction& transaction) {
  RlpList fields;
  fields.AddUint(transaction.nonce)
      .AddUint(transaction.gas_price)
      .AddUint(transaction.gas_limit)
      .AddBytes(Destination(transaction.to))
      .AddUint(transaction.value)
      .AddBytes(transaction.data);
  return fields;
}

SignedTransaction Finish(Bytes raw) {
  const Hash hash = Keccak256(ByteSpan(raw));
  return SignedTransaction{std::move(raw), hash};
}

}  // namespace

Bytes SigningPayload(const LegacyTransaction& transaction) {
  return LegacyFields(transaction)
      .AddUint(transaction.chain_id)
      .AddUint(0)
      .AddUint(0)
      .Encode();
}

Bytes SigningPayload(const Eip1559Transaction& transaction) {
  Bytes payload = {0x02};
  const Bytes list = Eip1559Fields(transaction).Encode();
  payload.insert(payload.end(), list.begin(), list.end());
  return payload;
}

absl::StatusOr<SignedTransaction> Sign(const LegacyTransaction& transaction,
                                       Signer& signer) {
  absl::StatusOr<crypto::RecoverableSignature> signature =
      SignPayload(transaction, signer);
  if (!signature.ok()) return signature.status();
  // EIP-155: v = recovery id + 35 + 2 * chain id.
  const Uint256 v =
      Uint256(signature->recovery_id) + 35 + Uint256(transaction.chain_id) * 2;
  return Finish(LegacyFields(transaction)
                    .AddUint(v)
                    .AddBytes(Minimal(signature->r))
                    .AddBytes(Minimal(signature->s))
                    .Encode());
}

absl::StatusOr<SignedTransaction> Sign(const Eip1559Transaction& transaction,
                                       Signer& signer) {
  absl::StatusOr<crypto::RecoverableSignature> signature =
      SignPayload(transaction, signer);
  if (!signature.ok()) return signature.status();
  Bytes raw = {0x02};
  const Bytes list = Eip1559Fields(transaction)
                         .AddUint(signature->recovery_id)
                         .AddBytes(Minimal(signature->r))
                         .AddBytes(Minimal(signature->s))
                         .Encode();
  raw.insert(raw.end(), list.begin(), list.end());
  return Finish(std::move(raw));
}

}  // namespace chainsync::evm
