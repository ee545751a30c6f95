#pragma once

// OracleReader reads the oracle's side of a snapshot over its gRPC API:
// every account with its last confirmed Bitcoin total and whether a sync of
// it is on its way (ListUsers), and the journal of operations
// (ListOperations).

#include <memory>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "chainsync/oracle/v1/oracle.grpc.pb.h"
#include "services/reconciler/disputes.h"
#include "services/reconciler/reconciler.h"
#include "services/reconciler/snapshot.h"

namespace chainsync::reconciler {

// It is also the reconciler's Repairer: the oracle reads and syncs an
// account on request.
class OracleReader final : public Repairer {
 public:
  OracleReader(std::shared_ptr<grpc::ChannelInterface> channel,
               absl::Duration timeout);

  absl::StatusOr<OracleView> Read();

  absl::StatusOr<std::string> ForceSync(const evm::Address& account) override;

  // BitcoinAddresses are the addresses the oracle monitors for `account`.
  absl::StatusOr<std::vector<std::string>> BitcoinAddresses(
      const evm::Address& account);

  // FindSync is the newest sync of `account` to `balance_sats` the oracle
  // journaled at or after `since` and has not given up on (neither failed
  // nor replaced), if any.
  absl::StatusOr<std::optional<CorrectiveSync>> FindSync(
      const evm::Address& account, int64_t balance_sats, absl::Time since);

 private:
  // ReadAccounts fills `view.accounts`, ReadOperations `view.operations`:
  // the two may run at once.
  absl::Status ReadAccounts(OracleView& view);
  absl::Status ReadOperations(OracleView& view);

  std::unique_ptr<oracle::v1::OracleService::Stub> stub_;
  const absl::Duration timeout_;
};

}  // namespace chainsync::reconciler
