#pragma once

// The reconciler's gRPC API over its runs and their records: run one now,
// list the discrepancies, the health report of the last run, users'
// disputes, and the proofs of reserves.

#include <memory>

#include "chainsync/reconciler/v1/reconciler.grpc.pb.h"
#include "libs/common/api/page_tokens.h"
#include "libs/common/server/caller.h"
#include "services/reconciler/discrepancy_store.h"
#include "services/reconciler/disputes.h"
#include "services/reconciler/proof_store.h"
#include "services/reconciler/reconciler.h"

namespace chainsync::reconciler {

class ReconcilerGrpcService final
    : public v1::ReconcilerService::CallbackService {
 public:
  ReconcilerGrpcService(Reconciler& reconciler,
                        std::shared_ptr<DiscrepancyStore> store,
                        std::shared_ptr<ProofStore> proofs,
                        DisputeDesk& disputes,
                        std::shared_ptr<DisputeStore> dispute_store,
                        PageTokens page_tokens)
      : reconciler_(reconciler),
        store_(std::move(store)),
        proofs_(std::move(proofs)),
        disputes_(disputes),
        dispute_store_(std::move(dispute_store)),
        page_tokens_(std::move(page_tokens)) {}

  grpc::ServerUnaryReactor* GetHealthReport(
      grpc::CallbackServerContext* context,
      const v1::GetHealthReportRequest* request,
      v1::HealthReport* response) override;
  grpc::ServerUnaryReactor* ListDiscrepancies(
      grpc::CallbackServerContext* context,
      const v1::ListDiscrepanciesRequest* request,
      v1::ListDiscrepanciesResponse* response) override;
  grpc::ServerUnaryReactor* RunReconciliation(
      grpc::CallbackServerContext* context,
      const v1::RunReconciliationRequest* request,
      v1::ReconciliationRun* response) override;
  grpc::ServerUnaryReactor* GetProofOfReserves(
      grpc::CallbackServerContext* context,
      const v1::GetProofOfReservesRequest* request,
      v1::ProofOfReserves* response) override;
  grpc::ServerUnaryReactor* GetInclusionProof(
      grpc::CallbackServerContext* context,
      const v1::GetInclusionProofRequest* request,
      v1::InclusionProof* response) override;
  grpc::ServerUnaryReactor* FileDispute(grpc::CallbackServerContext* context,
                                        const v1::FileDisputeRequest* request,
                                        v1::Dispute* response) override;
  grpc::ServerUnaryReactor* ListDisputes(
      grpc::CallbackServerContext* context,
      const v1::ListDisputesRequest* request,
      v1::ListDisputesResponse* response) override;
  grpc::ServerUnaryReactor* GetDispute(grpc::CallbackServerContext* context,
                                       const v1::GetDisputeRequest* request,
                                       v1::Dispute* response) override;
  grpc::ServerUnaryReactor* ResolveDispute(
      grpc::CallbackServerContext* context,
      const v1::ResolveDisputeRequest* request, v1::Dispute* response) override;

 private:
  absl::StatusOr<v1::HealthReport> Health();
  absl::StatusOr<v1::ListDiscrepanciesResponse> Discrepancies(
      const v1::ListDiscrepanciesRequest& request);
  absl::StatusOr<v1::ReconciliationRun> Run();
  absl::StatusOr<v1::ProofOfReserves> Reserves();
  absl::StatusOr<v1::InclusionProof> Inclusion(
      const v1::GetInclusionProofRequest& request);
  absl::StatusOr<v1::Dispute> File(const Caller& caller,
                                   const v1::FileDisputeRequest& request);
  absl::StatusOr<v1::ListDisputesResponse> Disputes(
      const Caller& caller, const v1::ListDisputesRequest& request);
  absl::StatusOr<v1::Dispute> DisputeFor(const Caller& caller,
                                         const std::string& id);
  absl::StatusOr<v1::Dispute> Resolve(const Caller& caller,
                                      const v1::ResolveDisputeRequest& request);

  Reconciler& reconciler_;
  const std::shared_ptr<DiscrepancyStore> store_;
  const std::shared_ptr<ProofStore> proofs_;
  DisputeDesk& disputes_;
  const std::shared_ptr<DisputeStore> dispute_store_;
  const PageTokens page_tokens_;
};

}  // namespace chainsync::reconciler
