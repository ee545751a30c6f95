#include "services/reconciler/indexer_reader.h"

#include "absl/strings/str_cat.h"
#include "libs/common/grpc_call.h"

namespace chainsync::reconciler {
namespace {

namespace v1 = indexer::v1;

absl::StatusOr<std::string> Field(const v1::Event& event, const char* name) {
  const auto& fields = event.args().fields();
  const auto found = fields.find(name);
  if (found == fields.end()) {
    return absl::InvalidArgumentError(
        absl::StrCat("the indexer's ", event.event_name(), " event in block ",
                     event.position().block_number(), " has no ", name));
  }
  return found->second.string_value();
}

absl::StatusOr<MirrorEvent> EventOf(const v1::Event& event) {
  const bool synced = event.event_name() == "Synced";
  absl::StatusOr<std::string> user = Field(event, "user");
  if (!user.ok()) return user.status();
  absl::StatusOr<std::string> amount =
      Field(event, synced ? "newBalance" : "amount");
  if (!amount.ok()) return amount.status();
  absl::StatusOr<evm::Address> account = evm::Address::Parse(*user, "user");
  if (!account.ok()) return account.status();
  absl::StatusOr<evm::Uint256> sats = evm::ParseUint256(*amount, "amount");
  if (!sats.ok()) return sats.status();
  absl::StatusOr<evm::Hash> transaction = evm::FixedFromHex<32>(
      event.position().transaction_hash(), "transaction_hash");
  if (!transaction.ok()) return transaction.status();
  return MirrorEvent{.kind = synced ? MirrorEvent::Kind::kSynced
                                    : MirrorEvent::Kind::kEmergencyBurn,
                     .transaction = *transaction,
                     .log_index = event.position().log_index(),
                     .block = event.position().block_number(),
                     .account = *account,
                     .amount = *sats};
}

}  // namespace

IndexerReader::IndexerReader(std::shared_ptr<grpc::ChannelInterface> channel,
                             evm::Address token, evm::Address aggregator,
                             absl::Duration timeout)
    : stub_(v1::IndexerService::NewStub(std::move(channel))),
      token_(token),
      aggregator_(aggregator),
      timeout_(timeout) {}

absl::StatusOr<IndexerProgress> IndexerReader::Progress() {
  absl::StatusOr<v1::GetSyncStatusResponse> status =
      UnaryCall<v1::GetSyncStatusResponse>(
          timeout_, "the indexer's GetSyncStatus",
          [&](grpc::ClientContext& context, v1::GetSyncStatusResponse& out) {
            return stub_->GetSyncStatus(&context, {}, &out);
          });
  if (!status.ok()) return status.status();
  if (status->chains_size() == 0) {
    return absl::UnavailableError("the indexer reports no chain");
  }
  const v1::ChainSyncStatus& chain = status->chains(0);
  return IndexerProgress{.head = chain.head_block(),
                         .indexed = chain.indexed_block(),
                         .finalized = chain.finalized_block()};
}

absl::StatusOr<IndexerView> IndexerReader::Read(uint64_t block) {
  IndexerView view;
  v1::ListHoldersRequest holders;
  holders.set_token_address(token_.ToChecksumHex());
  holders.set_block_number(block);
  holders.set_page_size(10'000);
  do {
    absl::StatusOr<v1::ListHoldersResponse> page =
        UnaryCall<v1::ListHoldersResponse>(
            timeout_, "the indexer's ListHolders",
            [&](grpc::ClientContext& context, v1::ListHoldersResponse& out) {
              return stub_->ListHolders(&context, holders, &out);
            });
    if (!page.ok()) return page.status();
    for (const v1::Holder& holder : page->holders()) {
      absl::StatusOr<evm::Address> account =
          evm::Address::Parse(holder.address(), "address");
      if (!account.ok()) return account.status();
      absl::StatusOr<evm::Uint256> balance =
          evm::ParseUint256(holder.balance(), "balance");
      if (!balance.ok()) return balance.status();
      view.balances[*account] = *balance;
    }
    holders.set_page_token(page->next_page_token());
  } while (!holders.page_token().empty());
  v1::ListEventsRequest events;
  events.add_contract_addresses(aggregator_.ToChecksumHex());
  events.add_event_names("Synced");
  events.add_event_names("EmergencyBurn");
  events.set_to_block(block);
  events.set_page_size(1'000);
  // Block 0 holds no event, and to ListEvents it means no upper bound.
  while (block > 0) {
    absl::StatusOr<v1::ListEventsResponse> page =
        UnaryCall<v1::ListEventsResponse>(
            timeout_, "the indexer's ListEvents",
            [&](grpc::ClientContext& context, v1::ListEventsResponse& out) {
              return stub_->ListEvents(&context, events, &out);
            });
    if (!page.ok()) return page.status();
    for (const v1::Event& event : page->events()) {
      absl::StatusOr<MirrorEvent> read = EventOf(event);
      if (!read.ok()) return read.status();
      view.events.push_back(*read);
    }
    if (page->next_page_token().empty()) break;
    events.set_page_token(page->next_page_token());
  }
  return view;
}

absl::StatusOr<evm::Uint256> IndexerReader::BalanceAt(
    const evm::Address& account, uint64_t block) {
  v1::GetBalancesRequest request;
  request.set_address(account.ToChecksumHex());
  request.set_token_address(token_.ToChecksumHex());
  request.set_block_number(block);
  absl::StatusOr<v1::GetBalancesResponse> balances =
      UnaryCall<v1::GetBalancesResponse>(
          timeout_, "the indexer's GetBalances",
          [&](grpc::ClientContext& context, v1::GetBalancesResponse& out) {
            return stub_->GetBalances(&context, request, &out);
          });
  if (!balances.ok()) return balances.status();
  // An account that never held rBTC has no entry.
  if (balances->balances_size() == 0) return evm::Uint256(0);
  return evm::ParseUint256(balances->balances(0).balance(), "balance");
}

absl::StatusOr<v1::RereadBlocksResponse> IndexerReader::Reread(
    uint64_t from_block, const std::string& reason) {
  v1::RereadBlocksRequest request;
  request.set_from_block(from_block);
  request.set_reason(reason);
  return UnaryCall<v1::RereadBlocksResponse>(
      timeout_, "the indexer's RereadBlocks",
      [&](grpc::ClientContext& context, v1::RereadBlocksResponse& out) {
        return stub_->RereadBlocks(&context, request, &out);
      });
}

}  // namespace chainsync::reconciler
