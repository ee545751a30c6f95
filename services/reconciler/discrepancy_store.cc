#include "services/reconciler/discrepancy_store.h"

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "libs/common/postgres/time_sql.h"

namespace chainsync::reconciler {
namespace {

std::string Hex(const std::optional<evm::Address>& address) {
  return address.has_value() ? address->ToLowerHex().substr(2) : "";
}

absl::StatusOr<std::optional<evm::Address>> OptionalAccount(
    const PgResult& rows, int row, int column) {
  if (rows.IsNull(row, column)) return std::nullopt;
  absl::StatusOr<evm::Address> account =
      evm::Address::Parse(absl::StrCat("0x", rows.Get(row, column)));
  if (!account.ok()) return account.status();
  return *account;
}

double Double(absl::string_view text) {
  double value = 0;
  return absl::SimpleAtod(text, &value) ? value : 0;
}

// Audit writes the run's repairs to the audit, and closes as repaired the
// discrepancies of those that were made.
absl::Status Audit(PgConnection& connection, const RunSummary& run,
                   const std::vector<RuleOutcome>& outcomes,
                   const std::string& now) {
  std::vector<std::string> rules, subjects, actions, reasons, outcome_names;
  for (const RuleOutcome& outcome : outcomes) {
    for (const Finding& finding : outcome.findings) {
      if (finding.repair.empty()) continue;
      rules.emplace_back(outcome.rule->name);
      subjects.push_back(finding.subject);
      actions.push_back(finding.repair);
      reasons.push_back(finding.detail);
      outcome_names.push_back(finding.repaired ? "done" : "failed");
    }
  }
  if (rules.empty()) return absl::OkStatus();
  absl::StatusOr<PgResult> done = connection.Exec(
      absl::StrCat("INSERT INTO reconciler.repairs (run_id, rule, subject, "
                   "action, reason, outcome, made_at) SELECT $1, r.* , ",
                   now,
                   " FROM unnest($2::text[], $3::text[], $4::text[], "
                   "$5::text[], $6::text[]) AS r"),
      PgParams()
          .Add(run.id)
          .AddArray(rules)
          .AddArray(subjects)
          .AddArray(actions)
          .AddArray(reasons)
          .AddArray(outcome_names));
  if (!done.ok()) return done.status();
  // A failed repair leaves its discrepancy open, saying what was tried.
  done = connection.Exec(
      absl::StrCat("UPDATE reconciler.discrepancies d SET repair_action = "
                   "r.action, status = CASE WHEN r.outcome = 'done' THEN "
                   "'repaired' ELSE 'open' END, resolved_at = CASE WHEN "
                   "r.outcome = 'done' THEN ",
                   now,
                   " END FROM unnest($1::text[], $2::text[], $3::text[], "
                   "$4::text[]) AS r(rule, subject, action, outcome) WHERE "
                   "d.status = 'open' AND d.rule = r.rule AND d.subject = "
                   "r.subject"),
      PgParams().AddArray(rules).AddArray(subjects).AddArray(actions).AddArray(
          outcome_names));
  return done.status();
}

}  // namespace

absl::StatusOr<absl::flat_hash_set<std::pair<std::string, std::string>>>
DiscrepancyStore::RepairedSince(absl::Time since) {
  absl::StatusOr<PgResult> rows = pool_.Exec(
      absl::StrCat("SELECT DISTINCT rule, subject FROM reconciler.repairs "
                   "WHERE made_at >= ",
                   kMicrosToTime, "$1::bigint"),
      PgParams().Add(absl::ToUnixMicros(since)));
  if (!rows.ok()) return rows.status();
  absl::flat_hash_set<std::pair<std::string, std::string>> repaired;
  for (int row = 0; row < rows->rows(); ++row) {
    repaired.emplace(std::string(rows->Get(row, 0)),
                     std::string(rows->Get(row, 1)));
  }
  return repaired;
}

absl::StatusOr<FirstSeen> DiscrepancyStore::OpenSince() {
  absl::StatusOr<PgResult> rows = pool_.Exec(
      absl::StrCat("SELECT rule, subject, ", MicrosOf("first_seen"),
                   " FROM reconciler.discrepancies WHERE status = 'open'"));
  if (!rows.ok()) return rows.status();
  FirstSeen first_seen;
  for (int row = 0; row < rows->rows(); ++row) {
    first_seen[{std::string(rows->Get(row, 0)),
                std::string(rows->Get(row, 1))}] =
        absl::FromUnixMicros(*rows->GetInt64(row, 2));
  }
  return first_seen;
}

absl::Status DiscrepancyStore::Record(
    RunSummary& run, const std::vector<RuleOutcome>& outcomes) {
  std::vector<std::string> rules, kinds, severities, subjects, accounts,
      contracts, chain, indexer, oracle, details, settling;
  run.found = 0;
  for (const RuleOutcome& outcome : outcomes) {
    for (const Finding& finding : outcome.findings) {
      rules.emplace_back(outcome.rule->name);
      kinds.emplace_back(KindName(outcome.rule->kind));
      severities.emplace_back(SeverityName(outcome.rule->severity));
      subjects.push_back(finding.subject);
      accounts.push_back(Hex(finding.account));
      contracts.push_back(Hex(finding.contract));
      chain.push_back(finding.chain_value);
      indexer.push_back(finding.indexer_value);
      oracle.push_back(finding.oracle_value);
      details.push_back(finding.detail);
      settling.push_back(finding.settling ? "t" : "f");
      if (!finding.settling) ++run.found;
    }
  }
  std::vector<std::string> positions, components, weights, scores, checked,
      failing, component_details;
  for (size_t i = 0; i < run.health.components.size(); ++i) {
    const ComponentScore& component = run.health.components[i];
    positions.push_back(absl::StrCat(i));
    components.push_back(component.name);
    weights.push_back(absl::StrCat(component.weight));
    scores.push_back(absl::StrCat(component.score));
    checked.push_back(absl::StrCat(component.checked));
    failing.push_back(absl::StrCat(component.failing));
    component_details.push_back(component.detail);
  }
  return pool_.InTransaction([&](PgConnection& connection) -> absl::Status {
    absl::StatusOr<PgResult> inserted = connection.Exec(
        absl::StrCat("INSERT INTO reconciler.runs (started_at, finished_at, "
                     "block_number, accounts_checked, found, repaired, "
                     "health_score) VALUES (",
                     kMicrosToTime, "$1::bigint, ", kMicrosToTime,
                     "$2::bigint, $3, $4, $5, $6, $7::double precision) "
                     "RETURNING id"),
        PgParams()
            .Add(absl::ToUnixMicros(run.started))
            .Add(absl::ToUnixMicros(run.finished))
            .Add(run.block)
            .Add(run.accounts_checked)
            .Add(run.found)
            .Add(run.repaired)
            .Add(absl::StrCat(run.health.score)));
    if (!inserted.ok()) return inserted.status();
    run.id = *inserted->GetInt64(0, 0);
    absl::StatusOr<PgResult> done = connection.Exec(
        "INSERT INTO reconciler.run_components (run_id, position, component, "
        "weight, score, checked, failing, detail) SELECT $1, c.* FROM "
        "unnest($2::int[], $3::text[], $4::double precision[], $5::double "
        "precision[], $6::bigint[], $7::bigint[], $8::text[]) AS c",
        PgParams()
            .Add(run.id)
            .AddArray(positions)
            .AddArray(components)
            .AddArray(weights)
            .AddArray(scores)
            .AddArray(checked)
            .AddArray(failing)
            .AddArray(component_details));
    if (!done.ok()) return done.status();
    const std::string now =
        absl::StrCat(kMicrosToTime, absl::ToUnixMicros(run.finished));
    done = connection.Exec(
        absl::StrCat(
            "INSERT INTO reconciler.discrepancies (rule, kind, severity, "
            "subject, account, contract, chain_value, indexer_value, "
            "oracle_value, block_number, detail, settling, first_seen, "
            "last_seen, last_run) SELECT f.rule, f.kind, f.severity, "
            "f.subject, decode(nullif(f.account, ''), 'hex'), "
            "decode(nullif(f.contract, ''), 'hex'), f.chain, f.indexer, "
            "f.oracle, $12, f.detail, f.settling, ",
            now, ", ", now,
            ", $13 FROM unnest($1::text[], $2::text[], $3::text[], "
            "$4::text[], $5::text[], $6::text[], $7::text[], $8::text[], "
            "$9::text[], $10::text[], $11::boolean[]) AS f(rule, kind, "
            "severity, subject, account, contract, chain, indexer, oracle, "
            "detail, settling) ON CONFLICT (rule, subject) WHERE status = "
            "'open' DO UPDATE SET chain_value = excluded.chain_value, "
            "indexer_value = excluded.indexer_value, oracle_value = "
            "excluded.oracle_value, block_number = excluded.block_number, "
            "detail = excluded.detail, settling = excluded.settling, "
            "last_seen = excluded.last_seen, times_seen = "
            "reconciler.discrepancies.times_seen + 1, last_run = "
            "excluded.last_run"),
        PgParams()
            .AddArray(rules)
            .AddArray(kinds)
            .AddArray(severities)
            .AddArray(subjects)
            .AddArray(accounts)
            .AddArray(contracts)
            .AddArray(chain)
            .AddArray(indexer)
            .AddArray(oracle)
            .AddArray(details)
            .AddArray(settling)
            .Add(run.block)
            .Add(run.id));
    if (!done.ok()) return done.status();
    if (absl::Status audited = Audit(connection, run, outcomes, now);
        !audited.ok()) {
      return audited;
    }
    // What this run did not find again has passed its rule.
    done = connection.Exec(
        absl::StrCat("UPDATE reconciler.discrepancies SET status = "
                     "'resolved', resolved_at = ",
                     now, " WHERE status = 'open' AND last_run <> $1"),
        PgParams().Add(run.id));
    return done.status();
  });
}

absl::StatusOr<std::vector<StoredDiscrepancy>> DiscrepancyStore::List(
    const DiscrepancyFilter& filter) {
  absl::StatusOr<PgResult> rows = pool_.Exec(
      absl::StrCat(
          "SELECT id, rule, kind, severity, subject, encode(account, 'hex'), "
          "encode(contract, 'hex'), chain_value, indexer_value, "
          "oracle_value, block_number, detail, settling, status, "
          "coalesce(repair_action, ''), ",
          MicrosOf("first_seen"), ", ", MicrosOf("last_seen"), ", times_seen, ",
          MicrosOf("resolved_at"),
          " FROM reconciler.discrepancies WHERE (cardinality($1::text[]) = 0 "
          "OR kind = ANY($1)) AND (cardinality($2::text[]) = 0 OR status = "
          "ANY($2)) AND ($3 = '' OR account = decode($3, 'hex')) AND id < $4 "
          "AND ($5 OR NOT settling) ORDER BY id DESC LIMIT $6"),
      PgParams()
          .AddArray(filter.kinds)
          .AddArray(filter.statuses)
          .Add(Hex(filter.account))
          .Add(filter.before_id.value_or(std::numeric_limits<int64_t>::max()))
          .Add(filter.include_settling)
          .Add(filter.limit));
  if (!rows.ok()) return rows.status();
  std::vector<StoredDiscrepancy> listed;
  for (int row = 0; row < rows->rows(); ++row) {
    StoredDiscrepancy& stored = listed.emplace_back();
    stored.id = *rows->GetInt64(row, 0);
    stored.rule = std::string(rows->Get(row, 1));
    stored.kind = std::string(rows->Get(row, 2));
    stored.severity = std::string(rows->Get(row, 3));
    stored.finding.subject = std::string(rows->Get(row, 4));
    absl::StatusOr<std::optional<evm::Address>> account =
        OptionalAccount(*rows, row, 5);
    if (!account.ok()) return account.status();
    stored.finding.account = *account;
    absl::StatusOr<std::optional<evm::Address>> contract =
        OptionalAccount(*rows, row, 6);
    if (!contract.ok()) return contract.status();
    stored.finding.contract = *contract;
    stored.finding.chain_value = std::string(rows->Get(row, 7));
    stored.finding.indexer_value = std::string(rows->Get(row, 8));
    stored.finding.oracle_value = std::string(rows->Get(row, 9));
    stored.block = static_cast<uint64_t>(*rows->GetInt64(row, 10));
    stored.finding.detail = std::string(rows->Get(row, 11));
    stored.finding.settling = rows->Get(row, 12) == "t";
    stored.status = std::string(rows->Get(row, 13));
    stored.repair_action = std::string(rows->Get(row, 14));
    stored.first_seen = absl::FromUnixMicros(*rows->GetInt64(row, 15));
    stored.last_seen = absl::FromUnixMicros(*rows->GetInt64(row, 16));
    stored.times_seen = static_cast<uint64_t>(*rows->GetInt64(row, 17));
    if (!rows->IsNull(row, 18)) {
      stored.resolved_at = absl::FromUnixMicros(*rows->GetInt64(row, 18));
    }
  }
  return listed;
}

absl::StatusOr<std::optional<RunSummary>> DiscrepancyStore::LatestRun() {
  absl::StatusOr<PgResult> rows = pool_.Exec(absl::StrCat(
      "SELECT id, ", MicrosOf("started_at"), ", ", MicrosOf("finished_at"),
      ", block_number, accounts_checked, found, repaired, health_score FROM "
      "reconciler.runs ORDER BY id DESC LIMIT 1"));
  if (!rows.ok()) return rows.status();
  if (rows->rows() == 0) return std::nullopt;
  RunSummary run;
  run.id = *rows->GetInt64(0, 0);
  run.started = absl::FromUnixMicros(*rows->GetInt64(0, 1));
  run.finished = absl::FromUnixMicros(*rows->GetInt64(0, 2));
  run.block = static_cast<uint64_t>(*rows->GetInt64(0, 3));
  run.accounts_checked = static_cast<uint64_t>(*rows->GetInt64(0, 4));
  run.found = static_cast<uint64_t>(*rows->GetInt64(0, 5));
  run.repaired = static_cast<uint64_t>(*rows->GetInt64(0, 6));
  run.health.score = Double(rows->Get(0, 7));
  run.health.status = StatusOf(run.health.score);
  absl::StatusOr<PgResult> components = pool_.Exec(
      "SELECT component, weight, score, checked, failing, detail FROM "
      "reconciler.run_components WHERE run_id = $1 ORDER BY position",
      PgParams().Add(run.id));
  if (!components.ok()) return components.status();
  for (int row = 0; row < components->rows(); ++row) {
    ComponentScore& component = run.health.components.emplace_back();
    component.name = std::string(components->Get(row, 0));
    component.weight = Double(components->Get(row, 1));
    component.score = Double(components->Get(row, 2));
    component.contribution = component.score * component.weight;
    component.status = StatusOf(component.score);
    component.checked = static_cast<size_t>(*components->GetInt64(row, 3));
    component.failing = static_cast<size_t>(*components->GetInt64(row, 4));
    component.detail = std::string(components->Get(row, 5));
  }
  return run;
}

absl::StatusOr<uint64_t> DiscrepancyStore::OpenCount() {
  absl::StatusOr<PgResult> rows = pool_.Exec(
      "SELECT count(*) FROM reconciler.discrepancies WHERE status "
      "= 'open' AND NOT settling");
  if (!rows.ok()) return rows.status();
  return static_cast<uint64_t>(*rows->GetInt64(0, 0));
}

}  // namespace chainsync::reconciler
