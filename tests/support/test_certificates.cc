#include "tests/support/test_certificates.h"

#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <stdexcept>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace chainsync::testing {
namespace {

void Run(const std::string& command) {
  if (std::system(absl::StrCat(command, " 2>/dev/null").c_str()) != 0) {
    throw std::runtime_error("failed: " + command);
  }
}

// A P-256 key: quick to make, and what certificate managers issue.
constexpr char kNewKey[] = "-newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes";

}  // namespace

TestCertificates::TestCertificates() {
  static std::atomic<int> made{0};
  directory_ = absl::StrCat(std::filesystem::temp_directory_path().string(),
                            "/chainsync_certs_", getpid(), "_", made++);
  std::filesystem::create_directories(directory_);
  ca_file_ = directory_ + "/ca.pem";
  ca_key_file_ = directory_ + "/ca.key";
  Run(absl::StrCat("openssl req -x509 ", kNewKey, " -days 1 -subj /CN=test-ca",
                   " -keyout ", ca_key_file_, " -out ", ca_file_));
}

TestCertificates::~TestCertificates() {
  std::error_code ignored;
  std::filesystem::remove_all(directory_, ignored);
}

TestCertificates::Issued TestCertificates::Issue(
    const std::string& name,
    const std::vector<std::string>& alternative_names) {
  const std::string base = absl::StrCat(directory_, "/", name);
  Issued issued{.cert_file = base + ".pem", .key_file = base + ".key"};
  std::vector<std::string> names = {"DNS:" + name};
  names.insert(names.end(), alternative_names.begin(), alternative_names.end());
  std::ofstream(base + ".ext")
      << "basicConstraints=critical,CA:FALSE\n"
      << "keyUsage=critical,digitalSignature\n"
      << "extendedKeyUsage=serverAuth,clientAuth\n"
      << "subjectAltName=" << absl::StrJoin(names, ",") << "\n";
  Run(absl::StrCat("openssl req ", kNewKey, " -subj /CN=", name, " -keyout ",
                   issued.key_file, " -out ", base, ".csr"));
  Run(absl::StrCat("openssl x509 -req -days 1 -in ", base, ".csr -CA ",
                   ca_file_, " -CAkey ", ca_key_file_,
                   " -CAcreateserial -extfile ", base, ".ext -out ",
                   issued.cert_file));
  return issued;
}

}  // namespace chainsync::testing
