// Reading an account: a total only when every address was read.
#include "libs/bitcoin/account_reader.h"

#include <catch2/catch.hpp>
#include <map>

namespace chainsync::bitcoin {
namespace {

// ScriptedSource answers each address as scripted; an address without a
// script fails.
class ScriptedSource final : public BitcoinSource {
 public:
  std::map<std::string, absl::StatusOr<AddressBalance>> answers;
  std::vector<std::pair<uint64_t, int>> asked;
  // The chain's tip: an address asked at an older one answers ABORTED, as
  // an API answering from a newer chain does.
  uint64_t tip = 0;

  absl::StatusOr<uint64_t> TipHeight() override { return tip; }
  absl::StatusOr<AddressBalance> Balance(const Address& address, uint64_t at,
                                         int confirmations) override {
    asked.emplace_back(at, confirmations);
    if (at < tip) return absl::AbortedError("the chain moved");
    const auto answer = answers.find(address.text);
    if (answer == answers.end()) return absl::UnavailableError("no script");
    return answer->second;
  }
};

const Address kFirst =
    *Address::Parse("bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4");
const Address kSecond = *Address::Parse("1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN2");

TEST_CASE("an account's total sums every address read at one tip",
          "[bitcoin]") {
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
          "[bitcoin]") {
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

TEST_CASE("a block found during the read has the account read again at it",
          "[bitcoin]") {
  ScriptedSource source;
  source.answers.emplace(kFirst.text, AddressBalance{.confirmed_sats = 70'000});
  source.answers.emplace(kSecond.text,
                         AddressBalance{.confirmed_sats = 30'000});
  source.tip = 813;
  const AccountReading reading = ReadAccount(source, {kFirst, kSecond}, 812, 6);
  CHECK(reading.confirmed_sats == 100'000);
  CHECK(reading.tip == 813);
  // Both addresses again, at the new tip: one chain's total.
  CHECK(source.asked == std::vector<std::pair<uint64_t, int>>{
                            {812, 6}, {812, 6}, {813, 6}, {813, 6}});
}

TEST_CASE("an API whose tip lags its answers leaves the account stale",
          "[bitcoin]") {
  // Its tip endpoint never reaches the chain its address answers are of.
  class LaggingSource final : public BitcoinSource {
   public:
    int reads = 0;
    absl::StatusOr<uint64_t> TipHeight() override { return 812 + reads; }
    absl::StatusOr<AddressBalance> Balance(const Address&, uint64_t,
                                           int) override {
      ++reads;
      return absl::AbortedError("an output above the tip");
    }
  } source;
  const AccountReading reading = ReadAccount(source, {kFirst}, 812, 6);
  CHECK_FALSE(reading.confirmed_sats.has_value());
  CHECK(reading.stale_reason == kFirst.text + ": an output above the tip");
  // Read again a bounded number of times, not forever.
  CHECK(source.reads == 4);
}

}  // namespace
}  // namespace chainsync::bitcoin
