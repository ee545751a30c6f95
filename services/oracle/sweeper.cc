#include "services/oracle/sweeper.h"

#include <atomic>
#include <vector>

#include "absl/strings/str_cat.h"
#include "libs/bitcoin/account_reader.h"
#include "libs/common/backoff.h"
#include "libs/common/logging/log.h"

namespace chainsync::oracle {
namespace {

// Settings outside these bounds are refused: they would stall the sweep or
// flood the Bitcoin API.
constexpr int kMaxConcurrentUsers = 256;
constexpr int kMaxBatchSize = 10'000;
constexpr int kMaxRetryAttempts = 20;

BackoffPolicy RetryBackoff(const SweepSettings& settings) {
  return {.initial_delay = settings.retry_delay,
          .max_delay = std::max(settings.retry_delay * 16, absl::Seconds(1)),
          .multiplier = 2.0,
          .jitter = 0.5};
}

}  // namespace

absl::Status ValidateSweepSettings(const SweepSettings& settings) {
  if (settings.interval < absl::Seconds(1)) {
    return absl::InvalidArgumentError(
        absl::StrCat("interval: at least 1s, got ",
                     absl::FormatDuration(settings.interval)));
  }
  if (settings.max_concurrent_users < 1 ||
      settings.max_concurrent_users > kMaxConcurrentUsers) {
    return absl::InvalidArgumentError(
        absl::StrCat("max_concurrent_users: 1 to ", kMaxConcurrentUsers,
                     ", got ", settings.max_concurrent_users));
  }
  if (settings.batch_size < 1 || settings.batch_size > kMaxBatchSize) {
    return absl::InvalidArgumentError(absl::StrCat(
        "batch_size: 1 to ", kMaxBatchSize, ", got ", settings.batch_size));
  }
  if (settings.retry_attempts < 1 ||
      settings.retry_attempts > kMaxRetryAttempts) {
    return absl::InvalidArgumentError(absl::StrCat("retry_attempts: 1 to ",
                                                   kMaxRetryAttempts, ", got ",
                                                   settings.retry_attempts));
  }
  if (settings.retry_delay < absl::ZeroDuration() ||
      settings.retry_delay > absl::Minutes(10)) {
    return absl::InvalidArgumentError(
        absl::StrCat("retry_delay: 0 to 10m, got ",
                     absl::FormatDuration(settings.retry_delay)));
  }
  if (settings.batch_pause < absl::ZeroDuration() ||
      settings.batch_pause > absl::Minutes(10)) {
    return absl::InvalidArgumentError(
        absl::StrCat("batch_pause: 0 to 10m, got ",
                     absl::FormatDuration(settings.batch_pause)));
  }
  return absl::OkStatus();
}

Sweeper::Sweeper(std::shared_ptr<MonitorStore> store,
                 std::shared_ptr<bitcoin::BitcoinSource> source,
                 int confirmations, Clock& clock, metrics::Registry& registry)
    : store_(std::move(store)),
      source_(std::move(source)),
      confirmations_(confirmations),
      clock_(clock),
      sweeps_(registry
                  .AddCounter("chainsync_oracle_sweeps_total",
                              "Background sweeps completed.")
                  .WithLabels({})),
      duration_(registry.AddHistogram(
          "chainsync_oracle_sweep_duration_seconds",
          "How long a sweep over every enabled account took.", {},
          {0.1, 0.5, 1, 2, 5, 10, 20, 30, 60, 120, 300, 600})),
      accounts_swept_(registry
                          .AddGauge("chainsync_oracle_sweep_accounts",
                                    "Accounts the last sweep read.")
                          .WithLabels({})),
      stale_(registry
                 .AddGauge("chainsync_oracle_stale_accounts",
                           "Accounts whose last read failed: their balance "
                           "is not synced until one succeeds.")
                 .WithLabels({})),
      monitored_(registry
                     .AddGauge("chainsync_oracle_addresses_monitored",
                               "Bitcoin addresses the oracle monitors.")
                     .WithLabels({})),
      reads_failed_(registry
                        .AddCounter("chainsync_oracle_account_reads_failed_"
                                    "total",
                                    "Reads of an account that failed, "
                                    "retries included.")
                        .WithLabels({})) {}

Sweeper::~Sweeper() { Stop(); }

void Sweeper::Start() {
  thread_ = std::thread([this] { Run(); });
}

void Sweeper::Stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

SweepSettings Sweeper::settings() {
  std::lock_guard<std::mutex> lock(mu_);
  return settings_.value_or(SweepSettings());
}

bool Sweeper::Wait(absl::Duration duration) {
  std::unique_lock<std::mutex> lock(mu_);
  return !clock_.WaitFor(wake_, lock, duration, [&] { return stopping_; });
}

void Sweeper::Run() {
  std::unique_lock<std::mutex> lock(mu_);
  while (!stopping_) {
    if (!settings_.has_value()) {
      lock.unlock();
      absl::StatusOr<SweepSettings> loaded = store_->LoadSettings();
      lock.lock();
      if (!loaded.ok()) {
        log::Warning("sweep settings unreadable; retrying",
                     {{"error", loaded.status()}});
        clock_.WaitFor(wake_, lock, absl::Seconds(1),
                       [&] { return stopping_; });
        continue;
      }
      // Settings updated while they were loading are newer than what was
      // loaded: they stand.
      if (!settings_.has_value()) {
        settings_ = *loaded;
        // The first sweep starts at once.
        next_start_ = clock_.Now();
      }
    }
    const absl::Time now = clock_.Now();
    const bool scheduled =
        settings_->running && next_start_.has_value() && now >= *next_start_;
    if (scheduled && !forced_ && !leading_()) {
      // A standby looks again each second, to sweep as soon as it leads.
      clock_.WaitFor(wake_, lock, absl::Seconds(1),
                     [&] { return stopping_ || forced_; });
      continue;
    }
    if (!forced_ && !scheduled) {
      const absl::Duration wait = settings_->running && next_start_.has_value()
                                      ? *next_start_ - now
                                      : absl::Hours(1);
      // Until then, or until forced, stopped or rescheduled.
      const std::optional<absl::Time> planned = next_start_;
      const bool running = settings_->running;
      clock_.WaitFor(wake_, lock, wait, [&] {
        return stopping_ || forced_ || next_start_ != planned ||
               settings_->running != running;
      });
      continue;
    }
    forced_ = false;
    sweeping_ = true;
    last_start_ = now;
    next_start_ = now + settings_->interval;
    lock.unlock();
    const bool completed = Sweep();
    lock.lock();
    sweeping_ = false;
    if (completed) {
      ++sweeps_completed_;
      last_duration_ = clock_.Now() - *last_start_;
      sweeps_.Increment();
      duration_.WithLabels({}).Observe(absl::ToDoubleSeconds(last_duration_));
    }
  }
}

absl::StatusOr<uint64_t> Sweeper::Tip(const SweepSettings& settings) {
  Backoff backoff(RetryBackoff(settings));
  absl::StatusOr<uint64_t> tip = source_->TipHeight();
  for (int attempt = 1; !tip.ok() && attempt < settings.retry_attempts;
       ++attempt) {
    if (!Wait(backoff.NextDelay())) break;
    tip = source_->TipHeight();
  }
  return tip;
}

bitcoin::AccountReading Sweeper::ReadWithRetries(
    const MonitoredAccount& account, std::atomic<uint64_t>& tip,
    const SweepSettings& settings) {
  Backoff backoff(RetryBackoff(settings));
  const auto read = [&] {
    bitcoin::AccountReading reading = bitcoin::ReadAccount(
        *source_, account.addresses, tip.load(), confirmations_);
    // A tip that moved during the read moves for the rest of the sweep, so
    // the next accounts do not each find it moved.
    uint64_t seen = tip.load();
    while (reading.tip > seen &&
           !tip.compare_exchange_weak(seen, reading.tip)) {
    }
    return reading;
  };
  bitcoin::AccountReading reading = read();
  for (int attempt = 1;
       !reading.stale_reason.empty() && attempt < settings.retry_attempts;
       ++attempt) {
    reads_failed_.Increment();
    if (!Wait(backoff.NextDelay())) break;
    reading = read();
  }
  if (!reading.stale_reason.empty()) {
    reads_failed_.Increment();
    log::Warning("account stale: its Bitcoin balance could not be read",
                 {{"account", account.account.ToChecksumHex()},
                  {"reason", reading.stale_reason}});
  }
  return reading;
}

bool Sweeper::Sweep() {
  SweepSettings current = settings();
  const absl::StatusOr<uint64_t> tip = Tip(current);
  if (!tip.ok()) {
    log::Warning("sweep: the Bitcoin API's tip could not be read",
                 {{"error", tip.status()}});
  }
  std::atomic<uint64_t> reading_tip{tip.value_or(0)};
  uint64_t accounts = 0;
  std::optional<evm::Address> after;
  while (true) {
    absl::StatusOr<std::vector<MonitoredAccount>> batch =
        store_->EnabledAccounts(after, current.batch_size);
    if (!batch.ok()) {
      log::Warning("sweep: accounts unreadable", {{"error", batch.status()}});
      break;
    }
    if (batch->empty()) break;
    std::vector<std::pair<evm::Address, bitcoin::AccountReading>> readings(
        batch->size());
    std::atomic<size_t> next{0};
    const auto work = [&] {
      for (size_t i = next++; i < batch->size(); i = next++) {
        readings[i].first = (*batch)[i].account;
        if (tip.ok()) {
          readings[i].second =
              ReadWithRetries((*batch)[i], reading_tip, current);
        } else {
          readings[i].second.stale_reason =
              absl::StrCat("the Bitcoin API's tip: ", tip.status().message());
        }
      }
    };
    std::vector<std::thread> workers;
    const size_t threads =
        std::min<size_t>(current.max_concurrent_users, batch->size());
    for (size_t i = 1; i < threads; ++i) workers.emplace_back(work);
    work();
    for (std::thread& worker : workers) worker.join();
    if (absl::Status saved = store_->SaveReadings(readings); !saved.ok()) {
      log::Warning("sweep: readings not stored", {{"error", saved}});
    } else {
      Announce(readings);
    }
    accounts += batch->size();
    after = batch->back().account;
    if (batch->size() < static_cast<size_t>(current.batch_size)) break;
    if (!Wait(current.batch_pause)) return false;
    current = settings();
  }
  accounts_swept_.Set(static_cast<double>(accounts));
  if (absl::StatusOr<AccountCounts> counts = store_->Counts(); counts.ok()) {
    stale_.Set(static_cast<double>(counts->stale));
    monitored_.Set(static_cast<double>(counts->addresses_monitored));
  }
  std::lock_guard<std::mutex> lock(mu_);
  last_accounts_ = accounts;
  return true;
}

void Sweeper::Announce(
    const std::vector<std::pair<evm::Address, bitcoin::AccountReading>>&
        readings) {
  if (!on_read_) return;
  std::vector<evm::Address> whole;
  for (const auto& [account, reading] : readings) {
    if (reading.confirmed_sats.has_value()) whole.push_back(account);
  }
  on_read_(whole);
}

absl::StatusOr<SweepReport> Sweeper::Report() {
  absl::StatusOr<AccountCounts> counts = store_->Counts();
  if (!counts.ok()) return counts.status();
  std::lock_guard<std::mutex> lock(mu_);
  SweepReport report{.settings = settings_.value_or(SweepSettings()),
                     .sweeping = sweeping_,
                     .standby = !leading_(),
                     .sweeps_completed = sweeps_completed_,
                     .last_start = last_start_,
                     .last_duration = last_duration_,
                     .last_accounts = last_accounts_,
                     .counts = *counts};
  if (report.settings.running) report.next_start = next_start_;
  return report;
}

std::optional<absl::Time> Sweeper::NextStart() {
  std::lock_guard<std::mutex> lock(mu_);
  if (!settings_.value_or(SweepSettings()).running) return std::nullopt;
  return next_start_;
}

absl::StatusOr<SweepReport> Sweeper::SetRunning(bool running) {
  SweepSettings updated = settings();
  updated.running = running;
  return Update(updated);
}

absl::StatusOr<SweepReport> Sweeper::Update(const SweepSettings& settings) {
  if (absl::Status valid = ValidateSweepSettings(settings); !valid.ok()) {
    return valid;
  }
  if (absl::Status saved = store_->SaveSettings(settings); !saved.ok()) {
    return saved;
  }
  {
    std::lock_guard<std::mutex> lock(mu_);
    const bool starting =
        settings.running && !(settings_.has_value() && settings_->running);
    settings_ = settings;
    if (starting) {
      next_start_ = clock_.Now();
    } else if (last_start_.has_value()) {
      next_start_ = *last_start_ + settings.interval;
    }
  }
  wake_.notify_all();
  log::Info("sweep configured",
            {{"running", settings.running},
             {"interval", absl::FormatDuration(settings.interval)},
             {"batch_size", settings.batch_size},
             {"max_concurrent_users", settings.max_concurrent_users}});
  return Report();
}

absl::StatusOr<SweepReport> Sweeper::Force() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    forced_ = true;
  }
  wake_.notify_all();
  absl::StatusOr<SweepReport> report = Report();
  // The sweep starts on its thread; the answer says it is under way.
  if (report.ok()) report->sweeping = true;
  return report;
}

absl::StatusOr<bitcoin::AccountReading> Sweeper::ReadNow(
    const evm::Address& account) {
  absl::StatusOr<MonitoredAccount> monitored = store_->Account(account);
  if (!monitored.ok()) return monitored.status();
  absl::StatusOr<uint64_t> tip = source_->TipHeight();
  bitcoin::AccountReading reading;
  if (tip.ok()) {
    reading = bitcoin::ReadAccount(*source_, monitored->addresses, *tip,
                                   confirmations_);
  } else {
    reading.stale_reason =
        absl::StrCat("the Bitcoin API's tip: ", tip.status().message());
  }
  if (absl::Status saved = store_->SaveReadings({{account, reading}});
      !saved.ok()) {
    return saved;
  }
  Announce({{account, reading}});
  return reading;
}

}  // namespace chainsync::oracle
