#include "store/sqlite/sqlite_db.hpp"

#include <string>

#include <gtest/gtest.h>

#include "store/sqlite/schema.hpp"
#include "store/testing/temp_dir.hpp"

namespace convene::store::sqlite {
namespace {

class SqliteDbTest : public ::testing::Test {
 protected:
  void SetUp() override {
    Result<Db> db = Db::Open(path_, OpenMode::kReadWriteCreate);
    ASSERT_TRUE(db) << db.error().message;
    db_ = std::move(*db);
    ASSERT_TRUE(db_.Exec("CREATE TABLE t (k TEXT PRIMARY KEY, v INTEGER) STRICT"));
  }

  std::int64_t Count() {
    Result<std::int64_t> count = db_.QueryInt64("SELECT count(*) FROM t");
    EXPECT_TRUE(count) << count.error().message;
    return count.value_or(-1);
  }

  test::TempDir dir_;
  std::string path_ = dir_.Path() + "/test.db";
  Db db_;
};

TEST_F(SqliteDbTest, BindStepAndColumnsRoundTrip) {
  Result<Statement> insert = db_.Prepare("INSERT INTO t (k, v) VALUES (?1, ?2)");
  ASSERT_TRUE(insert) << insert.error().message;
  ASSERT_TRUE(insert->Bind(1, std::string_view("key")));
  ASSERT_TRUE(insert->Bind(2, std::int64_t{-42}));
  ASSERT_TRUE(insert->Run());

  Result<Statement> select = db_.Prepare("SELECT k, v FROM t WHERE k = ?1");
  ASSERT_TRUE(select);
  ASSERT_TRUE(select->Bind(1, std::string_view("key")));
  Result<bool> row = select->Step();
  ASSERT_TRUE(row && *row);
  EXPECT_EQ(select->ColumnText(0), "key");
  EXPECT_EQ(select->ColumnInt64(1), -42);
  EXPECT_FALSE(select->IsNull(1));
  row = select->Step();
  ASSERT_TRUE(row);
  EXPECT_FALSE(*row);
}

TEST_F(SqliteDbTest, EmptyStringBindsAsEmptyTextNotNull) {
  Result<Statement> insert = db_.Prepare("INSERT INTO t (k, v) VALUES (?1, ?2)");
  ASSERT_TRUE(insert);
  ASSERT_TRUE(insert->Bind(1, std::string_view()));  // data() == nullptr
  ASSERT_TRUE(insert->Bind(2, std::optional<std::int64_t>()));
  ASSERT_TRUE(insert->Run());
  Result<std::int64_t> empties =
      db_.QueryInt64("SELECT count(*) FROM t WHERE k = '' AND v IS NULL");
  ASSERT_TRUE(empties);
  EXPECT_EQ(*empties, 1);
}

TEST_F(SqliteDbTest, CachedStatementIsReusedAndResetAfterUse) {
  for (int i = 0; i < 3; ++i) {
    Result<CachedStatement> insert = db_.Cached("INSERT INTO t (k, v) VALUES (?1, ?2)");
    ASSERT_TRUE(insert) << insert.error().message;
    const std::string key = "k" + std::to_string(i);
    ASSERT_TRUE((*insert)->Bind(1, std::string_view(key)));
    ASSERT_TRUE((*insert)->Bind(2, std::int64_t{i}));
    ASSERT_TRUE((*insert)->Run());
  }
  EXPECT_EQ(Count(), 3);
  Statement* first = nullptr;
  {
    Result<CachedStatement> a = db_.Cached("SELECT count(*) FROM t");
    ASSERT_TRUE(a);
    first = &**a;
  }
  Result<CachedStatement> b = db_.Cached("SELECT count(*) FROM t");
  ASSERT_TRUE(b);
  EXPECT_EQ(&**b, first);
}

TEST_F(SqliteDbTest, PrepareRejectsSeveralStatementsAndBadSql) {
  Result<Statement> two = db_.Prepare("SELECT 1; SELECT 2");
  ASSERT_FALSE(two);
  EXPECT_EQ(two.error().code, ErrorCode::kInternal);
  EXPECT_TRUE(db_.Prepare("SELECT 1;  \n"));
  Result<Statement> bad = db_.Prepare("SELEKT 1");
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.error().message.find("syntax error"), std::string::npos) << bad.error().message;
}

TEST_F(SqliteDbTest, TransactionCommitsOrRollsBackOnScopeExit) {
  {
    Result<Transaction> tx = Transaction::Begin(db_);
    ASSERT_TRUE(tx);
    EXPECT_TRUE(db_.InTransaction());
    ASSERT_TRUE(db_.Exec("INSERT INTO t VALUES ('rolled-back', 1)"));
  }
  EXPECT_FALSE(db_.InTransaction());
  EXPECT_EQ(Count(), 0);
  {
    Result<Transaction> tx = Transaction::Begin(db_);
    ASSERT_TRUE(tx);
    ASSERT_TRUE(db_.Exec("INSERT INTO t VALUES ('kept', 1)"));
    ASSERT_TRUE(tx->Commit());
    tx->Rollback();  // no-op after commit
  }
  EXPECT_EQ(Count(), 1);
}

TEST_F(SqliteDbTest, ConstraintViolationIsInternal) {
  ASSERT_TRUE(db_.Exec("INSERT INTO t VALUES ('k', 1)"));
  Result<void> again = db_.Exec("INSERT INTO t VALUES ('k', 2)");
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().code, ErrorCode::kInternal);
  EXPECT_NE(again.error().message.find("UNIQUE"), std::string::npos) << again.error().message;
}

TEST_F(SqliteDbTest, LockedDatabaseIsUnavailable) {
  ASSERT_TRUE(db_.Exec("PRAGMA journal_mode = WAL"));
  Result<Db> other = Db::Open(path_, OpenMode::kReadWriteCreate);
  ASSERT_TRUE(other);
  ASSERT_TRUE(other->Exec("PRAGMA busy_timeout = 0"));
  Result<Transaction> holder = Transaction::Begin(db_);
  ASSERT_TRUE(holder);
  Result<Transaction> blocked = Transaction::Begin(*other);
  ASSERT_FALSE(blocked);
  EXPECT_EQ(blocked.error().code, ErrorCode::kUnavailable);
  const Error client = ToClientError(blocked.error());
  EXPECT_EQ(client.code, ErrorCode::kUnavailable);
  EXPECT_EQ(client.name, "Storage Error");
  EXPECT_EQ(client.message, "Storage is not available");
}

TEST_F(SqliteDbTest, ClientErrorsAreGeneric) {
  const Error client = ToClientError(Error::Internal("prepare: no such column: secret_value"));
  EXPECT_EQ(client.code, ErrorCode::kInternal);
  EXPECT_EQ(client.name, "Internal Server Error");
  EXPECT_EQ(client.message, "Unexpected error while accessing the store");
}

TEST_F(SqliteDbTest, OpenFailureNamesThePath) {
  const std::string missing = dir_.Path() + "/no/such/dir/x.db";
  Result<Db> db = Db::Open(missing, OpenMode::kReadWriteCreate);
  ASSERT_FALSE(db);
  EXPECT_EQ(db.error().code, ErrorCode::kUnavailable);
  EXPECT_NE(db.error().message.find(missing), std::string::npos) << db.error().message;
}

TEST_F(SqliteDbTest, ReadOnlyConnectionCannotWrite) {
  Result<Db> reader = Db::Open(path_, OpenMode::kReadOnly);
  ASSERT_TRUE(reader);
  Result<void> write = reader->Exec("INSERT INTO t VALUES ('x', 1)");
  ASSERT_FALSE(write);
}

TEST_F(SqliteDbTest, MigrateIsIdempotent) {
  Result<Db> db = Db::Open(dir_.Path() + "/migrate.db", OpenMode::kReadWriteCreate);
  ASSERT_TRUE(db);
  ASSERT_TRUE(Migrate(*db));
  ASSERT_TRUE(Migrate(*db));
  Result<std::int64_t> version = db->QueryInt64("PRAGMA user_version");
  ASSERT_TRUE(version);
  EXPECT_EQ(*version, LatestSchemaVersion());
  Result<std::int64_t> tables =
      db->QueryInt64("SELECT count(*) FROM sqlite_schema WHERE type = 'table' AND name = 'rooms'");
  ASSERT_TRUE(tables);
  EXPECT_EQ(*tables, 1);
}

TEST(SqliteSchema, MigrationVersionsAreOneToLatest) {
  std::int64_t expected = 1;
  for (const Migration& migration : Migrations()) {
    EXPECT_EQ(migration.version, expected++);
    EXPECT_FALSE(migration.sql.empty());
  }
  EXPECT_EQ(LatestSchemaVersion(), expected - 1);
}

}  // namespace
}  // namespace convene::store::sqlite
