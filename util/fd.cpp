#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <filesystem>
#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>
#include <util/fd.hpp>

namespace util {

Fd& Fd::operator=(Fd&& other) noexcept {
  if (this != &other) {
    if (m_fd >= 0) {
      ::close(m_fd);
    }
    m_fd = std::exchange(other.m_fd, -1);
  }
  return *this;
}

Fd::~Fd() {
  if (m_fd >= 0) {
    ::close(m_fd);
  }
}

namespace {
tl::unexpected<Error> os_error(std::string_view what, const std::string& path) {
  return transient(fmt::format("{} {}: {}", what, path, std::strerror(errno)));
}
} // namespace

Result<void> write_file_durably(const std::string& path, std::string_view data, int mode) {
  const std::string tmp = path + ".tmp";
  Fd fd(::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode));
  if (!fd.valid()) {
    return os_error("cannot create", tmp);
  }
  size_t done = 0;
  while (done < data.size()) {
    ssize_t n = ::write(fd.get(), data.data() + done, data.size() - done);
    if (n < 0) {
      if (errno == EINTR) {
        continue;
      }
      return os_error("cannot write", tmp);
    }
    done += static_cast<size_t>(n);
  }
  if (::fsync(fd.get()) != 0) {
    return os_error("cannot fsync", tmp);
  }
  fd = Fd();
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    return os_error("cannot rename", tmp);
  }
  const std::string dir = std::filesystem::path(path).parent_path().string();
  Fd dfd(::open(dir.empty() ? "." : dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!dfd.valid() || ::fsync(dfd.get()) != 0) {
    return os_error("cannot fsync directory", dir);
  }
  return {};
}

Result<std::string> read_file(const std::string& path) {
  Fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd.valid()) {
    return permanent(fmt::format("cannot open {}: {}", path, std::strerror(errno)));
  }
  std::string out;
  char buf[65536];
  for (;;) {
    ssize_t n = ::read(fd.get(), buf, sizeof buf);
    if (n < 0) {
      if (errno == EINTR) {
        continue;
      }
      return permanent(fmt::format("cannot read {}: {}", path, std::strerror(errno)));
    }
    if (n == 0) {
      break;
    }
    out.append(buf, static_cast<size_t>(n));
  }
  return out;
}

Result<void> make_directories(const std::string& path, int mode) {
  std::error_code ec;
  std::filesystem::create_directories(path, ec);
  if (ec) {
    return permanent(fmt::format("cannot create directory {}: {}", path, ec.message()));
  }
  if (::chmod(path.c_str(), static_cast<mode_t>(mode)) != 0) {
    return permanent(fmt::format("cannot chmod {}: {}", path, std::strerror(errno)));
  }
  return {};
}

} // namespace util
