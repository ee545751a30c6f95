#include "libs/common/config/flags.h"

#include <algorithm>
#include <cstdlib>
#include <iostream>
#include <utility>

#include "absl/flags/flag.h"
#include "absl/flags/reflection.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "absl/strings/strip.h"

namespace chainsync {
namespace {

// absl's own flags (--flagfile, --fromenv, ...) are listed by --helpfull only.
bool IsChainsyncFlagFile(absl::string_view file) {
  return !absl::StrContains(file, "absl/");
}

std::string ProgramVersion() { return "chainsync 0.1.0"; }

// HelpText lists the binary's flags, sorted, each with its environment
// variable and its value, which reflects the service's own default (set
// before parsing) and the environment. absl's own --help exits 1 and lists
// only flags of the main file; chainsync's flags live in libraries.
std::string HelpText(absl::string_view usage, bool all) {
  std::vector<std::pair<absl::string_view, absl::CommandLineFlag*>> flags;
  for (const auto& [name, flag] : absl::GetAllFlags()) {
    if (all || IsChainsyncFlagFile(flag->Filename()))
      flags.emplace_back(name, flag);
  }
  std::sort(flags.begin(), flags.end());
  std::string text =
      absl::StrCat(usage, "\n\nFlags (each also settable as ",
                   kEnvironmentPrefix, "<NAME>; the command line wins):\n");
  for (const auto& [name, flag] : flags) {
    absl::StrAppend(&text, "  --", name, "  [",
                    EnvironmentVariableForFlag(name), "]\n      ", flag->Help(),
                    "\n      value: \"", flag->CurrentValue(), "\"\n");
  }
  return text;
}

// ParseArguments sets the flags named on the command line. absl's
// ParseCommandLine would print a plain-text error and exit 1 on a bad flag;
// this reports it, so that the binary logs it as one structured line.
absl::StatusOr<std::vector<std::string>> ParseArguments(int argc, char** argv) {
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
      return absl::InvalidArgumentError(
          absl::StrCat("unknown flag --", name,
                       "; see --help for the flags of this binary"));
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
      return absl::InvalidArgumentError(absl::StrCat(
          "invalid ", variable, "=\"", value, "\" for --", name, ": ", error));
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<std::vector<std::string>> ParseFlags(int argc, char** argv,
                                                    absl::string_view usage) {
  if (absl::Status status = ApplyEnvironmentDefaults(); !status.ok()) {
    return status;
  }
  for (int i = 1; i < argc; ++i) {
    const absl::string_view arg = argv[i];
    if (arg == "--help" || arg == "-help" || arg == "-h" ||
        arg == "--helpfull") {
      std::cout << HelpText(usage, /*all=*/arg == "--helpfull");
      std::exit(0);
    }
    if (arg == "--version") {
      std::cout << ProgramVersion() << "\n";
      std::exit(0);
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
    return InvalidFlag(
        flag, absl::StrCat(port),
        "must be a TCP port from 0 to 65535 (0 picks a free one)");
  }
  return absl::OkStatus();
}

}  // namespace chainsync
