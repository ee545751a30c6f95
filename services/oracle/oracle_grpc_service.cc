#include "services/oracle/oracle_grpc_service.h"

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "libs/common/api/proto_time.h"
#include "libs/common/grpc_status.h"
#include "libs/common/logging/log.h"
#include "libs/common/status.h"

namespace chainsync::oracle {
namespace {

constexpr size_t kMaxLabelBytes = 100;
constexpr size_t kMaxEmailBytes = 254;

v1::BitcoinNetwork NetworkOf(bitcoin::Network network) {
  switch (network) {
    case bitcoin::Network::kMainnet:
      return v1::BITCOIN_NETWORK_MAINNET;
    case bitcoin::Network::kTestnet:
      return v1::BITCOIN_NETWORK_TESTNET;
    case bitcoin::Network::kRegtest:
      return v1::BITCOIN_NETWORK_REGTEST;
  }
  return v1::BITCOIN_NETWORK_UNSPECIFIED;
}

v1::BitcoinAddressType TypeOf(bitcoin::AddressType type) {
  switch (type) {
    case bitcoin::AddressType::kP2pkh:
      return v1::BITCOIN_ADDRESS_TYPE_P2PKH;
    case bitcoin::AddressType::kP2sh:
      return v1::BITCOIN_ADDRESS_TYPE_P2SH;
    case bitcoin::AddressType::kP2wpkh:
      return v1::BITCOIN_ADDRESS_TYPE_P2WPKH;
    case bitcoin::AddressType::kP2wsh:
      return v1::BITCOIN_ADDRESS_TYPE_P2WSH;
    case bitcoin::AddressType::kP2tr:
      return v1::BITCOIN_ADDRESS_TYPE_P2TR;
  }
  return v1::BITCOIN_ADDRESS_TYPE_UNSPECIFIED;
}

v1::LoyaltyTier TierOf(LoyaltyTier tier) {
  switch (tier) {
    case LoyaltyTier::kNone:
      return v1::LOYALTY_TIER_UNSPECIFIED;
    case LoyaltyTier::kBronze:
      return v1::LOYALTY_TIER_BRONZE;
    case LoyaltyTier::kSilver:
      return v1::LOYALTY_TIER_SILVER;
    case LoyaltyTier::kGold:
      return v1::LOYALTY_TIER_GOLD;
    case LoyaltyTier::kPlatinum:
      return v1::LOYALTY_TIER_PLATINUM;
  }
  return v1::LOYALTY_TIER_UNSPECIFIED;
}

v1::BitcoinAddress AddressMessage(const AddressRecord& record) {
  v1::BitcoinAddress message;
  message.set_bitcoin_address(record.bitcoin_address);
  message.set_address(record.account.ToChecksumHex());
  message.set_network(NetworkOf(record.network));
  message.set_address_type(TypeOf(record.type));
  message.set_proof_kind(record.proof_kind == bitcoin::ProofKind::kLegacy
                             ? v1::OWNERSHIP_PROOF_KIND_LEGACY
                             : v1::OWNERSHIP_PROOF_KIND_BIP322_SIMPLE);
  message.mutable_verify_time()->set_seconds(
      absl::ToUnixSeconds(record.verified_at));
  message.set_monitored(record.monitored);
  message.set_confirmed_balance_sats(absl::StrCat(record.confirmed_sats));
  message.set_mempool_balance_sats(absl::StrCat(record.pending_sats));
  if (record.checked_at.has_value()) {
    message.mutable_last_check_time()->set_seconds(
        absl::ToUnixSeconds(*record.checked_at));
  }
  message.set_label(record.label);
  return message;
}

v1::OperationState StateOf(OperationState state) {
  switch (state) {
    case OperationState::kPlanned:
      return v1::OPERATION_STATE_INTENDED;
    case OperationState::kBroadcast:
      return v1::OPERATION_STATE_BROADCAST;
    case OperationState::kMined:
      return v1::OPERATION_STATE_MINED;
    case OperationState::kConfirmed:
      return v1::OPERATION_STATE_CONFIRMED;
    case OperationState::kFailed:
      return v1::OPERATION_STATE_FAILED;
    case OperationState::kReplaced:
      return v1::OPERATION_STATE_REPLACED;
  }
  return v1::OPERATION_STATE_UNSPECIFIED;
}

v1::OracleOperation OperationMessage(const OperationRecord& record) {
  v1::OracleOperation message;
  message.set_id(record.operation_id);
  message.set_kind(record.kind == OperationKind::kSync
                       ? v1::OPERATION_KIND_SYNC
                       : v1::OPERATION_KIND_EMERGENCY_BURN);
  message.set_state(StateOf(record.state));
  message.set_address(record.item.account.ToChecksumHex());
  message.set_previous_balance_sats(evm::ToDecimal(record.item.previous_sats));
  message.set_new_balance_sats(evm::ToDecimal(record.item.new_sats));
  message.set_fee_wei(evm::ToDecimal(record.item.fee_wei));
  message.set_nonce(record.nonce);
  message.set_transaction_hash(evm::ToHex(record.tx_hash));
  message.set_block_number(record.block_number);
  message.set_error(record.error);
  message.set_reason(record.reason);
  SetTime(record.created_at, message.mutable_create_time());
  SetTime(record.updated_at, message.mutable_update_time());
  return message;
}

v1::SweepConfig ConfigOf(const SweepSettings& settings) {
  v1::SweepConfig config;
  SetDuration(settings.interval, config.mutable_interval());
  config.set_max_concurrent_users(settings.max_concurrent_users);
  config.set_batch_size(settings.batch_size);
  config.set_retry_attempts(settings.retry_attempts);
  SetDuration(settings.retry_delay, config.mutable_retry_delay());
  SetDuration(settings.batch_pause, config.mutable_batch_pause());
  return config;
}

absl::Status CheckText(absl::string_view field, absl::string_view value,
                       size_t max_bytes) {
  if (value.size() > max_bytes) {
    return absl::InvalidArgumentError(absl::StrCat(
        field, ": at most ", max_bytes, " bytes, got ", value.size()));
  }
  for (const char c : value) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) {
      return absl::InvalidArgumentError(
          absl::StrCat(field, ": must not hold control characters"));
    }
  }
  return absl::OkStatus();
}

absl::Status CheckEmail(absl::string_view email) {
  if (absl::Status text = CheckText("email", email, kMaxEmailBytes);
      !text.ok()) {
    return text;
  }
  const size_t at = email.find('@');
  if (!email.empty() &&
      (at == 0 || at == absl::string_view::npos || at + 1 == email.size() ||
       email.find('@', at + 1) != absl::string_view::npos ||
       email.find(' ') != absl::string_view::npos)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "email: ", QuoteValue(email), " is not an e-mail address"));
  }
  return absl::OkStatus();
}

}  // namespace

OracleGrpcService::OracleGrpcService(std::shared_ptr<AccountStore> accounts,
                                     std::shared_ptr<MonitorStore> monitor,
                                     std::shared_ptr<OperationStore> operations,
                                     Sweeper& sweeper, ProofRules rules,
                                     PageTokens page_tokens,
                                     std::shared_ptr<PoolView> pool,
                                     YieldRules yield_rules, Clock& clock,
                                     metrics::Registry& registry)
    : accounts_(std::move(accounts)),
      monitor_(std::move(monitor)),
      operations_(std::move(operations)),
      sweeper_(sweeper),
      rules_(rules),
      page_tokens_(std::move(page_tokens)),
      pool_(std::move(pool)),
      yield_rules_(yield_rules),
      clock_(clock),
      registrations_(registry.AddCounter(
          "chainsync_oracle_registrations_total",
          "Bitcoin address registrations, by outcome (a canonical code).",
          {"code"})),
      burns_(clock, absl::Seconds(5), absl::Milliseconds(50)) {}

absl::StatusOr<v1::BitcoinAddress> OracleGrpcService::Register(
    const v1::RegisterBitcoinAddressRequest& request) {
  if (absl::Status label = CheckText("label", request.label(), kMaxLabelBytes);
      !label.ok()) {
    return label;
  }
  if (absl::Status email = CheckEmail(request.email()); !email.ok()) {
    return email;
  }
  ProofClaim claim{.account = request.address(),
                   .bitcoin_address = request.bitcoin_address(),
                   .message = request.message(),
                   .signature = request.signature()};
  if (request.proof_kind() == v1::OWNERSHIP_PROOF_KIND_LEGACY) {
    claim.kind = bitcoin::ProofKind::kLegacy;
  } else if (request.proof_kind() == v1::OWNERSHIP_PROOF_KIND_BIP322_SIMPLE) {
    claim.kind = bitcoin::ProofKind::kBip322Simple;
  }
  absl::StatusOr<VerifiedProof> proof =
      VerifyProof(claim, rules_, clock_.Now());
  if (!proof.ok()) return proof.status();
  absl::StatusOr<AddressRecord> record =
      accounts_->Register({.proof = *proof,
                           .message = request.message(),
                           .signature = request.signature(),
                           .label = request.label(),
                           .email = request.email()});
  if (!record.ok()) return record.status();
  log::Info("bitcoin address registered",
            {{"account", record->account.ToChecksumHex()},
             {"bitcoin_address", record->bitcoin_address},
             {"proof_kind",
              request.proof_kind() == v1::OWNERSHIP_PROOF_KIND_UNSPECIFIED
                  ? "detected"
                  : v1::OwnershipProofKind_Name(request.proof_kind())}});
  return AddressMessage(*record);
}

grpc::ServerUnaryReactor* OracleGrpcService::RegisterBitcoinAddress(
    grpc::CallbackServerContext* context,
    const v1::RegisterBitcoinAddressRequest* request,
    v1::BitcoinAddress* response) {
  absl::StatusOr<v1::BitcoinAddress> result = Register(*request);
  registrations_
      .WithLabels(
          {std::string(absl::StatusCodeToString(result.status().code()))})
      .Increment();
  return Reply(context, std::move(result), response);
}

absl::StatusOr<v1::ListBitcoinAddressesResponse> OracleGrpcService::List(
    const v1::ListBitcoinAddressesRequest& request) {
  absl::StatusOr<evm::Address> account =
      evm::Address::Parse(request.address(), "address");
  if (!account.ok()) return account.status();
  absl::StatusOr<int> size = PageSize(request.page_size(), 50, 500);
  if (!size.ok()) return size.status();
  int64_t after = 0;
  if (!request.page_token().empty()) {
    absl::StatusOr<std::vector<std::string>> fields =
        page_tokens_.Decode(request.page_token(), 2);
    if (!fields.ok()) return fields.status();
    // A token names the account it pages, so that it cannot page another.
    if ((*fields)[0] != account->ToLowerHex() ||
        !absl::SimpleAtoi((*fields)[1], &after)) {
      return absl::InvalidArgumentError(
          "page_token is not a token of this list");
    }
  }
  absl::StatusOr<std::vector<AddressRecord>> records =
      accounts_->List(*account, after, *size + 1);
  if (!records.ok()) return records.status();
  v1::ListBitcoinAddressesResponse response;
  for (size_t i = 0; i < records->size() && i < static_cast<size_t>(*size);
       ++i) {
    *response.add_bitcoin_addresses() = AddressMessage((*records)[i]);
  }
  if (records->size() > static_cast<size_t>(*size)) {
    response.set_next_page_token(page_tokens_.Encode(
        {account->ToLowerHex(), absl::StrCat((*records)[*size - 1].sequence)}));
  }
  return response;
}

grpc::ServerUnaryReactor* OracleGrpcService::ListBitcoinAddresses(
    grpc::CallbackServerContext* context,
    const v1::ListBitcoinAddressesRequest* request,
    v1::ListBitcoinAddressesResponse* response) {
  return Reply(context, List(*request), response);
}

grpc::ServerUnaryReactor* OracleGrpcService::RemoveBitcoinAddress(
    grpc::CallbackServerContext* context,
    const v1::RemoveBitcoinAddressRequest* request,
    v1::RemoveBitcoinAddressResponse* response) {
  absl::StatusOr<evm::Address> account =
      evm::Address::Parse(request->address(), "address");
  if (!account.ok()) return Reply(context, account.status());
  if (request->bitcoin_address().empty()) {
    return Reply(context,
                 absl::InvalidArgumentError("bitcoin_address is required"));
  }
  // Stored as parsed: bech32 in lower case.
  absl::StatusOr<bitcoin::Address> address =
      bitcoin::Address::Parse(request->bitcoin_address());
  if (!address.ok()) return Reply(context, address.status());
  absl::StatusOr<std::vector<AddressRecord>> left =
      accounts_->Remove(*account, address->text);
  if (!left.ok()) return Reply(context, left.status());
  log::Info("bitcoin address removed", {{"account", account->ToChecksumHex()},
                                        {"bitcoin_address", address->text}});
  for (const AddressRecord& record : *left) {
    *response->add_bitcoin_addresses() = AddressMessage(record);
  }
  return Reply(context, absl::OkStatus());
}

absl::StatusOr<v1::UserSyncStatus> OracleGrpcService::UserStatus(
    absl::string_view address,
    const std::function<absl::Status(const evm::Address&)>& change) {
  absl::StatusOr<evm::Address> account =
      evm::Address::Parse(address, "address");
  if (!account.ok()) return account.status();
  if (change) {
    if (absl::Status changed = change(*account); !changed.ok()) return changed;
  }
  absl::StatusOr<std::vector<v1::UserSyncStatus>> statuses =
      UserStatuses({*account});
  if (!statuses.ok()) return statuses.status();
  if (statuses->empty()) {
    return absl::NotFoundError(
        absl::StrCat("account ", account->ToChecksumHex(),
                     " has registered no Bitcoin address with the oracle"));
  }
  return std::move(statuses->front());
}

absl::StatusOr<std::vector<v1::UserSyncStatus>> OracleGrpcService::UserStatuses(
    const std::vector<evm::Address>& accounts) {
  // A few reads for the whole page, not a few per account.
  absl::StatusOr<absl::flat_hash_map<evm::Address, AccountState>> states =
      monitor_->States(accounts);
  if (!states.ok()) return states.status();
  absl::StatusOr<absl::flat_hash_map<evm::Address, std::string>> emails =
      accounts_->Emails(accounts);
  if (!emails.ok()) return emails.status();
  absl::StatusOr<absl::flat_hash_map<evm::Address, OperationRecord>> mirrored =
      operations_->LastMirrored(accounts);
  if (!mirrored.ok()) return mirrored.status();
  absl::StatusOr<absl::flat_hash_map<evm::Address, OperationRecord>> pending =
      operations_->Pending(accounts);
  if (!pending.ok()) return pending.status();
  const std::optional<absl::Time> next_sweep = sweeper_.NextStart();
  std::vector<v1::UserSyncStatus> statuses;
  for (const evm::Address& account : accounts) {
    const auto state = states->find(account);
    if (state == states->end()) continue;
    const AccountState& read = state->second;
    v1::UserSyncStatus& status = statuses.emplace_back();
    status.set_address(account.ToChecksumHex());
    status.set_enabled(read.enabled);
    status.set_bitcoin_address_count(read.address_count);
    status.set_bitcoin_balance_sats(
        absl::StrCat(read.bitcoin_sats.value_or(0)));
    status.set_bitcoin_tip_height(read.checked_tip.value_or(0));
    status.set_last_error(read.stale_reason);
    status.set_consecutive_failures(read.consecutive_failures);
    if (const auto email = emails->find(account); email != emails->end()) {
      status.set_email(email->second);
    }
    const auto last = mirrored->find(account);
    status.set_onchain_balance_sats(
        last != mirrored->end() ? evm::ToDecimal(last->second.item.new_sats)
                                : "0");
    if (last != mirrored->end()) {
      SetTime(last->second.updated_at, status.mutable_last_sync_time());
      status.set_last_transaction_hash(evm::ToHex(last->second.tx_hash));
    }
    const auto waiting = pending->find(account);
    if (waiting != pending->end()) {
      *status.mutable_pending_operation() = OperationMessage(waiting->second);
    }
    if (!read.enabled) {
      status.set_state(v1::USER_SYNC_STATE_STOPPED);
    } else if (!read.stale_reason.empty()) {
      // Whatever is in flight, the account's balance cannot be read now.
      status.set_state(v1::USER_SYNC_STATE_FAILED);
    } else if (waiting != pending->end()) {
      status.set_state(v1::USER_SYNC_STATE_SYNCING);
    } else if (read.bitcoin_sats.has_value() &&
               status.onchain_balance_sats() ==
                   absl::StrCat(*read.bitcoin_sats)) {
      status.set_state(v1::USER_SYNC_STATE_SYNCED);
    } else {
      status.set_state(v1::USER_SYNC_STATE_NOT_SYNCED);
    }
    if (read.enabled && next_sweep.has_value()) {
      SetTime(*next_sweep, status.mutable_next_sync_time());
    }
  }
  return statuses;
}

grpc::ServerUnaryReactor* OracleGrpcService::GetUserSyncStatus(
    grpc::CallbackServerContext* context,
    const v1::GetUserSyncStatusRequest* request, v1::UserSyncStatus* response) {
  return Reply(context, UserStatus(request->address(), nullptr), response);
}

absl::StatusOr<std::function<absl::Status(const evm::Address&)>>
OracleGrpcService::UserAction(absl::string_view action) {
  if (action == "start") {
    return [this](const evm::Address& account) {
      absl::Status enabled = monitor_->SetEnabled(account, true);
      if (!enabled.ok()) return enabled;
      log::Info("account sync started", {{"account", account.ToChecksumHex()}});
      return sweeper_.ReadNow(account).status();
    };
  }
  if (action == "stop") {
    return [this](const evm::Address& account) {
      absl::Status disabled = monitor_->SetEnabled(account, false);
      if (disabled.ok()) {
        log::Info("account sync stopped",
                  {{"account", account.ToChecksumHex()}});
      }
      return disabled;
    };
  }
  if (action == "force") {
    return [this](const evm::Address& account) {
      return sweeper_.ReadNow(account).status();
    };
  }
  return absl::InvalidArgumentError(absl::StrCat(
      "action: ", QuoteValue(action), " is not one of start, stop, force"));
}

grpc::ServerUnaryReactor* OracleGrpcService::StartUserSync(
    grpc::CallbackServerContext* context,
    const v1::StartUserSyncRequest* request, v1::UserSyncStatus* response) {
  return Reply(context, UserStatus(request->address(), *UserAction("start")),
               response);
}

grpc::ServerUnaryReactor* OracleGrpcService::StopUserSync(
    grpc::CallbackServerContext* context,
    const v1::StopUserSyncRequest* request, v1::UserSyncStatus* response) {
  return Reply(context, UserStatus(request->address(), *UserAction("stop")),
               response);
}

grpc::ServerUnaryReactor* OracleGrpcService::ForceUserSync(
    grpc::CallbackServerContext* context,
    const v1::ForceUserSyncRequest* request, v1::UserSyncStatus* response) {
  return Reply(context, UserStatus(request->address(), *UserAction("force")),
               response);
}

absl::StatusOr<v1::UserSyncResponse> OracleGrpcService::WrapStatus(
    absl::StatusOr<v1::UserSyncStatus> status) {
  if (!status.ok()) return status.status();
  v1::UserSyncResponse response;
  *response.mutable_status() = *std::move(status);
  return response;
}

grpc::ServerUnaryReactor* OracleGrpcService::GetUserSync(
    grpc::CallbackServerContext* context, const v1::GetUserSyncRequest* request,
    v1::UserSyncResponse* response) {
  return Reply(context, WrapStatus(UserStatus(request->user_id(), nullptr)),
               response);
}

grpc::ServerUnaryReactor* OracleGrpcService::ManageUserSync(
    grpc::CallbackServerContext* context,
    const v1::ManageUserSyncRequest* request, v1::UserSyncResponse* response) {
  auto action = UserAction(request->action());
  if (!action.ok()) return Reply(context, action.status());
  return Reply(context, WrapStatus(UserStatus(request->user_id(), *action)),
               response);
}

absl::StatusOr<v1::SweepStatus> OracleGrpcService::Manage(
    const v1::ManageSweepRequest& request) {
  const absl::string_view action = request.action();
  if (action == "start") return SweepStatusOf(sweeper_.SetRunning(true));
  if (action == "stop") return SweepStatusOf(sweeper_.SetRunning(false));
  if (action == "force") return SweepStatusOf(sweeper_.Force());
  if (action != "config") {
    return absl::InvalidArgumentError(
        absl::StrCat("action: ", QuoteValue(action),
                     " is not one of start, stop, force, config"));
  }
  absl::StatusOr<SweepReport> current = sweeper_.Report();
  if (!current.ok()) return current.status();
  SweepSettings settings = current->settings;
  const auto& config = request.config();
  const auto narrow = [](uint32_t value) {
    return static_cast<int>(std::min<uint32_t>(value, 1'000'000));
  };
  const auto millis = [](uint64_t value) {
    return absl::Milliseconds(std::min<uint64_t>(value, 1'000'000'000));
  };
  if (config.has_interval()) settings.interval = millis(config.interval());
  if (config.has_max_concurrent_users()) {
    settings.max_concurrent_users = narrow(config.max_concurrent_users());
  }
  if (config.has_batch_size())
    settings.batch_size = narrow(config.batch_size());
  if (config.has_retry_attempts()) {
    settings.retry_attempts = narrow(config.retry_attempts());
  }
  if (config.has_retry_delay()) {
    settings.retry_delay = millis(config.retry_delay());
  }
  if (config.has_batch_pause()) {
    settings.batch_pause = millis(config.batch_pause());
  }
  return SweepStatusOf(sweeper_.Update(settings));
}

grpc::ServerUnaryReactor* OracleGrpcService::ManageSweep(
    grpc::CallbackServerContext* context, const v1::ManageSweepRequest* request,
    v1::SweepStatus* response) {
  return Reply(context, Manage(*request), response);
}

absl::StatusOr<v1::SweepStatus> OracleGrpcService::SweepStatusOf(
    absl::StatusOr<SweepReport> report) {
  if (!report.ok()) return report.status();
  v1::SweepStatus status;
  status.set_running(report->settings.running);
  status.set_sweeping(report->sweeping);
  status.set_standby(report->standby);
  *status.mutable_config() = ConfigOf(report->settings);
  v1::SweepStats* stats = status.mutable_stats();
  stats->set_total_users(report->counts.total);
  stats->set_active_users(report->counts.enabled);
  stats->set_failed_users(report->counts.stale);
  stats->set_sweeps_completed(report->sweeps_completed);
  if (report->last_start.has_value()) {
    SetTime(*report->last_start, stats->mutable_last_sweep_start_time());
    SetDuration(report->last_duration, stats->mutable_last_sweep_duration());
  }
  if (report->next_start.has_value()) {
    SetTime(*report->next_start, status.mutable_next_sweep_time());
  }
  return status;
}

grpc::ServerUnaryReactor* OracleGrpcService::GetSweepStatus(
    grpc::CallbackServerContext* context, const v1::GetSweepStatusRequest*,
    v1::SweepStatus* response) {
  return Reply(context, SweepStatusOf(sweeper_.Report()), response);
}

grpc::ServerUnaryReactor* OracleGrpcService::StartSweep(
    grpc::CallbackServerContext* context, const v1::StartSweepRequest*,
    v1::SweepStatus* response) {
  return Reply(context, SweepStatusOf(sweeper_.SetRunning(true)), response);
}

grpc::ServerUnaryReactor* OracleGrpcService::StopSweep(
    grpc::CallbackServerContext* context, const v1::StopSweepRequest*,
    v1::SweepStatus* response) {
  return Reply(context, SweepStatusOf(sweeper_.SetRunning(false)), response);
}

grpc::ServerUnaryReactor* OracleGrpcService::ForceSweep(
    grpc::CallbackServerContext* context, const v1::ForceSweepRequest*,
    v1::SweepStatus* response) {
  return Reply(context, SweepStatusOf(sweeper_.Force()), response);
}

absl::StatusOr<v1::SweepStatus> OracleGrpcService::UpdateSweep(
    const v1::UpdateSweepConfigRequest& request) {
  absl::StatusOr<SweepReport> current = sweeper_.Report();
  if (!current.ok()) return current.status();
  SweepSettings settings = current->settings;
  const v1::SweepConfig& config = request.config();
  const std::vector<std::pair<absl::string_view, std::function<void()>>>
      fields = {
          {"interval",
           [&] { settings.interval = DurationOf(config.interval()); }},
          {"max_concurrent_users",
           [&] {
             settings.max_concurrent_users = static_cast<int>(
                 std::min<uint32_t>(config.max_concurrent_users(), 1'000'000));
           }},
          {"batch_size",
           [&] {
             settings.batch_size = static_cast<int>(
                 std::min<uint32_t>(config.batch_size(), 1'000'000));
           }},
          {"retry_attempts",
           [&] {
             settings.retry_attempts = static_cast<int>(
                 std::min<uint32_t>(config.retry_attempts(), 1'000'000));
           }},
          {"retry_delay",
           [&] { settings.retry_delay = DurationOf(config.retry_delay()); }},
          {"batch_pause",
           [&] { settings.batch_pause = DurationOf(config.batch_pause()); }},
      };
  if (request.update_mask().paths().empty()) {
    for (const auto& [name, apply] : fields) apply();
  }
  for (const std::string& path : request.update_mask().paths()) {
    const auto field =
        std::find_if(fields.begin(), fields.end(),
                     [&](const auto& entry) { return entry.first == path; });
    if (field == fields.end()) {
      return absl::InvalidArgumentError(absl::StrCat(
          "update_mask: ", QuoteValue(path),
          " is not a field of SweepConfig (interval, max_concurrent_users, "
          "batch_size, retry_attempts, retry_delay, batch_pause)"));
    }
    field->second();
  }
  return SweepStatusOf(sweeper_.Update(settings));
}

grpc::ServerUnaryReactor* OracleGrpcService::UpdateSweepConfig(
    grpc::CallbackServerContext* context,
    const v1::UpdateSweepConfigRequest* request, v1::SweepStatus* response) {
  return Reply(context, UpdateSweep(*request), response);
}

absl::StatusOr<v1::ListOperationsResponse> OracleGrpcService::Operations(
    const v1::ListOperationsRequest& request) {
  OperationFilter filter;
  if (!request.address().empty()) {
    absl::StatusOr<evm::Address> account =
        evm::Address::Parse(request.address(), "address");
    if (!account.ok()) return account.status();
    filter.account = *account;
  }
  for (const int state : request.states()) {
    switch (static_cast<v1::OperationState>(state)) {
      case v1::OPERATION_STATE_INTENDED:
        filter.states.push_back(OperationState::kPlanned);
        break;
      case v1::OPERATION_STATE_BROADCAST:
        filter.states.push_back(OperationState::kBroadcast);
        break;
      case v1::OPERATION_STATE_MINED:
        filter.states.push_back(OperationState::kMined);
        break;
      case v1::OPERATION_STATE_CONFIRMED:
        filter.states.push_back(OperationState::kConfirmed);
        break;
      case v1::OPERATION_STATE_FAILED:
        filter.states.push_back(OperationState::kFailed);
        break;
      case v1::OPERATION_STATE_REPLACED:
        filter.states.push_back(OperationState::kReplaced);
        break;
      default:
        return absl::InvalidArgumentError(
            absl::StrCat("states: ", state, " is not an operation state"));
    }
  }
  absl::StatusOr<int> size = PageSize(request.page_size(), 100, 1000);
  if (!size.ok()) return size.status();
  filter.limit = *size + 1;
  if (!request.page_token().empty()) {
    absl::StatusOr<std::vector<std::string>> fields =
        page_tokens_.Decode(request.page_token(), 2);
    if (!fields.ok()) return fields.status();
    std::pair<int64_t, int64_t> before;
    if (!absl::SimpleAtoi((*fields)[0], &before.first) ||
        !absl::SimpleAtoi((*fields)[1], &before.second)) {
      return absl::InvalidArgumentError(
          "page_token is not a token of this list");
    }
    filter.before = before;
  }
  absl::StatusOr<std::vector<OperationRecord>> records =
      operations_->List(filter);
  if (!records.ok()) return records.status();
  v1::ListOperationsResponse response;
  for (size_t i = 0; i < records->size() && i < static_cast<size_t>(*size);
       ++i) {
    *response.add_operations() = OperationMessage((*records)[i]);
  }
  if (records->size() > static_cast<size_t>(*size)) {
    const OperationRecord& last = (*records)[*size - 1];
    response.set_next_page_token(page_tokens_.Encode(
        {absl::StrCat(last.operation_id), absl::StrCat(last.item_id)}));
  }
  return response;
}

grpc::ServerUnaryReactor* OracleGrpcService::ListOperations(
    grpc::CallbackServerContext* context,
    const v1::ListOperationsRequest* request,
    v1::ListOperationsResponse* response) {
  return Reply(context, Operations(*request), response);
}

absl::StatusOr<v1::ListUsersResponse> OracleGrpcService::Users(
    const v1::ListUsersRequest& request) {
  absl::StatusOr<int> size = PageSize(request.page_size(), 100, 1000);
  if (!size.ok()) return size.status();
  std::optional<evm::Address> after;
  if (!request.page_token().empty()) {
    absl::StatusOr<std::vector<std::string>> fields =
        page_tokens_.Decode(request.page_token(), 1);
    if (!fields.ok()) return fields.status();
    absl::StatusOr<evm::Address> account =
        evm::Address::Parse((*fields)[0], "page_token");
    if (!account.ok()) return account.status();
    after = *account;
  }
  absl::StatusOr<std::vector<evm::Address>> accounts =
      monitor_->Accounts(after, *size + 1);
  if (!accounts.ok()) return accounts.status();
  v1::ListUsersResponse response;
  const bool more = accounts->size() > static_cast<size_t>(*size);
  if (more) accounts->resize(*size);
  absl::StatusOr<std::vector<v1::UserSyncStatus>> statuses =
      UserStatuses(*accounts);
  if (!statuses.ok()) return statuses.status();
  for (v1::UserSyncStatus& status : *statuses) {
    *response.add_users() = std::move(status);
  }
  if (more) {
    response.set_next_page_token(
        page_tokens_.Encode({accounts->back().ToLowerHex()}));
  }
  return response;
}

grpc::ServerUnaryReactor* OracleGrpcService::ListUsers(
    grpc::CallbackServerContext* context, const v1::ListUsersRequest* request,
    v1::ListUsersResponse* response) {
  return Reply(context, Users(*request), response);
}

absl::StatusOr<OracleGrpcService::RequestedBurn> OracleGrpcService::Burn(
    const v1::TriggerEmergencyBurnRequest& request) {
  absl::StatusOr<evm::Address> account =
      evm::Address::Parse(request.address(), "address");
  if (!account.ok()) return account.status();
  if (request.reason().empty()) {
    return absl::InvalidArgumentError("reason is required");
  }
  if (absl::Status reason = CheckText("reason", request.reason(), 200);
      !reason.ok()) {
    return reason;
  }
  absl::StatusOr<int64_t> id =
      operations_->RequestBurn(*account, request.reason());
  if (!id.ok()) return id.status();
  log::Warning("emergency burn requested",
               {{"account", account->ToChecksumHex()},
                {"reason", request.reason()},
                {"request", *id}});
  RequestedBurn requested{.id = *id};
  requested.intended.set_kind(v1::OPERATION_KIND_EMERGENCY_BURN);
  requested.intended.set_state(v1::OPERATION_STATE_INTENDED);
  requested.intended.set_address(account->ToChecksumHex());
  requested.intended.set_reason(request.reason());
  return requested;
}

absl::StatusOr<std::optional<v1::OracleOperation>>
OracleGrpcService::BurnJournaled(int64_t request) {
  absl::StatusOr<std::optional<int64_t>> operation =
      operations_->BurnOperation(request);
  if (!operation.ok()) return operation.status();
  if (!operation->has_value()) return std::nullopt;
  absl::StatusOr<std::vector<OperationRecord>> records =
      operations_->List({.operation = **operation, .limit = 1});
  if (!records.ok()) return records.status();
  if (records->empty()) return std::nullopt;
  return OperationMessage(records->front());
}

grpc::ServerUnaryReactor* OracleGrpcService::TriggerEmergencyBurn(
    grpc::CallbackServerContext* context,
    const v1::TriggerEmergencyBurnRequest* request,
    v1::OracleOperation* response) {
  absl::StatusOr<RequestedBurn> burn = Burn(*request);
  if (!burn.ok()) return Reply(context, burn.status());
  // The sending oracle journals it within its next round; answered with
  // the operation once it is, or as intended when no oracle sends now.
  const int64_t id = burn->id;
  return burns_.Wait(
      context, [this, id] { return BurnJournaled(id); },
      std::move(burn->intended), response);
}

grpc::ServerUnaryReactor* OracleGrpcService::GetEmergencyBurnStats(
    grpc::CallbackServerContext* context,
    const v1::GetEmergencyBurnStatsRequest*, v1::EmergencyBurnStats* response) {
  absl::StatusOr<BurnStats> stats = operations_->Burns();
  if (!stats.ok()) return Reply(context, stats.status());
  response->set_confirmed_burns(stats->confirmed);
  response->set_pending_burns(stats->pending);
  response->set_total_burned_sats(evm::ToDecimal(stats->burned_sats));
  response->set_affected_accounts(stats->accounts);
  if (stats->last.has_value()) {
    SetTime(*stats->last, response->mutable_last_burn_time());
  }
  return Reply(context, absl::OkStatus());
}

absl::StatusOr<v1::YieldStatus> OracleGrpcService::Yield(
    const v1::GetYieldStatusRequest& request) {
  absl::StatusOr<evm::Address> account =
      evm::Address::Parse(request.address(), "address");
  if (!account.ok()) return account.status();
  absl::StatusOr<AccountState> state = monitor_->State(*account);
  if (!state.ok() && !absl::IsNotFound(state.status())) return state.status();
  absl::StatusOr<PoolFacts> facts = pool_->Facts(*account);
  if (!facts.ok()) return facts.status();
  const bool mirrored = state.ok() && state->address_count > 0;
  const YieldStanding standing =
      YieldStandingOf(*facts, mirrored, yield_rules_, clock_.Now());
  v1::YieldStatus status;
  status.set_address(account->ToChecksumHex());
  status.set_eligible(standing.eligible);
  status.set_ineligibility_reason(standing.ineligibility_reason);
  status.set_participant(standing.joined_at.has_value());
  if (standing.joined_at.has_value()) {
    SetTime(*standing.joined_at, status.mutable_join_time());
  }
  status.set_balance_sats(evm::ToDecimal(standing.balance_sats));
  status.set_tier(TierOf(standing.tier));
  status.set_yield_rate_bps(standing.rate_bps);
  return status;
}

grpc::ServerUnaryReactor* OracleGrpcService::GetYieldStatus(
    grpc::CallbackServerContext* context,
    const v1::GetYieldStatusRequest* request, v1::YieldStatus* response) {
  return Reply(context, Yield(*request), response);
}

}  // namespace chainsync::oracle
