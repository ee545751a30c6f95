#include "services/oracle/mirror.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "contracts/deploy/protocol_abi.h"
#include "libs/common/logging/log.h"
#include "libs/evm/transaction.h"

namespace chainsync::oracle {
namespace {

std::string HashHex(const evm::Hash& hash) { return evm::ToHex(hash); }

}  // namespace

Mirror::Mirror(std::shared_ptr<OperationStore> store,
               std::shared_ptr<MirrorChain> chain,
               std::shared_ptr<evm::Signer> signer, MirrorOptions options,
               Clock& clock, metrics::Registry& registry)
    : store_(std::move(store)),
      chain_(std::move(chain)),
      signer_(std::move(signer)),
      options_(std::move(options)),
      clock_(clock),
      lock_(options_.lock_connection, "chainsync.oracle.sender"),
      operations_(registry.AddCounter(
          "chainsync_oracle_operations_total",
          "On-chain operations by kind and the state they reached.",
          {"kind", "state"})),
      replacements_(registry
                        .AddCounter("chainsync_oracle_replacements_total",
                                    "Stuck transactions replaced with "
                                    "raised fees.")
                        .WithLabels({})),
      gaps_repaired_(
          registry
              .AddCounter("chainsync_oracle_nonce_gaps_repaired_total",
                          "Transactions a node had lost, sent "
                          "again so that later nonces can be "
                          "mined.")
              .WithLabels({})),
      open_(registry
                .AddGauge("chainsync_oracle_pending_operations",
                          "Operations journaled and not yet final.")
                .WithLabels({})),
      oldest_open_(registry
                       .AddGauge("chainsync_oracle_oldest_pending_operation_"
                                 "seconds",
                                 "How long the oldest broadcast operation "
                                 "not yet final has waited.")
                       .WithLabels({})),
      sender_(registry
                  .AddGauge("chainsync_oracle_sender",
                            "1 while this process holds the sender lock.")
                  .WithLabels({})),
      burns_(registry
                 .AddCounter("chainsync_oracle_emergency_burns_total",
                             "Accounts burned by mined operations: emergency "
                             "burns, and syncs whose fee could not be paid.")
                 .WithLabels({})) {}

Mirror::~Mirror() { Stop(); }

void Mirror::Start() {
  thread_ = std::thread([this] { Run(); });
}

void Mirror::Stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
  lock_.Release();
}

bool Mirror::sending() const {
  std::lock_guard<std::mutex> lock(mu_);
  return sending_;
}

void Mirror::Request(const std::vector<evm::Address>& accounts) {
  if (accounts.empty()) return;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (sending_) {
      requested_.insert(accounts.begin(), accounts.end());
      wake_.notify_all();
      return;
    }
  }
  if (absl::Status queued = store_->QueueRequests(accounts); !queued.ok()) {
    // The sender's next sweep reads them anyway.
    log::Warning("sync requests not queued for the sending oracle",
                 {{"accounts", accounts.size()}, {"error", queued}});
  }
}

void Mirror::Run() {
  Backoff retries({.initial_delay = options_.poll_interval,
                   .max_delay = absl::Seconds(30)});
  bool failed = false;
  absl::Duration retry;
  std::unique_lock<std::mutex> lock(mu_);
  while (!stopping_) {
    lock.unlock();
    const SessionLock::Change change = lock_.Hold();
    if (change == SessionLock::Change::kAcquired) {
      log::Info("oracle sender lock acquired; following the journal");
    } else if (change == SessionLock::Change::kLost) {
      log::Warning("oracle sender lock lost; standing by");
    }
    sender_.Set(lock_.held() ? 1 : 0);
    if (change == SessionLock::Change::kAcquired) {
      check_all_ = true;
    }
    if (lock_.held()) {
      // The journal first: what was sent before a crash or a takeover is
      // settled before anything new is planned.
      absl::Status status = Follow();
      if (status.ok()) status = JournalBurns();
      absl::StatusOr<std::vector<evm::Address>> due = Due();
      if (!due.ok()) {
        status = due.status();
      } else if (!due->empty()) {
        if (status.ok()) status = Plan(*due);
        if (status.ok()) {
          status = Follow();
        } else {
          // Checked again next round; those journaled meanwhile are in
          // flight, so nothing is planned twice.
          Request(*due);
        }
      }
      failed = !status.ok();
      if (failed) {
        retry = retries.NextDelay();
        log::Warning("mirroring failed; retrying",
                     {{"error", status}, {"retry_in", retry}});
      } else {
        retries.Reset();
      }
    }
    lock.lock();
    sending_ = lock_.held();
    // A standby tries the lock again within a second; after a failure the
    // round waits out its backoff, whatever is requested meanwhile.
    const absl::Duration wait = !lock_.held() ? absl::Seconds(1)
                                : failed      ? retry
                                              : options_.poll_interval;
    clock_.WaitFor(wake_, lock, wait, [&] {
      return stopping_ || (sending_ && !failed && !requested_.empty());
    });
  }
}

absl::StatusOr<std::vector<evm::Address>> Mirror::Due() {
  std::set<evm::Address> due;
  {
    std::lock_guard<std::mutex> lock(mu_);
    due.swap(requested_);
  }
  // Every account once after taking over, then what replicas queued.
  absl::StatusOr<std::vector<evm::Address>> queued =
      check_all_ ? store_->ReadAccounts() : std::vector<evm::Address>();
  if (queued.ok()) {
    absl::StatusOr<std::vector<evm::Address>> taken = store_->TakeRequests();
    if (taken.ok()) {
      queued->insert(queued->end(), taken->begin(), taken->end());
    } else {
      queued = taken.status();
    }
  }
  if (!queued.ok()) {
    // Requested accounts wait for the next round.
    std::lock_guard<std::mutex> lock(mu_);
    requested_.insert(due.begin(), due.end());
    return queued.status();
  }
  check_all_ = false;
  due.insert(queued->begin(), queued->end());
  return std::vector<evm::Address>(due.begin(), due.end());
}

absl::StatusOr<evm::Bytes> Mirror::CallData(
    const JournaledOperation& operation) const {
  const std::vector<OperationItem>& items = operation.items;
  if (operation.kind == OperationKind::kEmergencyBurn) {
    return contracts::protocol::EmergencyBurn().EncodeCall(
        {items[0].account, operation.burn_reason});
  }
  if (items.size() == 1) {
    return contracts::protocol::Sync().EncodeCall(
        {items[0].account, items[0].new_sats, items[0].fee_wei});
  }
  evm::AbiValue::List users, balances, fees;
  for (const OperationItem& item : items) {
    users.push_back(item.account);
    balances.push_back(item.new_sats);
    fees.push_back(item.fee_wei);
  }
  return contracts::protocol::SyncBatch().EncodeCall({users, balances, fees});
}

absl::Status Mirror::Plan(const std::vector<evm::Address>& accounts) {
  absl::StatusOr<std::vector<std::pair<evm::Address, int64_t>>> candidates =
      store_->Candidates(accounts);
  if (!candidates.ok()) return candidates.status();
  if (candidates->empty()) return absl::OkStatus();
  std::vector<evm::Address> addresses;
  for (const auto& [account, sats] : *candidates) addresses.push_back(account);
  absl::StatusOr<std::vector<evm::Uint256>> synced =
      chain_->SyncedBalances(addresses);
  if (!synced.ok()) return synced.status();
  std::vector<OperationItem> due;
  for (size_t i = 0; i < candidates->size(); ++i) {
    const evm::Uint256 bitcoin((*candidates)[i].second);
    if (bitcoin == (*synced)[i]) continue;
    due.push_back({.account = (*candidates)[i].first,
                   .previous_sats = (*synced)[i],
                   .new_sats = bitcoin,
                   .fee_wei = options_.sync_fee_wei});
  }
  for (size_t start = 0; start < due.size();
       start += options_.max_accounts_per_transaction) {
    const size_t end =
        std::min(due.size(), start + options_.max_accounts_per_transaction);
    if (absl::Status journaled = JournalSync(
            std::vector<OperationItem>(due.begin() + start, due.begin() + end));
        !journaled.ok()) {
      return journaled;
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<int64_t> Mirror::SignAndJournal(JournaledOperation operation,
                                               std::optional<int64_t> request) {
  absl::StatusOr<evm::Bytes> data = CallData(operation);
  if (!data.ok()) return data.status();
  absl::StatusOr<uint64_t> gas = chain_->EstimateGas(*data);
  if (!gas.ok()) return gas.status();
  TrackedOperation& tracked = operation.tracked;
  const evm::Eip1559Transaction transaction{
      .chain_id = options_.chain_id,
      .nonce = tracked.nonce,
      .max_priority_fee_per_gas = tracked.max_priority_fee_per_gas,
      .max_fee_per_gas = tracked.max_fee_per_gas,
      .gas_limit = *gas,
      .to = options_.aggregator,
      .data = *std::move(data)};
  absl::StatusOr<evm::SignedTransaction> signed_transaction =
      evm::Sign(transaction, *signer_);
  if (!signed_transaction.ok()) return signed_transaction.status();
  tracked.tx_hash = signed_transaction->hash;
  tracked.state = OperationState::kPlanned;
  tracked.broadcast_at.reset();
  operation.raw_tx = signed_transaction->raw;
  absl::StatusOr<int64_t> id = store_->Journal(operation, request);
  if (!id.ok()) return id.status();
  const char* kind =
      operation.kind == OperationKind::kSync ? "sync" : "emergency_burn";
  operations_.WithLabels({kind, "planned"}).Increment();
  for (const OperationItem& item : operation.items) {
    log::Info("operation journaled",
              {{"operation", *id},
               {"kind", kind},
               {"account", item.account.ToChecksumHex()},
               {"previous_sats", evm::ToDecimal(item.previous_sats)},
               {"new_sats", evm::ToDecimal(item.new_sats)},
               {"nonce", tracked.nonce},
               {"transaction", HashHex(tracked.tx_hash)}});
  }
  return id;
}

absl::StatusOr<int64_t> Mirror::Journal(JournaledOperation operation,
                                        std::optional<int64_t> request) {
  absl::StatusOr<SuggestedFees> fees = chain_->Fees();
  if (!fees.ok()) return fees.status();
  absl::StatusOr<std::optional<uint64_t>> highest = store_->HighestNonce();
  if (!highest.ok()) return highest.status();
  absl::StatusOr<uint64_t> pending = chain_->PendingNonce();
  if (!pending.ok()) return pending.status();
  operation.tracked = {
      .nonce = NextNonce(*highest, *pending),
      .max_fee_per_gas = fees->max_fee_per_gas,
      .max_priority_fee_per_gas = fees->max_priority_fee_per_gas};
  return SignAndJournal(std::move(operation), request);
}

absl::Status Mirror::JournalSync(std::vector<OperationItem> items) {
  return Journal({.kind = OperationKind::kSync, .items = std::move(items)},
                 std::nullopt)
      .status();
}

absl::Status Mirror::JournalBurns() {
  absl::StatusOr<std::vector<BurnRequest>> requests =
      store_->OpenBurnRequests();
  if (!requests.ok()) return requests.status();
  for (const BurnRequest& request : *requests) {
    absl::StatusOr<std::vector<evm::Uint256>> synced =
        chain_->SyncedBalances({request.account});
    if (!synced.ok()) return synced.status();
    absl::StatusOr<int64_t> id =
        Journal({.kind = OperationKind::kEmergencyBurn,
                 .items = {{.account = request.account,
                            .previous_sats = synced->front(),
                            .new_sats = 0}},
                 .burn_reason = request.reason},
                request.id);
    if (!id.ok()) return id.status();
    log::Warning("emergency burn journaled",
                 {{"operation", *id},
                  {"account", request.account.ToChecksumHex()},
                  {"reason", request.reason}});
  }
  return absl::OkStatus();
}

absl::Status Mirror::Replace(const JournaledOperation& original,
                             const Action& action) {
  JournaledOperation replacement = original;
  replacement.tracked = {
      .nonce = original.tracked.nonce,
      .max_fee_per_gas = action.max_fee_per_gas,
      .max_priority_fee_per_gas = action.max_priority_fee_per_gas,
      .replaces = original.tracked.id};
  absl::StatusOr<int64_t> id =
      SignAndJournal(std::move(replacement), std::nullopt);
  if (!id.ok()) return id.status();
  replacements_.Increment();
  log::Warning("stuck transaction replaced with raised fees",
               {{"operation", original.tracked.id},
                {"replacement", *id},
                {"nonce", original.tracked.nonce},
                {"reason", action.reason}});
  return absl::OkStatus();
}

absl::Status Mirror::RecordBurned(int64_t operation,
                                  const evm::Receipt& receipt) {
  std::vector<std::pair<evm::Address, evm::Uint256>> burned;
  for (const evm::Log& log : receipt.logs) {
    if (log.address != options_.aggregator || log.topics.size() != 2 ||
        log.topics[0] != contracts::protocol::EmergencyBurnTopic() ||
        log.data.size() < 32) {
      continue;
    }
    burned.emplace_back(evm::Address::FromWord(log.topics[1]),
                        evm::FromBigEndian(evm::ByteSpan(log.data).first(32)));
  }
  if (burned.empty()) return absl::OkStatus();
  for (const auto& [account, amount] : burned) {
    log::Warning("emergency burn mined",
                 {{"operation", operation},
                  {"account", account.ToChecksumHex()},
                  {"burned_sats", evm::ToDecimal(amount)}});
  }
  burns_.Increment(static_cast<double>(burned.size()));
  return store_->RecordBurned(operation, burned);
}

absl::Status Mirror::Follow() {
  absl::StatusOr<std::vector<JournaledOperation>> open = store_->Open();
  if (!open.ok()) return open.status();
  open_.Set(static_cast<double>(open->size()));
  if (open->empty()) {
    oldest_open_.Set(0);
    return absl::OkStatus();
  }
  std::vector<TrackedOperation> tracked;
  std::vector<evm::Hash> hashes;
  std::map<int64_t, const JournaledOperation*> by_id;
  absl::Time oldest = clock_.Now();
  for (const JournaledOperation& operation : *open) {
    tracked.push_back(operation.tracked);
    hashes.push_back(operation.tracked.tx_hash);
    by_id[operation.tracked.id] = &operation;
    if (operation.tracked.broadcast_at.has_value()) {
      oldest = std::min(oldest, *operation.tracked.broadcast_at);
    }
  }
  oldest_open_.Set(absl::ToDoubleSeconds(clock_.Now() - oldest));
  absl::StatusOr<ChainView> view =
      chain_->View(hashes, options_.rules.confirmations);
  if (!view.ok()) return view.status();
  for (const Action& action :
       Track(tracked, *view, options_.rules, clock_.Now())) {
    const JournaledOperation& operation = *by_id.at(action.id);
    const char* kind =
        operation.kind == OperationKind::kSync ? "sync" : "emergency_burn";
    switch (action.kind) {
      case Action::Kind::kBroadcast: {
        if (absl::Status sent = chain_->Broadcast(operation.raw_tx);
            !sent.ok()) {
          // The next round tries again; a stuck one is replaced.
          log::Warning("broadcast refused",
                       {{"operation", action.id}, {"error", sent}});
          continue;
        }
        if (absl::Status marked = store_->MarkBroadcast(action.id);
            !marked.ok()) {
          return marked;
        }
        if (operation.tracked.state == OperationState::kPlanned) {
          operations_.WithLabels({kind, "broadcast"}).Increment();
        }
        if (!action.reason.empty()) {
          gaps_repaired_.Increment();
          log::Warning("nonce gap repaired: the transaction sent again",
                       {{"operation", action.id}, {"reason", action.reason}});
        }
        break;
      }
      case Action::Kind::kSetState: {
        if (absl::Status applied = store_->Apply(action); !applied.ok()) {
          return applied;
        }
        if (action.receipt.has_value() && action.receipt->success) {
          if (absl::Status recorded = RecordBurned(action.id, *action.receipt);
              !recorded.ok()) {
            return recorded;
          }
        }
        if (action.state == OperationState::kFailed &&
            operation.kind == OperationKind::kSync) {
          // Its accounts are checked again: a sync that reverted or lost
          // its nonce is planned anew from the balances as they are now.
          std::vector<evm::Address> accounts;
          for (const OperationItem& item : operation.items) {
            accounts.push_back(item.account);
          }
          Request(accounts);
        }
        operations_.WithLabels({kind, std::string(StateName(action.state))})
            .Increment();
        log::Info(
            absl::StrCat("operation ", StateName(action.state)),
            {{"operation", action.id},
             {"nonce", operation.tracked.nonce},
             {"transaction", HashHex(operation.tracked.tx_hash)},
             {"block",
              action.receipt.has_value() ? action.receipt->block_number : 0},
             {"reason", action.reason}});
        break;
      }
      case Action::Kind::kReplace:
        if (absl::Status replaced = Replace(operation, action);
            !replaced.ok()) {
          return replaced;
        }
        break;
    }
  }
  return absl::OkStatus();
}

}  // namespace chainsync::oracle
