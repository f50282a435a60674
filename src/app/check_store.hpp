#pragma once

#include <functional>
#include <iosfwd>

namespace convene::app {

/// `convene --check-store`: checks a stopped deployment's store and exits 0
/// (ok) or 1, so an operator (and the crash-consistency tests) can verify it
/// after a crash without starting the server. Reads only MEET_DATABASE_URL and
/// MEET_DATA_DIR, so it works whatever else the environment holds:
///   - PostgreSQL (MEET_DATABASE_URL set): the schema must exist at this
///   build's version (nothing
///     is created or migrated), then the store audit (store/store_audit.hpp).
///   - SQLite (otherwise, `<MEET_DATA_DIR>/convene.db`): the file must exist,
///   SQLite's integrity
///     check must pass, then the same audit.
/// Writes one line per finding to `out`; never a secret or a password.
int CheckStore(const std::function<const char *(const char *)> &getenv,
               std::ostream &out);

} // namespace convene::app
