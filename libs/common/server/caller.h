#pragma once

// Caller is who a gRPC call is made for, as the gateway says in metadata
// once it has verified the bearer token: x-chainsync-subject (the account)
// and x-chainsync-role ("admin" or "user"). A call without them reached the
// backend from inside the cluster (grpcurl by an operator, another
// service) past its network policy and mutual TLS, and is an operator's.

#include <string>

#include "absl/strings/match.h"
#include "grpcpp/server_context.h"

namespace chainsync {

struct Caller {
  // The account the token is for; empty for an operator.
  std::string subject;
  bool admin = true;

  // Owns says whether the caller may act for `account` (0x-hex, any case).
  bool Owns(const std::string& account) const {
    return admin || absl::EqualsIgnoreCase(subject, account);
  }
};

inline Caller CallerOf(const grpc::ServerContextBase& context) {
  const auto& metadata = context.client_metadata();
  const auto subject = metadata.find("x-chainsync-subject");
  if (subject == metadata.end()) return Caller{};
  const auto role = metadata.find("x-chainsync-role");
  return Caller{
      .subject = std::string(subject->second.data(), subject->second.size()),
      .admin = role != metadata.end() && role->second == "admin"};
}

}  // namespace chainsync
