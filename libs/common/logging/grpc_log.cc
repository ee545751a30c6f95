#include "libs/common/logging/grpc_log.h"

#include "grpc/support/log.h"

namespace chainsync::log {
namespace {

void GrpcLogToJson(gpr_log_func_args* args) {
  Level level = Level::kInfo;
  if (args->severity == GPR_LOG_SEVERITY_ERROR) level = Level::kError;
  if (args->severity == GPR_LOG_SEVERITY_DEBUG) level = Level::kDebug;
  Write(level, args->message,
        {{"component", "grpc"}, {"file", args->file}, {"line", args->line}});
}

}  // namespace

void RouteGrpcLogs(Level level) {
  gpr_set_log_function(GrpcLogToJson);
  gpr_set_log_verbosity(level == Level::kDebug ? GPR_LOG_SEVERITY_DEBUG
                                               : GPR_LOG_SEVERITY_ERROR);
}

}  // namespace chainsync::log
