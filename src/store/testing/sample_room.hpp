#pragma once

#include <string>
#include <utility>

#include "domain/room.hpp"

namespace convene::test {

/// A minimal valid room for store tests: the given id, a creation date and two distinct secrets
/// derived from the id; everything else at its default.
inline domain::Room SampleRoom(std::string id) {
  domain::Room room;
  room.room_name = "Room " + id;
  room.room_id = std::move(id);
  room.creation_date = 1'700'000'000'000;
  room.moderator_secret = "mod-" + room.room_id;
  room.speaker_secret = "spk-" + room.room_id;
  return room;
}

}  // namespace convene::test
