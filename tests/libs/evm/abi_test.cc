#include "libs/evm/abi.h"

#include <catch2/catch.hpp>

#include "absl/strings/str_join.h"
#include "libs/evm/contract_abi.h"

namespace chainsync::evm {
namespace {

AbiType Type(absl::string_view text) {
  auto type = AbiType::Parse(text);
  REQUIRE(type.ok());
  return *type;
}

std::string Words(std::initializer_list<absl::string_view> words) {
  return absl::StrJoin(words, "");
}

Hash TopicOf(absl::string_view hex) { return *FixedFromHex<32>(hex, "topic"); }

TEST_CASE("ABI types parse to their canonical form", "[abi]") {
  CHECK(Type("uint").Canonical() == "uint256");
  CHECK(Type("int8").Canonical() == "int8");
  CHECK(Type("bytes32[]").Canonical() == "bytes32[]");
  CHECK(Type("tuple(uint256,address[2])[]").Canonical() ==
        "(uint256,address[2])[]");
  CHECK(Type("(bool,(string,bytes))").Canonical() == "(bool,(string,bytes))");
  CHECK_FALSE(Type("(uint256,address[2])").IsDynamic());
  CHECK(Type("(uint256,address[2])").HeadSize() == 96);
  CHECK(Type("(uint256,string)").IsDynamic());
  for (const char* bad : {"uint7", "uint264", "bytes33", "bytes0", "uint256[",
                          "(uint256", "strin", "uint256[0]", "uint256 x", ""}) {
    INFO(bad);
    CHECK(absl::IsInvalidArgument(AbiType::Parse(bad).status()));
  }
}

TEST_CASE("calls encode like the Solidity documentation's examples", "[abi]") {
  const auto baz = AbiFunction::Parse("baz(uint32 x, bool y) returns (bool)");
  REQUIRE(baz.ok());
  CHECK(ToHex(baz->selector()) == "0xcdcd77c0");
  CHECK(ToHex(*baz->EncodeCall({Uint256(69), true})) ==
        "0xcdcd77c0" + Words({"000000000000000000000000000000000000000000000000"
                              "0000000000000045",
                              "000000000000000000000000000000000000000000000000"
                              "0000000000000001"}));

  const auto sam = AbiFunction::Parse("sam(bytes,bool,uint256[])");
  REQUIRE(sam.ok());
  const Bytes dave = {'d', 'a', 'v', 'e'};
  const AbiValue::List numbers = {Uint256(1), Uint256(2), Uint256(3)};
  CHECK(ToHex(*sam->EncodeCall({dave, true, numbers})) ==
        "0xa5643bf2" + Words({"000000000000000000000000000000000000000000000000"
                              "0000000000000060",
                              "000000000000000000000000000000000000000000000000"
                              "0000000000000001",
                              "000000000000000000000000000000000000000000000000"
                              "00000000000000a0",
                              "000000000000000000000000000000000000000000000000"
                              "0000000000000004",
                              "646176650000000000000000000000000000000000000000"
                              "0000000000000000",
                              "000000000000000000000000000000000000000000000000"
                              "0000000000000003",
                              "000000000000000000000000000000000000000000000000"
                              "0000000000000001",
                              "000000000000000000000000000000000000000000000000"
                              "0000000000000002",
                              "000000000000000000000000000000000000000000000000"
                              "0000000000000003"}));
}

TEST_CASE("values of every kind round-trip", "[abi]") {
  const std::vector<AbiType> types = {Type("uint8"),
                                      Type("int16"),
                                      Type("int256"),
                                      Type("address"),
                                      Type("bytes3"),
                                      Type("string"),
                                      Type("bytes"),
                                      Type("uint256[]"),
                                      Type("(bool,string)[2]"),
                                      Type("(uint64,(address,bytes)[])")};
  const Address someone =
      *Address::Parse("0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed");
  const std::vector<AbiValue> values = {
      Uint256(255),
      Int256(-300),
      -(Int256(1) << 255),
      someone,
      Bytes{1, 2, 3},
      std::string("héllo, \"world\""),
      Bytes(70, 0xab),
      AbiValue::List{},
      AbiValue::List{AbiValue::List{true, std::string("a")},
                     AbiValue::List{false, std::string(40, 'z')}},
      AbiValue::List{Uint256(7),
                     AbiValue::List{AbiValue::List{someone, Bytes{9}}}}};
  const auto encoded = EncodeParameters(types, values);
  REQUIRE(encoded.ok());
  CHECK(encoded->size() % 32 == 0);
  const auto decoded = DecodeParameters(types, *encoded);
  REQUIRE(decoded.ok());
  REQUIRE(decoded->size() == values.size());
  for (size_t i = 0; i < values.size(); ++i) {
    std::string expected, actual;
    AppendAbiValueJson(&expected, types[i], values[i]);
    AppendAbiValueJson(&actual, types[i], (*decoded)[i]);
    INFO(types[i].Canonical());
    CHECK(actual == expected);
  }
  std::string json;
  AppendAbiValueJson(&json, types[2], (*decoded)[2]);
  CHECK(json ==
        "\"-"
        "5789604461865809771178549250434395392663499233282028201972879200395656"
        "4819968\"");
}

TEST_CASE("out-of-range values are refused when encoding", "[abi]") {
  CHECK(absl::IsInvalidArgument(
      EncodeParameters({Type("uint8")}, {Uint256(256)}).status()));
  CHECK(absl::IsInvalidArgument(
      EncodeParameters({Type("int8")}, {Int256(128)}).status()));
  CHECK(absl::IsInvalidArgument(
      EncodeParameters({Type("int8")}, {Int256(-129)}).status()));
  CHECK(absl::IsInvalidArgument(
      EncodeParameters({Type("bytes4")}, {Bytes{1}}).status()));
  CHECK(absl::IsInvalidArgument(
      EncodeParameters({Type("address")}, {true}).status()));
  const auto count =
      EncodeParameters({Type("uint8"), Type("bool")}, {Uint256(1)});
  REQUIRE(absl::IsInvalidArgument(count.status()));
  CHECK(
      std::string(count.status().message()).find("expected 2 values, got 1") !=
      std::string::npos);
}

TEST_CASE("malformed data is refused without reading past it", "[abi]") {
  const auto message = [](const std::vector<AbiType>& types,
                          absl::string_view hex) {
    const Bytes data = *FromHex(hex, "data");
    const auto decoded = DecodeParameters(types, data, {"amount"});
    REQUIRE(absl::IsInvalidArgument(decoded.status()));
    return std::string(decoded.status().message());
  };
  const std::string one =
      "0000000000000000000000000000000000000000000000000000000000000001";
  CHECK(message({Type("uint256")}, "0x00") ==
        "ABI amount: data too short: needs a word at byte 0 of 1");
  CHECK(message({Type("uint8")}, "0x" + std::string(61, '0') + "100") ==
        "ABI amount: value too wide for uint8");
  CHECK(message({Type("int8")}, "0x" + std::string(62, '0') + "80")
            .find("too wide") != std::string::npos);
  CHECK(message({Type("bool")}, "0x" + std::string(63, '0') + "2") ==
        "ABI amount: bool is neither 0 nor 1");
  CHECK(message({Type("address")}, "0x" + std::string(64, 'f')) ==
        "ABI amount: address has dirty high bytes");
  CHECK(message({Type("string")}, "0x" + std::string(62, '0') + "ff")
            .find("offset 255") != std::string::npos);
  // An offset to a length that claims more bytes than there are.
  // (48 is below the data size of 64, but only 0 bytes follow the length.)
  CHECK(message({Type("bytes")}, "0x" + std::string(62, '0') + "20" +
                                     std::string(62, '0') + "30")
            .find("runs past the data") != std::string::npos);
  // An array length of 2^64 - 1 must not allocate anything.
  CHECK(message({Type("uint256[]")}, "0x" + std::string(62, '0') + "20" +
                                         std::string(48, '0') +
                                         std::string(16, 'f'))
            .find("exceeds the data size") != std::string::npos);
  CHECK(message({Type("uint256[]")}, "0x" + std::string(62, '0') + "20" + one)
            .find("runs past the data") != std::string::npos);
}

TEST_CASE("events decode from topics and data", "[abi]") {
  const auto transfer = AbiEvent::Parse(
      "Transfer(address indexed from, address indexed to, uint256 value)");
  REQUIRE(transfer.ok());
  CHECK(transfer->signature() == "Transfer(address,address,uint256)");
  CHECK(ToHex(transfer->topic0()) ==
        "0xddf252ad1be2c89b69c2b068fc378daa952ba7f163c4a11628f55a4df523b3ef");
  const std::vector<Hash> topics = {
      transfer->topic0(),
      TopicOf(
          "0x0000000000000000000000005aaeb6053f3e94c9b9a09f33669435e7ef1beaed"),
      TopicOf("0x000000000000000000000000fb6916095ca1df60bb79ce92ce3ea74c37c5d3"
              "59")};
  const Bytes data = *FromHex("0x" + std::string(61, '0') + "3e8", "data");
  const auto values = transfer->Decode(topics, data);
  REQUIRE(values.ok());
  std::string json;
  transfer->AppendArgumentsJson(&json, *values);
  CHECK(json ==
        R"({"from":"0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed",)"
        R"("to":"0xfB6916095ca1df60bB79Ce92cE3Ea74c37c5d359","value":"1000"})");

  const auto short_topics = transfer->Decode({topics[0], topics[1]}, data);
  REQUIRE(absl::IsInvalidArgument(short_topics.status()));
  CHECK(std::string(short_topics.status().message()) ==
        "event Transfer(address,address,uint256): expected 3 topics, got 2");

  const auto named =
      AbiEvent::Parse("Named(string indexed label, uint8 level)");
  REQUIRE(named.ok());
  const Hash label_hash = TopicOf("0x" + std::string(64, 'a'));
  const auto named_values =
      named->Decode({named->topic0(), label_hash},
                    *FromHex("0x" + std::string(63, '0') + "7", "d"));
  REQUIRE(named_values.ok());
  std::string named_json;
  named->AppendArgumentsJson(&named_json, *named_values);
  CHECK(named_json ==
        R"({"label":"0x)" + std::string(64, 'a') + R"(","level":"7"})");
}

TEST_CASE("an ABI JSON file loads events, functions and the constructor",
          "[abi]") {
  const auto abi = ContractAbi::FromJson(R"([
    {"type":"constructor","inputs":[{"name":"oracle","type":"address"}]},
    {"type":"event","name":"Synced","anonymous":false,"inputs":[
      {"name":"user","type":"address","indexed":true},
      {"name":"balance","type":"uint256","indexed":false},
      {"name":"detail","type":"tuple","indexed":false,"components":[
        {"name":"fee","type":"uint256"},{"name":"reason","type":"string"}]}]},
    {"type":"function","name":"balanceOf","stateMutability":"view",
     "inputs":[{"name":"account","type":"address"}],
     "outputs":[{"name":"","type":"uint256"}]},
    {"type":"function","name":"batches","inputs":[],
     "outputs":[{"name":"","type":"tuple[2][]","components":[
       {"name":"a","type":"uint8"},{"name":"b","type":"bool"}]}]},
    {"type":"error","name":"Unauthorized","inputs":[]}
  ])");
  REQUIRE(abi.ok());
  CHECK(abi->events().size() == 1);
  CHECK(abi->functions().size() == 2);
  REQUIRE(abi->constructor_inputs().size() == 1);
  const AbiEvent& synced = abi->events()[0];
  CHECK(synced.signature() == "Synced(address,uint256,(uint256,string))");
  CHECK(abi->FindEvent(synced.topic0()) == &synced);
  CHECK(abi->FindEvent(Hash{}) == nullptr);
  REQUIRE(abi->FindFunction("batches") != nullptr);
  CHECK(abi->FindFunction("batches")->outputs()[0].type.Canonical() ==
        "(uint8,bool)[2][]");
  CHECK(ToHex(abi->FindFunction("balanceOf")->selector()) == "0x70a08231");

  // A tuple argument renders as an object keyed by component names.
  const auto data = EncodeParameters(
      {synced.inputs()[1].type, synced.inputs()[2].type},
      {Uint256(5), AbiValue::List{Uint256(1), std::string("x")}});
  const auto values = synced.Decode(
      {synced.topic0(), TopicOf("0x" + std::string(64, '0'))}, *data);
  REQUIRE(values.ok());
  std::string json;
  synced.AppendArgumentsJson(&json, *values);
  CHECK(json ==
        R"({"user":"0x0000000000000000000000000000000000000000","balance":"5",)"
        R"("detail":{"fee":"1","reason":"x"}})");
}

TEST_CASE("a broken ABI JSON file names the entry", "[abi]") {
  CHECK(absl::IsInvalidArgument(ContractAbi::FromJson("[{").status()));
  CHECK(absl::IsInvalidArgument(ContractAbi::FromJson(R"({"x":1})").status()));
  const auto bad_type = ContractAbi::FromJson(
      R"([{"type":"event","name":"E","inputs":[{"name":"a","type":"uint7"}]}])");
  REQUIRE(absl::IsInvalidArgument(bad_type.status()));
  CHECK(std::string(bad_type.status().message()).find("entry 0 (event E)") !=
        std::string::npos);
  CHECK(std::string(bad_type.status().message()).find("uint7") !=
        std::string::npos);
  // An artifact holding the ABI under "abi" loads too.
  CHECK(ContractAbi::FromJson(R"({"abi":[]})").ok());
}

}  // namespace
}  // namespace chainsync::evm
