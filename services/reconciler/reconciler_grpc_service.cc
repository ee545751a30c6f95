#include "services/reconciler/reconciler_grpc_service.h"

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "libs/common/api/proto_time.h"
#include "libs/common/grpc_status.h"
#include "services/reconciler/proof_messages.h"

namespace chainsync::reconciler {
namespace {

v1::HealthStatus StatusMessage(HealthStatus status) {
  switch (status) {
    case HealthStatus::kHealthy:
      return v1::HEALTH_STATUS_HEALTHY;
    case HealthStatus::kDegraded:
      return v1::HEALTH_STATUS_DEGRADED;
    case HealthStatus::kUnhealthy:
      return v1::HEALTH_STATUS_UNHEALTHY;
  }
  return v1::HEALTH_STATUS_UNSPECIFIED;
}

// The kinds as the API and the store name them, in the proto's order.
constexpr std::pair<v1::DiscrepancyKind, DiscrepancyKind> kKinds[] = {
    {v1::DISCREPANCY_KIND_USER_MISSING, DiscrepancyKind::kUserMissing},
    {v1::DISCREPANCY_KIND_BURN_NOT_RECORDED, DiscrepancyKind::kBurnNotRecorded},
    {v1::DISCREPANCY_KIND_OPERATION_NOT_LOGGED,
     DiscrepancyKind::kOperationNotLogged},
    {v1::DISCREPANCY_KIND_BALANCE_MISMATCH, DiscrepancyKind::kBalanceMismatch},
    {v1::DISCREPANCY_KIND_SUPPLY_MISMATCH, DiscrepancyKind::kSupplyMismatch},
    {v1::DISCREPANCY_KIND_CONTRACT_MISSING, DiscrepancyKind::kContractMissing},
    {v1::DISCREPANCY_KIND_INDEXER_LAG, DiscrepancyKind::kIndexerLag},
    {v1::DISCREPANCY_KIND_EVENT_NOT_INDEXED, DiscrepancyKind::kEventNotIndexed},
};

constexpr std::pair<v1::DiscrepancyStatus, const char*> kStatuses[] = {
    {v1::DISCREPANCY_STATUS_OPEN, "open"},
    {v1::DISCREPANCY_STATUS_REPAIRED, "repaired"},
    {v1::DISCREPANCY_STATUS_RESOLVED, "resolved"},
};

constexpr char kNoProofYet[] =
    "no proof of reserves yet: a reconciliation run makes one once an account "
    "holds rBTC";

v1::HealthReport ReportOf(const RunSummary& run, uint64_t open) {
  v1::HealthReport report;
  report.set_score(run.health.score);
  report.set_status(StatusMessage(run.health.status));
  for (const ComponentScore& component : run.health.components) {
    v1::ComponentHealth* added = report.add_components();
    added->set_name(component.name);
    added->set_score(component.score);
    added->set_weight(component.weight);
    added->set_contribution(component.contribution);
    added->set_status(StatusMessage(component.status));
    added->set_detail(component.detail);
  }
  report.set_open_discrepancies(open);
  SetTime(run.finished, report.mutable_generate_time());
  return report;
}

v1::Discrepancy DiscrepancyMessage(const StoredDiscrepancy& stored) {
  v1::Discrepancy message;
  message.set_id(stored.id);
  for (const auto& [api, kind] : kKinds) {
    if (KindName(kind) == stored.kind) message.set_kind(api);
  }
  for (const auto& [api, name] : kStatuses) {
    if (stored.status == name) message.set_status(api);
  }
  const Finding& finding = stored.finding;
  if (finding.account.has_value()) {
    message.set_address(finding.account->ToChecksumHex());
  }
  if (finding.contract.has_value()) {
    message.set_contract_address(finding.contract->ToChecksumHex());
  }
  message.set_chain_value(finding.chain_value);
  message.set_indexer_value(finding.indexer_value);
  message.set_oracle_value(finding.oracle_value);
  message.set_block_number(stored.block);
  message.set_repair_action(stored.repair_action);
  message.set_detail(finding.detail);
  SetTime(stored.first_seen, message.mutable_detect_time());
  if (stored.resolved_at.has_value()) {
    SetTime(*stored.resolved_at, message.mutable_resolve_time());
  }
  message.set_rule(stored.rule);
  message.set_severity(stored.severity == "critical" ? v1::SEVERITY_CRITICAL
                                                     : v1::SEVERITY_WARNING);
  SetTime(stored.last_seen, message.mutable_last_seen_time());
  message.set_times_seen(stored.times_seen);
  return message;
}

}  // namespace

absl::StatusOr<v1::HealthReport> ReconcilerGrpcService::Health() {
  absl::StatusOr<std::optional<RunSummary>> latest = store_->LatestRun();
  if (!latest.ok()) return latest.status();
  if (!latest->has_value()) {
    return absl::UnavailableError(
        "no reconciliation has run yet; the first runs at start");
  }
  absl::StatusOr<uint64_t> open = store_->OpenCount();
  if (!open.ok()) return open.status();
  return ReportOf(**latest, *open);
}

grpc::ServerUnaryReactor* ReconcilerGrpcService::GetHealthReport(
    grpc::CallbackServerContext* context, const v1::GetHealthReportRequest*,
    v1::HealthReport* response) {
  return Reply(context, Health(), response);
}

absl::StatusOr<v1::ListDiscrepanciesResponse>
ReconcilerGrpcService::Discrepancies(
    const v1::ListDiscrepanciesRequest& request) {
  DiscrepancyFilter filter;
  for (const int kind : request.kinds()) {
    const auto found =
        std::find_if(std::begin(kKinds), std::end(kKinds),
                     [&](const auto& pair) { return pair.first == kind; });
    if (found == std::end(kKinds)) {
      return absl::InvalidArgumentError(
          absl::StrCat("kinds: ", kind, " is not a discrepancy kind"));
    }
    filter.kinds.emplace_back(KindName(found->second));
  }
  for (const int status : request.statuses()) {
    const auto found =
        std::find_if(std::begin(kStatuses), std::end(kStatuses),
                     [&](const auto& pair) { return pair.first == status; });
    if (found == std::end(kStatuses)) {
      return absl::InvalidArgumentError(
          absl::StrCat("statuses: ", status, " is not a discrepancy status"));
    }
    filter.statuses.emplace_back(found->second);
  }
  if (!request.address().empty()) {
    absl::StatusOr<evm::Address> account =
        evm::Address::Parse(request.address(), "address");
    if (!account.ok()) return account.status();
    filter.account = *account;
  }
  absl::StatusOr<int> size = PageSize(request.page_size(), 100, 1000);
  if (!size.ok()) return size.status();
  filter.limit = *size + 1;
  if (!request.page_token().empty()) {
    absl::StatusOr<std::vector<std::string>> token =
        page_tokens_.Decode(request.page_token(), 1);
    if (!token.ok()) return token.status();
    int64_t before = 0;
    if (!absl::SimpleAtoi((*token)[0], &before)) {
      return absl::InvalidArgumentError("page_token: not a page of this list");
    }
    filter.before_id = before;
  }
  absl::StatusOr<std::vector<StoredDiscrepancy>> listed = store_->List(filter);
  if (!listed.ok()) return listed.status();
  v1::ListDiscrepanciesResponse response;
  const size_t count = std::min(listed->size(), static_cast<size_t>(*size));
  for (size_t i = 0; i < count; ++i) {
    *response.add_discrepancies() = DiscrepancyMessage((*listed)[i]);
  }
  if (listed->size() > count) {
    response.set_next_page_token(
        page_tokens_.Encode({absl::StrCat((*listed)[count - 1].id)}));
  }
  return response;
}

grpc::ServerUnaryReactor* ReconcilerGrpcService::ListDiscrepancies(
    grpc::CallbackServerContext* context,
    const v1::ListDiscrepanciesRequest* request,
    v1::ListDiscrepanciesResponse* response) {
  return Reply(context, Discrepancies(*request), response);
}

absl::StatusOr<v1::ReconciliationRun> ReconcilerGrpcService::Run() {
  absl::StatusOr<RunSummary> run = reconciler_.RunNow();
  if (!run.ok()) return run.status();
  absl::StatusOr<uint64_t> open = store_->OpenCount();
  if (!open.ok()) return open.status();
  v1::ReconciliationRun message;
  SetTime(run->started, message.mutable_start_time());
  SetTime(run->finished, message.mutable_end_time());
  message.set_block_number(run->block);
  message.set_accounts_checked(run->accounts_checked);
  message.set_discrepancies_found(run->found);
  message.set_discrepancies_repaired(run->repaired);
  *message.mutable_health() = ReportOf(*run, *open);
  return message;
}

grpc::ServerUnaryReactor* ReconcilerGrpcService::RunReconciliation(
    grpc::CallbackServerContext* context, const v1::RunReconciliationRequest*,
    v1::ReconciliationRun* response) {
  return Reply(context, Run(), response);
}

absl::StatusOr<v1::ProofOfReserves> ReconcilerGrpcService::Reserves() {
  absl::StatusOr<std::optional<ReserveProof>> latest = proofs_->Latest();
  if (!latest.ok()) return latest.status();
  if (!latest->has_value()) {
    return absl::UnavailableError(kNoProofYet);
  }
  const ReserveProof& proof = **latest;
  v1::ProofOfReserves message;
  message.set_proof_id(absl::StrCat(proof.id));
  message.set_total_reserves_sats(absl::StrCat(proof.reserves_sats));
  message.set_total_liabilities_sats(absl::StrCat(proof.liabilities_sats));
  if (proof.liabilities_sats > 0) {
    // Six decimals, rounded down: never more backing than there is.
    const evm::Uint256 millionths =
        evm::Uint256(proof.reserves_sats) * 1'000'000 / proof.liabilities_sats;
    const std::string digits = evm::ToDecimal(millionths);
    const std::string padded =
        std::string(digits.size() < 7 ? 7 - digits.size() : 0, '0') + digits;
    message.set_backing_ratio(absl::StrCat(padded.substr(0, padded.size() - 6),
                                           ".",
                                           padded.substr(padded.size() - 6)));
  }
  message.set_status(proof.reserves_sats >= proof.liabilities_sats
                         ? v1::RESERVE_STATUS_FULLY_BACKED
                         : v1::RESERVE_STATUS_UNDER_BACKED);
  message.set_merkle_root(evm::ToHex(proof.root.hash));
  message.set_merkle_root_sum(absl::StrCat(proof.root.sum));
  message.set_account_count(proof.account_count);
  message.set_block_number(proof.block);
  message.set_bitcoin_tip_height(proof.bitcoin_tip);
  SetTime(proof.made, message.mutable_generate_time());
  return message;
}

grpc::ServerUnaryReactor* ReconcilerGrpcService::GetProofOfReserves(
    grpc::CallbackServerContext* context, const v1::GetProofOfReservesRequest*,
    v1::ProofOfReserves* response) {
  return Reply(context, Reserves(), response);
}

absl::StatusOr<v1::InclusionProof> ReconcilerGrpcService::Inclusion(
    const v1::GetInclusionProofRequest& request) {
  absl::StatusOr<evm::Address> account =
      evm::Address::Parse(request.address(), "address");
  if (!account.ok()) return account.status();
  absl::StatusOr<std::optional<ReserveProof>> proof;
  if (request.proof_id().empty()) {
    proof = proofs_->Latest();
  } else {
    int64_t id = 0;
    if (!absl::SimpleAtoi(request.proof_id(), &id)) {
      return absl::InvalidArgumentError(absl::StrCat(
          "proof_id: \"", request.proof_id(), "\" is not a proof's id"));
    }
    proof = proofs_->Get(id);
  }
  if (!proof.ok()) return proof.status();
  if (!proof->has_value()) {
    return absl::NotFoundError(
        request.proof_id().empty()
            ? kNoProofYet
            : absl::StrCat("no proof of reserves ", request.proof_id()));
  }
  absl::StatusOr<crypto::InclusionProof> path =
      proofs_->InclusionOf((*proof)->id, account->bytes());
  if (!path.ok()) {
    if (absl::IsNotFound(path.status())) {
      return absl::NotFoundError(absl::StrCat(
          account->ToChecksumHex(), " held no rBTC at block ", (*proof)->block,
          ", so proof ", (*proof)->id, " has no leaf of it"));
    }
    return path.status();
  }
  return ProofMessage(absl::StrCat((*proof)->id), *path, (*proof)->root);
}

grpc::ServerUnaryReactor* ReconcilerGrpcService::GetInclusionProof(
    grpc::CallbackServerContext* context,
    const v1::GetInclusionProofRequest* request, v1::InclusionProof* response) {
  return Reply(context, Inclusion(*request), response);
}

}  // namespace chainsync::reconciler
