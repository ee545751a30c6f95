// Reading an account: a total only when every address was read.
#include "services/oracle/account_reader.h"

#include <catch2/catch.hpp>
#include <map>

namespace chainsync::oracle {
namespace {

// ScriptedSource answers each address as scripted; an address without a
// script fails.
class ScriptedSource final : public BitcoinSource {
 public:
  std::map<std::string, absl::StatusOr<AddressBalance>> answers;
  std::vector<std::pair<uint64_t, int>> asked;

  absl::StatusOr<uint64_t> TipHeight() override { return 100; }
  absl::StatusOr<AddressBalance> Balance(const bitcoin::Address& address,
                                         uint64_t tip,
                                         int confirmations) override {
    asked.emplace_back(tip, confirmations);
    const auto answer = answers.find(address.text);
    if (answer == answers.end()) return absl::UnavailableError("no script");
    return answer->second;
  }
};

const bitcoin::Address kFirst =
    *bitcoin::Address::Parse("bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4");
const bitcoin::Address kSecond =
    *bitcoin::Address::Parse("1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN2");

TEST_CASE("an account's total sums every address read at one tip", "[oracle]") {
  ScriptedSource source;
  source.answers.emplace(kFirst.text, AddressBalance{.confirmed_sats = 70'000,
                                                     .pending_sats = 5'000});
  source.answers.emplace(kSecond.text,
                         AddressBalance{.confirmed_sats = 30'000});
  const AccountReading reading = ReadAccount(source, {kFirst, kSecond}, 812, 6);
  CHECK(reading.confirmed_sats == 100'000);
  CHECK(reading.pending_sats == 5'000);
  CHECK(reading.stale_reason.empty());
  CHECK(reading.tip == 812);
  CHECK(source.asked ==
        std::vector<std::pair<uint64_t, int>>{{812, 6}, {812, 6}});
  // No address at all is a true zero.
  CHECK(ReadAccount(source, {}, 812, 6).confirmed_sats == 0);
}

TEST_CASE("one address that cannot be read leaves no total, only the reason",
          "[oracle]") {
  ScriptedSource source;
  source.answers.emplace(kFirst.text, AddressBalance{.confirmed_sats = 70'000});
  source.answers.emplace(kSecond.text,
                         absl::UnavailableError("HTTP 500 from the API"));
  const AccountReading reading = ReadAccount(source, {kFirst, kSecond}, 812, 6);
  CHECK_FALSE(reading.confirmed_sats.has_value());
  CHECK(reading.stale_reason ==
        "1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN2: HTTP 500 from the API");
  REQUIRE(reading.addresses.size() == 2);
  CHECK(reading.addresses[0].balance->confirmed_sats == 70'000);
  CHECK_FALSE(reading.addresses[1].balance.has_value());
}

}  // namespace
}  // namespace chainsync::oracle
