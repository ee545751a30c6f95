#pragma once

// Access to the local environment that the CTest fixture `local_env`
// (scripts/local-env.sh) starts for integration tests: a private Postgres
// cluster and an anvil node.

#include <sys/types.h>

#include <memory>
#include <string>

#include "libs/common/postgres/connection.h"

namespace chainsync::testing {

struct TestEnvironment {
  std::string pg_host = "127.0.0.1";
  int pg_port = 0;
  std::string rpc_url;
};

// GetTestEnvironment reads the file named by CHAINSYNC_TEST_ENV; it aborts
// the test binary with a message when the fixture did not run.
const TestEnvironment& GetTestEnvironment();

// PrivateEnvironment is a Postgres cluster and anvil node of one test's own
// (scripts/local-env.sh in a temporary directory), for tests that restart or
// break them and must not disturb the tests sharing the fixture.
class PrivateEnvironment {
 public:
  // Postgres's settings: the development cluster's (fsync off, room for bulk
  // loads) or Postgres's own, stock durability, as a user's database runs.
  enum class Settings { kDevelopment, kStock };

  explicit PrivateEnvironment(Settings settings = Settings::kDevelopment);
  ~PrivateEnvironment();

  const TestEnvironment& environment() const { return environment_; }
  // database_url is the cluster's `chainsync` database.
  std::string database_url() const;
  // RestartPostgres stops Postgres (fast: sessions are terminated) and starts
  // it again on the same port; returns when it accepts connections.
  void RestartPostgres();
  // RestartAnvil stops anvil and starts a fresh chain on the same port.
  void RestartAnvil();
  // The processes at the root of each (Postgres's postmaster, anvil's
  // launcher), for benchmarks that account for their CPU time.
  pid_t postgres_pid() const;
  pid_t anvil_pid() const;

 private:
  std::string directory_;
  TestEnvironment environment_;
};

// ScopedDatabase is a fresh, empty database for one test, dropped (with
// every connection to it) when the object goes away.
class ScopedDatabase {
 public:
  ScopedDatabase();
  ~ScopedDatabase();

  const std::string& name() const { return name_; }
  // url is a libpq URI of the database.
  std::string url() const;
  // Connect opens a new connection to it.
  std::unique_ptr<PgConnection> Connect() const;

 private:
  std::string name_;
};

}  // namespace chainsync::testing
