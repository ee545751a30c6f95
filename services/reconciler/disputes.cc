#include "services/reconciler/disputes.h"

#include <algorithm>
#include <cstdlib>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "libs/common/logging/log.h"

namespace chainsync::reconciler {
namespace {

// No balance can exceed all the bitcoin there will ever be.
constexpr int64_t kMaxSats = 21'000'000 * int64_t{100'000'000};
constexpr size_t kMaxReason = 2000;

std::string Sats(int64_t sats) { return absl::StrCat(sats, " sats"); }

std::string Addresses(size_t count) {
  return count == 1 ? "its Bitcoin address holds"
                    : absl::StrCat("its ", count, " Bitcoin addresses hold");
}

}  // namespace

absl::StatusOr<Verdict> Judge(const DisputeReading& reading) {
  const bitcoin::AccountReading& bitcoin = reading.bitcoin;
  if (!bitcoin.confirmed_sats.has_value()) {
    return absl::UnavailableError(absl::StrCat(
        "the account's Bitcoin addresses could not all be read (",
        bitcoin.stale_reason, "); the dispute is validated once they are"));
  }
  Verdict verdict{.verified_sats = *bitcoin.confirmed_sats};
  std::string found =
      bitcoin.addresses.empty()
          ? absl::StrCat(
                "the account has no Bitcoin address registered, so "
                "it holds 0 sats")
          : absl::StrCat(Addresses(bitcoin.addresses.size()), " ",
                         Sats(verdict.verified_sats), " with at least ",
                         reading.confirmations,
                         " confirmations at Bitcoin block ", bitcoin.tip);
  if (bitcoin.pending_sats > 0) {
    absl::StrAppend(&found, ", and ", Sats(bitcoin.pending_sats),
                    " not yet that deep, which are mirrored once they are");
  }
  const uint64_t difference = static_cast<uint64_t>(
      std::llabs(verdict.verified_sats - reading.recorded_sats));
  verdict.correct = difference > reading.tolerance_sats;
  if (verdict.correct) {
    verdict.evidence =
        absl::StrCat(found, "; the chain records ", Sats(reading.recorded_sats),
                     ", so the mirror is wrong and a sync to ",
                     Sats(verdict.verified_sats), " is due",
                     reading.claimed_sats == verdict.verified_sats
                         ? ", as claimed"
                         : absl::StrCat(" (the claim said ",
                                        Sats(reading.claimed_sats), ")"));
  } else {
    verdict.evidence =
        absl::StrCat(found, "; the chain records ", Sats(reading.recorded_sats),
                     ", so the recorded balance stands and the claim of ",
                     Sats(reading.claimed_sats), " does not");
  }
  return verdict;
}

DisputeDesk::DisputeDesk(std::shared_ptr<DisputeStore> store,
                         std::shared_ptr<DisputePeers> peers,
                         std::shared_ptr<bitcoin::BitcoinSource> bitcoin,
                         DisputeOptions options, Clock& clock,
                         metrics::Registry& registry)
    : store_(std::move(store)),
      peers_(std::move(peers)),
      bitcoin_(std::move(bitcoin)),
      options_(options),
      clock_(clock),
      outcomes_(registry.AddCounter(
          "chainsync_reconciler_disputes_total",
          "Disputes closed, by outcome: resolved or rejected, by validation "
          "or by an admin.",
          {"outcome", "by"})),
      failed_attempts_(
          registry
              .AddCounter("chainsync_reconciler_dispute_attempts_failed_total",
                          "Validation attempts that could not finish (the "
                          "Bitcoin API, the chain or the oracle unreadable) "
                          "and are tried again.")
              .WithLabels({})),
      open_(registry
                .AddGauge("chainsync_reconciler_open_disputes",
                          "Disputes filed and not closed yet.")
                .WithLabels({})) {}

DisputeDesk::~DisputeDesk() { Stop(); }

absl::StatusOr<StoredDispute> DisputeDesk::File(const DisputeClaim& claim) {
  if (claim.claimed_sats < 0 || claim.claimed_sats > kMaxSats) {
    return absl::InvalidArgumentError(absl::StrCat(
        "claimed_balance_sats: ", claim.claimed_sats,
        " is not a balance (0 to 21 million bitcoin in satoshis)"));
  }
  if (absl::StripAsciiWhitespace(claim.reason).empty()) {
    return absl::InvalidArgumentError("reason: required, in the user's words");
  }
  if (claim.reason.size() > kMaxReason) {
    return absl::InvalidArgumentError(absl::StrCat(
        "reason: ", claim.reason.size(), " characters; at most ", kMaxReason));
  }
  if (!claim.bitcoin_address.empty()) {
    absl::StatusOr<bitcoin::Address> address =
        bitcoin::Address::Parse(claim.bitcoin_address, options_.network);
    if (!address.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat("bitcoin_address: ", address.status().message()));
    }
  }
  absl::StatusOr<int64_t> recorded = peers_->RecordedBalance(claim.account);
  if (!recorded.ok()) return recorded.status();
  absl::StatusOr<StoredDispute> filed =
      store_->File({.account = claim.account,
                    .claimed_sats = claim.claimed_sats,
                    .recorded_sats = *recorded,
                    .reason = claim.reason,
                    .bitcoin_address = claim.bitcoin_address},
                   clock_.Now());
  if (!filed.ok()) return filed.status();
  log::Info("dispute filed", {{"dispute", filed->id},
                              {"account", claim.account.ToChecksumHex()},
                              {"claimed_sats", claim.claimed_sats},
                              {"recorded_sats", *recorded}});
  PublishOpen();
  {
    std::lock_guard<std::mutex> lock(mu_);
    filed_ = true;
  }
  wake_.notify_all();
  return filed;
}

absl::StatusOr<StoredDispute> DisputeDesk::Close(const std::string& id,
                                                 const std::string& status,
                                                 const std::string& resolution,
                                                 const std::string& by) {
  if (absl::StripAsciiWhitespace(resolution).empty()) {
    return absl::InvalidArgumentError("resolution: required: say why");
  }
  absl::StatusOr<StoredDispute> closed = store_->Close(
      id,
      {.status = status,
       .resolution = resolution,
       .note = absl::StrCat(status, " by ", by, ": ", resolution)},
      clock_.Now());
  if (!closed.ok()) return closed.status();
  outcomes_.WithLabels({status, "admin"}).Increment();
  log::Info("dispute closed by an admin",
            {{"dispute", id}, {"status", status}, {"by", by}});
  PublishOpen();
  return closed;
}

absl::Status DisputeDesk::WorkDue() {
  for (;;) {
    absl::StatusOr<std::optional<StoredDispute>> claimed =
        store_->ClaimDue(clock_.Now(), options_.lease);
    if (!claimed.ok()) return claimed.status();
    if (!claimed->has_value()) return absl::OkStatus();
    if (absl::Status worked = Work(**claimed); !worked.ok()) return worked;
  }
}

absl::Status DisputeDesk::Work(const StoredDispute& dispute) {
  absl::Status step = dispute.verified_sats.has_value()
                          ? FollowCorrection(dispute)
                          : Validate(dispute);
  if (step.ok()) return step;
  // What fails here is outside (the Bitcoin API, the chain, the oracle):
  // the dispute waits and is tried again; the store failing is returned.
  return Retry(dispute, step);
}

absl::Status DisputeDesk::Validate(const StoredDispute& dispute) {
  absl::StatusOr<std::vector<std::string>> texts =
      peers_->BitcoinAddresses(dispute.account);
  if (!texts.ok()) return texts.status();
  std::vector<bitcoin::Address> addresses;
  for (const std::string& text : *texts) {
    absl::StatusOr<bitcoin::Address> address =
        bitcoin::Address::Parse(text, options_.network);
    if (!address.ok()) return address.status();
    addresses.push_back(*std::move(address));
  }
  if (!dispute.bitcoin_address.empty() &&
      std::find(texts->begin(), texts->end(), dispute.bitcoin_address) ==
          texts->end()) {
    absl::StatusOr<StoredDispute> closed = store_->Close(
        dispute.id,
        {.status = kRejected,
         .resolution = absl::StrCat(dispute.bitcoin_address,
                                    " is not registered to the account: "
                                    "only registered addresses are mirrored"),
         .note = "rejected: the Bitcoin address is not the account's"},
        clock_.Now());
    if (!closed.ok()) return closed.status();
    return Closed(*closed);
  }
  absl::StatusOr<uint64_t> tip = bitcoin_->TipHeight();
  if (!tip.ok()) return tip.status();
  DisputeReading reading{
      .claimed_sats = dispute.claimed_sats,
      .bitcoin = bitcoin::ReadAccount(*bitcoin_, addresses, *tip,
                                      options_.confirmations),
      .confirmations = options_.confirmations,
      .tolerance_sats = options_.tolerance_sats};
  absl::StatusOr<int64_t> recorded = peers_->RecordedBalance(dispute.account);
  if (!recorded.ok()) return recorded.status();
  reading.recorded_sats = *recorded;
  absl::StatusOr<Verdict> verdict = Judge(reading);
  if (!verdict.ok()) return verdict.status();
  if (!verdict->correct) {
    absl::StatusOr<StoredDispute> closed =
        store_->Close(dispute.id,
                      {.status = kRejected,
                       .resolution = verdict->evidence,
                       .note = absl::StrCat("rejected: ", verdict->evidence),
                       .verified_sats = verdict->verified_sats,
                       .bitcoin_tip = reading.bitcoin.tip},
                      clock_.Now());
    if (!closed.ok()) return closed.status();
    return Closed(*closed);
  }
  // The verdict is kept before the oracle is asked, so that a replica that
  // dies now leaves a dispute that is followed, not judged again against a
  // chain the sync may already have corrected.
  if (absl::Status judged =
          store_->Judged(dispute.id, verdict->verified_sats,
                         reading.bitcoin.tip, verdict->evidence, clock_.Now());
      !judged.ok()) {
    return judged;
  }
  StoredDispute judged = dispute;
  judged.verified_sats = verdict->verified_sats;
  judged.bitcoin_tip = reading.bitcoin.tip;
  judged.resolution = verdict->evidence;
  log::Info("dispute upheld: the mirror is wrong",
            {{"dispute", dispute.id},
             {"account", dispute.account.ToChecksumHex()},
             {"verified_sats", verdict->verified_sats},
             {"recorded_sats", *recorded}});
  return FollowCorrection(judged);
}

absl::Status DisputeDesk::FollowCorrection(const StoredDispute& dispute) {
  absl::StatusOr<std::optional<CorrectiveSync>> sync = peers_->FindSync(
      dispute.account, *dispute.verified_sats, dispute.created);
  if (!sync.ok()) return sync.status();
  const absl::Time now = clock_.Now();
  if (sync->has_value() && !(*sync)->transaction_hash.empty()) {
    absl::StatusOr<StoredDispute> closed = store_->Close(
        dispute.id,
        {.status = kResolved,
         .resolution = absl::StrCat(dispute.resolution,
                                    "; corrected by the oracle's operation ",
                                    (*sync)->operation_id, " (transaction ",
                                    (*sync)->transaction_hash, ")"),
         .note = absl::StrCat("resolved: operation ", (*sync)->operation_id,
                              " syncs the account to ",
                              Sats(*dispute.verified_sats)),
         .operation_id = (*sync)->operation_id,
         .transaction_hash = (*sync)->transaction_hash},
        now);
    if (!closed.ok()) return closed.status();
    return Closed(*closed);
  }
  if (!sync->has_value() &&
      (!dispute.sync_requested_at.has_value() ||
       now - *dispute.sync_requested_at >= options_.sync_ask_again)) {
    if (absl::Status asked = peers_->RequestSync(dispute.account);
        !asked.ok()) {
      return asked;
    }
    return store_->SyncRequested(dispute.id, now, now + options_.sync_poll);
  }
  // The sync is on its way (journaled, or asked for): look again soon.
  return store_->SyncRequested(dispute.id,
                               dispute.sync_requested_at.value_or(now),
                               now + options_.sync_poll);
}

absl::Status DisputeDesk::Retry(const StoredDispute& dispute,
                                const absl::Status& error) {
  failed_attempts_.Increment();
  const absl::Duration wait =
      std::min(options_.retry_max,
               options_.retry_first * (1 << std::min(dispute.attempts, 16)));
  log::Warning("dispute validation waits",
               {{"dispute", dispute.id},
                {"attempt", dispute.attempts + 1},
                {"retry_in", absl::FormatDuration(wait)},
                {"error", error}});
  const absl::Time now = clock_.Now();
  return store_->Retry(dispute.id, std::string(error.message()), now + wait,
                       now);
}

absl::Status DisputeDesk::Closed(const StoredDispute& dispute) {
  outcomes_.WithLabels({dispute.status, "validation"}).Increment();
  log::Info("dispute closed", {{"dispute", dispute.id},
                               {"status", dispute.status},
                               {"resolution", dispute.resolution}});
  PublishOpen();
  return absl::OkStatus();
}

void DisputeDesk::PublishOpen() {
  if (absl::StatusOr<uint64_t> open = store_->OpenCount(); open.ok()) {
    open_.Set(static_cast<double>(*open));
  }
}

void DisputeDesk::Start() {
  PublishOpen();
  thread_ = std::thread([this] {
    std::unique_lock<std::mutex> lock(mu_);
    while (!stopping_) {
      filed_ = false;
      lock.unlock();
      if (absl::Status worked = WorkDue(); !worked.ok()) {
        log::Warning("disputes could not be worked on; trying again",
                     {{"error", worked}});
      }
      absl::Duration wait = options_.retry_max;
      if (absl::StatusOr<std::optional<absl::Time>> next = store_->NextDue();
          next.ok() && next->has_value()) {
        wait = std::clamp(**next - clock_.Now(), absl::ZeroDuration(),
                          options_.retry_max);
      } else if (!next.ok()) {
        wait = options_.retry_first;
      }
      lock.lock();
      clock_.WaitFor(wake_, lock, wait, [&] { return stopping_ || filed_; });
    }
  });
}

void DisputeDesk::Stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

}  // namespace chainsync::reconciler
