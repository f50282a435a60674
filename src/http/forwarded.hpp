#pragma once

#include <string>
#include <string_view>

#include "http/request.hpp"

namespace convene::http {

/// The value of a comma-separated `X-Forwarded-*` list that the outermost of `trusted_hops`
/// proxies wrote: each proxy appends what it saw to the right, so entries left of that one came
/// from the client and prove nothing. This is Express's `trust proxy` with a hop count: the entry
/// `trusted_hops` places from the right, or the leftmost when the list is shorter (every entry was
/// written by a trusted proxy). Every header line counts, in order, as one list (RFC 9110 §5.3),
/// so a proxy that adds a line rather than extending the first is read the same way. Entries are
/// trimmed of spaces and tabs; "" when the header is absent or `trusted_hops` is 0.
std::string ForwardedValue(const Request& request, std::string_view lower_name,
                           unsigned trusted_hops);

}  // namespace convene::http
