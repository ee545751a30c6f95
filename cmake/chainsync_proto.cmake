# chainsync_proto_library(<name> PROTOS <files...> [DEPS <targets...>] [GRPC])
#
# Generates C++ (and, with GRPC, gRPC service) code for the .proto files of one
# package and wraps it in a library target `<name>` with the alias
# `chainsync::<name>`. Proto paths are relative to proto/, so generated headers
# are included as "chainsync/<service>/v1/<file>.pb.h".
set(CHAINSYNC_PROTO_ROOT "${PROJECT_SOURCE_DIR}/proto")
set(CHAINSYNC_PROTO_OUT "${PROJECT_BINARY_DIR}/proto_gen")
file(MAKE_DIRECTORY "${CHAINSYNC_PROTO_OUT}")

function(chainsync_proto_library name)
  cmake_parse_arguments(ARG "GRPC" "" "PROTOS;DEPS" ${ARGN})
  set(sources)
  foreach(proto IN LISTS ARG_PROTOS)
    get_filename_component(abs "${proto}" ABSOLUTE)
    file(RELATIVE_PATH rel "${CHAINSYNC_PROTO_ROOT}" "${abs}")
    string(REGEX REPLACE "\\.proto$" "" stem "${rel}")
    set(outputs "${CHAINSYNC_PROTO_OUT}/${stem}.pb.cc" "${CHAINSYNC_PROTO_OUT}/${stem}.pb.h")
    set(plugin_args)
    if(ARG_GRPC)
      list(APPEND outputs "${CHAINSYNC_PROTO_OUT}/${stem}.grpc.pb.cc"
                          "${CHAINSYNC_PROTO_OUT}/${stem}.grpc.pb.h")
      set(plugin_args "--grpc_out=${CHAINSYNC_PROTO_OUT}"
                      "--plugin=protoc-gen-grpc=$<TARGET_FILE:gRPC::grpc_cpp_plugin>")
    endif()
    add_custom_command(
      OUTPUT ${outputs}
      COMMAND protobuf::protoc
              "--proto_path=${CHAINSYNC_PROTO_ROOT}"
              "--cpp_out=${CHAINSYNC_PROTO_OUT}" ${plugin_args} "${abs}"
      DEPENDS "${abs}" protobuf::protoc
      COMMENT "protoc ${rel}"
      VERBATIM)
    list(APPEND sources ${outputs})
  endforeach()
  add_library(${name} ${sources})
  add_library(chainsync::${name} ALIAS ${name})
  target_include_directories(${name} SYSTEM PUBLIC "${CHAINSYNC_PROTO_OUT}")
  target_link_libraries(${name} PUBLIC protobuf::libprotobuf ${ARG_DEPS})
  if(ARG_GRPC)
    target_link_libraries(${name} PUBLIC gRPC::grpc++)
  endif()
endfunction()
