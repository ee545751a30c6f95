#include "tools/btcsim/fault_plan.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "simdjson.h"

namespace chainsync::btcsim {

absl::StatusOr<std::pair<std::string, Fault>> ParseFault(
    absl::string_view json) {
  simdjson::dom::parser parser;
  simdjson::dom::object object;
  if (parser.parse(json.data(), json.size()).get(object) != simdjson::SUCCESS) {
    return absl::InvalidArgumentError("the body is not a JSON object");
  }
  std::string_view route_field = "*";
  if (object["route"].get(route_field) != simdjson::SUCCESS) route_field = "*";
  const absl::string_view route(route_field.data(), route_field.size());
  if (std::find(std::begin(kRouteClasses), std::end(kRouteClasses), route) ==
      std::end(kRouteClasses)) {
    return absl::InvalidArgumentError(
        absl::StrCat("route: \"", route, "\" is not one of ",
                     absl::StrJoin(kRouteClasses, ", ")));
  }
  std::string_view mode_field;
  if (object["mode"].get(mode_field) != simdjson::SUCCESS) {
    return absl::InvalidArgumentError(
        "mode: required (429, 500, slow, truncate)");
  }
  const absl::string_view mode(mode_field.data(), mode_field.size());
  Fault fault;
  if (mode == "429") {
    fault.mode = FaultMode::kTooManyRequests;
  } else if (mode == "500") {
    fault.mode = FaultMode::kServerError;
  } else if (mode == "slow") {
    fault.mode = FaultMode::kSlow;
  } else if (mode == "truncate") {
    fault.mode = FaultMode::kTruncated;
  } else {
    return absl::InvalidArgumentError(absl::StrCat(
        "mode: \"", mode, "\" is not one of 429, 500, slow, truncate"));
  }
  int64_t value = 0;
  if (object["count"].get(value) == simdjson::SUCCESS) {
    if (value < 0) return absl::InvalidArgumentError("count: must be >= 0");
    fault.count = value;
  }
  if (object["retryAfterSeconds"].get(value) == simdjson::SUCCESS) {
    if (value < 0) {
      return absl::InvalidArgumentError("retryAfterSeconds: must be >= 0");
    }
    fault.retry_after_seconds = value;
  }
  if (object["delayMs"].get(value) == simdjson::SUCCESS) {
    if (value < 0 || value > 600'000) {
      return absl::InvalidArgumentError("delayMs: must be 0..600000");
    }
    fault.delay = absl::Milliseconds(value);
  }
  return std::pair{std::string(route), fault};
}

void FaultPlan::Set(std::string route_class, Fault fault) {
  std::lock_guard<std::mutex> lock(mu_);
  faults_[std::move(route_class)] = fault;
}

void FaultPlan::Clear() {
  std::lock_guard<std::mutex> lock(mu_);
  faults_.clear();
}

std::optional<Fault> FaultPlan::Take(absl::string_view route_class) {
  std::lock_guard<std::mutex> lock(mu_);
  auto found = faults_.find(route_class);
  if (found == faults_.end()) found = faults_.find("*");
  if (found == faults_.end()) return std::nullopt;
  const Fault fault = found->second;
  if (fault.count > 0 && --found->second.count == 0) faults_.erase(found);
  return fault;
}

}  // namespace chainsync::btcsim
