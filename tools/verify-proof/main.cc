// chainsync-verify-proof: checks that an account's balance is counted in a
// proof of reserves. It reads the inclusion proof the reconciler gives the
// account (GET /api/realtime/proof-of-reserves/{address}, the JSON as
// served) and recomputes the path from the leaf to the root; with --root
// (and --sum) it also checks that root is the one published, and with
// --rpc_url and --reserve_proofs it reads the published root from the
// ReserveProofs contract itself.
//
// Exit status: 0 verified, 1 not verified, 2 the proof or the flags could
// not be read.
#include <cstdio>
#include <fstream>
#include <iostream>
#include <sstream>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "contracts/deploy/protocol_abi.h"
#include "google/protobuf/util/json_util.h"
#include "libs/evm/bytes.h"
#include "libs/evm/json_rpc_client.h"
#include "services/reconciler/proof_messages.h"

ABSL_FLAG(std::string, proof, "-",
          "The inclusion proof, JSON as the API serves it; - reads stdin.");
ABSL_FLAG(std::string, root, "",
          "The published root hash (0x-hex) to check against, as committed "
          "on chain; empty trusts the root the proof carries.");
ABSL_FLAG(std::string, sum, "",
          "The published total liabilities (satoshis) to check against; "
          "empty trusts the proof's.");

ABSL_FLAG(std::string, rpc_url, "",
          "A JSON-RPC endpoint of the chain the root is published on; with "
          "--reserve_proofs, the root is read from there.");
ABSL_FLAG(std::string, reserve_proofs, "",
          "The ReserveProofs contract's address (0x-hex), whose rootOf(proof "
          "id) is the published root.");

namespace chainsync::reconciler {
namespace {

constexpr int kVerified = 0;
constexpr int kNotVerified = 1;
constexpr int kUnreadable = 2;

int Fail(int code, absl::string_view message) {
  std::fprintf(stderr, "%s\n", std::string(message).c_str());
  return code;
}

absl::StatusOr<std::string> ReadInput(const std::string& path) {
  std::stringstream text;
  if (path == "-") {
    text << std::cin.rdbuf();
    return text.str();
  }
  std::ifstream in(path);
  if (!in) return absl::NotFoundError(absl::StrCat("cannot read ", path));
  text << in.rdbuf();
  return text.str();
}

// PublishedRoot reads rootOf(the proof's id) from the ReserveProofs
// contract; NOT_FOUND when the proof was not published there.
absl::StatusOr<crypto::Digest32> PublishedRoot(
    const v1::InclusionProof& message) {
  absl::StatusOr<evm::Address> contract = evm::Address::Parse(
      absl::GetFlag(FLAGS_reserve_proofs), "--reserve_proofs");
  if (!contract.ok()) return contract.status();
  uint64_t proof_id = 0;
  if (!absl::SimpleAtoi(message.proof_id(), &proof_id)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "the proof: proof_id \"", message.proof_id(), "\" is not a number"));
  }
  absl::StatusOr<std::unique_ptr<evm::JsonRpcClient>> client =
      evm::JsonRpcClient::Create({.endpoints = {absl::GetFlag(FLAGS_rpc_url)}});
  if (!client.ok()) return client.status();
  absl::StatusOr<evm::Bytes> call =
      contracts::protocol::RootOf().EncodeCall({evm::Uint256(proof_id)});
  if (!call.ok()) return call.status();
  absl::StatusOr<evm::Bytes> output = (*client)->EthCall(
      {.to = *contract, .data = *call}, evm::BlockRef::Latest());
  if (!output.ok()) {
    return absl::UnavailableError(absl::StrCat(
        "reading rootOf(", proof_id, ") at ", absl::GetFlag(FLAGS_rpc_url),
        ": ", output.status().message()));
  }
  if (output->size() != 32) {
    return absl::InvalidArgumentError(
        absl::StrCat(contract->ToChecksumHex(),
                     " answered rootOf with something else than one word: "
                     "is it a ReserveProofs contract?"));
  }
  crypto::Digest32 root{};
  std::copy(output->begin(), output->end(), root.begin());
  if (root == crypto::Digest32{}) {
    return absl::NotFoundError(absl::StrCat("NOT VERIFIED: proof ", proof_id,
                                            " is not published on ",
                                            contract->ToChecksumHex()));
  }
  return root;
}

int Run() {
  absl::StatusOr<std::string> json = ReadInput(absl::GetFlag(FLAGS_proof));
  if (!json.ok()) return Fail(kUnreadable, json.status().message());
  v1::InclusionProof message;
  if (const auto parsed =
          google::protobuf::util::JsonStringToMessage(*json, &message);
      !parsed.ok()) {
    return Fail(kUnreadable,
                absl::StrCat("the proof is not an inclusion proof's JSON: ",
                             parsed.message().as_string()));
  }
  absl::StatusOr<ReadProof> read = ProofFromMessage(message);
  if (!read.ok()) {
    return Fail(kUnreadable,
                absl::StrCat("the proof: ", read.status().message()));
  }
  // What counts is the published root: a proof leading to a root of its
  // own proves nothing, and one naming another root is of another proof.
  crypto::SumNode root = read->root;
  const bool on_chain = !absl::GetFlag(FLAGS_reserve_proofs).empty();
  if (on_chain != !absl::GetFlag(FLAGS_rpc_url).empty() ||
      (on_chain && !absl::GetFlag(FLAGS_root).empty())) {
    return Fail(kUnreadable,
                "--rpc_url and --reserve_proofs go together, in place of "
                "--root");
  }
  if (on_chain) {
    absl::StatusOr<crypto::Digest32> published = PublishedRoot(message);
    if (!published.ok()) {
      return Fail(
          absl::IsNotFound(published.status()) ? kNotVerified : kUnreadable,
          published.status().message());
    }
    root.hash = *published;
  }
  if (const std::string published = absl::GetFlag(FLAGS_root);
      !published.empty()) {
    absl::StatusOr<crypto::Digest32> hash =
        evm::FixedFromHex<32>(published, "--root");
    if (!hash.ok()) return Fail(kUnreadable, hash.status().message());
    root.hash = *hash;
  }
  if (const std::string published = absl::GetFlag(FLAGS_sum);
      !published.empty()) {
    absl::StatusOr<uint64_t> sum = ParseSum(published, "--sum");
    if (!sum.ok()) return Fail(kUnreadable, sum.status().message());
    root.sum = *sum;
  }
  if (root != read->root) {
    return Fail(
        kNotVerified,
        absl::StrCat("NOT VERIFIED: the proof names the root ",
                     evm::ToHex(read->root.hash), " (total ", read->root.sum,
                     " sats), not the published ", evm::ToHex(root.hash),
                     " (total ", root.sum, " sats)"));
  }
  if (absl::Status verified = crypto::VerifyInclusion(read->proof, root);
      !verified.ok()) {
    return Fail(kNotVerified,
                absl::StrCat("NOT VERIFIED: ", verified.message()));
  }
  std::printf(
      "verified: %s holds %llu sats in proof %s, root %s, total %llu sats%s\n",
      message.address().c_str(),
      static_cast<unsigned long long>(read->proof.balance),
      message.proof_id().c_str(), evm::ToHex(root.hash).c_str(),
      static_cast<unsigned long long>(root.sum),
      on_chain ? " (the root published on chain)"
      : absl::GetFlag(FLAGS_root).empty()
          ? " (the proof's own root: compare it with the one published on "
            "chain, or pass --rpc_url and --reserve_proofs)"
          : "");
  return kVerified;
}

}  // namespace
}  // namespace chainsync::reconciler

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage(
      "chainsync-verify-proof --proof=FILE [--root=0x... | --rpc_url=URL "
      "--reserve_proofs=0x...] [--sum=SATS]: "
      "checks that an account's balance is counted in a proof of reserves.");
  const std::vector<char*> positional = absl::ParseCommandLine(argc, argv);
  if (positional.size() > 1) {
    return chainsync::reconciler::Fail(
        2, absl::StrCat("unexpected argument ", positional[1],
                        "; the proof is --proof=FILE"));
  }
  return chainsync::reconciler::Run();
}
