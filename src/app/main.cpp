// Entry point: configuration, logging, then the composition root (application.cpp).
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <iostream>
#include <string>

#include "app/application.hpp"
#include "app/config.hpp"
#include "store/sqlite/sqlite_database.hpp"

namespace {

// `convene --check-store`: runs SQLite's integrity check on the embedded store of MEET_DATA_DIR
// and exits 0 (ok) or 1, so an operator (and the crash-consistency test) can verify a data
// directory after a crash without starting the server. Only MEET_DATA_DIR is read: the check must
// work whatever the rest of the environment holds.
int CheckStore() {
  const char* env = std::getenv("MEET_DATA_DIR");
  const std::string dir = env != nullptr && *env != '\0' ? env : convene::app::Config{}.data_dir;
  // Open() would create an empty database; a missing one is a failed check, not a fresh store.
  std::error_code ec;
  if (!std::filesystem::is_regular_file(std::filesystem::path(dir) / "convene.db", ec)) {
    std::cout << "convene: no store at '" << dir << "/convene.db'\n";
    return 1;
  }
  auto db = convene::store::sqlite::SqliteDatabase::Open(dir);
  if (!db) {
    std::cout << "convene: " << db.error().message << "\n";
    return 1;
  }
  auto check = (*db)->IntegrityCheck();
  const std::string path = (*db)->Path();
  (*db)->Close();
  if (!check) {
    std::cout << "convene: " << check.error().message << "\n";
    return 1;
  }
  std::cout << "convene: store '" << path << "': integrity check ok\n";
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--help") == 0 || std::strcmp(argv[i], "-h") == 0) {
      std::cout << convene::app::ConfigHelp();
      return 0;
    }
    if (std::strcmp(argv[i], "--check-store") == 0) return CheckStore();
  }
  auto config = convene::app::LoadConfig([](const char* name) -> const char* { return std::getenv(name); });
  if (!config) {
    std::cerr << "convene: " << config.error().message << "\n";
    return 2;
  }
  return convene::app::RunApplication(*config);
}
