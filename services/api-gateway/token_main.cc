// chainsync-token: prints an HS256 bearer token the gateway accepts, for
// local development and scripts. The secret is read as the gateway reads
// it: CHAINSYNC_JWT_SECRET_FILE or CHAINSYNC_JWT_SECRET.
#include <cstdio>

#include "absl/flags/flag.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "libs/common/config/flags.h"
#include "libs/common/config/secret.h"
#include "libs/common/server/service_host.h"
#include "libs/evm/address.h"
#include "services/api-gateway/jwt.h"

ABSL_FLAG(std::string, sub, "",
          "The account address the token speaks for (required).");
ABSL_FLAG(std::string, role, "", "\"admin\" for the admin routes.");
ABSL_FLAG(absl::Duration, ttl, absl::Hours(1), "How long the token is valid.");

int main(int argc, char** argv) {
  using namespace chainsync;
  InitTool("token", argc, argv,
           "chainsync-token --sub=0x...: prints a bearer token for the "
           "gateway, signed with CHAINSYNC_JWT_SECRET(_FILE).");
  const std::string subject = absl::GetFlag(FLAGS_sub);
  const evm::Address address =
      ValueOrExit(evm::Address::Parse(subject, "--sub"), "configuration");
  if (absl::GetFlag(FLAGS_ttl) <= absl::ZeroDuration()) {
    ValueOrExit(absl::StatusOr<int>(InvalidFlag(
                    "ttl", absl::FormatDuration(absl::GetFlag(FLAGS_ttl)),
                    "must be positive")),
                "configuration");
  }
  const Secret secret = ValueOrExit(ReadSecret("jwt_secret"), "secret");
  const std::string role = absl::GetFlag(FLAGS_role);
  std::printf(
      "%s\n",
      gateway::SignHs256(
          absl::StrCat(
              R"({"sub":")", address.ToChecksumHex(), R"(","exp":)",
              absl::ToUnixSeconds(absl::Now() + absl::GetFlag(FLAGS_ttl)),
              role.empty() ? "" : absl::StrCat(R"(,"role":")", role, "\""),
              "}"),
          secret)
          .c_str());
  return 0;
}
