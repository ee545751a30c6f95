#include "services/oracle/indexer_pool_view.h"

#include <chrono>

#include "absl/strings/str_cat.h"
#include "libs/common/grpc_status.h"

namespace chainsync::oracle {
namespace {

// Failures of the indexer are the oracle's answer UNAVAILABLE: the
// standing cannot be told now, whatever the indexer's own code was.
absl::Status Unavailable(const char* call, const grpc::Status& status) {
  return absl::UnavailableError(absl::StrCat(
      "the indexer's ", call, " failed: ", FromGrpcStatus(status).message()));
}

}  // namespace

IndexerPoolView::IndexerPoolView(
    std::shared_ptr<grpc::ChannelInterface> channel, evm::Address rbtc,
    absl::Duration timeout)
    : stub_(indexer::v1::IndexerService::NewStub(std::move(channel))),
      rbtc_(rbtc),
      timeout_(timeout) {}

absl::StatusOr<PoolFacts> IndexerPoolView::Facts(const evm::Address& account) {
  const auto deadline = [&](grpc::ClientContext& context) {
    context.set_deadline(std::chrono::system_clock::now() +
                         absl::ToChronoMilliseconds(timeout_));
  };
  PoolFacts facts;
  {
    indexer::v1::GetBalancesRequest request;
    request.set_address(account.ToChecksumHex());
    request.set_token_address(rbtc_.ToChecksumHex());
    indexer::v1::GetBalancesResponse response;
    grpc::ClientContext context;
    deadline(context);
    if (grpc::Status status = stub_->GetBalances(&context, request, &response);
        !status.ok()) {
      return Unavailable("GetBalances", status);
    }
    // An account the token never touched has no entry: a zero balance.
    for (const indexer::v1::TokenBalance& balance : response.balances()) {
      absl::StatusOr<evm::Uint256> sats =
          evm::ParseUint256(balance.balance(), "balance");
      if (!sats.ok()) return sats.status();
      facts.rbtc_sats = *sats;
    }
  }
  indexer::v1::ListActivityRequest request;
  request.set_address(account.ToChecksumHex());
  request.add_kinds(indexer::v1::ACTIVITY_KIND_YIELD);
  request.set_page_size(1);
  indexer::v1::ListActivityResponse response;
  grpc::ClientContext context;
  deadline(context);
  if (grpc::Status status = stub_->ListActivity(&context, request, &response);
      !status.ok()) {
    return Unavailable("ListActivity", status);
  }
  if (response.activities_size() == 0) return facts;
  const indexer::v1::Activity& newest = response.activities(0);
  const auto& fields = newest.details().fields();
  const auto action = fields.find("action");
  if (action != fields.end() && action->second.string_value() == "join") {
    facts.joined_at = absl::FromUnixSeconds(newest.block_time().seconds());
  }
  return facts;
}

}  // namespace chainsync::oracle
