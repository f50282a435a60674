#pragma once

#include <functional>

#include "auth/authenticator.hpp"
#include "domain/participant_role.hpp"
#include "store/settings_store.hpp"

namespace convene::service {
struct RoomAccess;
}

namespace convene::auth {

/// Decides whether a token request needs a logged-in user (authModeToAccessRoom, reference §10.3).
/// The interface the participant-token routes depend on; AuthModeRoomAccessGate is the real one.
class RoomAccessGate {
 public:
  virtual ~RoomAccessGate() = default;
  virtual Result<void> Check(const http::Request& request, const service::RoomAccess& access) const = 0;
};

/// Every room is `none` (anyone with a secret), the reference's default.
class OpenRoomAccessGate final : public RoomAccessGate {
 public:
  Result<void> Check(const http::Request&, const service::RoomAccess&) const override { return {}; }
};

/// Which validator a participant-token request must pass (reference §9.6, §10.3 step 3).
enum class RoomAccessRequirement { kAnyone, kLoggedInUser };

/// none → anyone; moderators_only → a logged-in user for the moderator role, anyone for speaker;
/// all_users → a logged-in user.
RoomAccessRequirement RequirementFor(store::AuthModeToAccessRoom mode,
                                     domain::ParticipantRole role);

/// The real gate of `POST /internal-api/v1/participants/token[/refresh]`: reads
/// authModeToAccessRoom (cached, no I/O) and, when a logged-in user is required, runs the USER
/// validator, whose failures are those of §3.1: no token → 401 `Unauthorized`; bad, expired or
/// non-access token → 401 `Invalid token`; unknown subject → 403 `Invalid token subject`; user
/// without role `user` → 403 `Insufficient permissions to access this resource`.
/// The role is the one the secret (or participant-scoped role grant) resolved to.
///
/// Compiled into convene_api rather than convene_auth: it reads service::RoomAccess, and the service
/// layer links convene_auth.
class AuthModeRoomAccessGate final : public RoomAccessGate {
 public:
  AuthModeRoomAccessGate(const Authenticator& auth,
                         std::function<store::AuthModeToAccessRoom()> mode)
      : auth_(auth), mode_(std::move(mode)) {}

  Result<void> Check(const http::Request& request,
                     const service::RoomAccess& access) const override;

 private:
  const Authenticator& auth_;
  std::function<store::AuthModeToAccessRoom()> mode_;
};

}  // namespace convene::auth
