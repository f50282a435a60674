#include "api/participant_dto.hpp"

#include "api/json_reader.hpp"
#include "api/room_dto.hpp"
#include "domain/display_name.hpp"
#include "domain/name_characters.hpp"

namespace convene::api {

namespace {

// Deviations §3.1: names that would display as something else, or break lines, are refused.
std::string_view NameFlawMessage(domain::NameFlaw flaw) {
  switch (flaw) {
    case domain::NameFlaw::kInvalidUtf8:
      return "participantName must be valid UTF-8";
    case domain::NameFlaw::kControlCharacter:
      return "participantName cannot contain control characters";
    case domain::NameFlaw::kBidiControl:
      return "participantName cannot contain bidirectional override or isolate characters";
  }
  return "participantName is invalid";
}

}  // namespace

Result<service::ParticipantTokenRequest> ParseParticipantTokenRequest(const boost::json::value& body) {
  JsonReader reader;
  if (!reader.ExpectObject(body, "")) return Fail(reader.ToError());
  service::ParticipantTokenRequest out;
  if (auto room_id = reader.String(body, "roomId", "roomId", true)) {
    auto sanitized = ParseRoomIdParam(*room_id);
    if (sanitized) {
      out.room_id = std::move(*sanitized);
    } else {
      for (const auto& d : sanitized.error().details) reader.AddError(d.field, d.message);
    }
  }
  if (auto secret = reader.String(body, "secret", "secret", true)) {
    if (secret->empty()) {
      reader.AddError("secret", "Secret is required");
    } else {
      out.secret = std::move(*secret);
    }
  }
  if (auto name = reader.String(body, "participantName", "participantName", false); name && !name->empty()) {
    if (name->size() > domain::kMaxDisplayNameBytes) {
      reader.AddError("participantName", "participantName cannot exceed 256 characters");
    } else if (auto flaw = domain::FindNameFlaw(*name)) {
      reader.AddError("participantName", std::string(NameFlawMessage(*flaw)));
    } else {
      out.name = std::move(*name);
    }
  }
  if (auto identity = reader.String(body, "participantIdentity", "participantIdentity", false);
      identity && !identity->empty()) {
    if (identity->size() > domain::kMaxDisplayNameBytes) {
      reader.AddError("participantIdentity", "participantIdentity cannot exceed 256 characters");
    } else {
      out.identity = std::move(*identity);
    }
  }
  if (!reader.ok()) return Fail(reader.ToError());
  return out;
}

Result<domain::ParticipantRole> ParseRoleBody(const boost::json::value& body) {
  JsonReader reader;
  if (!reader.ExpectObject(body, "")) return Fail(reader.ToError());
  auto role = reader.Enum(body, "role", "role", true, {"moderator", "speaker"});
  if (!reader.ok() || !role) return Fail(reader.ToError());
  return *domain::ParseParticipantRole(*role);
}

}  // namespace convene::api
