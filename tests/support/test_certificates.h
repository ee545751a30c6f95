#pragma once

#include <string>
#include <vector>

namespace chainsync::testing {

// TestCertificates is a CA made for one test, in a directory of its own,
// that issues certificates with the `openssl` command as the test asks.
class TestCertificates {
 public:
  // Files of one issued certificate.
  struct Issued {
    std::string cert_file;
    std::string key_file;
  };

  TestCertificates();
  ~TestCertificates();

  // ca_file is the CA's certificate, which verifies what it issued.
  const std::string& ca_file() const { return ca_file_; }

  // Issue makes a certificate named `name` (its common name and its first
  // DNS subject alternative name), with `alternative_names` beside it
  // ("DNS:localhost", "IP:127.0.0.1").
  Issued Issue(const std::string& name,
               const std::vector<std::string>& alternative_names = {});

 private:
  std::string directory_;
  std::string ca_file_;
  std::string ca_key_file_;
};

}  // namespace chainsync::testing
