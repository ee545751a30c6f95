#pragma once

// Flags with environment defaults. Every absl flag `--foo_bar` of a chainsync
// binary takes its default from the environment variable CHAINSYNC_FOO_BAR
// when that is set (the Kubernetes way: a ConfigMap as environment), and the
// command line overrides both. Invalid values stop the start with a message
// that names the flag, where its value came from and the value.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace chainsync {

// kEnvironmentPrefix prefixes the environment variable of every flag.
inline constexpr absl::string_view kEnvironmentPrefix = "CHAINSYNC_";

// EnvironmentVariableForFlag returns the variable that sets `flag`, for
// example CHAINSYNC_GRPC_PORT for grpc_port.
std::string EnvironmentVariableForFlag(absl::string_view flag);

// ApplyEnvironmentDefaults sets every registered flag whose variable is set
// in the environment. An unparsable value is INVALID_ARGUMENT naming the
// variable, the flag and the value.
absl::Status ApplyEnvironmentDefaults();

// ParseFlags applies environment defaults, then parses the command line.
// `--help` prints `usage` and every flag of the binary with its environment
// variable and value, and exits 0 (`--helpfull` adds absl's own flags,
// `--version` prints the version). Returns the positional arguments, or
// INVALID_ARGUMENT for an unknown flag or a bad value.
absl::StatusOr<std::vector<std::string>> ParseFlags(int argc, char** argv,
                                                    absl::string_view usage);

// InvalidFlag returns the INVALID_ARGUMENT error for a flag whose value parses
// but is out of range: "invalid --grpc_port=70000: must be 0..65535".
absl::Status InvalidFlag(absl::string_view flag, absl::string_view value,
                         absl::string_view requirement);

// ValidatePort checks a TCP port flag (0 picks a free port).
absl::Status ValidatePort(absl::string_view flag, int32_t port);

}  // namespace chainsync
