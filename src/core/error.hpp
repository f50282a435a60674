#pragma once

#include <string>
#include <utility>
#include <vector>

namespace convene {

/// Protocol-agnostic failure categories (Abseil's canonical vocabulary). The HTTP layer maps them
/// to statuses in exactly one place (src/http/error_mapping.cpp).
enum class ErrorCode {
  kInvalidArgument,     // 400 (malformed body, bad secret, ...)
  kValidation,          // 422 with field details
  kUnauthenticated,     // 401
  kPermissionDenied,    // 403
  kNotFound,            // 404
  kAlreadyExists,       // 409
  kFailedPrecondition,  // 409 (closed room, deletion policy conflicts)
  kResourceExhausted,   // 429
  kUnavailable,         // 503 (LiveKit, store, Redis down)
  kDeadlineExceeded,    // 504
  kInternal,            // 500
};

/// One field-level validation problem, reported as `details[{field, message}]`.
struct FieldError {
  std::string field;
  std::string message;
};

/// The single error type of Convene. `name` is the reference's error name ("Room Error",
/// "Participant Error", a deletion error code, ...) and `message` its text, both sent to clients
/// verbatim, so neither may ever contain a secret.
struct Error {
  ErrorCode code = ErrorCode::kInternal;
  std::string name;
  std::string message;
  std::vector<FieldError> details;
  /// Machine-readable cause for callers that branch on it (e.g. "twirp:not_found", "transport",
  /// "deadline"); never shown to clients.
  std::string reason;

  static Error Make(ErrorCode code, std::string name, std::string message) {
    return Error{code, std::move(name), std::move(message), {}, {}};
  }
  static Error Validation(std::vector<FieldError> details) {
    return Error{ErrorCode::kValidation, "Unprocessable Entity", "Invalid request",
                 std::move(details), {}};
  }
  static Error Validation(std::string field, std::string message) {
    return Validation({FieldError{std::move(field), std::move(message)}});
  }
  static Error Internal(std::string message) {
    return Error{ErrorCode::kInternal, "Internal Server Error", std::move(message), {}, {}};
  }
  static Error Unavailable(std::string name, std::string message) {
    return Error{ErrorCode::kUnavailable, std::move(name), std::move(message), {}, {}};
  }
};

}  // namespace convene
