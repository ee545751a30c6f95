#pragma once

// The reconciler's gRPC API over its runs and their records: run one now,
// list the discrepancies, the health report of the last run. The dispute
// and proof-of-reserves RPCs answer UNIMPLEMENTED until they land.

#include <memory>

#include "chainsync/reconciler/v1/reconciler.grpc.pb.h"
#include "libs/common/api/page_tokens.h"
#include "services/reconciler/discrepancy_store.h"
#include "services/reconciler/proof_store.h"
#include "services/reconciler/reconciler.h"

namespace chainsync::reconciler {

class ReconcilerGrpcService final
    : public v1::ReconcilerService::CallbackService {
 public:
  ReconcilerGrpcService(Reconciler& reconciler,
                        std::shared_ptr<DiscrepancyStore> store,
                        std::shared_ptr<ProofStore> proofs,
                        PageTokens page_tokens)
      : reconciler_(reconciler),
        store_(std::move(store)),
        proofs_(std::move(proofs)),
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

 private:
  absl::StatusOr<v1::HealthReport> Health();
  absl::StatusOr<v1::ListDiscrepanciesResponse> Discrepancies(
      const v1::ListDiscrepanciesRequest& request);
  absl::StatusOr<v1::ReconciliationRun> Run();
  absl::StatusOr<v1::ProofOfReserves> Reserves();
  absl::StatusOr<v1::InclusionProof> Inclusion(
      const v1::GetInclusionProofRequest& request);

  Reconciler& reconciler_;
  const std::shared_ptr<DiscrepancyStore> store_;
  const std::shared_ptr<ProofStore> proofs_;
  const PageTokens page_tokens_;
};

}  // namespace chainsync::reconciler
