#include "services/api-gateway/route_table.h"

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"

namespace chainsync::gateway {
namespace {

using google::protobuf::MethodDescriptor;

// Segments of a path template: literals, and "{field}" for a field's value.
std::vector<absl::string_view> Segments(absl::string_view path) {
  return absl::StrSplit(path.substr(1), '/');
}

bool IsField(absl::string_view segment) {
  return absl::StartsWith(segment, "{") && absl::EndsWith(segment, "}");
}

absl::Status CheckTemplate(const MethodDescriptor& method,
                           absl::string_view path) {
  if (!absl::StartsWith(path, "/")) {
    return absl::InvalidArgumentError(absl::StrCat(
        method.full_name(), ": route \"", path, "\" does not start with /"));
  }
  for (absl::string_view segment : Segments(path)) {
    if (!IsField(segment)) continue;
    const std::string field(segment.substr(1, segment.size() - 2));
    if (method.input_type()->FindFieldByName(field) == nullptr) {
      return absl::InvalidArgumentError(absl::StrCat(
          method.full_name(), ": route \"", path, "\" names field ", field,
          " which ", method.input_type()->full_name(), " does not have"));
    }
  }
  return absl::OkStatus();
}

absl::Status AddBindings(const MethodDescriptor& method,
                         const api::v1::HttpRoute& http,
                         const api::v1::AccessRule& access,
                         std::vector<Route>* routes) {
  Route route;
  route.method = &method;
  route.body = http.body();
  route.access = access;
  route.streaming = method.server_streaming();
  route.grpc_path =
      absl::StrCat("/", method.service()->full_name(), "/", method.name());
  route.cache_account_field =
      method.options().GetExtension(api::v1::cache).account_field();
  const std::pair<const char*, const std::string*> patterns[] = {
      {"GET", &http.get()},     {"POST", &http.post()},
      {"PUT", &http.put()},     {"DELETE", &http.delete_()},
      {"PATCH", &http.patch()},
  };
  for (const auto& [verb, path] : patterns) {
    if (!path->empty()) {
      route.http_method = verb;
      route.path = *path;
    }
  }
  if (route.path.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat(method.full_name(), ": a route without a path"));
  }
  if (absl::Status status = CheckTemplate(method, route.path); !status.ok())
    return status;
  for (absl::string_view segment : Segments(route.path))
    route.segments.emplace_back(segment);
  for (const Route& other : *routes) {
    if (other.http_method == route.http_method && other.path == route.path) {
      return absl::InvalidArgumentError(
          absl::StrCat(method.full_name(), " and ", other.method->full_name(),
                       " both serve ", route.http_method, " ", route.path));
    }
  }
  routes->push_back(route);
  for (const api::v1::HttpRoute& binding : http.additional_bindings()) {
    if (absl::Status status = AddBindings(method, binding, access, routes);
        !status.ok()) {
      return status;
    }
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<RouteTable> RouteTable::FromServices(
    const std::vector<const google::protobuf::ServiceDescriptor*>& services) {
  RouteTable table;
  for (const google::protobuf::ServiceDescriptor* service : services) {
    for (int i = 0; i < service->method_count(); ++i) {
      const MethodDescriptor& method = *service->method(i);
      if (!method.options().HasExtension(api::v1::http)) continue;
      if (!method.options().HasExtension(api::v1::access) ||
          method.options().GetExtension(api::v1::access).access() ==
              api::v1::ACCESS_UNSPECIFIED) {
        return absl::InvalidArgumentError(absl::StrCat(
            method.full_name(), " has a route but no access rule"));
      }
      const api::v1::AccessRule& access =
          method.options().GetExtension(api::v1::access);
      if (access.access() == api::v1::ACCESS_OWNER &&
          method.input_type()->FindFieldByName(access.owner_field()) ==
              nullptr) {
        return absl::InvalidArgumentError(
            absl::StrCat(method.full_name(), ": owner field \"",
                         access.owner_field(), "\" is not a request field"));
      }
      const std::string& cache_field =
          method.options().GetExtension(api::v1::cache).account_field();
      if (!cache_field.empty()) {
        const google::protobuf::FieldDescriptor* field =
            method.input_type()->FindFieldByName(cache_field);
        if (field == nullptr || field->is_repeated() ||
            field->type() != google::protobuf::FieldDescriptor::TYPE_STRING) {
          return absl::InvalidArgumentError(
              absl::StrCat(method.full_name(), ": cache account field \"",
                           cache_field, "\" is not a string request field"));
        }
      }
      if (absl::Status status =
              AddBindings(method, method.options().GetExtension(api::v1::http),
                          access, &table.routes_);
          !status.ok()) {
        return status;
      }
    }
  }
  return table;
}

absl::StatusOr<RouteMatch> RouteTable::Match(absl::string_view http_method,
                                             absl::string_view path) const {
  if (!absl::StartsWith(path, "/")) {
    return absl::NotFoundError(absl::StrCat("no route for \"", path, "\""));
  }
  const std::vector<absl::string_view> segments = Segments(path);
  for (const Route& route : routes_) {
    if (route.http_method != http_method) continue;
    std::optional<RouteMatch> match = MatchPath(route, segments);
    if (match.has_value()) return *std::move(match);
  }
  if (const std::vector<std::string> allowed = AllowedMethods(path);
      !allowed.empty()) {
    return absl::FailedPreconditionError(
        absl::StrCat(http_method, " is not served on ", path, "; it takes ",
                     absl::StrJoin(allowed, ", ")));
  }
  return absl::NotFoundError(absl::StrCat("no route for ", path));
}

std::vector<std::string> RouteTable::AllowedMethods(
    absl::string_view path) const {
  std::vector<std::string> allowed;
  if (!absl::StartsWith(path, "/")) return allowed;
  const std::vector<absl::string_view> segments = Segments(path);
  for (const Route& route : routes_) {
    if (MatchPath(route, segments).has_value())
      allowed.push_back(route.http_method);
  }
  return allowed;
}

std::optional<RouteMatch> RouteTable::MatchPath(
    const Route& route, const std::vector<absl::string_view>& segments) {
  const std::vector<std::string>& pattern = route.segments;
  if (pattern.size() != segments.size()) return std::nullopt;
  RouteMatch match{.route = &route};
  for (size_t i = 0; i < pattern.size(); ++i) {
    if (!IsField(pattern[i])) {
      if (pattern[i] != segments[i]) return std::nullopt;
    } else if (segments[i].empty()) {
      return std::nullopt;
    } else {
      match.path_fields[std::string(pattern[i].substr(
          1, pattern[i].size() - 2))] = std::string(segments[i]);
    }
  }
  return match;
}

}  // namespace chainsync::gateway
