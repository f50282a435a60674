# Every external dependency of Convene, found from Debian bookworm packages (see scripts/install-deps.sh).
find_package(Threads REQUIRED)
find_package(Boost 1.81 CONFIG REQUIRED COMPONENTS json url)
find_package(OpenSSL 3.0 REQUIRED)
find_package(SQLite3 REQUIRED)
find_package(fmt CONFIG REQUIRED)
find_package(spdlog CONFIG REQUIRED)
find_package(tl-expected CONFIG REQUIRED)
find_package(PkgConfig REQUIRED)
pkg_check_modules(XCRYPT REQUIRED IMPORTED_TARGET libxcrypt)
# Scale-out (issue 5): PostgreSQL through libpq (CMake's own module, no server headers needed) and
# hiredis 0.14 as the RESP codec only (its CMake config fails without a version: use pkg-config).
find_package(PostgreSQL REQUIRED)
pkg_check_modules(HIREDIS REQUIRED IMPORTED_TARGET hiredis)
# Display names compare on Unicode NFKC_Casefold (deviations §3.1): ICU's common library.
find_package(ICU 72 REQUIRED COMPONENTS uc)

if(CONVENE_BUILD_TESTS)
  find_package(GTest CONFIG REQUIRED)
endif()
if(CONVENE_BUILD_BENCH)
  find_package(benchmark CONFIG REQUIRED)
endif()

# Settings every target that includes Asio/Beast must share.
add_library(convene_asio_settings INTERFACE)
target_link_libraries(convene_asio_settings INTERFACE Boost::headers Threads::Threads)
target_compile_definitions(convene_asio_settings INTERFACE
  BOOST_ASIO_NO_DEPRECATED
  BOOST_ASIO_DISABLE_BOOST_COROUTINE)
