// Fuzzes the RLP decoder. The decoder accepts only canonical encodings, so
// what it accepts must re-encode to the same bytes.
#include <cstdint>
#include <cstdlib>

#include "libs/evm/rlp.h"

namespace {

chainsync::evm::Bytes Encode(const chainsync::evm::RlpItem& item) {
  if (!item.is_list) return chainsync::evm::RlpEncodeBytes(item.bytes);
  chainsync::evm::RlpList list;
  for (const chainsync::evm::RlpItem& child : item.list)
    list.AddEncoded(Encode(child));
  return list.Encode();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const chainsync::evm::ByteSpan input(data, size);
  const auto item = chainsync::evm::RlpDecode(input);
  if (!item.ok()) return 0;
  const chainsync::evm::Bytes encoded = Encode(*item);
  if (encoded.size() != size ||
      !std::equal(encoded.begin(), encoded.end(), data)) {
    std::abort();
  }
  return 0;
}
