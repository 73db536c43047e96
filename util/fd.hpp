// Fd owns a POSIX file descriptor; durable file helpers report errors as values.
#pragma once

#include <string>
#include <string_view>
#include <util/result.hpp>

namespace util {

class Fd {
public:
  Fd() = default;
  explicit Fd(int fd) : m_fd(fd) {}
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  Fd(Fd&& other) noexcept : m_fd(std::exchange(other.m_fd, -1)) {}
  Fd& operator=(Fd&& other) noexcept;
  ~Fd();

  int get() const { return m_fd; }
  bool valid() const { return m_fd >= 0; }
  int release() { return std::exchange(m_fd, -1); }

private:
  int m_fd = -1;
};

/// Writes `data` to `path` via a temporary file, fsyncs file and directory,
/// then renames: the file is either absent or complete after a crash.
Result<void> write_file_durably(const std::string& path, std::string_view data, int mode = 0600);

/// Reads a whole file.
Result<std::string> read_file(const std::string& path);

/// Creates `path` (and parents) with `mode`; an existing directory is fine.
Result<void> make_directories(const std::string& path, int mode = 0700);

} // namespace util
