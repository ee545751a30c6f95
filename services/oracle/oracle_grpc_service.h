#pragma once

#include <functional>
#include <memory>

#include "chainsync/oracle/v1/oracle.grpc.pb.h"
#include "libs/common/api/page_tokens.h"
#include "libs/common/clock.h"
#include "libs/common/metrics/registry.h"
#include "services/oracle/account_store.h"
#include "services/oracle/monitor_store.h"
#include "services/oracle/operation_store.h"
#include "services/oracle/ownership_proof.h"
#include "services/oracle/pending_replies.h"
#include "services/oracle/sweeper.h"
#include "services/oracle/yield_standing.h"

namespace chainsync::oracle {

// OracleGrpcService answers the oracle's RPCs on gRPC's callback threads.
class OracleGrpcService final : public v1::OracleService::CallbackService {
 public:
  OracleGrpcService(std::shared_ptr<AccountStore> accounts,
                    std::shared_ptr<MonitorStore> monitor,
                    std::shared_ptr<OperationStore> operations,
                    Sweeper& sweeper, ProofRules rules, PageTokens page_tokens,
                    std::shared_ptr<PoolView> pool, YieldRules yield_rules,
                    Clock& clock = SystemClock(),
                    metrics::Registry& registry = metrics::DefaultRegistry());

  grpc::ServerUnaryReactor* RegisterBitcoinAddress(
      grpc::CallbackServerContext* context,
      const v1::RegisterBitcoinAddressRequest* request,
      v1::BitcoinAddress* response) override;
  grpc::ServerUnaryReactor* ListBitcoinAddresses(
      grpc::CallbackServerContext* context,
      const v1::ListBitcoinAddressesRequest* request,
      v1::ListBitcoinAddressesResponse* response) override;
  grpc::ServerUnaryReactor* RemoveBitcoinAddress(
      grpc::CallbackServerContext* context,
      const v1::RemoveBitcoinAddressRequest* request,
      v1::RemoveBitcoinAddressResponse* response) override;
  grpc::ServerUnaryReactor* GetUserSyncStatus(
      grpc::CallbackServerContext* context,
      const v1::GetUserSyncStatusRequest* request,
      v1::UserSyncStatus* response) override;
  grpc::ServerUnaryReactor* StartUserSync(
      grpc::CallbackServerContext* context,
      const v1::StartUserSyncRequest* request,
      v1::UserSyncStatus* response) override;
  grpc::ServerUnaryReactor* StopUserSync(grpc::CallbackServerContext* context,
                                         const v1::StopUserSyncRequest* request,
                                         v1::UserSyncStatus* response) override;
  grpc::ServerUnaryReactor* ForceUserSync(
      grpc::CallbackServerContext* context,
      const v1::ForceUserSyncRequest* request,
      v1::UserSyncStatus* response) override;
  grpc::ServerUnaryReactor* GetUserSync(
      grpc::CallbackServerContext* context,
      const v1::GetUserSyncRequest* request,
      v1::UserSyncResponse* response) override;
  grpc::ServerUnaryReactor* ManageUserSync(
      grpc::CallbackServerContext* context,
      const v1::ManageUserSyncRequest* request,
      v1::UserSyncResponse* response) override;
  grpc::ServerUnaryReactor* ManageSweep(grpc::CallbackServerContext* context,
                                        const v1::ManageSweepRequest* request,
                                        v1::SweepStatus* response) override;
  grpc::ServerUnaryReactor* TriggerEmergencyBurn(
      grpc::CallbackServerContext* context,
      const v1::TriggerEmergencyBurnRequest* request,
      v1::OracleOperation* response) override;
  grpc::ServerUnaryReactor* GetEmergencyBurnStats(
      grpc::CallbackServerContext* context,
      const v1::GetEmergencyBurnStatsRequest* request,
      v1::EmergencyBurnStats* response) override;
  grpc::ServerUnaryReactor* GetYieldStatus(
      grpc::CallbackServerContext* context,
      const v1::GetYieldStatusRequest* request,
      v1::YieldStatus* response) override;
  grpc::ServerUnaryReactor* ListOperations(
      grpc::CallbackServerContext* context,
      const v1::ListOperationsRequest* request,
      v1::ListOperationsResponse* response) override;
  grpc::ServerUnaryReactor* ListUsers(grpc::CallbackServerContext* context,
                                      const v1::ListUsersRequest* request,
                                      v1::ListUsersResponse* response) override;
  grpc::ServerUnaryReactor* GetSweepStatus(
      grpc::CallbackServerContext* context,
      const v1::GetSweepStatusRequest* request,
      v1::SweepStatus* response) override;
  grpc::ServerUnaryReactor* StartSweep(grpc::CallbackServerContext* context,
                                       const v1::StartSweepRequest* request,
                                       v1::SweepStatus* response) override;
  grpc::ServerUnaryReactor* StopSweep(grpc::CallbackServerContext* context,
                                      const v1::StopSweepRequest* request,
                                      v1::SweepStatus* response) override;
  grpc::ServerUnaryReactor* ForceSweep(grpc::CallbackServerContext* context,
                                       const v1::ForceSweepRequest* request,
                                       v1::SweepStatus* response) override;
  grpc::ServerUnaryReactor* UpdateSweepConfig(
      grpc::CallbackServerContext* context,
      const v1::UpdateSweepConfigRequest* request,
      v1::SweepStatus* response) override;

 private:
  absl::StatusOr<v1::BitcoinAddress> Register(
      const v1::RegisterBitcoinAddressRequest& request);
  absl::StatusOr<v1::ListBitcoinAddressesResponse> List(
      const v1::ListBitcoinAddressesRequest& request);
  // UserStatus answers the sync status of the account `address` names,
  // after `change` (a switch, a read) when given.
  absl::StatusOr<v1::UserSyncStatus> UserStatus(
      absl::string_view address,
      const std::function<absl::Status(const evm::Address&)>& change);
  // UserStatuses is the status of each of `accounts` the oracle knows, in
  // their order.
  absl::StatusOr<std::vector<v1::UserSyncStatus>> UserStatuses(
      const std::vector<evm::Address>& accounts);
  // UserAction is what starting, stopping or forcing an account's sync
  // changes; INVALID_ARGUMENT for another action.
  absl::StatusOr<std::function<absl::Status(const evm::Address&)>> UserAction(
      absl::string_view action);
  absl::StatusOr<v1::UserSyncResponse> WrapStatus(
      absl::StatusOr<v1::UserSyncStatus> status);
  absl::StatusOr<v1::SweepStatus> Manage(const v1::ManageSweepRequest& request);
  // A burn recorded for the sending oracle to journal, and what it is
  // answered as until it does.
  struct RequestedBurn {
    int64_t id = 0;
    v1::OracleOperation intended;
  };
  absl::StatusOr<RequestedBurn> Burn(
      const v1::TriggerEmergencyBurnRequest& request);
  // BurnJournaled is burn request `request`'s operation, once journaled.
  absl::StatusOr<std::optional<v1::OracleOperation>> BurnJournaled(
      int64_t request);
  absl::StatusOr<v1::YieldStatus> Yield(
      const v1::GetYieldStatusRequest& request);
  absl::StatusOr<v1::ListOperationsResponse> Operations(
      const v1::ListOperationsRequest& request);
  absl::StatusOr<v1::ListUsersResponse> Users(
      const v1::ListUsersRequest& request);
  absl::StatusOr<v1::SweepStatus> SweepStatusOf(
      absl::StatusOr<SweepReport> report);
  absl::StatusOr<v1::SweepStatus> UpdateSweep(
      const v1::UpdateSweepConfigRequest& request);

  const std::shared_ptr<AccountStore> accounts_;
  const std::shared_ptr<MonitorStore> monitor_;
  const std::shared_ptr<OperationStore> operations_;
  Sweeper& sweeper_;
  const ProofRules rules_;
  const PageTokens page_tokens_;
  const std::shared_ptr<PoolView> pool_;
  const YieldRules yield_rules_;
  Clock& clock_;
  metrics::Family<metrics::Counter>& registrations_;
  // Declared last: its thread looks at the stores above until it stops.
  PendingReplies<v1::OracleOperation> burns_;
};

}  // namespace chainsync::oracle
