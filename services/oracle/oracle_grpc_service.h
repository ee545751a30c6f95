#pragma once

#include <memory>

#include "chainsync/oracle/v1/oracle.grpc.pb.h"
#include "libs/common/api/page_tokens.h"
#include "libs/common/clock.h"
#include "libs/common/metrics/registry.h"
#include "services/oracle/account_store.h"
#include "services/oracle/ownership_proof.h"

namespace chainsync::oracle {

// OracleGrpcService answers the oracle's RPCs on gRPC's callback threads.
// The RPCs of the parts not built yet answer UNIMPLEMENTED.
class OracleGrpcService final : public v1::OracleService::CallbackService {
 public:
  OracleGrpcService(std::shared_ptr<AccountStore> accounts, ProofRules rules,
                    PageTokens page_tokens, Clock& clock = SystemClock(),
                    metrics::Registry& registry = metrics::DefaultRegistry());

  grpc::ServerUnaryReactor* RegisterBitcoinAddress(
      grpc::CallbackServerContext* context,
      const v1::RegisterBitcoinAddressRequest* request,
      v1::BitcoinAddress* response) override;
  grpc::ServerUnaryReactor* ListBitcoinAddresses(
      grpc::CallbackServerContext* context,
      const v1::ListBitcoinAddressesRequest* request,
      v1::ListBitcoinAddressesResponse* response) override;
  grpc::ServerUnaryReactor* RemoveBitcoinAddress(
      grpc::CallbackServerContext* context,
      const v1::RemoveBitcoinAddressRequest* request,
      v1::RemoveBitcoinAddressResponse* response) override;

 private:
  absl::StatusOr<v1::BitcoinAddress> Register(
      const v1::RegisterBitcoinAddressRequest& request);
  absl::StatusOr<v1::ListBitcoinAddressesResponse> List(
      const v1::ListBitcoinAddressesRequest& request);

  const std::shared_ptr<AccountStore> accounts_;
  const ProofRules rules_;
  const PageTokens page_tokens_;
  Clock& clock_;
  metrics::Family<metrics::Counter>& registrations_;
};

}  // namespace chainsync::oracle
