#pragma once

#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace chainsync {

// Secret holds a credential (a database password, a signing key, a JWT
// secret). It has no stream operator and no AbslStringify, so it cannot end
// up in a log line or an error message by accident.
class Secret {
 public:
  Secret() = default;
  explicit Secret(std::string value) : value_(std::move(value)) {}

  const std::string& value() const { return value_; }
  bool empty() const { return value_.empty(); }

 private:
  std::string value_;
};

// ReadSecret loads the secret called `name` (for example "database_password")
// from, in this order: the file named by the environment variable
// CHAINSYNC_<NAME>_FILE (a mounted Kubernetes Secret; one trailing newline is
// removed), or the environment variable CHAINSYNC_<NAME>. Secrets are never
// taken from the command line, where `ps` would show them. NOT_FOUND when
// neither is set; INVALID_ARGUMENT naming the file when it cannot be read or
// is empty.
absl::StatusOr<Secret> ReadSecret(absl::string_view name);

// ReadOptionalSecret is ReadSecret with an empty secret when it is not set.
absl::StatusOr<Secret> ReadOptionalSecret(absl::string_view name);

}  // namespace chainsync
