# convene_embed_text(<output.cpp> <namespace> <function> <input file>)
# Generates a translation unit defining `std::string_view <namespace>::<function>()` that returns the
# file's contents, so documents ship inside the binary. Re-runs when the input changes.
function(convene_embed_text output namespace function input)
  file(READ "${input}" content)
  set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS "${input}")
  file(CONFIGURE OUTPUT "${output}" CONTENT
"// Generated from ${input}; do not edit.
#include <string_view>
namespace ${namespace} {
std::string_view ${function}() {
  static constexpr std::string_view kText = R\"EMBEDDED(@content@)EMBEDDED\";
  return kText;
}
}  // namespace ${namespace}
" @ONLY)
endfunction()
