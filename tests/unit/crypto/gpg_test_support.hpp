// Helpers for tests that run real GnuPG: temporary homes whose agents are
// stopped on scope exit, fixture files, and the gpg binary as an oracle.
// Failures throw std::runtime_error, which Boost.Test reports.
#pragma once

#include <array>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fmt/format.h>
#include <fstream>
#include <list/crypto/gpg_home.hpp>
#include <sstream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <sys/wait.h>
#include <vector>

namespace test {

/// A private temporary directory (short, under /tmp: agent sockets live in
/// GnuPG homes here) removed with every gpg-agent started in it.
class TempDir {
public:
  TempDir() {
    std::string pattern = "/tmp/llct.XXXXXX";
    if (::mkdtemp(pattern.data()) == nullptr) {
      throw std::runtime_error("mkdtemp failed");
    }
    m_path = pattern;
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  ~TempDir() {
    std::error_code ec;
    for (const auto& entry : std::filesystem::recursive_directory_iterator(m_path, ec)) {
      if (entry.is_directory(ec) && std::filesystem::exists(entry.path() / "gpg.conf", ec)) {
        stop(entry.path().string());
      }
    }
    stop(m_path);
    std::filesystem::remove_all(m_path, ec);
  }

  const std::string& path() const { return m_path; }
  std::string operator/(const std::string& name) const { return m_path + "/" + name; }

private:
  // gpgconf on the home itself, and list::stop_gpg_agent for homes that
  // gpg reached through a short alias.
  static void stop(const std::string& home) {
    const std::string cmd = fmt::format("gpgconf --homedir '{}' --kill all >/dev/null 2>&1", home);
    [[maybe_unused]] int rc = std::system(cmd.c_str());
    list::stop_gpg_agent(home);
  }

  std::string m_path;
};

inline std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    throw std::runtime_error("cannot read " + path);
  }
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

inline std::string fixture(const std::string& name) {
  return read_file(std::string(LIFELINE_FIXTURES) + "/keys/" + name);
}

inline std::string fixture_path(const std::string& name) {
  return std::string(LIFELINE_FIXTURES) + "/keys/" + name;
}

inline std::string mail_fixture_path(const std::string& name) {
  return std::string(LIFELINE_FIXTURES) + "/mail/" + name;
}

inline std::string mail_fixture(const std::string& name) {
  return read_file(mail_fixture_path(name));
}

inline void write_file(const std::string& path, std::string_view bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  if (!out) {
    throw std::runtime_error("cannot write " + path);
  }
}

struct Run {
  int status = -1;
  std::string output; // stdout only
};

/// Runs a shell command (test-controlled text only) and captures stdout.
inline Run run(const std::string& command) {
  Run result;
  FILE* pipe = ::popen(command.c_str(), "r");
  if (pipe == nullptr) {
    throw std::runtime_error("popen failed: " + command);
  }
  std::array<char, 4096> buffer{};
  size_t n = 0;
  while ((n = std::fread(buffer.data(), 1, buffer.size(), pipe)) > 0) {
    result.output.append(buffer.data(), n);
  }
  const int status = ::pclose(pipe);
  result.status = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return result;
}

/// `gpg --batch` on `home` with the given arguments (stderr discarded).
inline Run gpg(const std::string& home, const std::string& args) {
  return run(fmt::format("gpg --homedir '{}' --batch --no-tty {} 2>/dev/null", home, args));
}

/// Imports key files (paths) into `home` with the gpg binary; throws on failure.
inline void import_keys(const std::string& home, const std::vector<std::string>& paths) {
  for (const std::string& path : paths) {
    if (gpg(home, fmt::format("--import '{}'", path)).status != 0) {
      throw std::runtime_error("gpg --import failed for " + path);
    }
  }
}

/// Lines of `gpg --with-colons` output whose first field is `record`.
inline std::vector<std::vector<std::string>> colon_records(const std::string& listing,
                                                           const std::string& record) {
  std::vector<std::vector<std::string>> out;
  std::istringstream lines(listing);
  for (std::string line; std::getline(lines, line);) {
    std::vector<std::string> fields;
    std::istringstream parts(line);
    for (std::string field; std::getline(parts, field, ':');) {
      fields.push_back(field);
    }
    if (!fields.empty() && fields[0] == record) {
      out.push_back(fields);
    }
  }
  return out;
}

/// The primary fingerprints of the keys in a fixture, as gpg itself reads them.
inline std::vector<std::string> fixture_fingerprints(const std::string& name) {
  TempDir scratch;
  const Run shown =
      gpg(scratch.path(), fmt::format("--with-colons --show-keys '{}'", fixture_path(name)));
  std::vector<std::string> fprs;
  bool want = false;
  std::istringstream lines(shown.output);
  for (std::string line; std::getline(lines, line);) {
    if (line.rfind("pub:", 0) == 0 || line.rfind("sec:", 0) == 0) {
      want = true;
    } else if (want && line.rfind("fpr:", 0) == 0) {
      fprs.push_back(line.substr(12, 40));
      want = false;
    }
  }
  return fprs;
}

/// How many public keys the keyring in `home` holds.
inline size_t key_count(const std::string& home) {
  return colon_records(gpg(home, "--with-colons --list-keys").output, "pub").size();
}

} // namespace test
