#include "tools/btcsim/esplora_api.h"

#include <algorithm>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "libs/common/logging/log.h"
#include "simdjson.h"

namespace chainsync::btcsim {
namespace {

using bitcoin::Bytes;
using bitcoin::Hex;

// Esplora pages: 25 confirmed transactions, 50 from the mempool, 10 blocks.
constexpr size_t kChainPage = 25;
constexpr size_t kMempoolPage = 50;
constexpr size_t kBlockPage = 10;

std::string HexOf(absl::Span<const uint8_t> bytes) {
  return absl::BytesToHexString(absl::string_view(
      reinterpret_cast<const char*>(bytes.data()), bytes.size()));
}

std::string Quoted(absl::string_view text) {
  std::string out;
  log::AppendJsonString(&out, text);
  return out;
}

HttpResponse Json(std::string body) {
  return HttpResponse::Json(200, std::move(body));
}

// Esplora answers its errors as plain text.
HttpResponse TextError(int status, absl::string_view message) {
  return HttpResponse::Text(status, std::string(message));
}

HttpResponse ControlError(const absl::Status& status) {
  const int code = absl::IsInvalidArgument(status)      ? 400
                   : absl::IsFailedPrecondition(status) ? 409
                   : absl::IsNotFound(status)           ? 404
                                                        : 500;
  return HttpResponse::Error(code, status.code(), status.message());
}

std::string OutputJson(const bitcoin::TxOut& output, bitcoin::Network network) {
  std::string json = absl::StrCat(
      R"({"scriptpubkey":")", HexOf(output.script_pubkey),
      R"(","scriptpubkey_asm":")", bitcoin::ScriptAsm(output.script_pubkey),
      R"(","scriptpubkey_type":")", bitcoin::ScriptType(output.script_pubkey),
      R"(")");
  if (const auto address =
          bitcoin::AddressOfScript(output.script_pubkey, network)) {
    absl::StrAppend(&json, R"(,"scriptpubkey_address":")", *address, R"(")");
  }
  absl::StrAppend(&json, R"(,"value":)", output.value_sats, "}");
  return json;
}

std::string StatusJson(const SimulatedChain& chain, const ChainTx& tx) {
  if (!tx.height.has_value()) return R"({"confirmed":false})";
  const Block& block = *chain.BlockAt(*tx.height);
  return absl::StrCat(R"({"confirmed":true,"block_height":)", block.height,
                      R"(,"block_hash":")", Hex(block.hash),
                      R"(","block_time":)", block.header.time, "}");
}

std::string TxJson(const SimulatedChain& chain, const ChainTx& entry) {
  const bitcoin::Transaction& tx = entry.tx;
  std::vector<std::string> inputs;
  for (size_t vin = 0; vin < tx.inputs.size(); ++vin) {
    const bitcoin::TxIn& input = tx.inputs[vin];
    const bool coinbase = tx.is_coinbase();
    inputs.push_back(absl::StrCat(
        R"({"txid":")", Hex(input.previous.txid), R"(","vout":)",
        input.previous.vout, R"(,"prevout":)",
        coinbase ? "null" : OutputJson(entry.prevouts[vin], chain.network()),
        R"(,"scriptsig":")", HexOf(input.script_sig), R"(","scriptsig_asm":")",
        coinbase ? "" : bitcoin::ScriptAsm(input.script_sig),
        R"(","is_coinbase":)", coinbase ? "true" : "false", R"(,"sequence":)",
        input.sequence, "}"));
  }
  std::vector<std::string> outputs;
  for (const bitcoin::TxOut& output : tx.outputs) {
    outputs.push_back(OutputJson(output, chain.network()));
  }
  const size_t size = tx.Serialize().size();
  return absl::StrCat(R"({"txid":")", Hex(entry.txid), R"(","version":)",
                      tx.version, R"(,"locktime":)", tx.locktime, R"(,"vin":[)",
                      absl::StrJoin(inputs, ","), R"(],"vout":[)",
                      absl::StrJoin(outputs, ","), R"(],"size":)", size,
                      R"(,"weight":)", size * 4, R"(,"fee":)", entry.fee_sats,
                      R"(,"status":)", StatusJson(chain, entry), "}");
}

std::string TxListJson(const SimulatedChain& chain,
                       const std::vector<const ChainTx*>& txs) {
  std::vector<std::string> items;
  items.reserve(txs.size());
  for (const ChainTx* tx : txs) items.push_back(TxJson(chain, *tx));
  return absl::StrCat("[", absl::StrJoin(items, ","), "]");
}

std::string StatsJson(const TxoStats& stats) {
  return absl::StrCat(R"({"funded_txo_count":)", stats.funded_count,
                      R"(,"funded_txo_sum":)", stats.funded_sum,
                      R"(,"spent_txo_count":)", stats.spent_count,
                      R"(,"spent_txo_sum":)", stats.spent_sum,
                      R"(,"tx_count":)", stats.tx_count, "}");
}

std::string BlockJson(const SimulatedChain& chain, const Block& block) {
  const bool best = chain.BlockAt(block.height) != nullptr &&
                    chain.BlockAt(block.height)->hash == block.hash;
  std::string json = absl::StrCat(
      R"({"id":")", Hex(block.hash), R"(","height":)", block.height,
      R"(,"version":)", block.header.version, R"(,"timestamp":)",
      block.header.time, R"(,"tx_count":)", block.txids.size(), R"(,"size":)",
      block.size, R"(,"weight":)", block.size * 4, R"(,"merkle_root":")",
      Hex(block.header.merkle_root), R"(")");
  if (block.height > 0) {
    absl::StrAppend(&json, R"(,"previousblockhash":")",
                    Hex(block.header.previous), R"(")");
  }
  absl::StrAppend(&json, R"(,"mediantime":)",
                  best ? chain.MedianTime(block.height) : block.header.time,
                  R"(,"nonce":)", block.header.nonce, R"(,"bits":)",
                  block.header.bits, R"(,"difficulty":1})");
  return json;
}

std::string BlockStatusJson(const SimulatedChain& chain, const Block& block) {
  const Block* at = chain.BlockAt(block.height);
  const bool best = at != nullptr && at->hash == block.hash;
  std::string json =
      absl::StrCat(R"({"in_best_chain":)", best ? "true" : "false");
  if (best) {
    absl::StrAppend(&json, R"(,"height":)", block.height);
    if (const Block* next = chain.BlockAt(block.height + 1)) {
      absl::StrAppend(&json, R"(,"next_best":")", Hex(next->hash), R"(")");
    } else {
      absl::StrAppend(&json, R"(,"next_best":null)");
    }
  }
  return json + "}";
}

// The route class a fault may name, from the path under the API prefix.
std::string RouteClass(const std::vector<absl::string_view>& parts) {
  if (parts.empty()) return "*";
  if (parts[0] == "blocks" && parts.size() >= 2 && parts[1] == "tip") {
    return "tip";
  }
  if (parts[0] == "block" || parts[0] == "block-height" ||
      parts[0] == "blocks" ||
      (parts[0] == "v1" && parts.size() >= 2 &&
       absl::StartsWith(parts[1], "block"))) {
    return "block";
  }
  if (parts[0] == "address") {
    if (parts.size() >= 3 && parts[2] == "utxo") return "utxo";
    if (parts.size() >= 3 && parts[2] == "txs") return "txs";
    return "address";
  }
  if (parts[0] == "tx") return "tx";
  if (parts[0] == "mempool") return "mempool";
  if (parts[0] == "v1" && parts.size() >= 2 && parts[1] == "fees") {
    return "fees";
  }
  return "*";
}

// Get answers one Esplora route of `chain`; `parts` is the path under the
// API prefix.
HttpResponse Get(const SimulatedChain& chain,
                 const std::vector<absl::string_view>& parts) {
  const auto is = [&](std::initializer_list<absl::string_view> want) {
    if (parts.size() != want.size()) return false;
    size_t i = 0;
    for (absl::string_view part : want) {
      if (!part.empty() && parts[i] != part) return false;
      ++i;
    }
    return true;
  };
  const auto find_block = [&](absl::string_view text) -> const Block* {
    bitcoin::Hash256 hash;
    return bitcoin::ParseHash(text, &hash) ? chain.FindBlock(hash) : nullptr;
  };
  const auto find_tx = [&](absl::string_view text) -> const ChainTx* {
    bitcoin::Hash256 hash;
    return bitcoin::ParseHash(text, &hash) ? chain.FindTx(hash) : nullptr;
  };
  const auto blocks_from = [&](absl::string_view start) {
    uint64_t height = chain.tip().height;
    if (!start.empty() &&
        (!absl::SimpleAtoi(start, &height) || height > chain.tip().height)) {
      height = chain.tip().height;
    }
    std::vector<std::string> blocks;
    for (uint64_t h = height + 1; h-- > 0 && blocks.size() < kBlockPage;) {
      blocks.push_back(BlockJson(chain, *chain.BlockAt(h)));
    }
    return Json(absl::StrCat("[", absl::StrJoin(blocks, ","), "]"));
  };

  if (is({"blocks", "tip", "height"})) {
    return HttpResponse::Text(200, absl::StrCat(chain.tip().height));
  }
  if (is({"blocks", "tip", "hash"})) {
    return HttpResponse::Text(200, Hex(chain.tip().hash));
  }
  if (is({"blocks"}) || is({"v1", "blocks"})) return blocks_from("");
  if (is({"blocks", ""})) return blocks_from(parts[1]);
  if (is({"v1", "blocks", ""})) return blocks_from(parts[2]);
  if (is({"block-height", ""})) {
    uint64_t height = 0;
    const Block* block =
        absl::SimpleAtoi(parts[1], &height) ? chain.BlockAt(height) : nullptr;
    if (block == nullptr) return TextError(404, "Block not found");
    return HttpResponse::Text(200, Hex(block->hash));
  }
  if (parts.size() >= 2 &&
      (parts[0] == "block" || (parts[0] == "v1" && parts[1] == "block"))) {
    const size_t at = parts[0] == "block" ? 1 : 2;
    const Block* block = parts.size() > at ? find_block(parts[at]) : nullptr;
    if (block == nullptr) return TextError(404, "Block not found");
    const std::vector<absl::string_view> rest(parts.begin() + at + 1,
                                              parts.end());
    if (rest.empty()) return Json(BlockJson(chain, *block));
    if (rest.size() == 1 && rest[0] == "status") {
      return Json(BlockStatusJson(chain, *block));
    }
    if (rest.size() == 1 && rest[0] == "header") {
      return HttpResponse::Text(200, HexOf(block->header.Serialize()));
    }
    if (rest.size() == 1 && rest[0] == "raw") {
      Bytes raw = block->header.Serialize();
      bitcoin::AppendVarint(&raw, block->txids.size());
      for (const auto& txid : block->txids) {
        const Bytes tx = chain.FindTx(txid)->tx.Serialize();
        raw.insert(raw.end(), tx.begin(), tx.end());
      }
      return HttpResponse{
          .status = 200,
          .headers = {{"content-type", "application/octet-stream"}},
          .body = std::string(raw.begin(), raw.end())};
    }
    if (rest.size() == 1 && rest[0] == "txids") {
      std::vector<std::string> txids;
      for (const auto& txid : block->txids) txids.push_back(Quoted(Hex(txid)));
      return Json(absl::StrCat("[", absl::StrJoin(txids, ","), "]"));
    }
    if (rest.size() == 2 && rest[0] == "txid") {
      size_t index = 0;
      if (!absl::SimpleAtoi(rest[1], &index) || index >= block->txids.size()) {
        return TextError(404, "Transaction index out of range");
      }
      return HttpResponse::Text(200, Hex(block->txids[index]));
    }
    if ((rest.size() == 1 || rest.size() == 2) && rest[0] == "txs") {
      size_t start = 0;
      if (rest.size() == 2 &&
          (!absl::SimpleAtoi(rest[1], &start) || start % kChainPage != 0)) {
        return TextError(400, "start index must be a multiple of 25");
      }
      std::vector<const ChainTx*> txs;
      for (size_t i = start; i < block->txids.size() && txs.size() < kChainPage;
           ++i) {
        if (const ChainTx* tx = chain.FindTx(block->txids[i])) {
          txs.push_back(tx);
        }
      }
      return Json(TxListJson(chain, txs));
    }
    return TextError(404, "Not found");
  }
  if (parts.size() >= 2 && parts[0] == "address") {
    absl::StatusOr<bitcoin::Address> address = chain.ParseAddress(parts[1]);
    if (!address.ok()) {
      return TextError(400, absl::StrCat("Invalid Bitcoin address: ",
                                         address.status().message()));
    }
    if (is({"address", ""})) {
      const AddressSummary summary = chain.Summary(*address);
      return Json(absl::StrCat(R"({"address":")", address->text,
                               R"(","chain_stats":)", StatsJson(summary.chain),
                               R"(,"mempool_stats":)",
                               StatsJson(summary.mempool), "}"));
    }
    if (is({"address", "", "utxo"})) {
      std::vector<std::string> items;
      for (const Unspent& unspent : chain.Unspents(*address)) {
        items.push_back(absl::StrCat(R"({"txid":")", Hex(unspent.outpoint.txid),
                                     R"(","vout":)", unspent.outpoint.vout,
                                     R"(,"status":)",
                                     StatusJson(chain, *unspent.tx),
                                     R"(,"value":)", unspent.value_sats, "}"));
      }
      return Json(absl::StrCat("[", absl::StrJoin(items, ","), "]"));
    }
    const std::vector<const ChainTx*> all = chain.AddressTransactions(*address);
    const auto mempool_end =
        std::find_if(all.begin(), all.end(),
                     [](const ChainTx* tx) { return tx->height.has_value(); });
    std::vector<const ChainTx*> mempool(all.begin(), mempool_end);
    if (mempool.size() > kMempoolPage) mempool.resize(kMempoolPage);
    std::vector<const ChainTx*> confirmed(mempool_end, all.end());
    if (is({"address", "", "txs", "mempool"})) {
      return Json(TxListJson(chain, mempool));
    }
    if (is({"address", "", "txs"}) || is({"address", "", "txs", "chain"}) ||
        is({"address", "", "txs", "chain", ""})) {
      if (parts.size() == 5) {
        bitcoin::Hash256 last;
        if (!bitcoin::ParseHash(parts[4], &last)) {
          return TextError(400, "Invalid hex string");
        }
        const auto after =
            std::find_if(confirmed.begin(), confirmed.end(),
                         [&](const ChainTx* tx) { return tx->txid == last; });
        confirmed.erase(confirmed.begin(),
                        after == confirmed.end() ? after : after + 1);
      }
      if (confirmed.size() > kChainPage) confirmed.resize(kChainPage);
      if (parts.size() == 3) {
        // /txs: the mempool's first, then the chain's first page.
        mempool.insert(mempool.end(), confirmed.begin(), confirmed.end());
        return Json(TxListJson(chain, mempool));
      }
      return Json(TxListJson(chain, confirmed));
    }
    return TextError(404, "Not found");
  }
  if (parts.size() >= 2 && parts[0] == "tx") {
    const ChainTx* tx = find_tx(parts[1]);
    if (tx == nullptr) return TextError(404, "Transaction not found");
    if (is({"tx", ""})) return Json(TxJson(chain, *tx));
    if (is({"tx", "", "status"})) return Json(StatusJson(chain, *tx));
    if (is({"tx", "", "hex"})) {
      return HttpResponse::Text(200, HexOf(tx->tx.Serialize()));
    }
    if (is({"tx", "", "raw"})) {
      const Bytes raw = tx->tx.Serialize();
      return HttpResponse{
          .status = 200,
          .headers = {{"content-type", "application/octet-stream"}},
          .body = std::string(raw.begin(), raw.end())};
    }
    const auto outspend = [&](uint32_t vout) {
      const auto spender = chain.SpenderOf({.txid = tx->txid, .vout = vout});
      if (!spender.has_value()) return std::string(R"({"spent":false})");
      return absl::StrCat(R"({"spent":true,"txid":")", Hex(spender->txid),
                          R"(","vin":)", spender->vin, R"(,"status":)",
                          StatusJson(chain, *chain.FindTx(spender->txid)), "}");
    };
    if (is({"tx", "", "outspends"})) {
      std::vector<std::string> items;
      for (uint32_t vout = 0; vout < tx->tx.outputs.size(); ++vout) {
        items.push_back(outspend(vout));
      }
      return Json(absl::StrCat("[", absl::StrJoin(items, ","), "]"));
    }
    if (is({"tx", "", "outspend", ""})) {
      uint32_t vout = 0;
      if (!absl::SimpleAtoi(parts[3], &vout) || vout >= tx->tx.outputs.size()) {
        return TextError(404, "Output not found");
      }
      return Json(outspend(vout));
    }
    if (is({"tx", "", "merkle-proof"})) {
      if (!tx->height.has_value()) {
        return TextError(404, "Transaction not confirmed");
      }
      // The branch of hashes from the transaction up to the root.
      std::vector<bitcoin::Hash256> level = chain.BlockAt(*tx->height)->txids;
      size_t index = tx->block_index;
      std::vector<std::string> merkle;
      while (level.size() > 1) {
        if (level.size() % 2 == 1) level.push_back(level.back());
        merkle.push_back(Quoted(Hex(level[index ^ 1])));
        std::vector<bitcoin::Hash256> next;
        for (size_t i = 0; i < level.size(); i += 2) {
          next.push_back(bitcoin::MerkleRoot({level[i], level[i + 1]}));
        }
        level = std::move(next);
        index /= 2;
      }
      return Json(absl::StrCat(R"({"block_height":)", *tx->height,
                               R"(,"merkle":[)", absl::StrJoin(merkle, ","),
                               R"(],"pos":)", tx->block_index, "}"));
    }
    return TextError(404, "Not found");
  }
  if (parts.size() >= 1 && parts[0] == "mempool") {
    const std::vector<const ChainTx*> mempool = chain.Mempool();
    if (is({"mempool"})) {
      int64_t vsize = 0;
      int64_t fees = 0;
      for (const ChainTx* tx : mempool) {
        vsize += static_cast<int64_t>(tx->tx.Serialize().size());
        fees += tx->fee_sats;
      }
      return Json(absl::StrCat(R"({"count":)", mempool.size(), R"(,"vsize":)",
                               vsize, R"(,"total_fee":)", fees,
                               R"(,"fee_histogram":[]})"));
    }
    if (is({"mempool", "txids"})) {
      std::vector<std::string> txids;
      for (const ChainTx* tx : mempool) txids.push_back(Quoted(Hex(tx->txid)));
      return Json(absl::StrCat("[", absl::StrJoin(txids, ","), "]"));
    }
    if (is({"mempool", "recent"})) {
      std::vector<std::string> items;
      for (auto tx = mempool.rbegin();
           tx != mempool.rend() && items.size() < 10; ++tx) {
        int64_t value = 0;
        for (const auto& output : (*tx)->tx.outputs) value += output.value_sats;
        items.push_back(absl::StrCat(
            R"({"txid":")", Hex((*tx)->txid), R"(","fee":)", (*tx)->fee_sats,
            R"(,"vsize":)", (*tx)->tx.Serialize().size(), R"(,"value":)", value,
            "}"));
      }
      return Json(absl::StrCat("[", absl::StrJoin(items, ","), "]"));
    }
  }
  if (is({"v1", "fees", "recommended"})) {
    // The simulated mempool is never full: the minimum rate everywhere.
    return Json(
        R"({"fastestFee":1,"halfHourFee":1,"hourFee":1,"economyFee":1,"minimumFee":1})");
  }
  if (is({"v1", "fees", "mempool-blocks"})) {
    const std::vector<const ChainTx*> mempool = chain.Mempool();
    if (mempool.empty()) return Json("[]");
    int64_t size = 0;
    int64_t fees = 0;
    for (const ChainTx* tx : mempool) {
      size += static_cast<int64_t>(tx->tx.Serialize().size());
      fees += tx->fee_sats;
    }
    return Json(absl::StrCat(R"([{"blockSize":)", size, R"(,"blockVSize":)",
                             size, R"(,"nTx":)", mempool.size(),
                             R"(,"totalFees":)", fees,
                             R"(,"medianFee":1,"feeRange":[1,1]}])"));
  }
  return TextError(404, "Not found");
}

}  // namespace

EsploraApi::EsploraApi(Clock& clock, metrics::Registry& registry)
    : clock_(clock),
      requests_(registry.AddCounter(
          "chainsync_btcsim_requests_total",
          "Esplora requests answered, by route class and injected fault.",
          {"route", "fault"})) {
  chains_.emplace("mainnet",
                  std::make_unique<Chain>(bitcoin::Network::kMainnet, clock));
  chains_.emplace("testnet",
                  std::make_unique<Chain>(bitcoin::Network::kTestnet, clock));
  chains_.emplace("regtest",
                  std::make_unique<Chain>(bitcoin::Network::kRegtest, clock));
  delay_thread_ = std::thread([this] { RunDelays(); });
}

EsploraApi::~EsploraApi() {
  {
    std::lock_guard<std::mutex> lock(delay_mu_);
    stopping_ = true;
  }
  delay_cv_.notify_one();
  delay_thread_.join();
}

void EsploraApi::Handle(HttpRequest request, HttpReply reply) {
  absl::string_view path = request.path;
  if (absl::StartsWith(path, "/sim/")) {
    std::move(reply).Send(Control(request));
    return;
  }
  // mempool.space's prefixes; signet shares testnet's addresses.
  absl::string_view network;
  if (absl::ConsumePrefix(&path, "/api")) {
    network = "mainnet";
  } else if (absl::ConsumePrefix(&path, "/testnet/api") ||
             absl::ConsumePrefix(&path, "/signet/api")) {
    network = "testnet";
  } else if (absl::ConsumePrefix(&path, "/regtest/api")) {
    network = "regtest";
  } else {
    std::move(reply).Send(TextError(404, "Not found"));
    return;
  }
  if (request.method != "GET" && request.method != "HEAD") {
    std::move(reply).Send(TextError(405, "Method not allowed"));
    return;
  }
  const std::vector<absl::string_view> parts =
      absl::StrSplit(path, '/', absl::SkipEmpty());
  const std::string route = RouteClass(parts);
  const std::optional<Fault> fault = faults_.Take(route);
  if (fault.has_value() && fault->mode == FaultMode::kTooManyRequests) {
    requests_.WithLabels({route, "429"}).Increment();
    HttpResponse response = TextError(429, "Too Many Requests");
    if (fault->retry_after_seconds.has_value()) {
      response.headers.emplace_back("retry-after",
                                    absl::StrCat(*fault->retry_after_seconds));
    }
    std::move(reply).Send(std::move(response));
    return;
  }
  if (fault.has_value() && fault->mode == FaultMode::kServerError) {
    requests_.WithLabels({route, "500"}).Increment();
    std::move(reply).Send(TextError(500, "Internal Server Error"));
    return;
  }
  Chain& chain = *chains_.find(network)->second;
  HttpResponse response;
  {
    std::lock_guard<std::mutex> lock(chain.mu);
    response = Get(chain.chain, parts);
  }
  if (fault.has_value() && fault->mode == FaultMode::kTruncated) {
    requests_.WithLabels({route, "truncate"}).Increment();
    response.body.resize(response.body.size() / 2);
  } else if (fault.has_value() && fault->mode == FaultMode::kSlow) {
    requests_.WithLabels({route, "slow"}).Increment();
    SendLater(std::move(reply), std::move(response), fault->delay);
    return;
  } else {
    requests_.WithLabels({route, "none"}).Increment();
  }
  std::move(reply).Send(std::move(response));
}

HttpResponse EsploraApi::Control(const HttpRequest& request) {
  const std::vector<absl::string_view> parts =
      absl::StrSplit(request.path, '/', absl::SkipEmpty());
  if (parts.size() == 2 && parts[1] == "faults") {
    if (request.method == "DELETE") {
      faults_.Clear();
      log::Info("faults cleared");
      return Json("{}");
    }
    if (request.method != "POST") {
      return HttpResponse::Error(405, absl::StatusCode::kUnimplemented,
                                 "POST or DELETE /sim/faults");
    }
    absl::StatusOr<std::pair<std::string, Fault>> fault =
        ParseFault(request.body);
    if (!fault.ok()) return ControlError(fault.status());
    log::Info("fault set",
              {{"route", fault->first}, {"count", fault->second.count}});
    faults_.Set(fault->first, fault->second);
    return Json("{}");
  }
  if (parts.size() != 3 || request.method != "POST") {
    return HttpResponse::Error(
        404, absl::StatusCode::kNotFound,
        "control routes: POST /sim/{network}/fund|spend|mine|reorg, "
        "POST|DELETE /sim/faults");
  }
  const auto found = chains_.find(parts[1]);
  if (found == chains_.end()) {
    return HttpResponse::Error(
        404, absl::StatusCode::kNotFound,
        absl::StrCat("network \"", parts[1].substr(0, 20),
                     "\" is not one of mainnet, testnet, regtest"));
  }
  simdjson::dom::parser parser;
  simdjson::dom::object body;
  if (parser.parse(request.body).get(body) != simdjson::SUCCESS) {
    return ControlError(
        absl::InvalidArgumentError("the body is not a JSON object"));
  }
  const auto integer = [&](const char* field, int64_t fallback) {
    int64_t value = 0;
    return body[field].get(value) == simdjson::SUCCESS ? value : fallback;
  };
  const auto text = [&](const char* field) {
    std::string_view value;
    return body[field].get(value) == simdjson::SUCCESS ? std::string(value)
                                                       : std::string();
  };
  SimulatedChain& chain = found->second->chain;
  std::lock_guard<std::mutex> lock(found->second->mu);
  const absl::string_view action = parts[2];
  if (action == "fund") {
    std::vector<SimulatedChain::Payment> payments;
    simdjson::dom::array outputs;
    if (body["outputs"].get(outputs) == simdjson::SUCCESS) {
      for (simdjson::dom::element output : outputs) {
        std::string_view address;
        int64_t sats = 0;
        if (output["address"].get(address) != simdjson::SUCCESS ||
            output["sats"].get(sats) != simdjson::SUCCESS) {
          return ControlError(absl::InvalidArgumentError(
              "outputs: each needs an address and sats"));
        }
        payments.push_back({.address = std::string(address), .sats = sats});
      }
    } else {
      payments.push_back(
          {.address = text("address"), .sats = integer("sats", 0)});
    }
    absl::StatusOr<Hash256> txid = chain.Fund(payments);
    if (!txid.ok()) return ControlError(txid.status());
    return Json(absl::StrCat(R"({"txid":")", Hex(*txid), R"("})"));
  }
  if (action == "spend") {
    absl::StatusOr<Hash256> txid =
        chain.Spend(text("address"), integer("sats", 0), text("to"));
    if (!txid.ok()) return ControlError(txid.status());
    return Json(absl::StrCat(R"({"txid":")", Hex(*txid), R"("})"));
  }
  if (action == "mine") {
    const int64_t blocks = integer("blocks", 1);
    if (blocks < 1 || blocks > 10'000) {
      return ControlError(
          absl::InvalidArgumentError("blocks: must be 1..10000"));
    }
    std::vector<std::string> hashes;
    for (const Hash256& hash : chain.Mine(static_cast<int>(blocks))) {
      hashes.push_back(Quoted(Hex(hash)));
    }
    return Json(absl::StrCat(R"({"height":)", chain.tip().height,
                             R"(,"hashes":[)", absl::StrJoin(hashes, ","),
                             "]}"));
  }
  if (action == "reorg") {
    bool drop = false;
    if (body["dropTransactions"].get(drop) != simdjson::SUCCESS) drop = false;
    if (absl::Status status =
            chain.Reorg(static_cast<int>(integer("depth", 0)), drop);
        !status.ok()) {
      return ControlError(status);
    }
    log::Info("reorg", {{"network", parts[1]}, {"height", chain.tip().height}});
    return Json(absl::StrCat(R"({"height":)", chain.tip().height,
                             R"(,"hash":")", Hex(chain.tip().hash), R"("})"));
  }
  return HttpResponse::Error(404, absl::StatusCode::kNotFound,
                             "actions: fund, spend, mine, reorg");
}

void EsploraApi::SendLater(HttpReply reply, HttpResponse response,
                           absl::Duration delay) {
  {
    std::lock_guard<std::mutex> lock(delay_mu_);
    delayed_.push({.due = clock_.Now() + delay,
                   .reply = std::make_shared<HttpReply>(std::move(reply)),
                   .response = std::move(response)});
  }
  delay_cv_.notify_one();
}

void EsploraApi::RunDelays() {
  std::unique_lock<std::mutex> lock(delay_mu_);
  while (!stopping_) {
    if (delayed_.empty()) {
      delay_cv_.wait(lock);
      continue;
    }
    const absl::Time due = delayed_.top().due;
    if (const absl::Duration wait = due - clock_.Now();
        wait > absl::ZeroDuration()) {
      // Until it is due, or an earlier answer is queued, or the end.
      clock_.WaitFor(delay_cv_, lock, wait,
                     [&] { return stopping_ || delayed_.top().due < due; });
      continue;
    }
    Delayed ready = delayed_.top();
    delayed_.pop();
    lock.unlock();
    std::move(*ready.reply).Send(std::move(ready.response));
    lock.lock();
  }
}

}  // namespace chainsync::btcsim
