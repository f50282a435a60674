#include "tokens/role_grant.hpp"

#include <gtest/gtest.h>

namespace convene::tokens {
namespace {

using domain::ParticipantRole;

TEST(RoleGrant, RoundTripsForItsRoomAndIdentity) {
  ManualClock clock(1'000'000);
  RoleGrantCodec codec("secret", 600, clock);
  const std::string grant = codec.Issue("room-1", "Alice", ParticipantRole::kModerator, 7);
  EXPECT_TRUE(RoleGrantCodec::LooksLikeGrant(grant));
  auto verified = codec.Verify(grant);
  ASSERT_TRUE(verified);
  EXPECT_EQ(verified->room_id, "room-1");
  EXPECT_EQ(verified->identity, "Alice");
  EXPECT_EQ(verified->role, ParticipantRole::kModerator);
  EXPECT_EQ(verified->version, 7u);
}

TEST(RoleGrant, ExpiresAndCannotBeForgedOrAltered) {
  ManualClock clock(1'000'000);
  RoleGrantCodec codec("secret", 600, clock);
  RoleGrantCodec other("other-secret", 600, clock);
  const std::string grant = codec.Issue("room-1", "Alice", ParticipantRole::kSpeaker, 0);
  EXPECT_FALSE(other.Verify(grant));
  std::string altered = grant;
  altered[6] = altered[6] == 'A' ? 'B' : 'A';
  EXPECT_FALSE(codec.Verify(altered));
  EXPECT_FALSE(codec.Verify("0123456789"));
  EXPECT_FALSE(codec.Verify("rg1."));
  EXPECT_FALSE(codec.Verify("rg1.x.y"));
  clock.Advance(601 * 1000);
  EXPECT_FALSE(codec.Verify(grant));
  // Expired is still authentic: the participant service accepts that only for a refresh of the
  // identity it names, at the registry's current grant version.
  EXPECT_TRUE(codec.Verify(grant, RoleGrantCodec::Expiry::kAllowExpired));
  EXPECT_FALSE(codec.Verify(altered, RoleGrantCodec::Expiry::kAllowExpired));
}

TEST(RoleGrant, IsNotARoomSecret) {
  EXPECT_FALSE(RoleGrantCodec::LooksLikeGrant("0f1e2d3c4b"));
}

}  // namespace
}  // namespace convene::tokens
