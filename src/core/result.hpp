#pragma once

#include <tl/expected.hpp>

#include "core/error.hpp"

namespace convene {

/// Every fallible function returns Result<T>. Switch to std::expected when the toolchain has C++23.
template <class T>
using Result = tl::expected<T, Error>;

inline tl::unexpected<Error> Fail(Error e) { return tl::unexpected<Error>(std::move(e)); }

}  // namespace convene
