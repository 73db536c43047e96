// What the sealer contract tests share (test_gpg_sealer, test_rnp_sealer):
// a signed body as the pipeline hands it over, and the member's side that
// decrypts and lists packets with the gpg binary. Throws on setup failure.
#pragma once

#include "gpg_test_support.hpp"

#include <algorithm>
#include <filesystem>
#include <fmt/format.h>
#include <list/crypto/gpg_home.hpp>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace test {

// A signed body as the pipeline hands it over: MIME, CRLF, 8bit.
inline std::string signed_body(size_t size) {
  std::string body = "Content-Type: multipart/signed; micalg=pgp-sha512;\r\n"
                     " protocol=\"application/pgp-signature\"; boundary=\"b\"\r\n\r\n"
                     "--b\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nCafé ";
  while (body.size() < size) {
    body += "line of the post\r\n";
  }
  return body;
}

// The member's side: a home holding alice's and bob's secret keys.
struct Members {
  test::TempDir dir;
  std::string home = dir / "gnupg";

  Members() {
    if (!list::prepare_gnupg_home(home)) {
      throw std::runtime_error("cannot prepare " + home);
    }
    test::import_keys(home, {test::fixture_path("secret/valid-cv25519.asc"),
                             test::fixture_path("secret/valid-rsa3072.asc")});
  }

  std::string save(const std::string& name, std::string_view bytes) {
    const std::string path = dir / name;
    test::write_file(path, bytes);
    return path;
  }

  std::string decrypt(const std::string& path) {
    return test::gpg(home, fmt::format("--decrypt '{}'", path)).output;
  }

  std::string packets(const std::string& path) {
    return test::gpg(home, fmt::format("--list-packets '{}'", path)).output;
  }
};

inline size_t count(const std::string& text, const std::string& what) {
  size_t n = 0;
  for (size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) {
    ++n;
  }
  return n;
}

/// The names in `dir`, sorted.
inline std::vector<std::string> files_in(const std::string& dir) {
  std::vector<std::string> names;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    names.push_back(entry.path().filename().string());
  }
  std::sort(names.begin(), names.end());
  return names;
}

} // namespace test
