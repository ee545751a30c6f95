#include "services/reconciler/reconciler_grpc_service.h"

#include "absl/strings/ascii.h"
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

constexpr std::pair<v1::DisputeStatus, const char*> kDisputeStatuses[] = {
    {v1::DISPUTE_STATUS_FILED, kFiled},
    {v1::DISPUTE_STATUS_VALIDATING, kValidating},
    {v1::DISPUTE_STATUS_RESOLVED, kResolved},
    {v1::DISPUTE_STATUS_REJECTED, kRejected},
};

v1::DisputeStatus DisputeStatusOf(const std::string& name) {
  for (const auto& [api, stored] : kDisputeStatuses) {
    if (name == stored) return api;
  }
  return v1::DISPUTE_STATUS_UNSPECIFIED;
}

std::string Sats(const std::optional<int64_t>& sats) {
  return sats.has_value() ? absl::StrCat(*sats) : "";
}

v1::Dispute DisputeMessage(const StoredDispute& stored) {
  v1::Dispute message;
  message.set_dispute_id(stored.id);
  message.set_address(stored.account.ToChecksumHex());
  message.set_status(DisputeStatusOf(stored.status));
  message.set_claimed_balance_sats(absl::StrCat(stored.claimed_sats));
  message.set_recorded_balance_sats(absl::StrCat(stored.recorded_sats));
  message.set_verified_balance_sats(Sats(stored.verified_sats));
  message.set_reason(stored.reason);
  message.set_bitcoin_address(stored.bitcoin_address);
  message.set_resolution(stored.resolution);
  message.set_resolution_transaction_hash(stored.transaction_hash);
  SetTime(stored.created, message.mutable_create_time());
  SetTime(stored.updated, message.mutable_update_time());
  if (stored.resolved.has_value()) {
    SetTime(*stored.resolved, message.mutable_resolve_time());
  }
  message.set_resolution_operation_id(stored.operation_id.value_or(0));
  for (const DisputeTransition& transition : stored.history) {
    v1::DisputeTransition* added = message.add_history();
    added->set_status(DisputeStatusOf(transition.status));
    added->set_note(transition.note);
    SetTime(transition.at, added->mutable_time());
  }
  message.set_last_error(stored.last_error);
  message.set_bitcoin_tip_height(stored.bitcoin_tip.value_or(0));
  return message;
}

// IsDisputeId says whether `id` can name a dispute (a UUID), so that what
// a user sends reaches the store only in its form.
bool IsDisputeId(const std::string& id) {
  if (id.size() != 36) return false;
  for (size_t i = 0; i < id.size(); ++i) {
    const bool dash = i == 8 || i == 13 || i == 18 || i == 23;
    if (dash ? id[i] != '-' : !absl::ascii_isxdigit(id[i])) return false;
  }
  return true;
}

absl::Status NoDispute(const std::string& id) {
  return absl::NotFoundError(absl::StrCat("no dispute ", id));
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
  if (proof.publication.has_value()) {
    message.set_publication_contract(
        proof.publication->contract.ToChecksumHex());
    message.set_publication_transaction_hash(
        evm::ToHex(proof.publication->transaction));
    message.set_publication_block_number(proof.publication->block);
  }
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

absl::StatusOr<v1::Dispute> ReconcilerGrpcService::File(
    const Caller& caller, const v1::FileDisputeRequest& request) {
  absl::StatusOr<evm::Address> account =
      evm::Address::Parse(request.address(), "address");
  if (!account.ok()) return account.status();
  if (!caller.Owns(request.address())) {
    return absl::PermissionDeniedError(
        absl::StrCat("the token is for ", caller.subject, ", not for address ",
                     request.address()));
  }
  int64_t claimed = 0;
  if (!absl::SimpleAtoi(request.claimed_balance_sats(), &claimed)) {
    return absl::InvalidArgumentError(
        absl::StrCat("claimed_balance_sats: \"", request.claimed_balance_sats(),
                     "\" is not a whole number of satoshis"));
  }
  absl::StatusOr<StoredDispute> filed =
      disputes_.File({.account = *account,
                      .claimed_sats = claimed,
                      .reason = request.reason(),
                      .bitcoin_address = request.bitcoin_address()});
  if (!filed.ok()) return filed.status();
  return DisputeMessage(*filed);
}

grpc::ServerUnaryReactor* ReconcilerGrpcService::FileDispute(
    grpc::CallbackServerContext* context, const v1::FileDisputeRequest* request,
    v1::Dispute* response) {
  return Reply(context, File(CallerOf(*context), *request), response);
}

absl::StatusOr<v1::ListDisputesResponse> ReconcilerGrpcService::Disputes(
    const Caller& caller, const v1::ListDisputesRequest& request) {
  DisputeFilter filter;
  if (request.address().empty()) {
    if (!caller.admin) {
      return absl::InvalidArgumentError(
          "address: required (only admins list every account's disputes)");
    }
  } else {
    absl::StatusOr<evm::Address> account =
        evm::Address::Parse(request.address(), "address");
    if (!account.ok()) return account.status();
    if (!caller.Owns(request.address())) {
      return absl::PermissionDeniedError(
          absl::StrCat("the token is for ", caller.subject,
                       ", not for address ", request.address()));
    }
    filter.account = *account;
  }
  for (const int status : request.statuses()) {
    const auto found =
        std::find_if(std::begin(kDisputeStatuses), std::end(kDisputeStatuses),
                     [&](const auto& pair) { return pair.first == status; });
    if (found == std::end(kDisputeStatuses)) {
      return absl::InvalidArgumentError(
          absl::StrCat("statuses: ", status, " is not a dispute status"));
    }
    filter.statuses.emplace_back(found->second);
  }
  absl::StatusOr<int> size = PageSize(request.page_size(), 50, 500);
  if (!size.ok()) return size.status();
  filter.limit = *size + 1;
  if (!request.page_token().empty()) {
    absl::StatusOr<std::vector<std::string>> token =
        page_tokens_.Decode(request.page_token(), 2);
    if (!token.ok()) return token.status();
    int64_t micros = 0;
    if (!absl::SimpleAtoi((*token)[0], &micros)) {
      return absl::InvalidArgumentError("page_token: not a page of this list");
    }
    filter.after = {absl::FromUnixMicros(micros), (*token)[1]};
  }
  absl::StatusOr<std::vector<StoredDispute>> listed =
      dispute_store_->List(filter);
  if (!listed.ok()) return listed.status();
  v1::ListDisputesResponse response;
  const size_t count = std::min(listed->size(), static_cast<size_t>(*size));
  for (size_t i = 0; i < count; ++i) {
    *response.add_disputes() = DisputeMessage((*listed)[i]);
  }
  if (listed->size() > count) {
    const StoredDispute& last = (*listed)[count - 1];
    response.set_next_page_token(page_tokens_.Encode(
        {absl::StrCat(absl::ToUnixMicros(last.created)), last.id}));
  }
  return response;
}

grpc::ServerUnaryReactor* ReconcilerGrpcService::ListDisputes(
    grpc::CallbackServerContext* context,
    const v1::ListDisputesRequest* request,
    v1::ListDisputesResponse* response) {
  return Reply(context, Disputes(CallerOf(*context), *request), response);
}

absl::StatusOr<v1::Dispute> ReconcilerGrpcService::DisputeFor(
    const Caller& caller, const std::string& id) {
  if (!IsDisputeId(id)) return NoDispute(id);
  absl::StatusOr<StoredDispute> dispute = dispute_store_->Get(id);
  if (!dispute.ok()) return dispute.status();
  // Someone else's dispute is answered as no dispute: ids reveal nothing.
  if (!caller.Owns(dispute->account.ToLowerHex())) return NoDispute(id);
  return DisputeMessage(*dispute);
}

grpc::ServerUnaryReactor* ReconcilerGrpcService::GetDispute(
    grpc::CallbackServerContext* context, const v1::GetDisputeRequest* request,
    v1::Dispute* response) {
  return Reply(context, DisputeFor(CallerOf(*context), request->dispute_id()),
               response);
}

absl::StatusOr<v1::Dispute> ReconcilerGrpcService::Resolve(
    const Caller& caller, const v1::ResolveDisputeRequest& request) {
  if (!caller.admin) {
    return absl::PermissionDeniedError(
        "resolving a dispute needs the admin "
        "role");
  }
  if (request.outcome() != v1::DISPUTE_STATUS_RESOLVED &&
      request.outcome() != v1::DISPUTE_STATUS_REJECTED) {
    return absl::InvalidArgumentError(
        absl::StrCat("outcome: ", v1::DisputeStatus_Name(request.outcome()),
                     " is not a verdict; RESOLVED or REJECTED"));
  }
  if (!IsDisputeId(request.dispute_id())) {
    return NoDispute(request.dispute_id());
  }
  absl::StatusOr<StoredDispute> closed = disputes_.Close(
      request.dispute_id(),
      request.outcome() == v1::DISPUTE_STATUS_RESOLVED ? kResolved : kRejected,
      request.resolution(),
      caller.subject.empty() ? "an operator" : caller.subject);
  if (!closed.ok()) return closed.status();
  return DisputeMessage(*closed);
}

grpc::ServerUnaryReactor* ReconcilerGrpcService::ResolveDispute(
    grpc::CallbackServerContext* context,
    const v1::ResolveDisputeRequest* request, v1::Dispute* response) {
  return Reply(context, Resolve(CallerOf(*context), *request), response);
}

}  // namespace chainsync::reconciler
