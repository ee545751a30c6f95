#include "contracts/deploy/per_account_calls.h"

#include <algorithm>

#include "absl/strings/str_cat.h"

namespace chainsync::contracts {
namespace {

// The constructor's parameters, encoded after the creation code.
const evm::AbiFunction& ReaderArguments() {
  static const evm::AbiFunction function = *evm::AbiFunction::Parse(
      "PerAccountReader(address,bytes4,address[]) returns (uint256[])");
  return function;
}

}  // namespace

absl::StatusOr<std::vector<evm::Uint256>> CallPerAccount(
    evm::JsonRpcClient& client, const evm::AbiFunction& function,
    const evm::Address& contract, const std::vector<evm::Address>& accounts,
    const evm::BlockRef& block) {
  static const evm::Bytes code =
      *evm::FromHex(PerAccountReaderCode(), "PerAccountReader");
  absl::StatusOr<evm::Bytes> probe = function.EncodeCall({evm::Address()});
  if (!probe.ok()) return probe.status();
  const evm::Bytes selector(probe->begin(), probe->begin() + 4);
  std::vector<evm::Uint256> values;
  values.reserve(accounts.size());
  for (size_t start = 0; start < accounts.size(); start += kAccountsPerCall) {
    const size_t end = std::min(accounts.size(), start + kAccountsPerCall);
    evm::AbiValue::List chunk;
    for (size_t i = start; i < end; ++i) chunk.push_back({accounts[i]});
    absl::StatusOr<evm::Bytes> arguments =
        ReaderArguments().EncodeCall({contract, selector, std::move(chunk)});
    if (!arguments.ok()) return arguments.status();
    // The arguments follow the creation code, without a selector.
    evm::Bytes data = code;
    data.insert(data.end(), arguments->begin() + 4, arguments->end());
    absl::StatusOr<evm::Bytes> output = client.EthCall({.data = data}, block);
    if (!output.ok()) {
      return absl::Status(
          output.status().code(),
          absl::StrCat(function.signature(), " of ", end - start,
                       " accounts at ", contract.ToChecksumHex(), ": ",
                       output.status().message()));
    }
    absl::StatusOr<std::vector<evm::AbiValue>> decoded =
        ReaderArguments().DecodeOutput(*output);
    if (!decoded.ok()) return decoded.status();
    const auto* answers =
        std::get_if<evm::AbiValue::List>(&decoded->front().value);
    if (answers == nullptr || answers->size() != end - start) {
      return absl::InvalidArgumentError(
          absl::StrCat("the reader answered ", output->size(),
                       " bytes that are not one value per account"));
    }
    for (const evm::AbiValue& answer : *answers) {
      values.push_back(std::get<evm::Uint256>(answer.value));
    }
  }
  return values;
}

}  // namespace chainsync::contracts
