#include "libs/common/config/secret.h"

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "absl/strings/strip.h"
#include "libs/common/config/flags.h"

namespace chainsync {

absl::StatusOr<Secret> ReadSecret(absl::string_view name) {
  const std::string variable = EnvironmentVariableForFlag(name);
  const std::string file_variable = absl::StrCat(variable, "_FILE");
  if (const char* path = std::getenv(file_variable.c_str());
      path != nullptr && *path != '\0') {
    std::ifstream in(path, std::ios::binary);
    if (!in) {
      return absl::InvalidArgumentError(
          absl::StrCat("cannot read secret file ", path, " named by ",
                       file_variable, ": ", std::strerror(errno)));
    }
    std::ostringstream contents;
    contents << in.rdbuf();
    std::string value = contents.str();
    absl::string_view trimmed = value;
    if (!absl::ConsumeSuffix(&trimmed, "\r\n")) {
      absl::ConsumeSuffix(&trimmed, "\n");
    }
    if (trimmed.empty()) {
      return absl::InvalidArgumentError(absl::StrCat(
          "secret file ", path, " named by ", file_variable, " is empty"));
    }
    return Secret(std::string(trimmed));
  }
  if (const char* value = std::getenv(variable.c_str());
      value != nullptr && *value != '\0') {
    return Secret(value);
  }
  return absl::NotFoundError(absl::StrCat("secret ", name, " is not set: set ",
                                          file_variable, " to a file or ",
                                          variable));
}

absl::StatusOr<Secret> ReadOptionalSecret(absl::string_view name) {
  absl::StatusOr<Secret> secret = ReadSecret(name);
  if (absl::IsNotFound(secret.status())) return Secret();
  return secret;
}

}  // namespace chainsync
