#pragma once

// The OpenAPI 3 document of the gateway's routes, generated from the same
// descriptors and annotations as the route table.

#include <string>

#include "services/api-gateway/route_table.h"

namespace chainsync::gateway {

// OpenApiDocument renders every route: its path and query parameters, its
// JSON body, its answer and error, whether it needs a bearer token, and a
// schema of each message in the proto3 JSON mapping.
std::string OpenApiDocument(const RouteTable& routes);

}  // namespace chainsync::gateway
