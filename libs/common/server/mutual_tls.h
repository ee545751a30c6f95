#pragma once

// Mutual TLS between the services. Each process holds a certificate and its
// key, and trusts one CA for every peer: a backend accepts only callers
// whose certificate that CA signed (and, when it names them, only the
// allowed ones); a caller accepts only a backend whose certificate the CA
// signed for the address it dialled. The files are watched, so that a
// rotated Kubernetes Secret takes effect without a restart.

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "grpcpp/security/credentials.h"
#include "grpcpp/security/server_credentials.h"

namespace chainsync {

struct MutualTls {
  // PEM files: this process's certificate (chain), its private key, and the
  // CA certificates that sign every peer's.
  std::string cert_file;
  std::string key_file;
  std::string ca_file;
  // Names of the callers a server admits, matched against a certificate's
  // subject alternative names (its common name when it has none); a
  // trailing `*` matches any suffix. Empty admits every certificate the CA
  // signed.
  std::vector<std::string> allowed_peers;
};

// CheckMutualTls checks that the files exist, hold PEM certificates and a
// key, and that the key is the certificate's; an error names the flag and
// the file (--tls_cert_file, --tls_key_file, --tls_ca_file).
absl::Status CheckMutualTls(const MutualTls& tls);

// ServerCredentials are TLS credentials that require and verify a client
// certificate, and with allowed_peers refuse any other caller's calls
// (PERMISSION_DENIED); without `tls`, plaintext.
std::shared_ptr<grpc::ServerCredentials> ServerCredentials(
    const std::optional<MutualTls>& tls);

// ChannelCredentials present this process's certificate and verify the
// server's against the CA and the dialled host name; without `tls`,
// plaintext.
std::shared_ptr<grpc::ChannelCredentials> ChannelCredentials(
    const std::optional<MutualTls>& tls);

}  // namespace chainsync
