#pragma once

// A client for the two standard services every chainsync server offers,
// grpc.health.v1.Health and grpc.reflection.v1alpha.ServerReflection,
// speaking their wire format directly: Debian ships neither .proto file, and
// the tests must not depend on the server's own code to check it.

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "grpcpp/channel.h"

namespace chainsync::testing {

// HealthStatus is grpc.health.v1.HealthCheckResponse.ServingStatus.
enum class HealthStatus { kUnknown = 0, kServing = 1, kNotServing = 2 };

// CheckHealth calls grpc.health.v1.Health/Check for `service` ("" for the
// whole server).
absl::StatusOr<HealthStatus> CheckHealth(
    const std::shared_ptr<grpc::Channel>& channel,
    const std::string& service = "");

// ListServices asks server reflection for the names of the served services.
absl::StatusOr<std::vector<std::string>> ListServices(
    const std::shared_ptr<grpc::Channel>& channel);

}  // namespace chainsync::testing
