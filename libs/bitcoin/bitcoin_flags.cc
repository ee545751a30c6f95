#include "libs/bitcoin/bitcoin_flags.h"

#include <algorithm>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/time.h"
#include "libs/bitcoin/esplora_source.h"
#include "libs/common/config/flags.h"

ABSL_FLAG(std::string, bitcoin_network, "mainnet",
          "The Bitcoin network of the addresses: mainnet, testnet (and "
          "signet) or regtest.");
ABSL_FLAG(std::vector<std::string>, bitcoin_api_url, {},
          "Esplora-compatible Bitcoin APIs, comma-separated in order of "
          "preference (e.g. https://mempool.space/api,"
          "https://blockstream.info/api); a request one fails goes to the "
          "next. Required.");
ABSL_FLAG(int32_t, btc_confirmations, 6,
          "Blocks (its own included) that must hold an output before it "
          "counts in a balance.");
ABSL_FLAG(int32_t, bitcoin_api_concurrency, 16,
          "Requests to the Bitcoin API in flight at once.");
ABSL_FLAG(double, bitcoin_api_rate, 0,
          "Requests a second to the Bitcoin API at most (0: no limit).");
ABSL_FLAG(absl::Duration, bitcoin_api_timeout, absl::Seconds(10),
          "How long one request to the Bitcoin API may take.");

namespace chainsync::bitcoin {

absl::StatusOr<Network> NetworkFromFlag() {
  const std::string name = absl::GetFlag(FLAGS_bitcoin_network);
  for (const Network network :
       {Network::kMainnet, Network::kTestnet, Network::kRegtest}) {
    if (NetworkName(network) == name) return network;
  }
  return InvalidFlag("bitcoin_network", name,
                     "must be mainnet, testnet or regtest");
}

absl::StatusOr<std::shared_ptr<BitcoinSource>> BitcoinSourceFromFlags() {
  const std::vector<std::string> urls = absl::GetFlag(FLAGS_bitcoin_api_url);
  if (urls.empty()) {
    return InvalidFlag("bitcoin_api_url", "",
                       "required: an Esplora API, e.g. "
                       "https://mempool.space/api");
  }
  const int32_t concurrency = absl::GetFlag(FLAGS_bitcoin_api_concurrency);
  if (concurrency < 1 || concurrency > 1024) {
    return InvalidFlag("bitcoin_api_concurrency", absl::StrCat(concurrency),
                       "must be from 1 to 1024");
  }
  const double rate = absl::GetFlag(FLAGS_bitcoin_api_rate);
  if (!(rate >= 0)) {
    return InvalidFlag("bitcoin_api_rate", absl::StrCat(rate),
                       "must not be negative");
  }
  const absl::Duration timeout = absl::GetFlag(FLAGS_bitcoin_api_timeout);
  if (timeout <= absl::ZeroDuration()) {
    return InvalidFlag("bitcoin_api_timeout", absl::FormatDuration(timeout),
                       "must be positive");
  }
  absl::StatusOr<std::unique_ptr<EsploraClient>> client =
      EsploraClient::Create({.base_urls = urls,
                             .max_concurrency = concurrency,
                             .rate_per_second = rate,
                             .rate_burst = std::max(1.0, rate),
                             .timeout = timeout});
  if (!client.ok()) {
    return InvalidFlag("bitcoin_api_url", absl::StrJoin(urls, ","),
                       client.status().message());
  }
  return std::make_shared<EsploraSource>(*std::move(client));
}

absl::StatusOr<int> ConfirmationsFromFlag() {
  const int32_t confirmations = absl::GetFlag(FLAGS_btc_confirmations);
  if (confirmations < 1 || confirmations > 1000) {
    return InvalidFlag("btc_confirmations", absl::StrCat(confirmations),
                       "must be from 1 to 1000");
  }
  return confirmations;
}

}  // namespace chainsync::bitcoin
