#pragma once

#include <optional>
#include <string>
#include <vector>

#include "tokens/participant_token.hpp"

namespace convene::auth {

/// Who made a request, once a validator admitted it (reference §3.3, §9.1).
struct Principal {
  enum class Kind { kApiKey, kUser, kParticipant, kAnonymous };
  Kind kind = Kind::kAnonymous;
  std::string username;            // "api-user", the admin's name, or "anonymous"
  std::vector<std::string> roles;  // "app", "admin", "user"
  /// Participant principals: the verified token and the role chosen with x-participant-role.
  std::optional<tokens::ParticipantClaims> participant;
  domain::ParticipantRole participant_role = domain::ParticipantRole::kSpeaker;
};

}  // namespace convene::auth
