#include "absl/strings/string_view.h"
#include "libs/common/config/flags.h"

#include <cstdlib>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/reflection.h"
#include "absl/flags/usage.h"
#include "absl/flags/usage_config.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/strip.h"
#include "absl/strings/str_cat.h"

namespace chainsync {
namespace {

// absl's own --help only lists flags defined in the main file; chainsync's
// flags live in libraries, so --help lists every flag except absl's internals
// (which --helpfull still shows).
bool IsChainsyncFlagFile(absl::string_view file) {
  return !absl::StrContains(file, "absl/");
}

std::string ProgramVersion() { return "chainsync 0.1.0"; }

bool IsUsageFlag(absl::string_view arg) {
  arg = absl::StripPrefix(absl::StripPrefix(arg, "-"), "-");
  arg = arg.substr(0, arg.find('='));
  return arg == "help" || arg == "helpfull" || arg == "helpshort" ||
         arg == "helppackage" || arg == "helpmatch" || arg == "helpon" ||
         arg == "version" || arg == "only_check_args";
}

// ParseArguments sets the flags named on the command line. absl's
// ParseCommandLine would print a plain-text error and exit 1 on a bad flag;
// this reports it, so that the binary logs it as one structured line.
absl::StatusOr<std::vector<std::string>> ParseArguments(int argc,
                                                        char** argv) {
  std::vector<std::string> positional;
  for (int i = 1; i < argc; ++i) {
    absl::string_view arg = argv[i];
    if (arg == "--") {
      for (++i; i < argc; ++i) positional.emplace_back(argv[i]);
      break;
    }
    if (arg.size() < 2 || arg[0] != '-') {
      positional.emplace_back(arg);
      continue;
    }
    arg = absl::StripPrefix(absl::StripPrefix(arg, "-"), "-");
    const size_t equals = arg.find('=');
    const absl::string_view name = arg.substr(0, equals);
    absl::CommandLineFlag* flag = absl::FindCommandLineFlag(name);
    std::string value;
    if (flag == nullptr && absl::StartsWith(name, "no") && equals == arg.npos) {
      flag = absl::FindCommandLineFlag(name.substr(2));
      if (flag != nullptr && !flag->IsOfType<bool>()) flag = nullptr;
      value = "false";
    } else if (flag != nullptr && equals != arg.npos) {
      value = std::string(arg.substr(equals + 1));
    } else if (flag != nullptr && flag->IsOfType<bool>()) {
      value = "true";
    } else if (flag != nullptr) {
      if (i + 1 >= argc) {
        return absl::InvalidArgumentError(
            absl::StrCat("missing value for --", name));
      }
      value = argv[++i];
    }
    if (flag == nullptr) {
      return absl::InvalidArgumentError(absl::StrCat(
          "unknown flag --", name, "; see --help for the flags of this binary"));
    }
    std::string error;
    if (!flag->ParseFrom(value, &error)) {
      return absl::InvalidArgumentError(absl::StrCat(
          "invalid value \"", value, "\" for --", flag->Name(), ": ", error));
    }
  }
  return positional;
}

}  // namespace

std::string EnvironmentVariableForFlag(absl::string_view flag) {
  return absl::StrCat(kEnvironmentPrefix, absl::AsciiStrToUpper(flag));
}

absl::Status ApplyEnvironmentDefaults() {
  for (const auto& [name, flag] : absl::GetAllFlags()) {
    const std::string variable = EnvironmentVariableForFlag(name);
    const char* value = std::getenv(variable.c_str());
    if (value == nullptr) continue;
    std::string error;
    if (!flag->ParseFrom(value, &error)) {
      return absl::InvalidArgumentError(absl::StrCat("invalid ", variable, "=\"",
                                                     value, "\" for --", name,
                                                     ": ", error));
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<std::vector<std::string>> ParseFlags(int argc, char** argv,
                                                    absl::string_view usage) {
  absl::FlagsUsageConfig config;
  config.contains_help_flags = IsChainsyncFlagFile;
  config.contains_helpshort_flags = IsChainsyncFlagFile;
  config.version_string = ProgramVersion;
  absl::SetFlagsUsageConfig(config);
  absl::SetProgramUsageMessage(absl::StrCat(
      usage, "\n\nEvery flag --name can also be set through the environment "
             "variable ",
      kEnvironmentPrefix, "NAME (upper case); the command line wins."));

  if (absl::Status status = ApplyEnvironmentDefaults(); !status.ok()) {
    return status;
  }
  for (int i = 1; i < argc; ++i) {
    if (IsUsageFlag(argv[i])) {
      // Prints the requested help or version text and exits 0.
      absl::ParseCommandLine(argc, argv);
    }
  }
  return ParseArguments(argc, argv);
}

absl::Status InvalidFlag(absl::string_view flag, absl::string_view value,
                         absl::string_view requirement) {
  return absl::InvalidArgumentError(
      absl::StrCat("invalid --", flag, "=", value, ": ", requirement));
}

absl::Status ValidatePort(absl::string_view flag, int32_t port) {
  if (port < 0 || port > 65535) {
    return InvalidFlag(flag, absl::StrCat(port),
                       "must be a TCP port from 0 to 65535 (0 picks a free one)");
  }
  return absl::OkStatus();
}

}  // namespace chainsync
