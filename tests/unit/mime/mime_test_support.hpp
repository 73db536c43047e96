// Helpers for list_mime tests: fixture files, and real gpg in temporary
// GnuPG homes (agents stopped on scope exit) as the oracle for signatures.
// Failures throw std::runtime_error, which Boost.Test reports.
#pragma once

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fmt/format.h>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <sys/wait.h>
#include <util/result.hpp>

namespace test {

inline std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    throw std::runtime_error("cannot read " + path);
  }
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

inline void write_file(const std::string& path, std::string_view bytes) {
  std::ofstream out(path, std::ios::binary);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  if (!out) {
    throw std::runtime_error("cannot write " + path);
  }
}

inline std::string fixture_path(const std::string& name) {
  return std::string(LIFELINE_FIXTURES) + "/" + name;
}

inline std::string mail(const std::string& name) {
  return read_file(fixture_path("mail/" + name));
}

/// The value of a Result, or a test failure naming its error.
template <class T> T value_of(util::Result<T> result) {
  if (!result) {
    throw std::runtime_error("unexpected error: " + result.error().message);
  }
  return std::move(*result);
}

struct Run {
  int status = -1;
  std::string output; // stdout only
};

/// A GnuPG home in a short temporary directory (agent sockets live there),
/// removed with its agent.
class GpgHome {
public:
  GpgHome() {
    std::string pattern = "/tmp/llmt.XXXXXX";
    if (::mkdtemp(pattern.data()) == nullptr) {
      throw std::runtime_error("mkdtemp failed");
    }
    m_path = pattern;
    write_file(m_path + "/gpg-agent.conf", "allow-loopback-pinentry\n");
  }
  GpgHome(const GpgHome&) = delete;
  GpgHome& operator=(const GpgHome&) = delete;
  ~GpgHome() {
    const std::string cmd =
        fmt::format("gpgconf --homedir '{}' --kill all >/dev/null 2>&1", m_path);
    [[maybe_unused]] int rc = std::system(cmd.c_str());
    std::error_code ec;
    std::filesystem::remove_all(m_path, ec);
  }

  std::string file(const std::string& name) const { return m_path + "/" + name; }

  /// Runs gpg with `args` (shell words, already quoted) in this home.
  Run gpg(const std::string& args) const {
    const std::string cmd = fmt::format(
        "gpg --homedir '{}' --batch --no-tty --quiet --pinentry-mode loopback --passphrase '' "
        "--trust-model always --yes {} 2>/dev/null",
        m_path, args);
    Run run;
    FILE* pipe = ::popen(cmd.c_str(), "r");
    if (pipe == nullptr) {
      throw std::runtime_error("popen failed");
    }
    char buffer[4096];
    std::size_t n = 0;
    while ((n = std::fread(buffer, 1, sizeof buffer, pipe)) > 0) {
      run.output.append(buffer, n);
    }
    const int status = ::pclose(pipe);
    run.status = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    return run;
  }

  void import(const std::string& fixture) const {
    if (gpg("--import '" + fixture_path(fixture) + "'").status != 0) {
      throw std::runtime_error("cannot import " + fixture);
    }
  }

  /// Decrypts `ciphertext`; throws when gpg fails.
  std::string decrypt(std::string_view ciphertext) const {
    write_file(file("in.asc"), ciphertext);
    const auto run = gpg("--decrypt '" + file("in.asc") + "'");
    if (run.status != 0) {
      throw std::runtime_error("gpg --decrypt failed");
    }
    return run.output;
  }

  /// The primary fingerprint of the good signature over `data`, "" if none.
  std::string verify(std::string_view data, std::string_view signature) const {
    write_file(file("data"), data);
    write_file(file("data.sig"), signature);
    const auto run =
        gpg("--status-fd 1 --verify '" + file("data.sig") + "' '" + file("data") + "'");
    const auto at = run.output.find("[GNUPG:] VALIDSIG ");
    if (run.status != 0 || at == std::string::npos) {
      return {};
    }
    // VALIDSIG <fpr> <date> ... <primary-fpr>: the last field of the line.
    const auto end = run.output.find('\n', at);
    const auto line = run.output.substr(at, end - at);
    return line.substr(line.rfind(' ') + 1);
  }

  /// A detached armored signature over `data` by `key` (fingerprint).
  std::string sign(std::string_view data, const std::string& key) const {
    write_file(file("tosign"), data);
    const auto run = gpg("--armor --detach-sign --digest-algo SHA256 -u " + key + " -o - '" +
                         file("tosign") + "'");
    if (run.status != 0) {
      throw std::runtime_error("gpg --detach-sign failed");
    }
    return run.output;
  }

  /// `data` encrypted to `recipient` (fingerprint), armored.
  std::string encrypt(std::string_view data, const std::string& recipient) const {
    write_file(file("toencrypt"), data);
    const auto run = gpg("--armor --encrypt -r " + recipient + " -o - '" + file("toencrypt") + "'");
    if (run.status != 0) {
      throw std::runtime_error("gpg --encrypt failed");
    }
    return run.output;
  }

private:
  std::string m_path;
};

constexpr const char* k_alice_fpr = "DDEB5A00D862912391964AFDD1156D5B182A649B";
constexpr const char* k_mallory_fpr = "F0F77D7FDCF9F1D2453A0278F582682A5B0E9EDD";

/// The list key's fingerprint, from the fixture README's table.
inline std::string list_fpr() {
  const std::string readme = read_file(fixture_path("mail/README.md"));
  const auto row = readme.find("| list-key.asc |");
  const auto end = readme.find('\n', row);
  const auto line = readme.substr(row, end - row);
  const auto last = line.rfind('|');
  const auto before = line.rfind('|', last - 1);
  std::string fpr = line.substr(before + 1, last - before - 1);
  fpr.erase(0, fpr.find_first_not_of(' '));
  fpr.erase(fpr.find_last_not_of(' ') + 1);
  return fpr;
}

} // namespace test
