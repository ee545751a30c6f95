#include "contracts/deploy/deployment_flag.h"

#include "absl/flags/flag.h"
#include "libs/common/config/flags.h"

ABSL_FLAG(std::string, deployment_config, "",
          "The deployment file chainsync-deploy wrote: chain id and "
          "contracts.");

namespace chainsync::contracts {

absl::StatusOr<Deployment> DeploymentFromFlag(
    const std::vector<std::string>& required) {
  const std::string path = absl::GetFlag(FLAGS_deployment_config);
  absl::StatusOr<Deployment> deployment = Deployment::FromFile(path, required);
  if (!deployment.ok()) {
    return InvalidFlag("deployment_config", path,
                       deployment.status().message());
  }
  return deployment;
}

}  // namespace chainsync::contracts
