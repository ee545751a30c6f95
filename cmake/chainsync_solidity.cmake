# chainsync_solidity(<target> SOURCE_DIR <dir> OUTPUT_DIR <dir> CONTRACTS <name>...)
# compiles <dir>/<name>.sol with solcjs (npm package solc, installed into
# node_modules by scripts/install-deps.sh) into <OUTPUT_DIR>/<name>_sol_<name>
# .abi and .bin, built by the target <target>.
function(chainsync_solidity target)
  cmake_parse_arguments(ARG "" "SOURCE_DIR;OUTPUT_DIR" "CONTRACTS" ${ARGN})
  set(solcjs "${PROJECT_SOURCE_DIR}/node_modules/.bin/solcjs")
  set(sources)
  set(artifacts)
  foreach(contract IN LISTS ARG_CONTRACTS)
    list(APPEND sources "${ARG_SOURCE_DIR}/${contract}.sol")
    list(APPEND artifacts
      "${ARG_OUTPUT_DIR}/${contract}_sol_${contract}.abi"
      "${ARG_OUTPUT_DIR}/${contract}_sol_${contract}.bin")
  endforeach()
  add_custom_command(
    OUTPUT ${artifacts}
    COMMAND "${CMAKE_COMMAND}" -E make_directory "${ARG_OUTPUT_DIR}"
    COMMAND "${solcjs}" --bin --abi --optimize
            --base-path "${ARG_SOURCE_DIR}"
            -o "${ARG_OUTPUT_DIR}" ${sources}
    DEPENDS ${sources}
    COMMENT "solcjs: compiling ${ARG_CONTRACTS}"
    VERBATIM)
  add_custom_target(${target} ALL DEPENDS ${artifacts})
endfunction()
