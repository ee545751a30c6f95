#include "services/oracle/indexer_pool_view.h"

#include "libs/common/grpc_call.h"

namespace chainsync::oracle {

IndexerPoolView::IndexerPoolView(
    std::shared_ptr<grpc::ChannelInterface> channel, evm::Address rbtc,
    absl::Duration timeout)
    : stub_(indexer::v1::IndexerService::NewStub(std::move(channel))),
      rbtc_(rbtc),
      timeout_(timeout) {}

absl::StatusOr<PoolFacts> IndexerPoolView::Facts(const evm::Address& account) {
  PoolFacts facts;
  {
    indexer::v1::GetBalancesRequest request;
    request.set_address(account.ToChecksumHex());
    request.set_token_address(rbtc_.ToChecksumHex());
    absl::StatusOr<indexer::v1::GetBalancesResponse> response =
        UnaryCall<indexer::v1::GetBalancesResponse>(
            timeout_, "the indexer's GetBalances",
            [&](grpc::ClientContext& context,
                indexer::v1::GetBalancesResponse& out) {
              return stub_->GetBalances(&context, request, &out);
            });
    if (!response.ok()) return response.status();
    // An account the token never touched has no entry: a zero balance.
    for (const indexer::v1::TokenBalance& balance : response->balances()) {
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
  absl::StatusOr<indexer::v1::ListActivityResponse> response =
      UnaryCall<indexer::v1::ListActivityResponse>(
          timeout_, "the indexer's ListActivity",
          [&](grpc::ClientContext& context,
              indexer::v1::ListActivityResponse& out) {
            return stub_->ListActivity(&context, request, &out);
          });
  if (!response.ok()) return response.status();
  if (response->activities_size() == 0) return facts;
  const indexer::v1::Activity& newest = response->activities(0);
  const auto& fields = newest.details().fields();
  const auto action = fields.find("action");
  if (action != fields.end() && action->second.string_value() == "join") {
    facts.joined_at = absl::FromUnixSeconds(newest.block_time().seconds());
  }
  return facts;
}

}  // namespace chainsync::oracle
