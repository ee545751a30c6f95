#include "tests/support/grpc_probe.h"

#include "absl/strings/str_cat.h"
#include "google/protobuf/io/coded_stream.h"
#include "google/protobuf/io/zero_copy_stream_impl_lite.h"
#include "google/protobuf/unknown_field_set.h"
#include "grpcpp/client_context.h"
#include "grpcpp/impl/codegen/client_unary_call.h"
#include "grpcpp/impl/codegen/rpc_method.h"
#include "grpcpp/impl/codegen/sync_stream.h"
#include "grpcpp/support/byte_buffer.h"
#include "libs/common/grpc_status.h"

namespace chainsync::testing {
namespace {

using google::protobuf::UnknownField;
using google::protobuf::UnknownFieldSet;

grpc::ByteBuffer ToBuffer(const std::string& bytes) {
  grpc::Slice slice(bytes);
  return grpc::ByteBuffer(&slice, 1);
}

absl::StatusOr<std::string> FromBuffer(const grpc::ByteBuffer& buffer) {
  std::vector<grpc::Slice> slices;
  if (!buffer.Dump(&slices).ok()) return absl::InternalError("bad byte buffer");
  std::string bytes;
  for (const grpc::Slice& slice : slices) {
    bytes.append(reinterpret_cast<const char*>(slice.begin()), slice.size());
  }
  return bytes;
}

std::string LengthDelimited(int field, const std::string& value) {
  std::string out;
  {
    google::protobuf::io::StringOutputStream stream(&out);
    google::protobuf::io::CodedOutputStream coded(&stream);
    coded.WriteTag(static_cast<uint32_t>(field << 3 | 2));
    coded.WriteVarint32(static_cast<uint32_t>(value.size()));
    coded.WriteString(value);
  }
  return out;
}

absl::StatusOr<std::unique_ptr<UnknownFieldSet>> Parse(
    const std::string& bytes) {
  auto fields = std::make_unique<UnknownFieldSet>();
  if (!fields->ParseFromString(bytes)) {
    return absl::InternalError("unparsable protobuf message");
  }
  return fields;
}

}  // namespace

absl::StatusOr<HealthStatus> CheckHealth(
    const std::shared_ptr<grpc::Channel>& channel, const std::string& service) {
  const grpc::internal::RpcMethod method("/grpc.health.v1.Health/Check",
                                         grpc::internal::RpcMethod::NORMAL_RPC);
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() +
                       std::chrono::seconds(5));
  grpc::ByteBuffer response;
  const grpc::Status status =
      grpc::internal::BlockingUnaryCall<grpc::ByteBuffer, grpc::ByteBuffer>(
          channel.get(), method, &context,
          ToBuffer(service.empty() ? "" : LengthDelimited(1, service)),
          &response);
  if (!status.ok()) return FromGrpcStatus(status);
  absl::StatusOr<std::string> bytes = FromBuffer(response);
  if (!bytes.ok()) return bytes.status();
  auto fields = Parse(*bytes);
  if (!fields.ok()) return fields.status();
  for (int i = 0; i < (*fields)->field_count(); ++i) {
    const UnknownField& field = (*fields)->field(i);
    if (field.number() == 1 && field.type() == UnknownField::TYPE_VARINT) {
      return static_cast<HealthStatus>(field.varint());
    }
  }
  return HealthStatus::kUnknown;  // proto3 omits the default value 0
}

absl::StatusOr<std::vector<std::string>> ListServices(
    const std::shared_ptr<grpc::Channel>& channel) {
  const grpc::internal::RpcMethod method(
      "/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo",
      grpc::internal::RpcMethod::BIDI_STREAMING);
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() +
                       std::chrono::seconds(5));
  std::unique_ptr<grpc::ClientReaderWriter<grpc::ByteBuffer, grpc::ByteBuffer>>
      stream(grpc::internal::ClientReaderWriterFactory<
             grpc::ByteBuffer, grpc::ByteBuffer>::Create(channel.get(), method,
                                                         &context));
  // ServerReflectionRequest { list_services = 7: "" }
  if (!stream->Write(ToBuffer(LengthDelimited(7, "")))) {
    return FromGrpcStatus(stream->Finish());
  }
  stream->WritesDone();
  grpc::ByteBuffer response;
  if (!stream->Read(&response)) return FromGrpcStatus(stream->Finish());
  (void)stream->Finish();
  absl::StatusOr<std::string> bytes = FromBuffer(response);
  if (!bytes.ok()) return bytes.status();
  auto reply = Parse(*bytes);
  if (!reply.ok()) return reply.status();
  std::vector<std::string> names;
  for (int i = 0; i < (*reply)->field_count(); ++i) {
    // ServerReflectionResponse.list_services_response = 6:
    //   ListServiceResponse { repeated ServiceResponse service = 1 { name = 1 }
    //   }
    if ((*reply)->field(i).number() != 6) continue;
    auto list = Parse((*reply)->field(i).length_delimited());
    if (!list.ok()) return list.status();
    for (int j = 0; j < (*list)->field_count(); ++j) {
      auto entry = Parse((*list)->field(j).length_delimited());
      if (!entry.ok()) return entry.status();
      for (int k = 0; k < (*entry)->field_count(); ++k) {
        if ((*entry)->field(k).number() == 1) {
          names.push_back((*entry)->field(k).length_delimited());
        }
      }
    }
  }
  if (names.empty())
    return absl::InternalError("reflection listed no services");
  return names;
}

}  // namespace chainsync::testing
