#include "libs/common/http/http_client.h"

#include <curl/curl.h>

#include <algorithm>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "absl/strings/strip.h"
#include "libs/common/logging/log.h"

namespace chainsync {
namespace {

size_t AppendBody(char* data, size_t size, size_t count, void* out) {
  static_cast<std::string*>(out)->append(data, size * count);
  return size * count;
}

size_t AppendHeader(char* data, size_t size, size_t count, void* out) {
  auto* response = static_cast<HttpClientResponse*>(out);
  const absl::string_view line(data, size * count);
  if (absl::StartsWith(line, "HTTP/")) {
    // A new status line (after a 100 Continue or a redirect): start over.
    response->headers.clear();
    return size * count;
  }
  const size_t colon = line.find(':');
  if (colon != absl::string_view::npos) {
    response->headers.emplace_back(
        absl::AsciiStrToLower(
            absl::StripAsciiWhitespace(line.substr(0, colon))),
        std::string(absl::StripAsciiWhitespace(line.substr(colon + 1))));
  }
  return size * count;
}

bool IsRetryableStatus(int status) {
  return status == 429 || status == 502 || status == 503 || status == 504;
}

// Statuses that say the server did not act on the request.
bool IsRefusedStatus(int status) { return status == 429 || status == 503; }

std::string HostOf(absl::string_view url) {
  absl::string_view rest = url;
  const size_t scheme = rest.find("://");
  if (scheme != absl::string_view::npos) rest.remove_prefix(scheme + 3);
  return std::string(rest.substr(0, rest.find_first_of("/?#")));
}

// Providers put API keys in paths and query strings; errors and logs name
// the scheme and host only.
std::string RedactedUrl(absl::string_view url) {
  const size_t scheme = url.find("://");
  const absl::string_view prefix =
      scheme == absl::string_view::npos ? "" : url.substr(0, scheme + 3);
  return absl::StrCat(prefix, HostOf(url));
}

}  // namespace

struct HttpClient::Handles {
  std::mutex mu;
  std::vector<CURL*> idle;
  ~Handles() {
    for (CURL* handle : idle) curl_easy_cleanup(handle);
  }
};

absl::string_view HttpClientResponse::Header(absl::string_view name) const {
  for (auto it = headers.rbegin(); it != headers.rend(); ++it) {
    if (it->first == name) return it->second;
  }
  return {};
}

std::optional<absl::Duration> ParseRetryAfter(absl::string_view value,
                                              absl::Time now) {
  value = absl::StripAsciiWhitespace(value);
  if (value.empty()) return std::nullopt;
  int64_t seconds;
  if (absl::SimpleAtoi(value, &seconds)) {
    if (seconds < 0) return std::nullopt;
    return absl::Seconds(seconds);
  }
  absl::Time when;
  std::string error;
  if (absl::ParseTime("%a, %d %b %Y %H:%M:%S GMT", value, absl::UTCTimeZone(),
                      &when, &error)) {
    return std::max(absl::ZeroDuration(), when - now);
  }
  return std::nullopt;
}

absl::StatusOr<std::unique_ptr<HttpClient>> HttpClient::Create(
    HttpClientOptions options) {
  static const CURLcode init = curl_global_init(CURL_GLOBAL_DEFAULT);
  if (init != CURLE_OK) {
    return absl::InternalError(
        absl::StrCat("curl_global_init failed: ", curl_easy_strerror(init)));
  }
  return std::unique_ptr<HttpClient>(
      new HttpClient(std::move(options), std::make_unique<Handles>()));
}

HttpClient::HttpClient(HttpClientOptions options,
                       std::unique_ptr<Handles> handles)
    : options_(std::move(options)),
      handles_(std::move(handles)),
      requests_(options_.registry->AddCounter(
          "chainsync_http_client_requests_total",
          "Outgoing HTTP attempts by client, host and outcome (HTTP status or "
          "transport error).",
          {"client", "host", "outcome"})),
      retries_(options_.registry->AddCounter(
          "chainsync_http_client_retries_total",
          "Outgoing HTTP requests retried, by client and host.",
          {"client", "host"})),
      duration_(options_.registry->AddHistogram(
          "chainsync_http_client_request_duration_seconds",
          "Duration of outgoing HTTP attempts.", {"client", "host"},
          metrics::LatencyBuckets())) {}

HttpClient::~HttpClient() = default;

absl::StatusOr<HttpClientResponse> HttpClient::SendOnce(
    const HttpClientRequest& request, bool* may_retry) {
  CURL* handle = nullptr;
  {
    std::lock_guard<std::mutex> lock(handles_->mu);
    if (!handles_->idle.empty()) {
      handle = handles_->idle.back();
      handles_->idle.pop_back();
    }
  }
  if (handle == nullptr) handle = curl_easy_init();
  if (handle == nullptr)
    return absl::ResourceExhaustedError("curl_easy_init failed");
  // Reset clears the options of the previous request but keeps the handle's
  // connection cache: that is how connections are reused.
  curl_easy_reset(handle);

  HttpClientResponse response;
  curl_slist* headers = nullptr;
  for (const auto& [name, value] : request.headers) {
    headers =
        curl_slist_append(headers, absl::StrCat(name, ": ", value).c_str());
  }
  // Without this, curl waits up to a second for "100 Continue" before
  // sending a body over 1 KiB.
  headers = curl_slist_append(headers, "Expect:");
  const absl::Duration timeout =
      request.timeout.value_or(options_.request_timeout);
  curl_easy_setopt(handle, CURLOPT_URL, request.url.c_str());
  curl_easy_setopt(handle, CURLOPT_CUSTOMREQUEST, request.method.c_str());
  // A HEAD answer announces a body it does not carry: curl must not wait
  // for it.
  if (request.method == "HEAD") curl_easy_setopt(handle, CURLOPT_NOBODY, 1L);
  curl_easy_setopt(handle, CURLOPT_HTTPHEADER, headers);
  curl_easy_setopt(handle, CURLOPT_USERAGENT, options_.user_agent.c_str());
  curl_easy_setopt(handle, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(handle, CURLOPT_TCP_NODELAY, 1L);
  curl_easy_setopt(handle, CURLOPT_TCP_KEEPALIVE, 1L);
  curl_easy_setopt(handle, CURLOPT_ACCEPT_ENCODING, "");
  curl_easy_setopt(
      handle, CURLOPT_CONNECTTIMEOUT_MS,
      static_cast<long>(absl::ToInt64Milliseconds(options_.connect_timeout)));
  curl_easy_setopt(handle, CURLOPT_TIMEOUT_MS,
                   static_cast<long>(absl::ToInt64Milliseconds(timeout)));
  if (!request.body.empty() || request.method == "POST" ||
      request.method == "PUT") {
    curl_easy_setopt(handle, CURLOPT_POSTFIELDS, request.body.data());
    curl_easy_setopt(handle, CURLOPT_POSTFIELDSIZE_LARGE,
                     static_cast<curl_off_t>(request.body.size()));
  }
  curl_easy_setopt(handle, CURLOPT_WRITEFUNCTION, AppendBody);
  curl_easy_setopt(handle, CURLOPT_WRITEDATA, &response.body);
  curl_easy_setopt(handle, CURLOPT_HEADERFUNCTION, AppendHeader);
  curl_easy_setopt(handle, CURLOPT_HEADERDATA, &response);

  const std::string host = HostOf(request.url);
  const absl::Time start = options_.clock->Now();
  const CURLcode code = curl_easy_perform(handle);
  duration_.WithLabels({options_.name, host})
      .Observe(absl::ToDoubleSeconds(options_.clock->Now() - start));
  long status = 0;
  curl_easy_getinfo(handle, CURLINFO_RESPONSE_CODE, &status);
  curl_slist_free_all(headers);
  {
    std::lock_guard<std::mutex> lock(handles_->mu);
    handles_->idle.push_back(handle);
  }

  if (code != CURLE_OK) {
    requests_.WithLabels({options_.name, host, curl_easy_strerror(code)})
        .Increment();
    // A refused connection never reached the server; anything later might
    // have, so only idempotent requests are sent again.
    *may_retry = code == CURLE_COULDNT_CONNECT ||
                 code == CURLE_COULDNT_RESOLVE_HOST || request.idempotent;
    const std::string message =
        absl::StrCat(request.method, " ", RedactedUrl(request.url), ": ",
                     curl_easy_strerror(code));
    if (code == CURLE_OPERATION_TIMEDOUT)
      return absl::DeadlineExceededError(message);
    return absl::UnavailableError(message);
  }
  response.status = static_cast<int>(status);
  requests_.WithLabels({options_.name, host, absl::StrCat(status)}).Increment();
  *may_retry = IsRetryableStatus(response.status) &&
               (request.idempotent || IsRefusedStatus(response.status));
  return response;
}

absl::StatusOr<HttpClientResponse> HttpClient::Send(
    const HttpClientRequest& request) {
  Backoff backoff(options_.retry.backoff);
  const int attempts = std::max(1, options_.retry.max_attempts);
  for (int attempt = 1;; ++attempt) {
    bool may_retry = false;
    absl::StatusOr<HttpClientResponse> response = SendOnce(request, &may_retry);
    if (response.ok()) response->attempts = attempt;
    if (!may_retry || attempt >= attempts) return response;

    absl::Duration delay = backoff.NextDelay();
    if (response.ok()) {
      const std::optional<absl::Duration> retry_after = ParseRetryAfter(
          response->Header("retry-after"), options_.clock->Now());
      if (retry_after.has_value()) {
        if (*retry_after > options_.max_retry_after) return response;
        delay = std::max(delay, *retry_after);
      }
    }
    retries_.WithLabels({options_.name, HostOf(request.url)}).Increment();
    log::Debug("retrying HTTP request",
               {{"url", RedactedUrl(request.url)},
                {"attempt", attempt},
                {"delay_seconds", delay},
                {"outcome", response.ok() ? absl::StrCat(response->status)
                                          : response.status().ToString()}});
    options_.clock->SleepFor(delay);
  }
}

}  // namespace chainsync
