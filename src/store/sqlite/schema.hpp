#pragma once

#include <cstdint>
#include <span>
#include <string_view>

#include "core/result.hpp"
#include "store/sqlite/sqlite_db.hpp"

namespace convene::store::sqlite {

/// One forward-only schema change. `version` is what `PRAGMA user_version` holds once the step
/// has been applied; versions are 1, 2, 3, ... in order.
struct Migration {
  std::int64_t version;
  std::string_view description;
  std::string_view sql;
};

/// Every migration, oldest first. To change the schema, append a step in schema.cpp; never edit a
/// step that has shipped.
std::span<const Migration> Migrations();

std::int64_t LatestSchemaVersion();

/// Brings the database up to LatestSchemaVersion() in one BEGIN IMMEDIATE transaction, so a
/// crash or a concurrent opener never sees a half-migrated schema. A no-op when already current;
/// fails (without touching anything) when the file was written by a newer Convene.
Result<void> Migrate(Db& db);

}  // namespace convene::store::sqlite
