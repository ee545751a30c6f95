#include "services/reconciler/oracle_reader.h"

#include <future>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "libs/common/api/proto_time.h"
#include "libs/common/grpc_call.h"

namespace chainsync::reconciler {
namespace {

namespace v1 = oracle::v1;

// EachPage lists page after page, the request's token moved along, and
// hands each to `take` until the last page or until `take` answers false
// (it has what it wanted). `list` makes one call of the stub.
template <typename Response, typename Request, typename List, typename Take>
absl::Status EachPage(absl::Duration timeout, absl::string_view what,
                      Request request, List list, Take take) {
  do {
    absl::StatusOr<Response> page = UnaryCall<Response>(
        timeout, what, [&](grpc::ClientContext& context, Response& out) {
          return list(&context, request, &out);
        });
    if (!page.ok()) return page.status();
    absl::StatusOr<bool> more = take(*page);
    if (!more.ok()) return more.status();
    if (!*more) return absl::OkStatus();
    request.set_page_token(page->next_page_token());
  } while (!request.page_token().empty());
  return absl::OkStatus();
}

}  // namespace

OracleReader::OracleReader(std::shared_ptr<grpc::ChannelInterface> channel,
                           absl::Duration timeout)
    : stub_(v1::OracleService::NewStub(std::move(channel))),
      timeout_(timeout) {}

absl::Status OracleReader::ReadAccounts(OracleView& view) {
  v1::ListUsersRequest request;
  request.set_page_size(1000);
  return EachPage<v1::ListUsersResponse>(
      timeout_, "the oracle's ListUsers", request,
      [&](auto* context, const auto& page_request, auto* out) {
        return stub_->ListUsers(context, page_request, out);
      },
      [&](const v1::ListUsersResponse& page) -> absl::StatusOr<bool> {
        for (const v1::UserSyncStatus& user : page.users()) {
          absl::StatusOr<evm::Address> account =
              evm::Address::Parse(user.address(), "address");
          if (!account.ok()) return account.status();
          OracleAccount& read = view.accounts.emplace_back();
          read.account = *account;
          read.sync_enabled = user.enabled();
          read.in_flight = user.has_pending_operation() ||
                           user.state() == v1::USER_SYNC_STATE_SYNCING;
          // A stale account has no total to compare: its last reading
          // failed.
          uint64_t sats = 0;
          if (user.last_error().empty() &&
              absl::SimpleAtoi(user.bitcoin_balance_sats(), &sats)) {
            read.confirmed_sats = sats;
            read.bitcoin_tip = user.bitcoin_tip_height();
          }
        }
        return true;
      });
}

absl::Status OracleReader::ReadOperations(OracleView& view) {
  // One entry per account of an operation: a batch is several.
  absl::flat_hash_map<int64_t, size_t> by_id;
  v1::ListOperationsRequest request;
  request.set_page_size(1000);
  return EachPage<v1::ListOperationsResponse>(
      timeout_, "the oracle's ListOperations", request,
      [&](auto* context, const auto& page_request, auto* out) {
        return stub_->ListOperations(context, page_request, out);
      },
      [&](const v1::ListOperationsResponse& page) -> absl::StatusOr<bool> {
        for (const v1::OracleOperation& entry : page.operations()) {
          absl::StatusOr<evm::Address> account =
              evm::Address::Parse(entry.address(), "address");
          if (!account.ok()) return account.status();
          const auto [place, added] = by_id.try_emplace(entry.id(), 0);
          if (added) {
            place->second = view.operations.size();
            OracleOperation& operation = view.operations.emplace_back();
            operation.id = entry.id();
            operation.kind = entry.kind() == v1::OPERATION_KIND_EMERGENCY_BURN
                                 ? MirrorEvent::Kind::kEmergencyBurn
                                 : MirrorEvent::Kind::kSynced;
            operation.confirmed =
                entry.state() == v1::OPERATION_STATE_CONFIRMED;
            if (!entry.transaction_hash().empty()) {
              absl::StatusOr<evm::Hash> hash = evm::FixedFromHex<32>(
                  entry.transaction_hash(), "transaction_hash");
              if (!hash.ok()) return hash.status();
              operation.transaction = *hash;
            }
            if (entry.block_number() > 0) {
              operation.block = entry.block_number();
            }
          }
          view.operations[place->second].accounts.push_back(*account);
        }
        return true;
      });
}

absl::StatusOr<std::string> OracleReader::ForceSync(
    const evm::Address& account) {
  v1::ForceUserSyncRequest request;
  request.set_address(account.ToChecksumHex());
  absl::StatusOr<v1::UserSyncStatus> status = UnaryCall<v1::UserSyncStatus>(
      timeout_, "the oracle's ForceUserSync",
      [&](grpc::ClientContext& context, v1::UserSyncStatus& out) {
        return stub_->ForceUserSync(&context, request, &out);
      });
  if (!status.ok()) return status.status();
  if (!status->last_error().empty()) {
    return absl::UnavailableError(absl::StrCat(
        "the oracle could not read the account: ", status->last_error()));
  }
  return absl::StrCat("it read ", status->bitcoin_balance_sats(),
                      " confirmed sats and syncs what differs");
}

absl::StatusOr<std::vector<std::string>> OracleReader::BitcoinAddresses(
    const evm::Address& account) {
  std::vector<std::string> addresses;
  v1::ListBitcoinAddressesRequest request;
  request.set_address(account.ToChecksumHex());
  request.set_page_size(500);
  absl::Status listed = EachPage<v1::ListBitcoinAddressesResponse>(
      timeout_, "the oracle's ListBitcoinAddresses", request,
      [&](auto* context, const auto& page_request, auto* out) {
        return stub_->ListBitcoinAddresses(context, page_request, out);
      },
      [&](const v1::ListBitcoinAddressesResponse& page)
          -> absl::StatusOr<bool> {
        for (const v1::BitcoinAddress& address : page.bitcoin_addresses()) {
          addresses.push_back(address.bitcoin_address());
        }
        return true;
      });
  if (!listed.ok()) return listed;
  return addresses;
}

absl::StatusOr<std::optional<CorrectiveSync>> OracleReader::FindSync(
    const evm::Address& account, int64_t balance_sats, absl::Time since) {
  const std::string balance = absl::StrCat(balance_sats);
  std::optional<CorrectiveSync> found;
  v1::ListOperationsRequest request;
  request.set_address(account.ToChecksumHex());
  request.set_page_size(100);
  absl::Status listed = EachPage<v1::ListOperationsResponse>(
      timeout_, "the oracle's ListOperations", request,
      [&](auto* context, const auto& page_request, auto* out) {
        return stub_->ListOperations(context, page_request, out);
      },
      [&](const v1::ListOperationsResponse& page) -> absl::StatusOr<bool> {
        // Newest first: past `since`, nothing older can be the one.
        for (const v1::OracleOperation& entry : page.operations()) {
          if (TimeOf(entry.create_time()) < since) return false;
          if (entry.kind() == v1::OPERATION_KIND_SYNC &&
              entry.new_balance_sats() == balance &&
              entry.state() != v1::OPERATION_STATE_FAILED &&
              entry.state() != v1::OPERATION_STATE_REPLACED) {
            found =
                CorrectiveSync{.operation_id = entry.id(),
                               .transaction_hash = entry.transaction_hash()};
            return false;
          }
        }
        return true;
      });
  if (!listed.ok()) return listed;
  return found;
}

absl::StatusOr<OracleView> OracleReader::Read() {
  // The accounts and the journal are read at once, each on a connection of
  // the oracle's own; they fill different parts of the view.
  OracleView view;
  std::future<absl::Status> journal = std::async(
      std::launch::async, [this, &view] { return ReadOperations(view); });
  const absl::Status accounts = ReadAccounts(view);
  const absl::Status operations = journal.get();
  if (!accounts.ok()) return accounts;
  if (!operations.ok()) return operations;
  return view;
}

}  // namespace chainsync::reconciler
