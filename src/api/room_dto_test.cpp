#include "api/room_dto.hpp"

#include <gtest/gtest.h>

#include <random>
#include <string>
#include <utility>
#include <vector>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include "domain/room_json.hpp"

namespace convene::api {
namespace {

namespace json = boost::json;
using domain::RecordingAccess;
using domain::WithMeetingPolicy;
using domain::WithRecordingsPolicy;
using IssueList = std::vector<std::pair<std::string, std::string>>;

constexpr std::int64_t kNow = 1'760'000'000'000;
constexpr std::int64_t kHour = 3'600'000;

template <class T>
IssueList Issues(const Result<T>& result) {
  IssueList out;
  if (result) return out;
  EXPECT_EQ(result.error().code, ErrorCode::kValidation);
  EXPECT_EQ(result.error().name, "Unprocessable Entity");
  EXPECT_EQ(result.error().message, "Invalid request");
  for (const FieldError& e : result.error().details) out.emplace_back(e.field, e.message);
  return out;
}

Result<CreateRoomRequest> Create(std::string_view body) {
  return ParseCreateRoomRequest(json::parse(body), kNow, kHour);
}

// --- POST /rooms -------------------------------------------------------------------------------

TEST(ParseCreateRoomRequest, EmptyBodyGetsReferenceDefaults) {
  const auto r = Create("{}");
  ASSERT_TRUE(r) << Issues(r).size();
  EXPECT_EQ(r->room_name, "Room");
  EXPECT_EQ(r->auto_deletion_date, std::nullopt);
  EXPECT_EQ(r->auto_deletion_policy.with_meeting, WithMeetingPolicy::kWhenMeetingEnds);
  EXPECT_EQ(r->auto_deletion_policy.with_recordings, WithRecordingsPolicy::kClose);
  EXPECT_EQ(r->config, domain::RoomConfig{});
  EXPECT_EQ(r->config.recording_allow_access_to, RecordingAccess::kAdminModeratorSpeaker);
}

TEST(ParseCreateRoomRequest, FullPayloadIsParsed) {
  const auto r = Create(R"({
    "roomName": "  My Room! ",
    "autoDeletionDate": 1760007200000,
    "autoDeletionPolicy": {"withMeeting": "force", "withRecordings": "force"},
    "config": {"recording": {"enabled": true, "allowAccessTo": "admin_moderator"},
               "chat": {"enabled": false}, "virtualBackground": {"enabled": false},
               "maxParticipants": 25}})");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->room_name, "My Room");
  EXPECT_EQ(r->auto_deletion_date, 1760007200000);
  EXPECT_EQ(r->auto_deletion_policy.with_meeting, WithMeetingPolicy::kForce);
  EXPECT_EQ(r->auto_deletion_policy.with_recordings, WithRecordingsPolicy::kForce);
  EXPECT_TRUE(r->config.recording_enabled);
  EXPECT_EQ(r->config.recording_allow_access_to, RecordingAccess::kAdminModerator);
  EXPECT_FALSE(r->config.chat_enabled);
  EXPECT_FALSE(r->config.virtual_background_enabled);
  EXPECT_EQ(r->config.max_participants, 25u);
}

TEST(ParseCreateRoomRequest, SanitizesRoomNameAndKeepsEmptyResult) {
  EXPECT_EQ(Create(R"({"roomName": " =Example Room&/ "})")->room_name, "Example Room");
  EXPECT_EQ(Create(R"({"roomName": ""})")->room_name, "");
  EXPECT_EQ(Create(R"({"roomName": "!!!"})")->room_name, "");
}

TEST(ParseCreateRoomRequest, RoomNameLengthIsCheckedOnRawUtf16Length) {
  EXPECT_TRUE(Create(R"({"roomName": ")" + std::string(50, 'a') + "\"}"));
  EXPECT_EQ(Issues(Create(R"({"roomName": ")" + std::string(51, 'a') + "\"}")),
            (IssueList{{"roomName", "roomName cannot exceed 50 characters"}}));
  // Removed characters still count: the limit applies before sanitising.
  EXPECT_EQ(Issues(Create(R"({"roomName": "a)" + std::string(50, '!') + "\"}")),
            (IssueList{{"roomName", "roomName cannot exceed 50 characters"}}));
  std::string emoji;
  for (int i = 0; i < 25; ++i) emoji += "\xF0\x9F\x98\x80";  // 2 UTF-16 units each
  EXPECT_TRUE(Create(R"({"roomName": ")" + emoji + "\"}"));
  EXPECT_FALSE(Create(R"({"roomName": ")" + emoji + "\xF0\x9F\x98\x80\"}"));
  std::string accents;
  for (int i = 0; i < 50; ++i) accents += "\xC3\xA9";  // 1 unit each
  EXPECT_TRUE(Create(R"({"roomName": ")" + accents + "\"}"));
}

TEST(ParseCreateRoomRequest, RoomNameMustBeAString) {
  EXPECT_EQ(Issues(Create(R"({"roomName": 12345})")),
            (IssueList{{"roomName", "Expected string, received number"}}));
  EXPECT_EQ(Issues(Create(R"({"roomName": null})")),
            (IssueList{{"roomName", "Expected string, received null"}}));
}

TEST(ParseCreateRoomRequest, NonObjectBodyIsOneRootIssue) {
  EXPECT_EQ(Issues(Create("[]")), (IssueList{{"", "Expected object, received array"}}));
  EXPECT_EQ(Issues(Create(R"("x")")), (IssueList{{"", "Expected object, received string"}}));
  EXPECT_EQ(Issues(Create("null")), (IssueList{{"", "Expected object, received null"}}));
  EXPECT_EQ(Issues(Create("7")), (IssueList{{"", "Expected object, received number"}}));
}

TEST(ParseCreateRoomRequest, AutoDeletionDateMustBeAtLeastOneHourAhead) {
  EXPECT_TRUE(Create(R"({"autoDeletionDate": 1760003600000})"));  // exactly now + 1h
  EXPECT_EQ(Issues(Create(R"({"autoDeletionDate": 1760003599999})")),
            (IssueList{{"autoDeletionDate", "autoDeletionDate must be at least 1h in the future"}}));
}

TEST(ParseCreateRoomRequest, NonPositiveDateReportsBothIssuesLikeZod) {
  const IssueList expected{
      {"autoDeletionDate", "autoDeletionDate must be a positive integer"},
      {"autoDeletionDate", "autoDeletionDate must be at least 1h in the future"}};
  EXPECT_EQ(Issues(Create(R"({"autoDeletionDate": -5})")), expected);
  EXPECT_EQ(Issues(Create(R"({"autoDeletionDate": 0})")), expected);
}

TEST(ParseCreateRoomRequest, AutoDeletionDateRejectsNullAndStrings) {
  EXPECT_EQ(Issues(Create(R"({"autoDeletionDate": null})")),
            (IssueList{{"autoDeletionDate", "Expected number, received null"}}));
  EXPECT_EQ(Issues(Create(R"({"autoDeletionDate": "1760007200000"})")),
            (IssueList{{"autoDeletionDate", "Expected number, received string"}}));
}

TEST(ParseCreateRoomRequest, FractionalDateIsAcceptedAndFloored) {
  const auto r = Create(R"({"autoDeletionDate": 1760007200000.75})");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->auto_deletion_date, 1760007200000);
}

TEST(ParseCreateRoomRequest, DatesBeyondJavaScriptDatesAreRejectedNotChanged) {
  EXPECT_EQ(Issues(Create(R"({"autoDeletionDate": 1e300})")),
            (IssueList{{"autoDeletionDate", "autoDeletionDate must be a valid date"}}));
  const auto largest = Create(R"({"autoDeletionDate": 8.64e15})");
  ASSERT_TRUE(largest);
  EXPECT_EQ(*largest->auto_deletion_date, 8'640'000'000'000'000);
}

TEST(ParseCreateRoomRequest, MinimumFutureIsConfigurableButMessageStaysOneHour) {
  EXPECT_TRUE(ParseCreateRoomRequest(json::parse(R"({"autoDeletionDate": 1760000000000})"), kNow, 0));
  EXPECT_EQ(Issues(ParseCreateRoomRequest(json::parse(R"({"autoDeletionDate": 1759999999999})"),
                                          kNow, 0)),
            (IssueList{{"autoDeletionDate", "autoDeletionDate must be at least 1h in the future"}}));
}

TEST(ParseCreateRoomRequest, PolicyIsStoredEvenWithoutDate) {
  const auto r = Create(R"({"autoDeletionPolicy": {"withMeeting": "force", "withRecordings": "close"}})");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->auto_deletion_date, std::nullopt);
  EXPECT_EQ(r->auto_deletion_policy.with_meeting, WithMeetingPolicy::kForce);
  EXPECT_EQ(r->auto_deletion_policy.with_recordings, WithRecordingsPolicy::kClose);
}

TEST(ParseCreateRoomRequest, FailPoliciesAreRejectedWithTheirPaths) {
  EXPECT_EQ(Issues(Create(R"({"autoDeletionPolicy": {"withMeeting": "fail", "withRecordings": "close"}})")),
            (IssueList{{"autoDeletionPolicy.withMeeting",
                        "FAIL policy is not allowed for withMeeting auto-deletion policy"}}));
  EXPECT_EQ(Issues(Create(R"({"autoDeletionPolicy": {"withMeeting": "force", "withRecordings": "fail"}})")),
            (IssueList{{"autoDeletionPolicy.withRecordings",
                        "FAIL policy is not allowed for withRecordings auto-deletion policy"}}));
  EXPECT_EQ(Issues(Create(R"({"autoDeletionPolicy": {"withMeeting": "fail", "withRecordings": "fail"}})")),
            (IssueList{{"autoDeletionPolicy.withMeeting",
                        "FAIL policy is not allowed for withMeeting auto-deletion policy"},
                       {"autoDeletionPolicy.withRecordings",
                        "FAIL policy is not allowed for withRecordings auto-deletion policy"}}));
}

TEST(ParseCreateRoomRequest, InvalidPolicyValueSuppressesTheFailCheck) {
  // zod skips the refinements when a member failed to parse.
  EXPECT_EQ(Issues(Create(R"({"autoDeletionPolicy": {"withMeeting": "x", "withRecordings": "fail"}})")),
            (IssueList{{"autoDeletionPolicy.withMeeting",
                        "Invalid enum value. Expected 'force' | 'when_meeting_ends' | 'fail', "
                        "received 'x'"}}));
}

TEST(ParseCreateRoomRequest, PolicyMembersAreRequiredAndTyped) {
  EXPECT_EQ(Issues(Create(R"({"autoDeletionPolicy": {}})")),
            (IssueList{{"autoDeletionPolicy.withMeeting", "Required"},
                       {"autoDeletionPolicy.withRecordings", "Required"}}));
  EXPECT_EQ(Issues(Create(R"({"autoDeletionPolicy": {"withMeeting": 5, "withRecordings": true}})")),
            (IssueList{{"autoDeletionPolicy.withMeeting",
                        "Invalid enum value. Expected 'force' | 'when_meeting_ends' | 'fail', "
                        "received '5'"},
                       {"autoDeletionPolicy.withRecordings",
                        "Expected 'force' | 'close' | 'fail', received boolean"}}));
  EXPECT_EQ(Issues(Create(R"({"autoDeletionPolicy": null})")),
            (IssueList{{"autoDeletionPolicy", "Expected object, received null"}}));
}

TEST(ParseCreateRoomRequest, ConfigNeedsAllThreeSections) {
  EXPECT_EQ(Issues(Create(R"({"config": {}})")),
            (IssueList{{"config.recording", "Required"},
                       {"config.chat", "Required"},
                       {"config.virtualBackground", "Required"}}));
  EXPECT_EQ(Issues(Create(R"({"config": {"recording": {"enabled": true}}})")),
            (IssueList{{"config.recording.allowAccessTo",
                        "allowAccessTo is required when recording is enabled"},
                       {"config.chat", "Required"},
                       {"config.virtualBackground", "Required"}}));
}

TEST(ParseCreateRoomRequest, AllowAccessToIsOptionalWhenRecordingIsDisabled) {
  const auto r = Create(R"({"config": {"recording": {"enabled": false}, "chat": {"enabled": true},
                                       "virtualBackground": {"enabled": true}, "extra": 1}})");
  ASSERT_TRUE(r);
  EXPECT_FALSE(r->config.recording_enabled);
  EXPECT_EQ(r->config.recording_allow_access_to, std::nullopt);
  EXPECT_EQ(r->config.max_participants, std::nullopt);
}

TEST(ParseCreateRoomRequest, ConfigMemberTypeErrors) {
  EXPECT_EQ(Issues(Create(R"({"config": {"recording": {"enabled": true, "allowAccessTo": null},
                                         "chat": {"enabled": "x"}, "virtualBackground": null}})")),
            (IssueList{{"config.recording.allowAccessTo",
                        "Expected 'admin' | 'admin_moderator' | 'admin_moderator_speaker', "
                        "received null"},
                       {"config.chat.enabled", "Expected boolean, received string"},
                       {"config.virtualBackground", "Expected object, received null"}}));
  EXPECT_EQ(Issues(Create(R"({"config": {"recording": {"enabled": true, "allowAccessTo": "all"},
                                         "chat": {"enabled": true},
                                         "virtualBackground": {"enabled": null}}})")),
            (IssueList{{"config.recording.allowAccessTo",
                        "Invalid enum value. Expected 'admin' | 'admin_moderator' | "
                        "'admin_moderator_speaker', received 'all'"},
                       {"config.virtualBackground.enabled", "Expected boolean, received null"}}));
  EXPECT_EQ(Issues(Create(R"({"config": "y"})")),
            (IssueList{{"config", "Expected object, received string"}}));
}

std::string ConfigWithMax(std::string_view max) {
  return R"({"config": {"recording": {"enabled": false}, "chat": {"enabled": true},
                        "virtualBackground": {"enabled": true}, "maxParticipants": )" +
         std::string(max) + "}}";
}

TEST(ParseCreateRoomRequest, MaxParticipantsAcceptsIntegersFromOneToThousand) {
  EXPECT_EQ(Create(ConfigWithMax("1"))->config.max_participants, 1u);
  EXPECT_EQ(Create(ConfigWithMax("1000"))->config.max_participants, 1000u);
  EXPECT_EQ(Create(ConfigWithMax("7.0"))->config.max_participants, 7u);
}

TEST(ParseCreateRoomRequest, MaxParticipantsOutOfRangeOrFractionalIsRejected) {
  const IssueList range{
      {"config.maxParticipants", "maxParticipants must be an integer between 1 and 1000"}};
  for (const char* v : {"0", "-1", "1001", "2.5", "1e12"}) {
    EXPECT_EQ(Issues(Create(ConfigWithMax(v))), range) << v;
  }
  EXPECT_EQ(Issues(Create(ConfigWithMax("null"))),
            (IssueList{{"config.maxParticipants", "Expected number, received null"}}));
  EXPECT_EQ(Issues(Create(ConfigWithMax("\"10\""))),
            (IssueList{{"config.maxParticipants", "Expected number, received string"}}));
}

TEST(ParseCreateRoomRequest, CollectsEveryIssueInSchemaOrder) {
  EXPECT_EQ(Issues(Create(R"({"config": "y", "autoDeletionDate": "x", "roomName": 5,
                              "autoDeletionPolicy": {"withMeeting": "fail", "withRecordings": "close"}})")),
            (IssueList{{"roomName", "Expected string, received number"},
                       {"autoDeletionDate", "Expected number, received string"},
                       {"autoDeletionPolicy.withMeeting",
                        "FAIL policy is not allowed for withMeeting auto-deletion policy"},
                       {"config", "Expected object, received string"}}));
}

// --- PUT /rooms/{id}/config and /status ----------------------------------------------------------

TEST(ParseRoomConfigBody, ReadsWrappedConfig) {
  const auto r = ParseRoomConfigBody(json::parse(
      R"({"config": {"recording": {"enabled": true, "allowAccessTo": "admin"},
                     "chat": {"enabled": false}, "virtualBackground": {"enabled": true},
                     "maxParticipants": 3}})"));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->recording_allow_access_to, RecordingAccess::kAdmin);
  EXPECT_FALSE(r->chat_enabled);
  EXPECT_EQ(r->max_participants, 3u);
}

TEST(ParseRoomConfigBody, ConfigIsRequired) {
  EXPECT_EQ(Issues(ParseRoomConfigBody(json::parse("{}"))), (IssueList{{"config", "Required"}}));
  EXPECT_EQ(Issues(ParseRoomConfigBody(json::parse(R"({"recording": {"enabled": true}})"))),
            (IssueList{{"config", "Required"}}));
  EXPECT_EQ(Issues(ParseRoomConfigBody(json::parse("[]"))),
            (IssueList{{"", "Expected object, received array"}}));
}

TEST(ParseRoomConfigBody, AppliesTheSameRulesAsCreate) {
  EXPECT_EQ(Issues(ParseRoomConfigBody(json::parse(
                R"({"config": {"recording": {"enabled": true}, "chat": {"enabled": true}}})"))),
            (IssueList{{"config.recording.allowAccessTo",
                        "allowAccessTo is required when recording is enabled"},
                       {"config.virtualBackground", "Required"}}));
}

TEST(ParseRoomStatusBody, AcceptsOpenAndClosed) {
  EXPECT_EQ(ParseRoomStatusBody(json::parse(R"({"status": "open"})")), domain::RoomStatus::kOpen);
  EXPECT_EQ(ParseRoomStatusBody(json::parse(R"({"status": "closed"})")),
            domain::RoomStatus::kClosed);
}

TEST(ParseRoomStatusBody, ActiveMeetingIsNotSettable) {
  EXPECT_EQ(Issues(ParseRoomStatusBody(json::parse(R"({"status": "active_meeting"})"))),
            (IssueList{{"status",
                        "Invalid enum value. Expected 'open' | 'closed', received 'active_meeting'"}}));
}

TEST(ParseRoomStatusBody, MissingOrMistypedStatus) {
  EXPECT_EQ(Issues(ParseRoomStatusBody(json::parse("{}"))), (IssueList{{"status", "Required"}}));
  EXPECT_EQ(Issues(ParseRoomStatusBody(json::parse(R"({"status": 1})"))),
            (IssueList{{"status", "Expected 'open' | 'closed', received number"}}));
  EXPECT_EQ(Issues(ParseRoomStatusBody(json::parse(R"("open")"))),
            (IssueList{{"", "Expected object, received string"}}));
}

// --- {roomId} ------------------------------------------------------------------------------------

TEST(ParseRoomIdParam, ReturnsSanitizedId) {
  EXPECT_EQ(ParseRoomIdParam(" abc "), "abc");
  EXPECT_EQ(ParseRoomIdParam("My Room-123"), "MyRoom-123");
}

TEST(ParseRoomIdParam, LengthLimitsApplyToTheRawValue) {
  EXPECT_EQ(Issues(ParseRoomIdParam("")),
            (IssueList{{"roomId", "roomId is required and cannot be empty"}}));
  EXPECT_TRUE(ParseRoomIdParam(std::string(100, 'a')));
  EXPECT_EQ(Issues(ParseRoomIdParam(std::string(101, 'a'))),
            (IssueList{{"roomId", "roomId cannot exceed 100 characters"}}));
}

TEST(ParseRoomIdParam, EmptyAfterSanitizingIsRejected) {
  EXPECT_EQ(Issues(ParseRoomIdParam(" !! ")),
            (IssueList{{"roomId", "roomId cannot be empty after sanitization"}}));
}

TEST(ParseRoomIdParam, DeleteRouteReportsAnEmptyPath) {
  EXPECT_EQ(Issues(ParseRoomIdParam("%%%", "")),
            (IssueList{{"", "roomId cannot be empty after sanitization"}}));
}

// --- GET /rooms query ------------------------------------------------------------------------------

TEST(ParseListRoomsQuery, DefaultsWithoutParameters) {
  const auto q = ParseListRoomsQuery({});
  ASSERT_TRUE(q);
  EXPECT_EQ(q->max_items, 10u);
  EXPECT_EQ(q->next_page_token, "");
  EXPECT_EQ(q->room_name_prefix, "");
  EXPECT_EQ(q->fields, std::nullopt);
}

TEST(ParseListRoomsQuery, MaxItemsIsCoercedFlooredAndCapped) {
  const std::vector<std::pair<std::string, std::size_t>> cases = {
      {"5", 5},     {"5.9", 5},     {"  12 ", 12}, {"100", 100}, {"101", 100},
      {"1e2", 100}, {"0x10", 16},   {"0b11", 3},   {"0o17", 15}, {"+5", 5},
      {"5.", 5},    {"Infinity", 100}, {"1e400", 100}, {"0.5", 0}};
  for (const auto& [text, expected] : cases) {
    const auto q = ParseListRoomsQuery({{"maxItems", text}});
    ASSERT_TRUE(q) << text;
    EXPECT_EQ(q->max_items, expected) << text;
  }
}

TEST(ParseListRoomsQuery, NonNumericMaxItemsIsNan) {
  for (const char* text : {"abc", "12abc", "-0x10", "1_0", "infinity", "0x", "1e", "."}) {
    EXPECT_EQ(Issues(ParseListRoomsQuery({{"maxItems", text}})),
              (IssueList{{"maxItems", "Expected number, received nan"}}))
        << text;
  }
  EXPECT_EQ(Issues(ParseListRoomsQuery({{"maxItems", "1"}, {"maxItems", "2"}})),
            (IssueList{{"maxItems", "Expected number, received nan"}}));
}

TEST(ParseListRoomsQuery, NonPositiveMaxItemsIsRejected) {
  for (const char* text : {"0", "-1", "-0", "", " ", "-Infinity"}) {
    EXPECT_EQ(Issues(ParseListRoomsQuery({{"maxItems", text}})),
              (IssueList{{"maxItems", "maxItems must be a positive number"}}))
        << text;
  }
}

TEST(ParseListRoomsQuery, LiteralUndefinedTokenIsIgnored) {
  EXPECT_EQ(ParseListRoomsQuery({{"nextPageToken", "undefined"}})->next_page_token, "");
  EXPECT_EQ(ParseListRoomsQuery({{"nextPageToken", "abc"}})->next_page_token, "abc");
}

TEST(ParseListRoomsQuery, RoomNameIsSanitizedIntoAPrefix) {
  EXPECT_EQ(ParseListRoomsQuery({{"roomName", " My-Room! "}})->room_name_prefix, "My-Room");
  EXPECT_EQ(ParseListRoomsQuery({{"roomName", "My Room"}})->room_name_prefix, "My Room");
}

TEST(ParseListRoomsQuery, FieldsAreSplitAndTrimmed) {
  const auto q = ParseListRoomsQuery({{"fields", "roomId, roomName ,status"}});
  ASSERT_TRUE(q);
  EXPECT_EQ(q->fields, (std::vector<std::string>{"roomId", "roomName", "status"}));
  EXPECT_EQ(ParseListRoomsQuery({{"fields", ""}})->fields, std::nullopt);
}

TEST(ParseListRoomsQuery, RepeatedStringParametersAreArrays) {
  EXPECT_EQ(Issues(ParseListRoomsQuery({{"fields", "a"},
                                        {"nextPageToken", "x"},
                                        {"roomName", "r"},
                                        {"fields", "b"},
                                        {"nextPageToken", "y"},
                                        {"roomName", "s"},
                                        {"maxItems", "-1"}})),
            (IssueList{{"maxItems", "maxItems must be a positive number"},
                       {"nextPageToken", "Expected string, received array"},
                       {"roomName", "Expected string, received array"},
                       {"fields", "Expected string, received array"}}));
}

TEST(ParseListRoomsQuery, BracketKeysAreArraysOrObjectsAsExpressParsesThem) {
  EXPECT_EQ(Issues(ParseListRoomsQuery({{"fields[invalid]", "data"},
                                        {"roomName[]", "r"},
                                        {"nextPageToken[0]", "t"}})),
            (IssueList{{"nextPageToken", "Expected string, received array"},
                       {"roomName", "Expected string, received array"},
                       {"fields", "Expected string, received object"}}));
  // z.coerce.number(): Number({a:"1"}) is NaN, Number(["5"]) is 5, Number(["1","2"]) is NaN.
  EXPECT_EQ(Issues(ParseListRoomsQuery({{"maxItems[a]", "1"}})),
            (IssueList{{"maxItems", "Expected number, received nan"}}));
  EXPECT_EQ(ParseListRoomsQuery({{"maxItems[]", "5"}})->max_items, 5u);
  EXPECT_EQ(Issues(ParseListRoomsQuery({{"maxItems[]", "1"}, {"maxItems[]", "2"}})),
            (IssueList{{"maxItems", "Expected number, received nan"}}));
  EXPECT_EQ(Issues(ParseListRoomsQuery({{"maxItems[0][a]", "1"}})),
            (IssueList{{"maxItems", "Expected number, received nan"}}));
}

TEST(ParseFieldsQuery, ParsesOrRejectsArrays) {
  EXPECT_EQ(*ParseFieldsQuery({{"fields", "roomId"}}), std::vector<std::string>{"roomId"});
  EXPECT_EQ(*ParseFieldsQuery({{"other", "x"}}), std::nullopt);
  EXPECT_EQ(Issues(ParseFieldsQuery({{"fields", "a"}, {"fields", "b"}})),
            (IssueList{{"fields", "Expected string, received array"}}));
}

// --- DELETE ------------------------------------------------------------------------------------------

TEST(ParseDeleteRoomQuery, DefaultsToFailFail) {
  const auto q = ParseDeleteRoomQuery({});
  ASSERT_TRUE(q);
  EXPECT_EQ(q->with_meeting, WithMeetingPolicy::kFail);
  EXPECT_EQ(q->with_recordings, WithRecordingsPolicy::kFail);
}

TEST(ParseDeleteRoomQuery, ReadsPolicies) {
  const auto q =
      ParseDeleteRoomQuery({{"withMeeting", "when_meeting_ends"}, {"withRecordings", "close"}});
  ASSERT_TRUE(q);
  EXPECT_EQ(q->with_meeting, WithMeetingPolicy::kWhenMeetingEnds);
  EXPECT_EQ(q->with_recordings, WithRecordingsPolicy::kClose);
}

TEST(ParseDeleteRoomQuery, InvalidPoliciesUseZodEnumMessages) {
  EXPECT_EQ(Issues(ParseDeleteRoomQuery({{"withMeeting", "now"},
                                         {"withRecordings", "a"},
                                         {"withRecordings", "b"}})),
            (IssueList{{"withMeeting",
                        "Invalid enum value. Expected 'force' | 'when_meeting_ends' | 'fail', "
                        "received 'now'"},
                       {"withRecordings", "Expected 'force' | 'close' | 'fail', received array"}}));
  EXPECT_EQ(Issues(ParseDeleteRoomQuery({{"withMeeting[x]", "force"}})),
            (IssueList{{"withMeeting",
                        "Expected 'force' | 'when_meeting_ends' | 'fail', received object"}}));
  EXPECT_EQ(Issues(ParseDeleteRoomQuery({{"withRecordings", ""}})),
            (IssueList{{"withRecordings",
                        "Invalid enum value. Expected 'force' | 'close' | 'fail', received ''"}}));
}

TEST(ParseBulkDeleteRoomsQuery, CsvIsTrimmedSanitizedAndDeduplicated) {
  const auto q = ParseBulkDeleteRoomsQuery(
      {{"roomIds", " a-1 , b 2,,a-1, !!, a - 1 "}, {"withMeeting", "force"}});
  ASSERT_TRUE(q);
  EXPECT_EQ(q->room_ids, (std::vector<std::string>{"a-1", "b2"}));
  EXPECT_EQ(q->policy.with_meeting, WithMeetingPolicy::kForce);
  EXPECT_EQ(q->policy.with_recordings, WithRecordingsPolicy::kFail);
}

TEST(ParseBulkDeleteRoomsQuery, RepeatedParameterElementsAreTakenWhole) {
  const auto q = ParseBulkDeleteRoomsQuery(
      {{"roomIds", "room1"}, {"roomIds", "x,y"}, {"roomIds", ""}, {"roomIds", " room1 "}});
  ASSERT_TRUE(q);
  EXPECT_EQ(q->room_ids, (std::vector<std::string>{"room1", "xy"}));
}

TEST(ParseBulkDeleteRoomsQuery, ArraySyntaxElementsAreTakenWholeAndObjectsHoldNoId) {
  const auto q = ParseBulkDeleteRoomsQuery({{"roomIds[]", "a,b"}, {"roomIds[]", "c"}});
  ASSERT_TRUE(q);
  EXPECT_EQ(q->room_ids, (std::vector<std::string>{"ab", "c"}));
  EXPECT_EQ(Issues(ParseBulkDeleteRoomsQuery({{"roomIds[x]", "a"}})),
            (IssueList{{"roomIds", "At least one valid roomId is required after sanitization"}}));
}

TEST(ParseBulkDeleteRoomsQuery, NoValidIdIsRejected) {
  const IssueList expected{{"roomIds", "At least one valid roomId is required after sanitization"}};
  EXPECT_EQ(Issues(ParseBulkDeleteRoomsQuery({})), expected);
  EXPECT_EQ(Issues(ParseBulkDeleteRoomsQuery({{"roomIds", ""}})), expected);
  EXPECT_EQ(Issues(ParseBulkDeleteRoomsQuery({{"roomIds", " , !!, $"}})), expected);
}

TEST(ParseBulkDeleteRoomsQuery, CollectsIdAndPolicyIssuesTogether) {
  EXPECT_EQ(Issues(ParseBulkDeleteRoomsQuery({{"withMeeting", "x"}})),
            (IssueList{{"roomIds", "At least one valid roomId is required after sanitization"},
                       {"withMeeting",
                        "Invalid enum value. Expected 'force' | 'when_meeting_ends' | 'fail', "
                        "received 'x'"}}));
}

// --- Field filter --------------------------------------------------------------------------------------

domain::Room SampleRoom() {
  domain::Room room;
  room.room_id = "MyRoom-1a2b3c4d5e6f7a8";
  room.room_name = "My Room";
  room.creation_date = 1760000000000;
  room.auto_deletion_date = 1760003600000;
  room.moderator_secret = "0f1e2d3c4b";
  room.speaker_secret = "a9b8c7d6e5";
  return room;
}

TEST(FilterFields, KeepsRequestedKeysInRequestOrder) {
  const json::object room = domain::RoomToJson(SampleRoom(), "http://h");
  EXPECT_EQ(json::serialize(FilterFields(
                room, std::vector<std::string>{"status", "roomId", "nope", "status", ""})),
            R"({"status":"open","roomId":"MyRoom-1a2b3c4d5e6f7a8"})");
}

TEST(FilterFields, NoFilterReturnsEverything) {
  const json::object room = domain::RoomToJson(SampleRoom(), "http://h");
  EXPECT_EQ(FilterFields(room, std::nullopt), room);
  EXPECT_TRUE(FilterFields(room, std::vector<std::string>{}).empty());
}

// --- Page tokens -----------------------------------------------------------------------------------

TEST(PageToken, RoundTripsForTheSamePrefix) {
  for (const char* prefix : {"", "My", "MyRoom-"}) {
    const std::string token = EncodePageToken("MyRoom-abc", prefix);
    EXPECT_EQ(DecodePageToken(token, prefix), "MyRoom-abc") << prefix;
  }
}

TEST(PageToken, IsOpaqueUrlSafeText) {
  const std::string token = EncodePageToken("MyRoom-abc", "");
  EXPECT_EQ(token.find_first_not_of(
                "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"),
            std::string::npos);
  EXPECT_EQ(token.find("MyRoom"), std::string::npos);
}

TEST(PageToken, IsRejectedForAnotherPrefix) {
  const std::string token = EncodePageToken("MyRoom-abc", "My");
  EXPECT_EQ(DecodePageToken(token, ""), std::nullopt);
  EXPECT_EQ(DecodePageToken(token, "MyR"), std::nullopt);
  EXPECT_EQ(DecodePageToken(EncodePageToken("MyRoom-abc", ""), "My"), std::nullopt);
}

TEST(PageToken, IdOutsideThePrefixIsRejected) {
  EXPECT_EQ(DecodePageToken(EncodePageToken("Other-1", "My"), "My"), std::nullopt);
}

TEST(PageToken, GarbageIsRejected) {
  for (const char* token : {"", "undefined", "abc", "====", "a", "!!!!", "AAAAAAAAAAAAAAAAAAAAAA"}) {
    EXPECT_EQ(DecodePageToken(token, ""), std::nullopt) << token;
  }
  EXPECT_EQ(DecodePageToken(std::string(5000, 'A'), ""), std::nullopt);
  EXPECT_EQ(DecodePageToken(EncodePageToken("", ""), ""), std::nullopt);
}

TEST(PageToken, AnySingleCharacterChangeIsRejected) {
  const std::string token = EncodePageToken("MyRoom-abc", "");
  for (std::size_t i = 0; i < token.size(); ++i) {
    std::string tampered = token;
    tampered[i] = tampered[i] == 'A' ? 'B' : 'A';
    EXPECT_EQ(DecodePageToken(tampered, ""), std::nullopt) << i;
  }
  EXPECT_EQ(DecodePageToken(token.substr(0, token.size() - 1), ""), std::nullopt);
  EXPECT_EQ(DecodePageToken(token + "A", ""), std::nullopt);
}

TEST(PageToken, NeverCrashesOnRandomInput) {
  std::mt19937 rng(12345);
  std::uniform_int_distribution<int> len(0, 80);
  std::uniform_int_distribution<int> byte(0, 255);
  const std::string alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  std::uniform_int_distribution<std::size_t> pick(0, alphabet.size() - 1);
  for (int i = 0; i < 5000; ++i) {
    std::string raw(static_cast<std::size_t>(len(rng)), '\0');
    for (char& c : raw) c = (i % 2 == 0) ? static_cast<char>(byte(rng)) : alphabet[pick(rng)];
    EXPECT_EQ(DecodePageToken(raw, ""), std::nullopt);
  }
}

}  // namespace
}  // namespace convene::api
