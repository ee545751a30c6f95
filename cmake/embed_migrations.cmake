# Script mode helper of chainsync_migrations() in chainsync_service.cmake: writes a header and a source
# holding the SQL files as byte arrays (hex, so no quoting can break them).
string(SUBSTRING "${SCHEMA}" 0 1 first)
string(TOUPPER "${first}" first)
string(SUBSTRING "${SCHEMA}" 1 -1 rest)
set(fn "${first}${rest}Migrations")

file(WRITE "${HEADER}" "// Generated from services/${SCHEMA}/migrations; do not edit.
#pragma once

#include <vector>

#include \"libs/common/postgres/migrations.h\"

namespace chainsync::${SCHEMA} {

// The numbered migrations of the ${SCHEMA} schema, in order.
const std::vector<Migration>& ${fn}();

}  // namespace chainsync::${SCHEMA}
")

set(body "")
set(entries "")
set(i 0)
foreach(f IN LISTS FILES)
  get_filename_component(name "${f}" NAME)
  file(READ "${f}" hex HEX)
  string(LENGTH "${hex}" hex_len)
  math(EXPR size "${hex_len} / 2")
  string(REGEX REPLACE "([0-9a-f][0-9a-f])" "0x\\1," bytes "${hex}")
  string(APPEND body "constexpr char kFile${i}[] = {${bytes}};\n")
  string(APPEND entries "      {\"${name}\", std::string(kFile${i}, ${size})},\n")
  math(EXPR i "${i} + 1")
endforeach()

file(WRITE "${SOURCE}" "// Generated from services/${SCHEMA}/migrations; do not edit.
#include \"${SCHEMA}_migrations.h\"

#include <string>

namespace chainsync::${SCHEMA} {
namespace {
${body}}  // namespace

const std::vector<Migration>& ${fn}() {
  static const auto* migrations = new std::vector<Migration>{
${entries}  };
  return *migrations;
}

}  // namespace chainsync::${SCHEMA}
")
