#pragma once

#include <cstdint>
#include <span>
#include <string_view>

#include <boost/asio/awaitable.hpp>

#include "core/result.hpp"
#include "store/postgres/pg_connection.hpp"

namespace convene::store::postgres {

/// One forward-only schema change. `version` is what the schema_migrations table records once the
/// step has been applied; versions are 1, 2, 3, ... in order.
struct PgMigration {
  std::int32_t version;
  std::string_view description;
  const char* sql;  // one or more statements (simple-query protocol)
};

/// Every migration, oldest first. To change the schema, append a step in pg_schema.cpp; never
/// edit a step that has shipped. The tables mirror the SQLite schema (sqlite/schema.cpp) column
/// for column; the differences are explained next to the SQL.
std::span<const PgMigration> PgMigrations();

std::int32_t PgLatestSchemaVersion();

/// Brings the schema in the connection's search_path (its first schema, `current_schema()`) up to
/// PgLatestSchemaVersion(), in one transaction holding `pg_advisory_xact_lock` on that schema, so
/// that instances starting at once apply each step exactly once and never see a half-migrated
/// schema (PostgreSQL DDL is transactional). A no-op when current; fails without changing
/// anything when the schema was written by a newer Convene. The connection must be idle.
asio::awaitable<Result<void>> MigratePg(PgConnection& connection);

/// Checks, without changing anything, that the connection's schema holds Convene's tables at
/// PgLatestSchemaVersion() (`convene --check-store` must not create a schema where none is).
/// kNotFound when there is no Convene schema; kInternal when its version differs.
asio::awaitable<Result<void>> VerifyPgSchema(PgConnection& connection);

}  // namespace convene::store::postgres
