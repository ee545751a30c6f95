#pragma once

// --deployment_config, shared by the services that read the deployment
// file chainsync-deploy writes.

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "contracts/deploy/deployment.h"

namespace chainsync::contracts {

// DeploymentFromFlag reads the file --deployment_config names, which must
// name each of `required`; the error names the flag and the file.
absl::StatusOr<Deployment> DeploymentFromFlag(
    const std::vector<std::string>& required);

}  // namespace chainsync::contracts
