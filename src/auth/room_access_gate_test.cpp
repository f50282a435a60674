#include "auth/room_access_gate.hpp"

#include <gtest/gtest.h>

#include "api/settings_test_fixture.hpp"
#include "service/participant_service.hpp"

namespace convene::auth {
namespace {

using domain::ParticipantRole;
using store::AuthModeToAccessRoom;

TEST(RoomAccessRequirement, FollowsAuthModeToAccessRoom) {
  EXPECT_EQ(RequirementFor(AuthModeToAccessRoom::kNone, ParticipantRole::kModerator),
            RoomAccessRequirement::kAnyone);
  EXPECT_EQ(RequirementFor(AuthModeToAccessRoom::kNone, ParticipantRole::kSpeaker),
            RoomAccessRequirement::kAnyone);
  EXPECT_EQ(RequirementFor(AuthModeToAccessRoom::kModeratorsOnly, ParticipantRole::kModerator),
            RoomAccessRequirement::kLoggedInUser);
  EXPECT_EQ(RequirementFor(AuthModeToAccessRoom::kModeratorsOnly, ParticipantRole::kSpeaker),
            RoomAccessRequirement::kAnyone);
  EXPECT_EQ(RequirementFor(AuthModeToAccessRoom::kAllUsers, ParticipantRole::kModerator),
            RoomAccessRequirement::kLoggedInUser);
  EXPECT_EQ(RequirementFor(AuthModeToAccessRoom::kAllUsers, ParticipantRole::kSpeaker),
            RoomAccessRequirement::kLoggedInUser);
}

class RoomAccessGateTest : public test::SettingsFixture {
 protected:
  void SetMode(AuthModeToAccessRoom mode) {
    store::SecurityConfig security = settings.Config().security;
    security.auth_mode_to_access_room = mode;
    ASSERT_TRUE(Run(settings.UpdateSecurity(security)));
  }
  static service::RoomAccess Access(ParticipantRole role) {
    service::RoomAccess access;
    access.room.room_id = "Room-1";
    access.role = role;
    return access;
  }
  Result<void> Check(const http::Request& req, ParticipantRole role) const {
    return gate.Check(req, Access(role));
  }

  AuthModeRoomAccessGate gate{authenticator,
                              [this] { return settings.auth_mode_to_access_room(); }};
};

TEST_F(RoomAccessGateTest, NoneLetsAnyoneIn) {
  http::Request anonymous = Req();
  EXPECT_TRUE(Check(anonymous, ParticipantRole::kModerator));
  EXPECT_TRUE(Check(anonymous, ParticipantRole::kSpeaker));
  http::Request garbage = Req();
  garbage.headers.emplace_back("authorization", "Bearer garbage");
  EXPECT_TRUE(Check(garbage, ParticipantRole::kModerator));
}

TEST_F(RoomAccessGateTest, ModeratorsOnly) {
  SetMode(AuthModeToAccessRoom::kModeratorsOnly);
  http::Request anonymous = Req();
  auto refused = Check(anonymous, ParticipantRole::kModerator);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, ErrorCode::kUnauthenticated);
  EXPECT_EQ(refused.error().message, "Unauthorized");
  EXPECT_TRUE(Check(anonymous, ParticipantRole::kSpeaker));
  http::Request admin = AsAdmin();
  EXPECT_TRUE(Check(admin, ParticipantRole::kModerator));
}

TEST_F(RoomAccessGateTest, AllUsersAndTheAccessTokenFailures) {
  SetMode(AuthModeToAccessRoom::kAllUsers);
  http::Request admin = AsAdmin();
  EXPECT_TRUE(Check(admin, ParticipantRole::kSpeaker));
  EXPECT_TRUE(Check(admin, ParticipantRole::kModerator));

  http::Request anonymous = Req();
  EXPECT_EQ(Check(anonymous, ParticipantRole::kSpeaker).error().message, "Unauthorized");

  http::Request bad = Req();
  bad.headers.emplace_back("authorization", "Bearer garbage");
  auto invalid = Check(bad, ParticipantRole::kSpeaker);
  ASSERT_FALSE(invalid);
  EXPECT_EQ(invalid.error().code, ErrorCode::kUnauthenticated);
  EXPECT_EQ(invalid.error().message, "Invalid token");

  http::Request ghost = Req();
  ghost.headers.emplace_back(
      "authorization",
      "Bearer " + user_tokens.Mint(UserTokenType::kAccess, "ghost", {"admin", "user"}));
  auto subject = Check(ghost, ParticipantRole::kSpeaker);
  ASSERT_FALSE(subject);
  EXPECT_EQ(subject.error().code, ErrorCode::kPermissionDenied);
  EXPECT_EQ(subject.error().message, "Invalid token subject");

  // A participant token, even one whose identity is the admin's name, is not a login.
  tokens::ParticipantClaims c;
  c.room_id = "Room-1";
  c.identity = "admin";
  c.roles = {ParticipantRole::kModerator};
  http::Request participant = Req();
  participant.headers.emplace_back("authorization", "Bearer " + participant_tokens.Mint(c));
  EXPECT_EQ(Check(participant, ParticipantRole::kSpeaker).error().message, "Invalid token");
}

TEST_F(RoomAccessGateTest, CookieModeLogin) {
  SetMode(AuthModeToAccessRoom::kModeratorsOnly);
  UseCookies();
  http::Request cookie = AsAdmin();
  EXPECT_TRUE(Check(cookie, ParticipantRole::kModerator));
  http::Request header = Req();
  header.headers.emplace_back("authorization", "Bearer " + AdminAccess());
  EXPECT_FALSE(Check(header, ParticipantRole::kModerator));
}

}  // namespace
}  // namespace convene::auth
