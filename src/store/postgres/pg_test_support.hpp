#pragma once

#include <unistd.h>  // getpid

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <memory>
#include <optional>
#include <string>

#include <gtest/gtest.h>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>

#include "core/result.hpp"
#include "store/postgres/pg_connection.hpp"
#include "store/testing/run_sync.hpp"

/// Test-only helpers for tests that need a PostgreSQL server.
namespace convene::test {

inline constexpr const char* kNoPostgresMessage =
    "CONVENE_TEST_PG_URL is not set; `make unit-test` starts a throw-away PostgreSQL server and "
    "sets it (or: eval \"$(scripts/test-services.sh start build/test-services)\")";

/// The server the tests use (CONVENE_TEST_PG_URL), or nullopt: the caller then skips with
/// kNoPostgresMessage.
inline std::optional<std::string> TestPostgresUrl() {
  const char* url = std::getenv("CONVENE_TEST_PG_URL");
  if (url == nullptr || *url == '\0') return std::nullopt;
  return std::string(url);
}

/// `url` with `options=-csearch_path=<schema>` and `application_name=<schema>` added (URI or
/// key=value form): the connections then work in that schema and can be told apart in
/// pg_stat_activity.
inline std::string UrlWithSearchPath(const std::string& url, const std::string& schema) {
  if (url.find("://") == std::string::npos) {
    return url + " options='-csearch_path=" + schema + "' application_name=" + schema;
  }
  return url + (url.find('?') == std::string::npos ? "?" : "&") + "options=-csearch_path%3D" +
         schema + "&application_name=" + schema;
}

/// A fresh, uniquely named schema in the test database, so that every test starts from an empty
/// database and tests may run in parallel processes against one server; dropped with everything
/// in it on destruction. Holds an admin connection on `ioc` for setup and fault injection.
class PgTestSchema {
 public:
  /// Null (after ADD_FAILURE) when the server cannot be reached.
  static std::unique_ptr<PgTestSchema> Create(boost::asio::io_context& ioc,
                                              const std::string& url) {
    static std::atomic<int> counter{0};
    const auto now = std::chrono::system_clock::now().time_since_epoch();
    const std::string name =
        "convene_test_" + std::to_string(::getpid()) + "_" + std::to_string(counter++) + "_" +
        std::to_string(std::chrono::duration_cast<std::chrono::microseconds>(now).count() %
                       1000000);
    std::unique_ptr<PgTestSchema> schema(new PgTestSchema(ioc, url, name));
    auto params = store::postgres::PgConnectParams::Parse(url, std::chrono::seconds(30));
    if (!params) {
      ADD_FAILURE() << params.error().message;
      return nullptr;
    }
    auto admin = RunSync(ioc, store::postgres::PgConnection::Connect(
                                  ioc.get_executor(), *params,
                                  store::postgres::PgClock::now() + std::chrono::seconds(10)));
    if (!admin) {
      ADD_FAILURE() << admin.error().message;
      return nullptr;
    }
    schema->admin_ = std::move(*admin);
    if (Result<void> created = schema->Exec("CREATE SCHEMA " + name); !created) {
      ADD_FAILURE() << created.error().message;
      return nullptr;
    }
    schema->created_ = true;
    return schema;
  }

  PgTestSchema(const PgTestSchema&) = delete;
  PgTestSchema& operator=(const PgTestSchema&) = delete;
  ~PgTestSchema() {
    if (!created_) return;
    // The admin connection may have been a victim of a test's pg_terminate_backend.
    if (!admin_ || admin_->IsBroken()) Reconnect();
    if (Result<void> dropped = Exec("DROP SCHEMA " + name_ + " CASCADE"); !dropped) {
      ADD_FAILURE() << "dropping " << name_ << ": " << dropped.error().message;
    }
  }

  const std::string& Name() const { return name_; }
  /// The test server's URL with this schema as the search_path.
  std::string Url() const { return UrlWithSearchPath(url_, name_); }

  /// Runs `sql` (one or more statements) on the admin connection, in this schema.
  Result<void> Exec(const std::string& sql) {
    const std::string script = "SET search_path TO " + name_ + "; " + sql;
    if (!admin_ || admin_->IsBroken()) Reconnect();
    if (!admin_) return Fail(Error::Internal("no admin connection"));
    auto done = RunSync(ioc_, admin_->ExecuteScript(
                                  script.c_str(), store::postgres::StatementKind::kWrite,
                                  store::postgres::PgClock::now() + std::chrono::seconds(30)));
    if (!done) return Fail(std::move(done.error()));
    return {};
  }

  /// Ends the sessions opened with Url() (pg_terminate_backend), as a server restart or a DBA
  /// would; other tests' sessions are left alone. Returns how many were ended.
  Result<int> TerminateSessions() { return RunSync(ioc_, TerminateSessionsAsync()); }

  /// The same, as a coroutine on the admin connection (to run while a store call is pending).
  boost::asio::awaitable<Result<int>> TerminateSessionsAsync() {
    const std::string sql =
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname ="
        " current_database() AND pid <> pg_backend_pid() AND application_name = '" +
        name_ + "'";
    auto done = co_await admin_->ExecuteScript(
        sql.c_str(), store::postgres::StatementKind::kWrite,
        store::postgres::PgClock::now() + std::chrono::seconds(30));
    if (!done) co_return Fail(std::move(done.error()));
    co_return done->Rows();
  }

  store::postgres::PgConnection& Admin() { return *admin_; }

 private:
  PgTestSchema(boost::asio::io_context& ioc, std::string url, std::string name)
      : ioc_(ioc), url_(std::move(url)), name_(std::move(name)) {}

  void Reconnect() {
    admin_.reset();
    auto params = store::postgres::PgConnectParams::Parse(url_, std::chrono::seconds(30));
    if (!params) return;
    auto admin = RunSync(ioc_, store::postgres::PgConnection::Connect(
                                   ioc_.get_executor(), *params,
                                   store::postgres::PgClock::now() + std::chrono::seconds(10)));
    if (admin) admin_ = std::move(*admin);
  }

  boost::asio::io_context& ioc_;
  std::string url_;
  std::string name_;
  bool created_ = false;
  std::unique_ptr<store::postgres::PgConnection> admin_;
};

}  // namespace convene::test
