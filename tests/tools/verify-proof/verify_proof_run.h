#pragma once

// Verify runs chainsync-verify-proof as an account does, on the proof JSON
// the API serves.

#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdio>
#include <fstream>
#include <string>

#include "absl/strings/str_cat.h"

namespace chainsync::reconciler {

struct Outcome {
  int exit_code = -1;
  std::string output;
};

// Verify runs the command on `json` with `flags`, output and errors merged.
inline Outcome Verify(const std::string& json, const std::string& flags = "") {
  const std::string file =
      absl::StrCat("/tmp/chainsync_proof_", getpid(), ".json");
  std::ofstream(file) << json;
  FILE* pipe = popen(absl::StrCat(CHAINSYNC_VERIFY_PROOF_BIN, " --proof=", file,
                                  " ", flags, " 2>&1")
                         .c_str(),
                     "r");
  REQUIRE(pipe != nullptr);
  Outcome outcome;
  char buffer[512];
  while (fgets(buffer, sizeof(buffer), pipe) != nullptr) {
    outcome.output += buffer;
  }
  const int status = pclose(pipe);
  std::remove(file.c_str());
  outcome.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return outcome;
}

}  // namespace chainsync::reconciler
