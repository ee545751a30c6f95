#include "tests/support/subprocess.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "simdjson.h"

extern char** environ;

namespace chainsync::testing {

absl::StatusOr<std::unique_ptr<Subprocess>> Subprocess::Start(
    const std::vector<std::string>& argv,
    const std::map<std::string, std::string>& environment) {
  int pipe_fds[2];
  if (pipe2(pipe_fds, O_CLOEXEC) != 0)
    return absl::InternalError("pipe failed");
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  // stdout and stderr both go to the pipe: logs and --help alike.
  posix_spawn_file_actions_adddup2(&actions, pipe_fds[1], STDOUT_FILENO);
  posix_spawn_file_actions_adddup2(&actions, pipe_fds[1], STDERR_FILENO);
  posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null",
                                   O_RDONLY, 0);
  // The test binary blocks no signals the child should see, but a parent
  // (ctest) may have; start the child with a clean mask.
  posix_spawnattr_t attributes;
  posix_spawnattr_init(&attributes);
  sigset_t empty;
  sigemptyset(&empty);
  posix_spawnattr_setsigmask(&attributes, &empty);
  posix_spawnattr_setflags(&attributes, POSIX_SPAWN_SETSIGMASK);

  std::map<std::string, std::string> merged;
  for (char** entry = environ; *entry != nullptr; ++entry) {
    const std::string text(*entry);
    const size_t equals = text.find('=');
    if (equals != std::string::npos)
      merged[text.substr(0, equals)] = text.substr(equals + 1);
  }
  for (const auto& [key, value] : environment) merged[key] = value;
  std::vector<std::string> env_strings;
  for (const auto& [key, value] : merged)
    env_strings.push_back(absl::StrCat(key, "=", value));
  std::vector<char*> env_pointers;
  for (std::string& entry : env_strings) env_pointers.push_back(entry.data());
  env_pointers.push_back(nullptr);
  std::vector<std::string> args = argv;
  std::vector<char*> arg_pointers;
  for (std::string& arg : args) arg_pointers.push_back(arg.data());
  arg_pointers.push_back(nullptr);

  pid_t pid = 0;
  const int error = posix_spawn(&pid, arg_pointers[0], &actions, &attributes,
                                arg_pointers.data(), env_pointers.data());
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attributes);
  close(pipe_fds[1]);
  if (error != 0) {
    close(pipe_fds[0]);
    return absl::InternalError(
        absl::StrCat("cannot start ", argv[0], ": ", std::strerror(error)));
  }
  return std::unique_ptr<Subprocess>(new Subprocess(pid, pipe_fds[0]));
}

Subprocess::~Subprocess() {
  if (!exited_) {
    kill(pid_, SIGKILL);
    waitpid(pid_, nullptr, 0);
  }
  close(stderr_fd_);
}

std::optional<std::string> Subprocess::ReadLine(absl::Duration timeout) {
  const absl::Time deadline = absl::Now() + timeout;
  while (true) {
    const size_t newline = pending_.find('\n');
    if (newline != std::string::npos) {
      std::string line = pending_.substr(0, newline);
      pending_.erase(0, newline + 1);
      lines_.push_back(line);
      return line;
    }
    const absl::Duration left = deadline - absl::Now();
    if (left <= absl::ZeroDuration()) return std::nullopt;
    pollfd descriptor{stderr_fd_, POLLIN, 0};
    if (poll(&descriptor, 1,
             static_cast<int>(absl::ToInt64Milliseconds(left)) + 1) <= 0) {
      continue;
    }
    char buffer[4096];
    const ssize_t count = read(stderr_fd_, buffer, sizeof(buffer));
    if (count <= 0) {
      if (pending_.empty()) return std::nullopt;
      std::string line = std::move(pending_);
      pending_.clear();
      lines_.push_back(line);
      return line;
    }
    pending_.append(buffer, static_cast<size_t>(count));
  }
}

std::optional<std::string> Subprocess::WaitForLine(const std::string& needle,
                                                   absl::Duration timeout) {
  const absl::Time deadline = absl::Now() + timeout;
  while (absl::Now() < deadline) {
    std::optional<std::string> line = ReadLine(deadline - absl::Now());
    if (!line.has_value()) return std::nullopt;
    if (line->find(needle) != std::string::npos) return line;
  }
  return std::nullopt;
}

void Subprocess::Signal(int signal) { kill(pid_, signal); }

absl::StatusOr<int> Subprocess::Wait(absl::Duration timeout) {
  const absl::Time deadline = absl::Now() + timeout;
  while (true) {
    int status = 0;
    const pid_t done = waitpid(pid_, &status, WNOHANG);
    if (done == pid_) {
      exited_ = true;
      while (ReadLine(absl::Milliseconds(10)).has_value()) {
      }
      return WIFEXITED(status) ? WEXITSTATUS(status) : -WTERMSIG(status);
    }
    if (absl::Now() >= deadline) {
      return absl::DeadlineExceededError(
          absl::StrCat("process ", pid_, " still running"));
    }
    absl::SleepFor(absl::Milliseconds(10));
  }
}

std::optional<ServingPorts> WaitForServing(Subprocess& process,
                                           absl::Duration timeout) {
  const std::optional<std::string> line =
      process.WaitForLine(R"("message":"serving")", timeout);
  if (!line.has_value()) return std::nullopt;
  simdjson::dom::parser parser;
  simdjson::dom::object fields;
  if (parser.parse(*line).get(fields) != simdjson::SUCCESS) return std::nullopt;
  const auto port = [&](const char* name) {
    int64_t value = 0;
    return fields[name].get(value) == simdjson::SUCCESS
               ? static_cast<int>(value)
               : 0;
  };
  return ServingPorts{.grpc = port("grpc_port"),
                      .http = port("http_port"),
                      .admin = port("admin_port")};
}

}  // namespace chainsync::testing
