// Fuzzes the Bitcoin address parser: an address it accepts parses again, from
// its own text, to the same network, type and payload.
#include <cstdint>
#include <cstdlib>
#include <string>

#include "libs/bitcoin/address.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  const auto address = chainsync::bitcoin::Address::Parse(text);
  if (!address.ok()) return 0;
  const auto again =
      chainsync::bitcoin::Address::Parse(address->text, address->network);
  if (!again.ok() || again->type != address->type ||
      again->payload != address->payload) {
    std::abort();
  }
  (void)address->ScriptPubKey();
  return 0;
}
