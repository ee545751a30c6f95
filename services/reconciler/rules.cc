#include "services/reconciler/rules.h"

#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"

namespace chainsync::reconciler {
namespace {

using Kind = DiscrepancyKind;

constexpr absl::string_view kContractDeployment = "contract_deployment";
constexpr absl::string_view kTransactionLogging = "transaction_logging";
constexpr absl::string_view kUserManagement = "user_management";
constexpr absl::string_view kEmergencyBurnSync = "emergency_burn_sync";
constexpr absl::string_view kOperationsLog = "oracle_operations_log";
constexpr absl::string_view kYieldReadiness = "yield_readiness";

std::string AccountSubject(const evm::Address& account) {
  return absl::StrCat("account:", account.ToLowerHex());
}

std::string EventSubject(const MirrorEvent& event) {
  return absl::StrCat("event:", evm::ToHex(event.transaction), ":",
                      event.log_index);
}

std::string Decimal(const evm::Uint256& value) { return evm::ToDecimal(value); }

evm::Uint256 BalanceIn(const std::map<evm::Address, evm::Uint256>& balances,
                       const evm::Address& account) {
  const auto found = balances.find(account);
  return found == balances.end() ? evm::Uint256(0) : found->second;
}

// Evaluation carries one run's inputs to the rule functions.
struct Evaluation {
  const Snapshot& snapshot;
  const RuleSettings& settings;
  const FirstSeen& first_seen;

  // IndexerRead says whether the indexer's view is there to compare with.
  bool IndexerRead() const { return snapshot.indexer.unavailable.empty(); }

  // Fail records a failed check; a transient rule's settles first.
  void Fail(RuleOutcome& outcome, Finding finding) const {
    if (outcome.rule->transient) {
      const auto seen = first_seen.find(
          std::make_pair(std::string(outcome.rule->name), finding.subject));
      const absl::Time since =
          seen == first_seen.end() ? snapshot.taken : seen->second;
      finding.settling = snapshot.taken - since < settings.settle_after;
    }
    outcome.findings.push_back(std::move(finding));
  }
};

void ContractCode(const Evaluation& run, RuleOutcome& outcome) {
  for (const ContractState& contract : run.snapshot.chain.contracts) {
    outcome.checked.push_back(
        absl::StrCat("contract:", contract.address.ToLowerHex()));
    if (contract.has_code) continue;
    run.Fail(outcome,
             {.subject = outcome.checked.back(),
              .contract = contract.address,
              .detail = absl::StrCat(
                  contract.name, " at ", contract.address.ToChecksumHex(),
                  " has no code at block ", run.snapshot.chain.block)});
  }
}

void YieldPool(const Evaluation& run, RuleOutcome& outcome) {
  outcome.checked.push_back("yield_pool");
  for (const ContractState& contract : run.snapshot.chain.contracts) {
    if (contract.name == "YieldScalesPool" && contract.has_code) return;
  }
  run.Fail(outcome, {.subject = "yield_pool",
                     .detail = "no YieldScalesPool with code is deployed"});
}

void IndexerLag(const Evaluation& run, RuleOutcome& outcome) {
  outcome.checked.push_back("indexer");
  if (!run.IndexerRead()) {
    run.Fail(outcome,
             {.subject = "indexer",
              .chain_value = absl::StrCat(run.snapshot.chain.head),
              .indexer_value = "unavailable",
              .detail = absl::StrCat("the indexer does not answer: ",
                                     run.snapshot.indexer.unavailable)});
    return;
  }
  const uint64_t head = run.snapshot.chain.head;
  const uint64_t indexed = run.snapshot.indexer.head;
  if (indexed + run.settings.max_indexer_lag >= head) return;
  run.Fail(outcome,
           {.subject = "indexer",
            .chain_value = absl::StrCat(head),
            .indexer_value = absl::StrCat(indexed),
            .detail = absl::StrCat("the indexer is ", head - indexed,
                                   " blocks behind the chain's head, more "
                                   "than ",
                                   run.settings.max_indexer_lag)});
}

void ChainBalances(const Evaluation& run, RuleOutcome& outcome) {
  if (!run.IndexerRead()) return;
  for (const auto& [account, on_chain] : run.snapshot.chain.balances) {
    outcome.checked.push_back(AccountSubject(account));
    const evm::Uint256 indexed =
        BalanceIn(run.snapshot.indexer.balances, account);
    if (indexed == on_chain) continue;
    run.Fail(outcome, {.subject = outcome.checked.back(),
                       .account = account,
                       .chain_value = Decimal(on_chain),
                       .indexer_value = Decimal(indexed),
                       .detail = absl::StrCat("rBTC balance at block ",
                                              run.snapshot.chain.block, ": ",
                                              Decimal(on_chain), " on chain, ",
                                              Decimal(indexed), " indexed")});
  }
}

void Supply(const Evaluation& run, RuleOutcome& outcome) {
  if (!run.IndexerRead()) return;
  outcome.checked.push_back("supply");
  evm::Uint256 sum = 0;
  for (const auto& [account, balance] : run.snapshot.indexer.balances) {
    sum += balance;
  }
  if (sum == run.snapshot.chain.total_supply) return;
  run.Fail(outcome,
           {.subject = "supply",
            .chain_value = Decimal(run.snapshot.chain.total_supply),
            .indexer_value = Decimal(sum),
            .detail = absl::StrCat(
                "rBTC total supply at block ", run.snapshot.chain.block, ": ",
                Decimal(run.snapshot.chain.total_supply),
                " on chain, the indexed balances sum to ", Decimal(sum))});
}

// EventsLogged checks that every `kind` event on chain is an operation of
// the oracle's journal.
void EventsLogged(const Evaluation& run, RuleOutcome& outcome,
                  MirrorEvent::Kind kind) {
  absl::flat_hash_set<evm::Hash> journaled;
  for (const OracleOperation& operation : run.snapshot.oracle.operations) {
    if (operation.kind == kind && operation.transaction.has_value()) {
      journaled.insert(*operation.transaction);
    }
  }
  for (const MirrorEvent& event : run.snapshot.chain.events) {
    if (event.kind != kind) continue;
    outcome.checked.push_back(EventSubject(event));
    if (journaled.contains(event.transaction)) continue;
    run.Fail(outcome,
             {.subject = outcome.checked.back(),
              .account = event.account,
              .chain_value = Decimal(event.amount),
              .detail = absl::StrCat(
                  kind == MirrorEvent::Kind::kSynced ? "a sync"
                                                     : "an emergency burn",
                  " of ", event.account.ToChecksumHex(), " in block ",
                  event.block, " (transaction ", evm::ToHex(event.transaction),
                  ") is not in the oracle's operations")});
  }
}

void OperationsIndexed(const Evaluation& run, RuleOutcome& outcome) {
  if (!run.IndexerRead()) return;
  absl::flat_hash_set<evm::Hash> indexed;
  for (const MirrorEvent& event : run.snapshot.indexer.events) {
    indexed.insert(event.transaction);
  }
  for (const OracleOperation& operation : run.snapshot.oracle.operations) {
    // Only what the pinned block can hold.
    if (!operation.confirmed || !operation.transaction.has_value() ||
        !operation.block.has_value() ||
        *operation.block > run.snapshot.chain.block) {
      continue;
    }
    outcome.checked.push_back(absl::StrCat("operation:", operation.id));
    if (indexed.contains(*operation.transaction)) continue;
    run.Fail(outcome,
             {.subject = outcome.checked.back(),
              .account = operation.accounts.empty()
                             ? std::nullopt
                             : std::optional(operation.accounts.front()),
              .detail = absl::StrCat("the oracle's operation ", operation.id,
                                     ", confirmed in block ", *operation.block,
                                     " (transaction ",
                                     evm::ToHex(*operation.transaction),
                                     "), has no event in the indexer"),
              .from_block = *operation.block});
  }
}

void UsersIndexed(const Evaluation& run, RuleOutcome& outcome) {
  if (!run.IndexerRead()) return;
  for (const OracleAccount& account : run.snapshot.oracle.accounts) {
    // An account holding nothing, on Bitcoin or on chain, has no indexed
    // state to have.
    if (account.confirmed_sats.value_or(0) == 0 &&
        BalanceIn(run.snapshot.chain.balances, account.account) == 0) {
      continue;
    }
    outcome.checked.push_back(AccountSubject(account.account));
    if (run.snapshot.indexer.balances.contains(account.account)) continue;
    run.Fail(outcome,
             {.subject = outcome.checked.back(),
              .account = account.account,
              .detail = absl::StrCat(account.account.ToChecksumHex(),
                                     " holds Bitcoin or rBTC and is known to "
                                     "the oracle, not the indexer")});
  }
}

void UsersKnownToOracle(const Evaluation& run, RuleOutcome& outcome) {
  if (!run.IndexerRead()) return;
  absl::flat_hash_set<evm::Address> known;
  for (const OracleAccount& account : run.snapshot.oracle.accounts) {
    known.insert(account.account);
  }
  // The wrapper holds rBTC for those who wrapped it; it is no user.
  absl::flat_hash_set<evm::Address> contracts;
  for (const ContractState& contract : run.snapshot.chain.contracts) {
    contracts.insert(contract.address);
  }
  for (const auto& [account, balance] : run.snapshot.indexer.balances) {
    if (balance == 0 || contracts.contains(account)) continue;
    outcome.checked.push_back(AccountSubject(account));
    if (known.contains(account)) continue;
    run.Fail(outcome, {.subject = outcome.checked.back(),
                       .account = account,
                       .indexer_value = Decimal(balance),
                       .detail = absl::StrCat(
                           account.ToChecksumHex(), " holds ", Decimal(balance),
                           " rBTC sats the oracle knows nothing "
                           "of")});
  }
}

void Mirror(const Evaluation& run, RuleOutcome& outcome) {
  for (const OracleAccount& account : run.snapshot.oracle.accounts) {
    if (!account.sync_enabled || !account.confirmed_sats.has_value() ||
        account.in_flight) {
      continue;
    }
    outcome.checked.push_back(AccountSubject(account.account));
    const evm::Uint256 synced =
        BalanceIn(run.snapshot.chain.synced, account.account);
    const evm::Uint256 bitcoin = *account.confirmed_sats;
    const evm::Uint256 difference =
        synced > bitcoin ? synced - bitcoin : bitcoin - synced;
    if (difference <= run.settings.sync_tolerance_sats) continue;
    run.Fail(outcome, {.subject = outcome.checked.back(),
                       .account = account.account,
                       .chain_value = Decimal(synced),
                       .oracle_value = Decimal(bitcoin),
                       .detail = absl::StrCat(
                           account.account.ToChecksumHex(), " holds ",
                           Decimal(bitcoin), " confirmed sats on Bitcoin; ",
                           Decimal(synced), " are mirrored on chain at block ",
                           run.snapshot.chain.block)});
  }
}

using Check = void (*)(const Evaluation&, RuleOutcome&);

struct Entry {
  Rule rule;
  Check check;
};

const std::vector<Entry>& Catalogue() {
  static const auto* const catalogue = new std::vector<Entry>{
      {{"contract_code", Kind::kContractMissing, Severity::kCritical,
        kContractDeployment,
        "Every contract of the deployment has code at its address at the "
        "pinned block."},
       ContractCode},
      {{"yield_pool_deployed", Kind::kContractMissing, Severity::kWarning,
        kYieldReadiness,
        "A YieldScalesPool with code is deployed, so the yield pool can "
        "take participants."},
       YieldPool},
      {{"indexer_lag", Kind::kIndexerLag, Severity::kWarning,
        kTransactionLogging,
        "The indexer trails the chain's head by at most max_indexer_lag "
        "blocks."},
       IndexerLag},
      {{"balance_chain_indexer", Kind::kBalanceMismatch, Severity::kCritical,
        kTransactionLogging,
        "Each account's rBTC balanceOf at the pinned block equals the "
        "indexer's balance at that block.",
        /*transient=*/false, Remedy::kReread},
       ChainBalances},
      {{"supply_sum", Kind::kSupplyMismatch, Severity::kCritical,
        kTransactionLogging,
        "rBTC totalSupply at the pinned block equals the sum of the indexed "
        "balances."},
       Supply},
      {{"operation_indexed", Kind::kEventNotIndexed, Severity::kCritical,
        kTransactionLogging,
        "Every operation the oracle confirmed up to the pinned block has "
        "its event in the indexer.",
        /*transient=*/false, Remedy::kReread},
       OperationsIndexed},
      {{"sync_logged", Kind::kOperationNotLogged, Severity::kCritical,
        kOperationsLog,
        "Every Synced event on chain is an operation in the oracle's "
        "journal."},
       [](const Evaluation& run, RuleOutcome& outcome) {
         EventsLogged(run, outcome, MirrorEvent::Kind::kSynced);
       }},
      {{"burn_recorded", Kind::kBurnNotRecorded, Severity::kCritical,
        kEmergencyBurnSync,
        "Every EmergencyBurn event on chain is a burn in the oracle's "
        "journal."},
       [](const Evaluation& run, RuleOutcome& outcome) {
         EventsLogged(run, outcome, MirrorEvent::Kind::kEmergencyBurn);
       }},
      {{"user_indexed", Kind::kUserMissing, Severity::kWarning, kUserManagement,
        "Every account of the oracle that holds Bitcoin or rBTC is known "
        "to the indexer, once its first sync has had time to land.",
        /*transient=*/true},
       UsersIndexed},
      {{"user_in_oracle", Kind::kUserMissing, Severity::kWarning,
        kUserManagement,
        "Every indexed rBTC holder (contracts of the deployment aside) is "
        "an account of the oracle."},
       UsersKnownToOracle},
      {{"mirror_matches_bitcoin", Kind::kBalanceMismatch, Severity::kCritical,
        kUserManagement,
        "Each account's mirrored balance on chain equals its confirmed "
        "Bitcoin total within sync_tolerance_sats, once no sync of it is on "
        "its way.",
        /*transient=*/true, Remedy::kSync},
       Mirror},
  };
  return *catalogue;
}

}  // namespace

absl::string_view KindName(DiscrepancyKind kind) {
  switch (kind) {
    case Kind::kUserMissing:
      return "user_missing";
    case Kind::kBurnNotRecorded:
      return "burn_not_recorded";
    case Kind::kOperationNotLogged:
      return "operation_not_logged";
    case Kind::kBalanceMismatch:
      return "balance_mismatch";
    case Kind::kSupplyMismatch:
      return "supply_mismatch";
    case Kind::kContractMissing:
      return "contract_missing";
    case Kind::kIndexerLag:
      return "indexer_lag";
    case Kind::kEventNotIndexed:
      return "event_not_indexed";
  }
  return "unknown";
}

absl::string_view SeverityName(Severity severity) {
  return severity == Severity::kCritical ? "critical" : "warning";
}

const std::vector<Rule>& Rules() {
  static const auto* const rules = [] {
    auto* list = new std::vector<Rule>;
    for (const Entry& entry : Catalogue()) list->push_back(entry.rule);
    return list;
  }();
  return *rules;
}

std::vector<RuleOutcome> Evaluate(const Snapshot& snapshot,
                                  const RuleSettings& settings,
                                  const FirstSeen& first_seen) {
  const Evaluation run{snapshot, settings, first_seen};
  std::vector<RuleOutcome> outcomes;
  outcomes.reserve(Catalogue().size());
  for (size_t i = 0; i < Catalogue().size(); ++i) {
    RuleOutcome& outcome = outcomes.emplace_back();
    outcome.rule = &Rules()[i];
    Catalogue()[i].check(run, outcome);
  }
  return outcomes;
}

}  // namespace chainsync::reconciler
