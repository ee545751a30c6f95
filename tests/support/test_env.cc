#include "tests/support/test_env.h"

#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <fstream>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"

namespace chainsync::testing {
namespace {

[[noreturn]] void Fail(const std::string& message) {
  std::fprintf(stderr, "test environment: %s\n", message.c_str());
  std::abort();
}

std::unique_ptr<PgConnection> ConnectOrFail(const std::string& url) {
  absl::StatusOr<std::unique_ptr<PgConnection>> connection =
      PgConnection::Connect({.url = url});
  if (!connection.ok()) Fail(connection.status().ToString());
  return *std::move(connection);
}

std::string AdminUrl() {
  const TestEnvironment& env = GetTestEnvironment();
  return absl::StrCat("postgresql://chainsync@", env.pg_host, ":", env.pg_port,
                      "/postgres");
}

// Reads the env file that scripts/local-env.sh writes.
TestEnvironment LoadEnvironment(const std::string& path) {
  std::ifstream in(path);
  if (!in) Fail(absl::StrCat("cannot read ", path));
  TestEnvironment env;
  std::string line;
  while (std::getline(in, line)) {
    absl::string_view entry = line;
    absl::ConsumePrefix(&entry, "export ");
    const size_t equals = entry.find('=');
    if (equals == absl::string_view::npos) continue;
    const absl::string_view key = entry.substr(0, equals);
    const absl::string_view value = entry.substr(equals + 1);
    if (key == "PGPORT" && !absl::SimpleAtoi(value, &env.pg_port)) {
      Fail(absl::StrCat("bad PGPORT in ", path));
    }
    if (key == "CHAINSYNC_RPC_URL") env.rpc_url = std::string(value);
  }
  if (env.pg_port == 0) Fail(absl::StrCat("no PGPORT in ", path));
  return env;
}

void RunLocalEnv(const std::string& command, const std::string& directory,
                 const std::string& arguments = "") {
  const std::string line =
      absl::StrCat(CHAINSYNC_SOURCE_DIR "/scripts/local-env.sh ", command,
                   " --dir ", directory, arguments, " >/dev/null");
  if (std::system(line.c_str()) != 0) Fail(absl::StrCat("failed: ", line));
}

}  // namespace

const TestEnvironment& GetTestEnvironment() {
  static const TestEnvironment* environment = [] {
    const char* path = std::getenv("CHAINSYNC_TEST_ENV");
    if (path == nullptr) {
      Fail(
          "CHAINSYNC_TEST_ENV is not set; run the test through ctest, whose "
          "local_env fixture starts Postgres and anvil");
    }
    return new TestEnvironment(LoadEnvironment(path));
  }();
  return *environment;
}

PrivateEnvironment::PrivateEnvironment(Settings settings) {
  char directory[] = "/tmp/chainsync_env_XXXXXX";
  if (mkdtemp(directory) == nullptr) Fail("mkdtemp failed");
  // local-env.sh creates the directory itself.
  rmdir(directory);
  directory_ = directory;
  RunLocalEnv("start", directory_,
              settings == Settings::kStock ? " --settings stock"
                                           : " --settings development");
  environment_ = LoadEnvironment(directory_ + "/env");
}

PrivateEnvironment::~PrivateEnvironment() { RunLocalEnv("stop", directory_); }

std::string PrivateEnvironment::database_url() const {
  return absl::StrCat("postgresql://chainsync@", environment_.pg_host, ":",
                      environment_.pg_port, "/chainsync");
}

void PrivateEnvironment::RestartPostgres() {
  RunLocalEnv("restart-postgres", directory_);
}

void PrivateEnvironment::RestartAnvil() {
  RunLocalEnv("restart-anvil", directory_);
}

namespace {

// PidInFile is the number on the first line of a pid file of the
// environment.
pid_t PidInFile(const std::string& path) {
  std::ifstream file(path);
  std::string line;
  pid_t pid = 0;
  if (!std::getline(file, line) || !absl::SimpleAtoi(line, &pid)) {
    Fail(absl::StrCat("no process id in ", path));
  }
  return pid;
}

}  // namespace

pid_t PrivateEnvironment::postgres_pid() const {
  return PidInFile(directory_ + "/pgdata/postmaster.pid");
}

pid_t PrivateEnvironment::anvil_pid() const {
  return PidInFile(directory_ + "/anvil.pid");
}

ScopedDatabase::ScopedDatabase() {
  static std::atomic<int> counter{0};
  name_ = absl::StrCat("test_", getpid(), "_", counter.fetch_add(1));
  auto admin = ConnectOrFail(AdminUrl());
  absl::Status status = admin
                            ->Exec(absl::StrCat("CREATE DATABASE ",
                                                admin->QuoteIdentifier(name_)))
                            .status();
  if (!status.ok()) Fail(status.ToString());
}

ScopedDatabase::~ScopedDatabase() {
  auto admin = ConnectOrFail(AdminUrl());
  (void)admin->Exec(absl::StrCat("DROP DATABASE IF EXISTS ",
                                 admin->QuoteIdentifier(name_),
                                 " WITH (FORCE)"));
}

std::string ScopedDatabase::url() const {
  const TestEnvironment& env = GetTestEnvironment();
  return absl::StrCat("postgresql://chainsync@", env.pg_host, ":", env.pg_port,
                      "/", name_);
}

std::unique_ptr<PgConnection> ScopedDatabase::Connect() const {
  return ConnectOrFail(url());
}

}  // namespace chainsync::testing
