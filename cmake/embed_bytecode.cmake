# Script mode helper of contracts/CMakeLists.txt: writes a source defining
# PerAccountReaderCode(), the hex creation code solcjs wrote to BIN.
file(READ "${BIN}" hex)
string(STRIP "${hex}" hex)
file(WRITE "${SOURCE}" "// Generated from PerAccountReader.sol; do not edit.
#include \"contracts/deploy/per_account_calls.h\"

namespace chainsync::contracts {

absl::string_view PerAccountReaderCode() {
  return \"${hex}\";
}

}  // namespace chainsync::contracts
")
