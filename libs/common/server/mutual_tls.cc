#include "libs/common/server/mutual_tls.h"

#include <openssl/bio.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <fstream>
#include <sstream>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "grpcpp/security/auth_metadata_processor.h"
#include "grpcpp/security/tls_certificate_provider.h"
#include "grpcpp/security/tls_certificate_verifier.h"
#include "grpcpp/security/tls_credentials_options.h"
#include "libs/common/config/flags.h"
#include "libs/common/logging/log.h"

namespace chainsync {
namespace {

// How often the files are read again: a rotated Secret is in use within it.
constexpr unsigned int kRefreshSeconds = 60;

struct BioFree {
  void operator()(BIO* bio) const { BIO_free(bio); }
};
struct X509Free {
  void operator()(X509* certificate) const { X509_free(certificate); }
};
struct KeyFree {
  void operator()(EVP_PKEY* key) const { EVP_PKEY_free(key); }
};

absl::StatusOr<std::string> ReadFile(absl::string_view flag,
                                     const std::string& path) {
  std::ifstream in(path);
  if (!in) return InvalidFlag(flag, path, "cannot be read");
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

std::unique_ptr<BIO, BioFree> MemoryBio(const std::string& pem) {
  return std::unique_ptr<BIO, BioFree>(
      BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
}

// FirstCertificate parses the first PEM certificate of `pem`.
std::unique_ptr<X509, X509Free> FirstCertificate(const std::string& pem) {
  auto bio = MemoryBio(pem);
  return std::unique_ptr<X509, X509Free>(
      PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr));
}

// PeerAuthorizer admits a call when the caller's verified certificate
// carries an allowed name: a subject alternative name (DNS, URI, IP) or,
// for certificates without one, the common name.
class PeerAuthorizer final : public grpc::AuthMetadataProcessor {
 public:
  explicit PeerAuthorizer(std::vector<std::string> allowed)
      : allowed_(std::move(allowed)) {}

  // The check reads the connection's properties only: no need for a thread.
  bool IsBlocking() const override { return false; }

  grpc::Status Process(const InputMetadata&, grpc::AuthContext* context,
                       OutputMetadata*, OutputMetadata*) override {
    std::vector<grpc::string_ref> names =
        context->FindPropertyValues("x509_subject_alternative_name");
    if (names.empty()) {
      names = context->FindPropertyValues("x509_common_name");
    }
    for (const grpc::string_ref& name : names) {
      if (Allowed(absl::string_view(name.data(), name.size()))) {
        return grpc::Status::OK;
      }
    }
    const std::string shown =
        names.empty() ? "(no name)"
                      : std::string(names.front().data(), names.front().size());
    if (int64_t held_back = 0; throttle_.Allow(&held_back)) {
      log::Warning("caller refused: its certificate names no allowed peer",
                   {{"peer", shown}, {"held_back", held_back}});
    }
    return grpc::Status(
        grpc::StatusCode::PERMISSION_DENIED,
        absl::StrCat("the caller's certificate (", shown.substr(0, 64),
                     ") names none of --tls_allowed_peers"));
  }

 private:
  bool Allowed(absl::string_view name) const {
    for (const std::string& allowed : allowed_) {
      if (absl::EndsWith(allowed, "*")
              ? absl::StartsWith(name, absl::string_view(allowed).substr(
                                           0, allowed.size() - 1))
              : name == allowed) {
        return true;
      }
    }
    return false;
  }

  const std::vector<std::string> allowed_;
  log::Throttle throttle_;
};

}  // namespace

absl::Status CheckMutualTls(const MutualTls& tls) {
  constexpr char cert_flag[] = "tls_cert_file";
  constexpr char key_flag[] = "tls_key_file";
  constexpr char ca_flag[] = "tls_ca_file";
  absl::StatusOr<std::string> cert = ReadFile(cert_flag, tls.cert_file);
  if (!cert.ok()) return cert.status();
  absl::StatusOr<std::string> key = ReadFile(key_flag, tls.key_file);
  if (!key.ok()) return key.status();
  absl::StatusOr<std::string> ca = ReadFile(ca_flag, tls.ca_file);
  if (!ca.ok()) return ca.status();
  const auto certificate = FirstCertificate(*cert);
  if (certificate == nullptr) {
    return InvalidFlag(cert_flag, tls.cert_file, "must hold a PEM certificate");
  }
  const auto bio = MemoryBio(*key);
  const std::unique_ptr<EVP_PKEY, KeyFree> private_key(
      PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr));
  if (private_key == nullptr) {
    return InvalidFlag(key_flag, tls.key_file,
                       "must hold an unencrypted PEM private key");
  }
  if (X509_check_private_key(certificate.get(), private_key.get()) != 1) {
    return InvalidFlag(key_flag, tls.key_file,
                       absl::StrCat("is not the key of ", tls.cert_file));
  }
  if (FirstCertificate(*ca) == nullptr) {
    return InvalidFlag(ca_flag, tls.ca_file, "must hold a PEM certificate");
  }
  return absl::OkStatus();
}

std::shared_ptr<grpc::ServerCredentials> ServerCredentials(
    const std::optional<MutualTls>& tls) {
  if (!tls.has_value()) return grpc::InsecureServerCredentials();
  grpc::experimental::TlsServerCredentialsOptions options(
      std::make_shared<grpc::experimental::FileWatcherCertificateProvider>(
          tls->key_file, tls->cert_file, tls->ca_file, kRefreshSeconds));
  options.watch_identity_key_cert_pairs();
  options.watch_root_certs();
  options.set_cert_request_type(
      GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_AND_VERIFY);
  std::shared_ptr<grpc::ServerCredentials> credentials =
      grpc::experimental::TlsServerCredentials(options);
  if (!tls->allowed_peers.empty()) {
    credentials->SetAuthMetadataProcessor(
        std::make_shared<PeerAuthorizer>(tls->allowed_peers));
  }
  return credentials;
}

std::shared_ptr<grpc::ChannelCredentials> ChannelCredentials(
    const std::optional<MutualTls>& tls) {
  if (!tls.has_value()) return grpc::InsecureChannelCredentials();
  grpc::experimental::TlsChannelCredentialsOptions options;
  options.set_certificate_provider(
      std::make_shared<grpc::experimental::FileWatcherCertificateProvider>(
          tls->key_file, tls->cert_file, tls->ca_file, kRefreshSeconds));
  options.watch_identity_key_cert_pairs();
  options.watch_root_certs();
  options.set_verify_server_certs(true);
  options.set_certificate_verifier(
      std::make_shared<grpc::experimental::HostNameCertificateVerifier>());
  return grpc::experimental::TlsCredentials(options);
}

}  // namespace chainsync
