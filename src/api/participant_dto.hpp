#pragma once

#include <boost/json/value.hpp>

#include "core/result.hpp"
#include "service/participant_service.hpp"

namespace convene::api {

/// `{roomId, secret, participantName?, participantIdentity?}` (reference §10.2, deviations §3.1):
/// roomId 1..100 characters then sanitised; secret a non-empty string; participantName at most
/// 256 bytes (an empty one means "no name"); participantIdentity an optional string. Unknown keys
/// are dropped; every problem is reported in one 422.
Result<service::ParticipantTokenRequest> ParseParticipantTokenRequest(const boost::json::value& body);

/// `{"role": "moderator" | "speaker"}`.
Result<domain::ParticipantRole> ParseRoleBody(const boost::json::value& body);

}  // namespace convene::api
