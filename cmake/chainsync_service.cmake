# chainsync_migrations(<target> <schema> <dir>)
#
# Embeds the numbered migrations <dir>/NNNN_<what>.sql of a service into a
# library target, so that a binary carries its schema and needs no files at
# run time. The generated source defines
#   const std::vector<chainsync::Migration>& <Schema>Migrations()
# in namespace chainsync::<schema>, declared in the generated header
# "<schema>_migrations.h". Adding or editing a file re-runs the generation.
function(chainsync_migrations target schema dir)
  file(GLOB files CONFIGURE_DEPENDS "${dir}/*.sql")
  list(SORT files)
  set(out_dir "${CMAKE_CURRENT_BINARY_DIR}/migrations_gen")
  set(header "${out_dir}/${schema}_migrations.h")
  set(source "${out_dir}/${schema}_migrations.cc")
  add_custom_command(
    OUTPUT "${header}" "${source}"
    COMMAND "${CMAKE_COMMAND}" "-DSCHEMA=${schema}" "-DHEADER=${header}"
            "-DSOURCE=${source}" "-DFILES=${files}"
            -P "${PROJECT_SOURCE_DIR}/cmake/embed_migrations.cmake"
    DEPENDS ${files} "${PROJECT_SOURCE_DIR}/cmake/embed_migrations.cmake"
    COMMENT "embedding ${schema} migrations"
    VERBATIM)
  target_sources(${target} PRIVATE "${source}" "${header}")
  target_include_directories(${target} PUBLIC "${out_dir}")
endfunction()

# chainsync_backend(<name>)
#
# A backend service: the library `<name>` (alias chainsync::<name>) with its
# embedded migrations for the schema `<name>` and its gRPC contract, and the
# binary chainsync-<name> from main.cc. Add the service's logic to the library
# with target_sources().
function(chainsync_backend name)
  add_library(${name} STATIC)
  add_library(chainsync::${name} ALIAS ${name})
  chainsync_migrations(${name} ${name} "${CMAKE_CURRENT_SOURCE_DIR}/migrations")
  target_link_libraries(${name}
    PUBLIC chainsync::service chainsync::grpc chainsync::${name}_v1_proto)
  add_executable(chainsync-${name} main.cc)
  target_link_libraries(chainsync-${name} PRIVATE chainsync::${name})
endfunction()
