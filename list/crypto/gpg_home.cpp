#include <array>
#include <atomic>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <fcntl.h>
#include <filesystem>
#include <fmt/format.h>
#include <list/crypto/gpg_home.hpp>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

extern char** environ;

namespace list {

namespace {

namespace fs = std::filesystem;

// The longest socket name GnuPG 2.2 creates in a home; sun_path holds 108
// bytes including the terminating NUL.
constexpr std::string_view k_longest_socket = "/S.gpg-agent.browser";
constexpr size_t k_max_socket_path = sizeof(sockaddr_un{}.sun_path) - 1;

// Where short aliases of long homes live: one private directory per user.
constexpr std::string_view k_alias_root = "/tmp/lifeline-gnupg-";

// Lifeline binds each member to a fingerprint itself, so GnuPG's web of trust
// has no say (trust-model always), and a list's home never fetches keys.
constexpr std::string_view k_gpg_conf = R"(# Written by Lifeline for one list's keyring.
# Members are bound to fingerprints by Lifeline, not by the web of trust.
trust-model always
# Never go to the network for keys: the list works offline.
no-auto-key-retrieve
auto-key-locate local
disable-dirmngr
no-greeting
personal-digest-preferences SHA512 SHA384 SHA256
)";

// The list key has no passphrase (the home's mode 0700 protects it), and
// Lifeline drives the agent with loopback pinentry, never a dialog.
constexpr std::string_view k_agent_conf = R"(# Written by Lifeline for one list's keyring.
allow-loopback-pinentry
disable-scdaemon
)";

std::string errno_text() {
  return std::strerror(errno);
}

// GnuPG 2.2 puts the agent sockets under /run/user/UID/gnupg/d.HASH when that
// directory exists, and into the home otherwise.
bool has_runtime_socket_dir() {
  struct stat st {};
  const std::string dir = fmt::format("/run/user/{}", ::getuid());
  return ::stat(dir.c_str(), &st) == 0 && S_ISDIR(st.st_mode) && st.st_uid == ::getuid();
}

bool sockets_fit(const std::string& home) {
  return has_runtime_socket_dir() || home.size() + k_longest_socket.size() <= k_max_socket_path;
}

// FNV-1a: a stable name for the alias of one home, the same in every process.
std::string alias_name(const std::string& home) {
  std::uint64_t hash = 14695981039346656037ULL;
  for (unsigned char c : home) {
    hash = (hash ^ c) * 1099511628211ULL;
  }
  return fmt::format("{:016x}", hash);
}

std::string alias_root() {
  return fmt::format("{}{}", k_alias_root, ::getuid());
}

std::string alias_path(const std::string& home) {
  return fmt::format("{}/{}", alias_root(), alias_name(home));
}

// The alias root sits in a world-writable /tmp: accept it only as a real
// directory of ours that nobody else can write, or another user could point
// our alias at a home of their choosing.
util::Result<void> ensure_alias_root() {
  const std::string root = alias_root();
  if (::mkdir(root.c_str(), 0700) != 0 && errno != EEXIST) {
    return util::permanent(fmt::format("cannot create {}: {}", root, errno_text()));
  }
  struct stat st {};
  if (::lstat(root.c_str(), &st) != 0) {
    return util::permanent(fmt::format("cannot stat {}: {}", root, errno_text()));
  }
  if (!S_ISDIR(st.st_mode) || st.st_uid != ::getuid() || (st.st_mode & 0077) != 0) {
    return util::permanent(fmt::format(
        "{} is not a private directory of uid {}; remove it and try again", root, ::getuid()));
  }
  return {};
}

// Aliases of homes that were removed (a deleted list) point nowhere: drop
// them whenever a new alias is made, so the directory does not grow.
void prune_dangling_aliases() {
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(alias_root(), ec)) {
    std::error_code exists_ec;
    if (entry.is_symlink(exists_ec) && !fs::exists(entry.path(), exists_ec)) {
      fs::remove(entry.path(), exists_ec);
    }
  }
}

// A symlink alias -> home, replaced atomically when stale.
util::Result<std::string> ensure_alias(const std::string& home) {
  if (auto root = ensure_alias_root(); !root) {
    return tl::unexpected(root.error());
  }
  const std::string alias = alias_path(home);
  std::array<char, 4096> target{};
  const ssize_t n = ::readlink(alias.c_str(), target.data(), target.size() - 1);
  if (n >= 0 && std::string_view(target.data(), static_cast<size_t>(n)) == home) {
    return alias;
  }
  prune_dangling_aliases();
  // Unique per process and call: threads of one process may race here too.
  static std::atomic<unsigned> s_counter{0};
  const std::string temp = fmt::format("{}.{}.{}", alias, ::getpid(), s_counter++);
  ::unlink(temp.c_str());
  if (::symlink(home.c_str(), temp.c_str()) != 0 || ::rename(temp.c_str(), alias.c_str()) != 0) {
    const std::string why = errno_text();
    ::unlink(temp.c_str());
    return util::permanent(fmt::format("cannot create the GnuPG home alias {}: {}", alias, why));
  }
  return alias;
}

// Writes `text` to `path` unless it exists: an operator's edits win. The file
// appears whole or not at all (written aside, then link()ed into place), so a
// gpg started by another thread never reads a half-written gpg.conf and falls
// back to its defaults (trust model pgp: member keys would be unusable).
util::Result<void> write_if_missing(const fs::path& path, std::string_view text) {
  if (fs::exists(path)) {
    return {};
  }
  const std::string temp = fmt::format("{}.{}.{}.tmp", path.string(), ::getpid(),
                                       std::hash<std::thread::id>{}(std::this_thread::get_id()));
  const int fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) {
    return util::permanent(fmt::format("cannot create {}: {}", temp, errno_text()));
  }
  const bool ok = ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size()) &&
                  ::fsync(fd) == 0;
  const int saved = errno;
  ::close(fd);
  if (!ok) {
    ::unlink(temp.c_str());
    errno = saved;
    return util::transient(fmt::format("cannot write {}: {}", temp, errno_text()));
  }
  // link() fails with EEXIST if another writer got there first: theirs stays.
  const bool linked = ::link(temp.c_str(), path.c_str()) == 0 || errno == EEXIST;
  const int link_errno = errno;
  ::unlink(temp.c_str());
  if (!linked) {
    errno = link_errno;
    return util::permanent(fmt::format("cannot create {}: {}", path.string(), errno_text()));
  }
  return {};
}

std::string absolute_home(const std::string& home) {
  std::error_code ec;
  fs::path path = fs::absolute(home, ec);
  return (ec ? fs::path(home) : path).lexically_normal().string();
}

} // namespace

util::Result<std::string> prepare_gnupg_home(const std::string& home_arg) {
  if (home_arg.empty()) {
    return util::permanent("no GnuPG home directory given");
  }
  std::string home = absolute_home(home_arg);
  while (home.size() > 1 && home.back() == '/') {
    home.pop_back();
  }
  std::error_code ec;
  fs::create_directories(fs::path(home).parent_path(), ec);
  if (ec) {
    return util::permanent(fmt::format("cannot create {}: {}", home, ec.message()));
  }
  if (::mkdir(home.c_str(), 0700) != 0 && errno != EEXIST) {
    return util::permanent(fmt::format("cannot create {}: {}", home, errno_text()));
  }
  struct stat st {};
  if (::stat(home.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) {
    return util::permanent(fmt::format("{} is not a directory", home));
  }
  // gpg refuses to trust a home others can read; the secret list key lives here.
  if ((st.st_mode & 0077) != 0 && ::chmod(home.c_str(), 0700) != 0) {
    return util::permanent(
        fmt::format("cannot make {} private (mode 0700): {}", home, errno_text()));
  }
  for (const auto& [name, text] : {
           std::pair{"gpg.conf",       k_gpg_conf  },
           std::pair{"gpg-agent.conf", k_agent_conf}
  }) {
    if (auto written = write_if_missing(fs::path(home) / name, text); !written) {
      return tl::unexpected(written.error());
    }
  }
  if (sockets_fit(home)) {
    return home;
  }
  return ensure_alias(home);
}

void stop_gpg_agent(const std::string& home_arg) {
  const std::string home = absolute_home(home_arg);
  struct stat st {};
  if (::stat(home.c_str(), &st) != 0) {
    return; // no home, no agent
  }
  std::string path = home;
  if (!sockets_fit(home)) {
    path = alias_path(home);
    if (::lstat(path.c_str(), &st) != 0) {
      return; // never aliased, so no agent could have listened there
    }
  }
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, "/dev/null", O_WRONLY, 0);
  posix_spawn_file_actions_addopen(&actions, STDERR_FILENO, "/dev/null", O_WRONLY, 0);
  std::array<std::string, 5> args{"gpgconf", "--homedir", path, "--kill", "all"};
  std::array<char*, 6> argv{args[0].data(), args[1].data(), args[2].data(),
                            args[3].data(), args[4].data(), nullptr};
  pid_t pid = 0;
  if (::posix_spawnp(&pid, "gpgconf", &actions, nullptr, argv.data(), environ) == 0) {
    int status = 0;
    while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
  }
  posix_spawn_file_actions_destroy(&actions);
}

} // namespace list
