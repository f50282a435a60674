// Entry point: configuration, logging, then the composition root (application.cpp).
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <string>

#include "app/application.hpp"
#include "app/check_store.hpp"
#include "app/config.hpp"

int main(int argc, char** argv) {
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--help") == 0 || std::strcmp(argv[i], "-h") == 0) {
      std::cout << convene::app::ConfigHelp();
      return 0;
    }
    if (std::strcmp(argv[i], "--check-store") == 0) {
      return convene::app::CheckStore([](const char* name) -> const char* { return std::getenv(name); },
                                      std::cout);
    }
  }
  auto config = convene::app::LoadConfig([](const char* name) -> const char* { return std::getenv(name); });
  if (!config) {
    std::cerr << "convene: " << config.error().message << "\n";
    return 2;
  }
  return convene::app::RunApplication(*config);
}
