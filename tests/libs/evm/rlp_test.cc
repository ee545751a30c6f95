#include "libs/evm/rlp.h"

#include <catch2/catch.hpp>

namespace chainsync::evm {
namespace {

Bytes Hex(absl::string_view text) { return *FromHex(text, "test"); }

std::string EncodeString(absl::string_view text) {
  return ToHex(RlpEncodeBytes(AsBytes(text)));
}

TEST_CASE("RLP encodes the examples of the specification", "[rlp]") {
  CHECK(EncodeString("dog") == "0x83646f67");
  CHECK(EncodeString("") == "0x80");
  CHECK(EncodeString("\x0f") == "0x0f");
  CHECK(ToHex(RlpList().Encode()) == "0xc0");
  CHECK(ToHex(RlpList()
                  .AddBytes(AsBytes("cat"))
                  .AddBytes(AsBytes("dog"))
                  .Encode()) == "0xc88363617483646f67");
  CHECK(ToHex(RlpList().AddUint(0).AddUint(15).AddUint(1024).Encode()) ==
        "0xc580"
        "0f"
        "820400");
  const std::string lorem =
      "Lorem ipsum dolor sit amet, consectetur adipisicing elit";
  CHECK(EncodeString(lorem).substr(0, 6) == "0xb838");
  // [ [], [[]], [ [], [[]] ] ]
  const Bytes empty = RlpList().Encode();
  const Bytes one = RlpList().AddEncoded(empty).Encode();
  const Bytes two = RlpList().AddEncoded(empty).AddEncoded(one).Encode();
  CHECK(ToHex(RlpList()
                  .AddEncoded(empty)
                  .AddEncoded(one)
                  .AddEncoded(two)
                  .Encode()) == "0xc7c0c1c0c3c0c1c0");
}

TEST_CASE("RLP decodes what it encodes", "[rlp]") {
  const std::string long_text(300, 'x');
  const Bytes encoded =
      RlpList()
          .AddBytes(AsBytes("dog"))
          .AddUint(1024)
          .AddBytes(AsBytes(long_text))
          .AddEncoded(RlpList().AddBytes(AsBytes("a")).Encode())
          .Encode();
  const auto item = RlpDecode(encoded);
  REQUIRE(item.ok());
  REQUIRE(item->is_list);
  REQUIRE(item->list.size() == 4);
  CHECK(ToHex(item->list[0].bytes) == ToHex(AsBytes("dog")));
  CHECK(FromBigEndian(item->list[1].bytes) == 1024);
  CHECK(item->list[2].bytes.size() == 300);
  REQUIRE(item->list[3].is_list);
  CHECK(ToHex(item->list[3].list[0].bytes) == "0x61");
}

TEST_CASE("malformed RLP is rejected with its offset", "[rlp]") {
  const auto message = [](absl::string_view hex) {
    const Bytes input = Hex(hex);
    const auto item = RlpDecode(input);
    REQUIRE_FALSE(item.ok());
    CHECK(absl::IsInvalidArgument(item.status()));
    return std::string(item.status().message());
  };
  CHECK(message("") == "rlp: truncated input at offset 0");
  CHECK(message("0x83646f") == "rlp: length 3 exceeds the input at offset 0");
  CHECK(message("0x8100") ==
        "rlp: single byte below 0x80 encoded as a string at offset 0");
  CHECK(message("0xb80100") ==
        "rlp: long form for a short payload at offset 0");
  CHECK(message("0xb90001") == "rlp: length with leading zeros at offset 0");
  CHECK(message("0xbf") == "rlp: truncated length at offset 0");
  // A length near 2^64 must not wrap around the bounds check.
  CHECK(message("0xbfffffffffffffffff00").find("exceeds the input") !=
        std::string::npos);
  CHECK(message("0xc3836f") == "rlp: length 3 exceeds the input at offset 0");
  // The string inside overruns its list, though not the input.
  CHECK(message("0xc3836f6f6f") ==
        "rlp: length 3 exceeds the input at offset 1");
  CHECK(message("0x83646f6700") == "rlp: trailing bytes at offset 4");
  // 100 lists, each holding the next: deeper than the decoder follows.
  Bytes deep = RlpList().Encode();
  for (int i = 0; i < 100; ++i) deep = RlpList().AddEncoded(deep).Encode();
  CHECK(message(ToHex(deep)).find("nested too deeply") != std::string::npos);
}

}  // namespace
}  // namespace chainsync::evm
