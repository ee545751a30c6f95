// Fuzzes the signed-message parser and verifier. Input: an address, a
// message and a signature, one per line.
#include <cstdint>
#include <string>

#include "absl/strings/str_split.h"
#include "libs/bitcoin/signed_message.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string input(reinterpret_cast<const char*>(data), size);
  const std::vector<std::string> parts =
      absl::StrSplit(input, absl::MaxSplits('\n', 2));
  if (parts.size() != 3) return 0;
  const auto address = chainsync::bitcoin::Address::Parse(parts[0]);
  if (!address.ok()) return 0;
  (void)chainsync::bitcoin::VerifyMessage(*address, parts[1], parts[2]);
  return 0;
}
