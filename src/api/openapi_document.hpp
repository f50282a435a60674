#pragma once

#include <string_view>

namespace convene::api {

/// docs/openapi.yaml, embedded at build time (cmake/EmbedFile.cmake) so the binary needs no files.
std::string_view OpenApiYaml();
/// A self-contained HTML page that renders the document without any network access.
std::string_view OpenApiViewerHtml();

}  // namespace convene::api
