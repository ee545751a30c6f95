#include "libs/common/config/flags.h"

#include <catch2/catch.hpp>
#include <cstdlib>

#include "absl/flags/flag.h"

ABSL_FLAG(int32_t, flags_test_port, 7, "a test flag");
ABSL_FLAG(bool, flags_test_verbose, false, "a test flag");
ABSL_FLAG(std::string, flags_test_name, "default", "a test flag");

namespace chainsync {
namespace {

// Runs ParseFlags over a command line given as strings.
absl::StatusOr<std::vector<std::string>> Parse(std::vector<std::string> args) {
  args.insert(args.begin(), "binary");
  std::vector<char*> argv;
  for (std::string& arg : args) argv.push_back(arg.data());
  return ParseFlags(static_cast<int>(argv.size()), argv.data(), "test binary");
}

struct ResetFlags {
  ~ResetFlags() {
    absl::SetFlag(&FLAGS_flags_test_port, 7);
    absl::SetFlag(&FLAGS_flags_test_verbose, false);
    absl::SetFlag(&FLAGS_flags_test_name, "default");
    unsetenv("CHAINSYNC_FLAGS_TEST_PORT");
    unsetenv("CHAINSYNC_FLAGS_TEST_NAME");
  }
};

TEST_CASE("environment variables set flag defaults", "[flags]") {
  ResetFlags reset;
  CHECK(EnvironmentVariableForFlag("flags_test_port") ==
        "CHAINSYNC_FLAGS_TEST_PORT");
  setenv("CHAINSYNC_FLAGS_TEST_PORT", "9000", 1);
  setenv("CHAINSYNC_FLAGS_TEST_NAME", "from-env", 1);
  REQUIRE(Parse({}).ok());
  CHECK(absl::GetFlag(FLAGS_flags_test_port) == 9000);
  CHECK(absl::GetFlag(FLAGS_flags_test_name) == "from-env");
}

TEST_CASE("the command line wins over the environment", "[flags]") {
  ResetFlags reset;
  setenv("CHAINSYNC_FLAGS_TEST_PORT", "9000", 1);
  REQUIRE(Parse({"--flags_test_port=9100", "--flags_test_name", "cli",
                 "--flags_test_verbose"})
              .ok());
  CHECK(absl::GetFlag(FLAGS_flags_test_port) == 9100);
  CHECK(absl::GetFlag(FLAGS_flags_test_name) == "cli");
  CHECK(absl::GetFlag(FLAGS_flags_test_verbose));
  REQUIRE(Parse({"--noflags_test_verbose"}).ok());
  CHECK_FALSE(absl::GetFlag(FLAGS_flags_test_verbose));
}

TEST_CASE("a bad environment value names the variable, flag and value",
          "[flags]") {
  ResetFlags reset;
  setenv("CHAINSYNC_FLAGS_TEST_PORT", "ninety", 1);
  const auto result = Parse({});
  REQUIRE(absl::IsInvalidArgument(result.status()));
  const std::string message(result.status().message());
  CHECK(message.find("CHAINSYNC_FLAGS_TEST_PORT") != std::string::npos);
  CHECK(message.find("--flags_test_port") != std::string::npos);
  CHECK(message.find("ninety") != std::string::npos);
}

TEST_CASE("unknown flags, bad values and missing values are errors",
          "[flags]") {
  ResetFlags reset;
  auto unknown = Parse({"--no_such_flag=1"});
  REQUIRE(absl::IsInvalidArgument(unknown.status()));
  CHECK(std::string(unknown.status().message()).find("--no_such_flag") !=
        std::string::npos);

  auto bad = Parse({"--flags_test_port=abc"});
  REQUIRE(absl::IsInvalidArgument(bad.status()));
  CHECK(std::string(bad.status().message()).find("abc") != std::string::npos);

  auto missing = Parse({"--flags_test_name"});
  CHECK(absl::IsInvalidArgument(missing.status()));
}

TEST_CASE("positional arguments are returned", "[flags]") {
  ResetFlags reset;
  auto result = Parse({"one", "--flags_test_port=1", "--", "--two"});
  REQUIRE(result.ok());
  CHECK(*result == std::vector<std::string>{"one", "--two"});
}

TEST_CASE("ValidatePort names the flag and the value", "[flags]") {
  CHECK(ValidatePort("grpc_port", 0).ok());
  CHECK(ValidatePort("grpc_port", 65535).ok());
  const absl::Status status = ValidatePort("grpc_port", 70000);
  REQUIRE(absl::IsInvalidArgument(status));
  CHECK(std::string(status.message()).find("--grpc_port=70000") !=
        std::string::npos);
}

}  // namespace
}  // namespace chainsync
