#include "app/check_store.hpp"

#include <filesystem>
#include <memory>
#include <ostream>
#include <string>
#include <system_error>
#include <utility>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>

#include "app/config.hpp"
#include "core/result.hpp"
#include "store/postgres/postgres_database.hpp"
#include "store/postgres/postgres_outbox_store.hpp"
#include "store/postgres/postgres_room_store.hpp"
#include "store/postgres/postgres_settings_store.hpp"
#include "store/sqlite/sqlite_database.hpp"
#include "store/sqlite/sqlite_outbox_store.hpp"
#include "store/sqlite/sqlite_room_store.hpp"
#include "store/sqlite/sqlite_settings_store.hpp"
#include "store/store_audit.hpp"

namespace convene::app {
namespace {

namespace asio = boost::asio;

/// Prints the audit's findings; true when there are none.
bool Report(const store::StoreAuditReport &report, const std::string &what,
            std::ostream &out) {
  for (const std::string &problem : report.problems)
    out << "convene: " << what << ": " << problem << "\n";
  if (!report.problems.empty())
    return false;
  out << "convene: " << what << ": ok (" << report.rooms << " rooms, "
      << report.outbox_events << (report.outbox_truncated ? "+" : "")
      << " webhook events)\n";
  return true;
}

asio::awaitable<Result<store::StoreAuditReport>>
AuditPostgres(asio::any_io_executor executor, std::string url,
              std::string *described) {
  store::postgres::PostgresOptions options;
  options.url = std::move(url);
  options.pool_size = 1;
  options.migrate = false;
  Result<std::unique_ptr<store::postgres::PostgresDatabase>> db =
      co_await store::postgres::PostgresDatabase::Open(executor,
                                                       std::move(options));
  if (!db)
    co_return Fail(std::move(db.error()));
  *described = (*db)->Describe();
  Result<store::StoreAuditReport> report = co_await store::AuditStore(
      (*db)->Rooms(), (*db)->Settings(), (*db)->Outbox());
  (*db)->Close();
  co_return report;
}

/// Runs `audit` to completion on a private io_context (the check runs before
/// any server).
template <class MakeAudit>
Result<store::StoreAuditReport> RunAudit(MakeAudit make_audit) {
  asio::io_context ioc;
  Result<store::StoreAuditReport> result =
      Fail(Error::Internal("the audit did not finish"));
  // Named locals, not temporaries, in the co_await (GCC 12 destroys such
  // temporaries twice).
  asio::co_spawn(
      ioc,
      [&]() -> asio::awaitable<void> {
        asio::any_io_executor executor = ioc.get_executor();
        asio::awaitable<Result<store::StoreAuditReport>> audit =
            make_audit(executor);
        result = co_await std::move(audit);
      },
      asio::detached);
  ioc.run();
  return result;
}

int CheckPostgres(std::string url, std::ostream &out) {
  std::string described = "PostgreSQL store";
  Result<store::StoreAuditReport> report =
      RunAudit([&](asio::any_io_executor executor) {
        return AuditPostgres(std::move(executor), url, &described);
      });
  if (!report) {
    out << "convene: " << report.error().message << "\n";
    return 1;
  }
  return Report(*report, "PostgreSQL store (" + described + ")", out) ? 0 : 1;
}

int CheckSqlite(const std::string &dir, std::ostream &out) {
  // Open() would create an empty database; a missing one is a failed check, not
  // a fresh store.
  std::error_code ec;
  if (!std::filesystem::is_regular_file(
          std::filesystem::path(dir) / "convene.db", ec)) {
    out << "convene: no store at '" << dir << "/convene.db'\n";
    return 1;
  }
  auto db = store::sqlite::SqliteDatabase::Open(dir);
  if (!db) {
    out << "convene: " << db.error().message << "\n";
    return 1;
  }
  const std::string what = "store '" + (*db)->Path() + "'";
  if (Result<void> check = (*db)->IntegrityCheck(); !check) {
    out << "convene: " << check.error().message << "\n";
    return 1;
  }
  Result<store::StoreAuditReport> report = RunAudit([&](asio::any_io_executor) {
    return store::AuditStore((*db)->Rooms(), (*db)->Settings(),
                             (*db)->Outbox());
  });
  (*db)->Close();
  if (!report) {
    out << "convene: " << what << ": " << report.error().message << "\n";
    return 1;
  }
  return Report(*report, what + ": integrity check ok; audit", out) ? 0 : 1;
}

} // namespace

int CheckStore(const std::function<const char *(const char *)> &getenv,
               std::ostream &out) {
  const char *url = getenv("MEET_DATABASE_URL");
  if (url != nullptr && *url != '\0')
    return CheckPostgres(url, out);
  const char *dir = getenv("MEET_DATA_DIR");
  return CheckSqlite(dir != nullptr && *dir != '\0' ? dir : Config{}.data_dir,
                     out);
}

} // namespace convene::app
