#include "store/postgres/pg_connection.hpp"

#include <libpq-fe.h>

#include <algorithm>
#include <charconv>
#include <cstring>
#include <utility>

#include <boost/asio/experimental/parallel_group.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <spdlog/spdlog.h>

namespace convene::store::postgres {
namespace {

constexpr const char* kEmpty = "";  // libpq reads a null value pointer as SQL NULL

/// libpq messages end with a newline and may span lines (one per address tried).
std::string OneLine(std::string_view text) {
  std::string line;
  line.reserve(text.size());
  for (char c : text) {
    if (c == '\n') {
      if (!line.empty() && line.back() != ' ') line += "; ";
    } else {
      line += c;
    }
  }
  while (!line.empty() && (line.back() == ' ' || line.back() == ';')) line.pop_back();
  return line;
}

std::string PercentDecode(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '%' && i + 2 < text.size()) {
      unsigned value = 0;
      auto [ptr, ec] = std::from_chars(text.data() + i + 1, text.data() + i + 3, value, 16);
      if (ec == std::errc() && ptr == text.data() + i + 3) {
        out += static_cast<char>(value);
        i += 2;
        continue;
      }
    }
    out += text[i];
  }
  return out;
}

/// The password spellings a URL may contain, found without libpq (for messages about a URL that
/// libpq could not parse): the userinfo password of a URI and `password=` values.
std::vector<std::string> PasswordsInUrl(std::string_view url) {
  std::vector<std::string> found;
  const std::size_t scheme = url.find("://");
  if (scheme != std::string_view::npos) {
    std::string_view rest = url.substr(scheme + 3);
    const std::size_t end = rest.find_first_of("/?");
    const std::string_view authority = rest.substr(0, end);
    const std::size_t at = authority.rfind('@');
    if (at != std::string_view::npos) {
      const std::string_view userinfo = authority.substr(0, at);
      const std::size_t colon = userinfo.find(':');
      if (colon != std::string_view::npos) found.emplace_back(userinfo.substr(colon + 1));
    }
  }
  for (std::size_t pos = url.find("password="); pos != std::string_view::npos;
       pos = url.find("password=", pos + 1)) {
    std::string_view value = url.substr(pos + 9);
    if (!value.empty() && value.front() == '\'') value.remove_prefix(1);
    found.emplace_back(value.substr(0, value.find_first_of(" &'")));
  }
  const std::size_t n = found.size();
  for (std::size_t i = 0; i < n; ++i) found.push_back(PercentDecode(found[i]));
  return found;
}

std::uint64_t ReadBigEndian(const char* data, int length) {
  std::uint64_t value = 0;
  for (int i = 0; i < length; ++i) value = (value << 8) | static_cast<unsigned char>(data[i]);
  return value;
}

void WriteBigEndian(std::array<char, 8>& out, std::uint64_t value, int length) {
  for (int i = length - 1; i >= 0; --i) {
    out[static_cast<std::size_t>(i)] = static_cast<char>(value & 0xFF);
    value >>= 8;
  }
}

/// SQLSTATEs that mean "the database cannot serve this now" rather than "this statement is wrong".
bool IsUnavailableState(std::string_view state) {
  return state.starts_with("08") ||   // connection exception
         state.starts_with("53") ||   // insufficient resources (too many connections, disk full)
         state.starts_with("57P") ||  // admin shutdown, crash shutdown, cannot connect now
         state == "57014" ||          // query_canceled (statement_timeout)
         state == "40001" ||          // serialization_failure
         state == "40P01" ||          // deadlock_detected
         state == "55P03" ||          // lock_not_available
         state == "25006";            // read_only_sql_transaction (a standby after fail-over)
}

/// Whether a statement that may or may not have run can be sent again: see kReasonRetryable.
bool Retryable(StatementKind kind, bool sent, bool in_transaction) {
  return !sent || kind == StatementKind::kRead ||
         (kind == StatementKind::kWrite && in_transaction);
}

/// The host to resolve before connecting: a single host name (not an address, a list or a Unix
/// socket directory) with no hostaddr given. libpq would resolve it with a blocking getaddrinfo
/// inside PQconnectStart, on the I/O thread.
std::optional<std::string> HostToResolve(const std::vector<std::string>& keywords,
                                         const std::vector<std::string>& values) {
  std::optional<std::string> host;
  for (std::size_t i = 0; i < keywords.size(); ++i) {
    if (keywords[i] == "hostaddr") return std::nullopt;
    if (keywords[i] == "host") host = values[i];
  }
  if (!host || host->empty() || host->front() == '/' || host->front() == '@' ||
      host->find(',') != std::string::npos) {
    return std::nullopt;
  }
  boost::system::error_code ec;
  asio::ip::make_address(*host, ec);
  if (!ec) return std::nullopt;  // already an address: libpq does not resolve it
  return host;
}

std::string PortOf(const std::vector<std::string>& keywords,
                   const std::vector<std::string>& values) {
  for (std::size_t i = 0; i < keywords.size(); ++i) {
    if (keywords[i] == "port" && !values[i].empty()) return values[i];
  }
  return "5432";
}

}  // namespace

// ----- PgParams -----

PgParams& PgParams::Bytes(std::string_view value) {
  items_.push_back(
      Item{value.data() != nullptr ? value.data() : kEmpty, static_cast<int>(value.size()), false, {}});
  return *this;
}

PgParams& PgParams::Int64(std::int64_t value) {
  Item item{nullptr, 8, true, {}};
  WriteBigEndian(item.inline_bytes, static_cast<std::uint64_t>(value), 8);
  items_.push_back(item);
  return *this;
}

PgParams& PgParams::Int32(std::int32_t value) {
  Item item{nullptr, 4, true, {}};
  WriteBigEndian(item.inline_bytes, static_cast<std::uint32_t>(value), 4);
  items_.push_back(item);
  return *this;
}

PgParams& PgParams::Bool(bool value) {
  Item item{nullptr, 1, true, {}};
  item.inline_bytes[0] = value ? 1 : 0;
  items_.push_back(item);
  return *this;
}

PgParams& PgParams::Null() {
  items_.push_back(Item{nullptr, 0, false, {}});
  return *this;
}

PgParams& PgParams::OptionalBytes(const std::optional<std::string_view>& value) {
  return value ? Bytes(*value) : Null();
}

PgParams& PgParams::OptionalInt64(const std::optional<std::int64_t>& value) {
  return value ? Int64(*value) : Null();
}

// ----- PgResult -----

PgResult::PgResult(pg_result* result) : result_(result) {}

PgResult::PgResult(PgResult&& other) noexcept : result_(std::exchange(other.result_, nullptr)) {}

PgResult& PgResult::operator=(PgResult&& other) noexcept {
  if (this != &other) {
    if (result_ != nullptr) PQclear(result_);
    result_ = std::exchange(other.result_, nullptr);
  }
  return *this;
}

PgResult::~PgResult() {
  if (result_ != nullptr) PQclear(result_);
}

int PgResult::Rows() const { return result_ != nullptr ? PQntuples(result_) : 0; }

int PgResult::Columns() const { return result_ != nullptr ? PQnfields(result_) : 0; }

std::uint64_t PgResult::AffectedRows() const {
  if (result_ == nullptr) return 0;
  const char* text = PQcmdTuples(result_);
  std::uint64_t value = 0;
  std::from_chars(text, text + std::strlen(text), value);
  return value;
}

bool PgResult::IsNull(int row, int column) const {
  return PQgetisnull(result_, row, column) != 0;
}

std::string_view PgResult::Bytes(int row, int column) const {
  return {PQgetvalue(result_, row, column),
          static_cast<std::size_t>(PQgetlength(result_, row, column))};
}

std::int64_t PgResult::Int64(int row, int column) const {
  return static_cast<std::int64_t>(ReadBigEndian(PQgetvalue(result_, row, column), 8));
}

std::int32_t PgResult::Int32(int row, int column) const {
  return static_cast<std::int32_t>(
      static_cast<std::uint32_t>(ReadBigEndian(PQgetvalue(result_, row, column), 4)));
}

bool PgResult::Bool(int row, int column) const {
  return PQgetvalue(result_, row, column)[0] != 0;
}

Result<void> PgResult::CheckTypes(std::initializer_list<Type> types) const {
  if (result_ == nullptr || PQnfields(result_) != static_cast<int>(types.size())) {
    return Fail(Error::Internal("unexpected number of result columns"));
  }
  int column = 0;
  for (Type type : types) {
    if (PQftype(result_, column) != static_cast<Oid>(type) || PQfformat(result_, column) != 1) {
      return Fail(Error::Internal("unexpected type of result column '" +
                                  std::string(PQfname(result_, column)) + "'"));
    }
    ++column;
  }
  return {};
}

// ----- PgConnectParams -----

std::string ScrubSecrets(std::string message, const std::vector<std::string>& secrets) {
  // Shorter secrets would mask ordinary words; they also say nothing on their own.
  for (const std::string& secret : secrets) {
    if (secret.size() < 3) continue;
    for (std::size_t pos = message.find(secret); pos != std::string::npos;
         pos = message.find(secret, pos + 3)) {
      message.replace(pos, secret.size(), "***");
    }
  }
  return message;
}

std::string PgConnectParams::Scrub(std::string message) const {
  return ScrubSecrets(std::move(message), secrets_);
}

Result<PgConnectParams> PgConnectParams::Parse(std::string_view url,
                                               std::chrono::milliseconds statement_timeout) {
  PgConnectParams params;
  params.secrets_ = PasswordsInUrl(url);
  char* error = nullptr;
  PQconninfoOption* options = PQconninfoParse(std::string(url).c_str(), &error);
  if (options == nullptr) {
    std::string cause = error != nullptr ? OneLine(error) : "out of memory";
    if (error != nullptr) PQfreemem(error);
    return Fail(Error::Make(ErrorCode::kInvalidArgument, "Storage Error",
                            "invalid PostgreSQL URL: " + params.Scrub(std::move(cause))));
  }
  std::string host, port, dbname, user, extra_options;
  bool has_application_name = false;
  for (PQconninfoOption* option = options; option->keyword != nullptr; ++option) {
    if (option->val == nullptr) continue;
    const std::string_view keyword = option->keyword;
    if (keyword == "password") {
      params.secrets_.emplace_back(option->val);
    } else if (keyword == "options") {
      extra_options = option->val;
      continue;  // added below with Convene's settings
    } else if (keyword == "host" || (keyword == "hostaddr" && host.empty())) {
      host = option->val;
    } else if (keyword == "port") {
      port = option->val;
    } else if (keyword == "dbname") {
      dbname = option->val;
    } else if (keyword == "user") {
      user = option->val;
    } else if (keyword == "fallback_application_name" || keyword == "application_name") {
      has_application_name = true;
    }
    params.keywords_.emplace_back(keyword);
    params.values_.emplace_back(option->val);
  }
  PQconninfoFree(options);

  // The server ends a statement running longer than this with a clean error (57014), which
  // keeps the connection usable; the client deadline (a little later) covers a dead server.
  if (statement_timeout.count() > 0) {
    if (!extra_options.empty()) extra_options += ' ';
    extra_options += "-c statement_timeout=" + std::to_string(statement_timeout.count());
    params.client_statement_timeout_ = statement_timeout + std::chrono::milliseconds(500);
  } else {
    params.client_statement_timeout_ = std::chrono::hours(24);
  }
  if (!extra_options.empty()) {
    params.keywords_.emplace_back("options");
    params.values_.push_back(std::move(extra_options));
  }
  if (!has_application_name) {
    params.keywords_.emplace_back("fallback_application_name");
    params.values_.emplace_back("convene");
  }
  auto or_default = [](const std::string& value) {
    return value.empty() ? std::string("(default)") : value;
  };
  params.description_ = "host=" + or_default(host) + " port=" + or_default(port) +
                        " dbname=" + or_default(dbname) + " user=" + or_default(user);
  params.description_ = params.Scrub(std::move(params.description_));
  return params;
}

// ----- PgConnection -----

PgConnection::PgConnection(asio::any_io_executor executor, pg_conn* conn,
                           std::chrono::milliseconds statement_timeout)
    : conn_(conn), socket_(executor), timer_(executor), statement_timeout_(statement_timeout) {
  PQsetNoticeReceiver(conn_, &PgConnection::OnNotice, this);
}

PgConnection::~PgConnection() {
  // libpq owns the socket: stop Asio from watching it, without closing it, before PQfinish.
  if (socket_.is_open()) socket_.release();
  PQfinish(conn_);
}

void PgConnection::OnNotice(void* self, const pg_result* notice) {
  const char* severity = PQresultErrorField(notice, PG_DIAG_SEVERITY_NONLOCALIZED);
  const char* text = PQresultErrorField(notice, PG_DIAG_MESSAGE_PRIMARY);
  if (severity != nullptr &&
      (std::strcmp(severity, "FATAL") == 0 || std::strcmp(severity, "PANIC") == 0)) {
    // Received while idle: the server is closing this session (pg_terminate_backend, shutdown).
    static_cast<PgConnection*>(self)->broken_ = true;
    spdlog::warn("postgres: server ended the session: {}", text != nullptr ? text : "");
    return;
  }
  spdlog::debug("postgres: {}: {}", severity != nullptr ? severity : "NOTICE",
                text != nullptr ? text : "");
}

asio::awaitable<Result<std::unique_ptr<PgConnection>>> PgConnection::Connect(
    asio::any_io_executor executor, const PgConnectParams& params, PgClock::time_point deadline) {
  std::vector<std::string> keyword_strings = params.Keywords();
  std::vector<std::string> value_strings = params.Values();

  // Resolve a host name here, asynchronously, and hand libpq the address (`hostaddr`; `host`
  // stays for TLS verification and messages): libpq's own lookup would block this thread.
  if (std::optional<std::string> host = HostToResolve(keyword_strings, value_strings)) {
    asio::ip::tcp::resolver resolver(executor);
    asio::steady_timer timer(executor, deadline);
    const std::string port = PortOf(keyword_strings, value_strings);
    auto group = asio::experimental::make_parallel_group(
        [&](auto token) { return resolver.async_resolve(*host, port, token); },
        [&](auto token) { return timer.async_wait(token); });
    auto [order, resolve_ec, endpoints, timer_ec] =
        co_await group.async_wait(asio::experimental::wait_for_one(), asio::use_awaitable);
    (void)timer_ec;
    std::string cause;
    if (order[0] != 0) {
      cause = "timed out resolving the host name";
    } else if (resolve_ec) {
      cause = "cannot resolve the host name: " + resolve_ec.message();
    } else if (endpoints.empty()) {
      cause = "the host name has no address";
    }
    if (!cause.empty()) {
      co_return Fail(Error::Unavailable(
          "Storage Error",
          params.Scrub("cannot connect to PostgreSQL (" + params.Describe() + "): " + cause)));
    }
    // Every address, tried in turn by libpq as it would have (e.g. ::1 then 127.0.0.1 for
    // localhost): a hostaddr list needs a host list of the same length.
    std::string hosts, addresses;
    std::size_t count = 0;
    for (const auto& entry : endpoints) {
      if (count++ == 8) break;
      if (!hosts.empty()) {
        hosts += ',';
        addresses += ',';
      }
      hosts += *host;
      addresses += entry.endpoint().address().to_string();
    }
    for (std::size_t i = 0; i < keyword_strings.size(); ++i) {
      if (keyword_strings[i] == "host") value_strings[i] = hosts;
    }
    keyword_strings.emplace_back("hostaddr");
    value_strings.push_back(std::move(addresses));
  }

  std::vector<const char*> keywords, values;
  for (const std::string& keyword : keyword_strings) keywords.push_back(keyword.c_str());
  for (const std::string& value : value_strings) values.push_back(value.c_str());
  keywords.push_back(nullptr);
  values.push_back(nullptr);

  auto failure = [&params](pg_conn* conn, std::string cause) {
    std::string where = params.Describe();
    if (conn != nullptr && PQhost(conn) != nullptr && *PQhost(conn) != '\0') {
      // What libpq actually tried, defaults and environment included.
      where = std::string("host=") + PQhost(conn) + " port=" + PQport(conn) + " dbname=" +
              PQdb(conn) + " user=" + PQuser(conn);
    }
    return Error::Unavailable("Storage Error", params.Scrub("cannot connect to PostgreSQL (" +
                                                            where + "): " + OneLine(cause)));
  };

  pg_conn* raw = PQconnectStartParams(keywords.data(), values.data(), /*expand_dbname=*/0);
  if (raw == nullptr) co_return Fail(failure(nullptr, "out of memory"));
  std::unique_ptr<PgConnection> connection(
      new PgConnection(executor, raw, params.ClientStatementTimeout()));
  if (PQstatus(raw) == CONNECTION_BAD) co_return Fail(failure(raw, PQerrorMessage(raw)));

  // libpq's protocol: start as if the last poll said "writing", then poll after each wait.
  PostgresPollingStatusType poll = PGRES_POLLING_WRITING;
  while (poll != PGRES_POLLING_OK) {
    if (poll == PGRES_POLLING_FAILED) co_return Fail(failure(raw, PQerrorMessage(raw)));
    // PQsocket changes when libpq moves on to the next address or retries without SSL, and a
    // new socket may reuse the old number, so the descriptor is re-registered at every step.
    if (connection->socket_.is_open()) connection->socket_.release();
    const int fd = PQsocket(raw);
    if (fd < 0) co_return Fail(failure(raw, PQerrorMessage(raw)));
    boost::system::error_code ec;
    connection->socket_.assign(fd, ec);
    if (ec) co_return Fail(failure(raw, "cannot watch the socket: " + ec.message()));
    Result<void> ready = co_await connection->Wait(
        poll == PGRES_POLLING_READING ? WaitFor::kRead : WaitFor::kWrite, deadline);
    if (!ready) co_return Fail(failure(raw, ready.error().message));
    poll = PQconnectPoll(raw);
  }
  if (PQsetnonblocking(raw, 1) != 0) co_return Fail(failure(raw, PQerrorMessage(raw)));
  co_return connection;
}

asio::awaitable<Result<void>> PgConnection::Wait(WaitFor what, PgClock::time_point deadline) {
  if (PgClock::now() >= deadline) {
    broken_ = true;
    Error error = Error::Unavailable("Storage Error", "timed out waiting for PostgreSQL");
    error.reason = kReasonTimeout;
    co_return Fail(std::move(error));
  }
  timer_.expires_at(deadline);
  const auto wait_type = what == WaitFor::kRead ? asio::posix::stream_descriptor::wait_read
                                                : asio::posix::stream_descriptor::wait_write;
  // Named, not a temporary inside co_await (GCC 12, CONVENTIONS §4.1). The group completes
  // after both operations have: the loser is cancelled, so nothing outlives this frame.
  auto group = asio::experimental::make_parallel_group(
      [this, wait_type](auto token) { return socket_.async_wait(wait_type, token); },
      [this](auto token) { return timer_.async_wait(token); });
  auto [order, socket_ec, timer_ec] =
      co_await group.async_wait(asio::experimental::wait_for_one(), asio::use_awaitable);
  (void)timer_ec;
  if (order[0] == 0 && !socket_ec) co_return Result<void>();
  broken_ = true;
  if (order[0] == 0) {
    Error error =
        Error::Unavailable("Storage Error", "waiting for the PostgreSQL socket failed: " +
                                                socket_ec.message());
    error.reason = kReasonLost;
    co_return Fail(std::move(error));
  }
  Error error = Error::Unavailable("Storage Error", "timed out waiting for PostgreSQL");
  error.reason = kReasonTimeout;
  co_return Fail(std::move(error));
}

Error PgConnection::ConnectionError(std::string_view what, StatementKind kind, bool sent,
                                    bool in_transaction) {
  broken_ = true;
  Error error = Error::Unavailable("Storage Error", "PostgreSQL connection lost: " + OneLine(what));
  error.reason = Retryable(kind, sent, in_transaction) ? kReasonRetryable : kReasonLost;
  return error;
}

asio::awaitable<Result<void>> PgConnection::Flush(StatementKind kind, bool in_transaction,
                                                  PgClock::time_point deadline) {
  // In non-blocking mode PQsend* only queues what does not fit the socket buffer.
  for (;;) {
    const int flushed = PQflush(conn_);
    if (flushed == 0) co_return Result<void>();
    if (flushed < 0) {
      co_return Fail(ConnectionError(PQerrorMessage(conn_), kind, true, in_transaction));
    }
    // Read what the server sends meanwhile, so that neither side waits for the other forever.
    if (PQconsumeInput(conn_) == 0) {
      co_return Fail(ConnectionError(PQerrorMessage(conn_), kind, true, in_transaction));
    }
    Result<void> writable = co_await Wait(WaitFor::kWrite, deadline);
    if (!writable) co_return Fail(std::move(writable.error()));
  }
}

Error PgConnection::ResultError(const pg_result* result, StatementKind kind,
                                bool in_transaction) {
  const char* state = PQresultErrorField(result, PG_DIAG_SQLSTATE);
  const char* primary = PQresultErrorField(result, PG_DIAG_MESSAGE_PRIMARY);
  const std::string sqlstate = state != nullptr ? state : "";
  // Only the primary message: DETAIL may quote values (a duplicate key, for instance).
  std::string message =
      "PostgreSQL error " + (sqlstate.empty() ? "?" : sqlstate) + ": " +
      OneLine(primary != nullptr ? primary : PQresStatus(PQresultStatus(result)));
  const bool lost = PQstatus(conn_) == CONNECTION_BAD;
  if (lost) broken_ = true;
  Error error = lost || IsUnavailableState(sqlstate)
                    ? Error::Unavailable("Storage Error", std::move(message))
                    : Error::Internal(std::move(message));
  if (error.code == ErrorCode::kUnavailable && sqlstate != "57014" &&
      Retryable(kind, true, in_transaction)) {
    error.reason = kReasonRetryable;
  } else {
    error.reason = std::string(kReasonSqlStatePrefix) + sqlstate;
  }
  return error;
}

asio::awaitable<Result<PgResult>> PgConnection::Finish(StatementKind kind, bool in_transaction,
                                                       PgClock::time_point deadline) {
  Result<void> flushed = co_await Flush(kind, in_transaction, deadline);
  if (!flushed) co_return Fail(std::move(flushed.error()));

  // Receive every result up to the end of the command (PQgetResult returns null).
  PgResult last;
  std::optional<Error> first_error;
  for (;;) {
    if (PQconsumeInput(conn_) == 0) {
      if (first_error) {  // e.g. FATAL 57P01, then the server closed the connection
        broken_ = true;
        co_return Fail(std::move(*first_error));
      }
      co_return Fail(ConnectionError(PQerrorMessage(conn_), kind, true, in_transaction));
    }
    while (PQisBusy(conn_) == 0) {
      pg_result* raw = PQgetResult(conn_);
      if (raw == nullptr) {
        if (first_error) co_return Fail(std::move(*first_error));
        co_return last;
      }
      PgResult result(raw);
      const ExecStatusType status = PQresultStatus(raw);
      if (status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK ||
          status == PGRES_EMPTY_QUERY) {
        last = std::move(result);
      } else if (!first_error) {
        first_error = ResultError(raw, kind, in_transaction);
      }
    }
    Result<void> readable = co_await Wait(WaitFor::kRead, deadline);
    if (!readable) co_return Fail(std::move(readable.error()));
  }
}

asio::awaitable<Result<PgBatchResult>> PgConnection::ExecuteBatch(
    std::span<const PgBatchItem> items) {
  const PgClock::time_point deadline = DefaultDeadline();
  StatementKind kind = StatementKind::kRead;
  for (const PgBatchItem& item : items) {
    if (item.statement->kind == StatementKind::kCommit ||
        (item.statement->kind == StatementKind::kWrite && kind == StatementKind::kRead)) {
      kind = item.statement->kind;
    }
  }
  if (broken_) co_return Fail(ConnectionError("the connection is broken", kind, false, false));
  // Statements new to this connection are prepared first, one round trip each, once.
  for (const PgBatchItem& item : items) {
    if (std::find(prepared_.begin(), prepared_.end(), item.statement) != prepared_.end()) continue;
    Result<void> prepared = co_await Prepare(*item.statement, deadline);
    if (!prepared) co_return Fail(std::move(prepared.error()));
  }

  const bool in_transaction = InTransaction();
  if (PQenterPipelineMode(conn_) == 0) {
    co_return Fail(ConnectionError(PQerrorMessage(conn_), kind, false, in_transaction));
  }
  for (std::size_t i = 0; i < items.size(); ++i) {
    const PgParams& params = *items[i].params;
    const int count = params.Count();
    std::vector<const char*> values(static_cast<std::size_t>(count));
    std::vector<int> lengths(static_cast<std::size_t>(count));
    const std::vector<int> formats(static_cast<std::size_t>(count), 1);
    for (int p = 0; p < count; ++p) {
      const PgParams::Item& item = params.items_[static_cast<std::size_t>(p)];
      values[static_cast<std::size_t>(p)] =
          item.inline_value ? item.inline_bytes.data() : item.data;
      lengths[static_cast<std::size_t>(p)] = item.length;
    }
    if (PQsendQueryPrepared(conn_, items[i].statement->name, count, values.data(), lengths.data(),
                            formats.data(), /*resultFormat=*/1) == 0) {
      // Nothing is executed before the sync below reaches the server, but part of the batch
      // may have been flushed already: only a failure on the first statement is "not sent".
      co_return Fail(ConnectionError(PQerrorMessage(conn_), kind, i > 0, in_transaction));
    }
  }
  if (PQpipelineSync(conn_) == 0) {
    co_return Fail(ConnectionError(PQerrorMessage(conn_), kind, true, in_transaction));
  }
  Result<void> flushed = co_await Flush(kind, in_transaction, deadline);
  if (!flushed) co_return Fail(std::move(flushed.error()));

  // Per statement: its result(s), then null; aborted statements give PGRES_PIPELINE_ABORTED;
  // PGRES_PIPELINE_SYNC ends the batch.
  PgBatchResult batch;
  batch.results.resize(items.size());
  std::size_t index = 0;
  for (;;) {
    if (PQconsumeInput(conn_) == 0) {
      if (batch.error && broken_) co_return Fail(std::move(*batch.error));
      co_return Fail(ConnectionError(PQerrorMessage(conn_), kind, true, in_transaction));
    }
    bool synced = false;
    while (!synced && PQisBusy(conn_) == 0) {
      pg_result* raw = PQgetResult(conn_);
      if (raw == nullptr) {
        ++index;  // the end of one statement's results
        continue;
      }
      PgResult result(raw);
      switch (PQresultStatus(raw)) {
        case PGRES_COMMAND_OK:
        case PGRES_TUPLES_OK:
        case PGRES_EMPTY_QUERY:
          if (index < batch.results.size()) batch.results[index] = std::move(result);
          break;
        case PGRES_PIPELINE_SYNC:
          synced = true;
          break;
        case PGRES_PIPELINE_ABORTED:
          break;
        default:
          if (!batch.error) {
            batch.error = ResultError(raw, kind, in_transaction);
            batch.failed_index = index;
          }
          break;
      }
    }
    if (synced) break;
    Result<void> readable = co_await Wait(WaitFor::kRead, deadline);
    if (!readable) co_return Fail(std::move(readable.error()));
  }
  if (PQexitPipelineMode(conn_) == 0) {
    co_return Fail(ConnectionError(PQerrorMessage(conn_), kind, true, in_transaction));
  }
  if (batch.error) {
    if (broken_) co_return Fail(std::move(*batch.error));
    batch.results.clear();
  }
  co_return batch;
}

asio::awaitable<Result<void>> PgConnection::Prepare(const PgStatement& statement,
                                                    PgClock::time_point deadline) {
  if (PQsendPrepare(conn_, statement.name, statement.sql, 0, nullptr) == 0) {
    co_return Fail(ConnectionError(PQerrorMessage(conn_), StatementKind::kRead, false, false));
  }
  Result<PgResult> prepared = co_await Finish(StatementKind::kRead, InTransaction(), deadline);
  if (!prepared) {
    Error error = std::move(prepared.error());
    error.message = "preparing '" + std::string(statement.name) + "': " + error.message;
    co_return Fail(std::move(error));
  }
  prepared_.push_back(&statement);
  co_return Result<void>();
}

asio::awaitable<Result<PgResult>> PgConnection::Execute(const PgStatement& statement,
                                                        const PgParams& params,
                                                        PgClock::time_point deadline) {
  if (broken_) {
    co_return Fail(ConnectionError("the connection is broken", statement.kind, false, false));
  }
  if (std::find(prepared_.begin(), prepared_.end(), &statement) == prepared_.end()) {
    Result<void> prepared = co_await Prepare(statement, deadline);
    if (!prepared) co_return Fail(std::move(prepared.error()));
  }
  const bool in_transaction = InTransaction();
  const int count = params.Count();
  std::vector<const char*> values(static_cast<std::size_t>(count));
  std::vector<int> lengths(static_cast<std::size_t>(count));
  const std::vector<int> formats(static_cast<std::size_t>(count), 1);
  for (int i = 0; i < count; ++i) {
    const PgParams::Item& item = params.items_[static_cast<std::size_t>(i)];
    values[static_cast<std::size_t>(i)] = item.inline_value ? item.inline_bytes.data() : item.data;
    lengths[static_cast<std::size_t>(i)] = item.length;
  }
  if (PQsendQueryPrepared(conn_, statement.name, count, values.data(), lengths.data(),
                          formats.data(), /*resultFormat=*/1) == 0) {
    co_return Fail(
        ConnectionError(PQerrorMessage(conn_), statement.kind, false, in_transaction));
  }
  co_return co_await Finish(statement.kind, in_transaction, deadline);
}

asio::awaitable<Result<PgResult>> PgConnection::Execute(const PgStatement& statement,
                                                        const PgParams& params) {
  co_return co_await Execute(statement, params, DefaultDeadline());
}

asio::awaitable<Result<PgResult>> PgConnection::Execute(const PgStatement& statement) {
  const PgParams none;
  co_return co_await Execute(statement, none, DefaultDeadline());
}

asio::awaitable<Result<PgResult>> PgConnection::Query(const char* sql, const PgParams& params,
                                                      StatementKind kind,
                                                      PgClock::time_point deadline) {
  if (broken_) co_return Fail(ConnectionError("the connection is broken", kind, false, false));
  const bool in_transaction = InTransaction();
  const int count = params.Count();
  std::vector<const char*> values(static_cast<std::size_t>(count));
  std::vector<int> lengths(static_cast<std::size_t>(count));
  const std::vector<int> formats(static_cast<std::size_t>(count), 1);
  for (int i = 0; i < count; ++i) {
    const PgParams::Item& item = params.items_[static_cast<std::size_t>(i)];
    values[static_cast<std::size_t>(i)] = item.inline_value ? item.inline_bytes.data() : item.data;
    lengths[static_cast<std::size_t>(i)] = item.length;
  }
  if (PQsendQueryParams(conn_, sql, count, nullptr, values.data(), lengths.data(), formats.data(),
                        /*resultFormat=*/1) == 0) {
    co_return Fail(ConnectionError(PQerrorMessage(conn_), kind, false, in_transaction));
  }
  co_return co_await Finish(kind, in_transaction, deadline);
}

asio::awaitable<Result<PgResult>> PgConnection::ExecuteScript(const char* sql, StatementKind kind,
                                                              PgClock::time_point deadline) {
  if (broken_) co_return Fail(ConnectionError("the connection is broken", kind, false, false));
  const bool in_transaction = InTransaction();
  if (PQsendQuery(conn_, sql) == 0) {
    co_return Fail(ConnectionError(PQerrorMessage(conn_), kind, false, in_transaction));
  }
  co_return co_await Finish(kind, in_transaction, deadline);
}

bool PgConnection::IsBroken() const { return broken_ || PQstatus(conn_) != CONNECTION_OK; }

bool PgConnection::InTransaction() const {
  return PQtransactionStatus(conn_) != PQTRANS_IDLE;
}

bool PgConnection::CheckIdle() {
  if (IsBroken()) return false;
  // Non-blocking: reads what arrived (a FATAL notice sets broken_ through OnNotice; EOF makes
  // PQconsumeInput fail), or nothing.
  if (PQconsumeInput(conn_) == 0 || IsBroken() || InTransaction()) {
    broken_ = true;
    return false;
  }
  return true;
}

int PgConnection::BackendPid() const { return PQbackendPID(conn_); }

}  // namespace convene::store::postgres
