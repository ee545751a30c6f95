#include "libs/common/config/secret.h"

#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdlib>
#include <fstream>

namespace chainsync {
namespace {

struct CleanEnvironment {
  CleanEnvironment() { Clear(); }
  ~CleanEnvironment() { Clear(); }
  static void Clear() {
    unsetenv("CHAINSYNC_TEST_SECRET");
    unsetenv("CHAINSYNC_TEST_SECRET_FILE");
  }
};

std::string WriteTempFile(const std::string& contents) {
  char path[] = "/tmp/chainsync_secret_XXXXXX";
  const int fd = mkstemp(path);
  REQUIRE(fd >= 0);
  close(fd);
  std::ofstream(path) << contents;
  return path;
}

TEST_CASE("a secret comes from the environment", "[secret]") {
  CleanEnvironment clean;
  setenv("CHAINSYNC_TEST_SECRET", "s3cret", 1);
  auto secret = ReadSecret("test_secret");
  REQUIRE(secret.ok());
  CHECK(secret->value() == "s3cret");
}

TEST_CASE("a secret file wins and loses its trailing newline", "[secret]") {
  CleanEnvironment clean;
  const std::string path = WriteTempFile("from-file\n");
  setenv("CHAINSYNC_TEST_SECRET", "from-env", 1);
  setenv("CHAINSYNC_TEST_SECRET_FILE", path.c_str(), 1);
  auto secret = ReadSecret("test_secret");
  REQUIRE(secret.ok());
  CHECK(secret->value() == "from-file");
  unlink(path.c_str());
}

TEST_CASE("a missing, unreadable or empty secret is a clear error",
          "[secret]") {
  CleanEnvironment clean;
  auto missing = ReadSecret("test_secret");
  REQUIRE(absl::IsNotFound(missing.status()));
  CHECK(std::string(missing.status().message()).find("CHAINSYNC_TEST_SECRET") !=
        std::string::npos);

  setenv("CHAINSYNC_TEST_SECRET_FILE", "/nonexistent/secret", 1);
  auto unreadable = ReadSecret("test_secret");
  REQUIRE(absl::IsInvalidArgument(unreadable.status()));
  CHECK(
      std::string(unreadable.status().message()).find("/nonexistent/secret") !=
      std::string::npos);

  const std::string path = WriteTempFile("\n");
  setenv("CHAINSYNC_TEST_SECRET_FILE", path.c_str(), 1);
  CHECK(absl::IsInvalidArgument(ReadSecret("test_secret").status()));
  unlink(path.c_str());
}

}  // namespace
}  // namespace chainsync
