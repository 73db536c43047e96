#include <algorithm>
#include <atomic>
#include <cctype>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <fcntl.h>
#include <filesystem>
#include <fmt/format.h>
#include <fstream>
#include <iterator>
#include <list/crypto/fingerprint.hpp>
#include <list/crypto/gpg_context.hpp>
#include <list/crypto/gpg_sealer.hpp>
#include <sys/stat.h>
#include <unistd.h>
#include <unordered_map>

namespace list {

namespace {

namespace fs = std::filesystem;

// The sealer's home holds no key at all: every recipient comes from a key
// file. no-keyring keeps gpg from opening (and, on first use, creating and
// locking) pubring.kbx; no-random-seed-file from locking and rewriting
// random_seed at exit; no-autostart from starting an agent, which encryption
// does not need. So sealing writes nothing here (only the first key check
// creates the trustdb, once: see keys_from_data), and any number of sealers
// in any number of processes share the home without contending on a lock.
constexpr std::string_view k_sealer_gpg_conf = R"(# Written by Lifeline for its sealers.
# Recipients are key files (--recipient-file); this home holds no keyring.
no-keyring
no-random-seed-file
no-autostart
# Lifeline binds each member to a fingerprint itself.
trust-model always
no-auto-key-retrieve
no-greeting
)";

std::string errno_text() {
  return std::strerror(errno);
}

util::Result<void> make_private_dir(const std::string& dir) {
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) {
    return util::permanent(fmt::format("cannot create {}: {}", dir, ec.message()));
  }
  if (::chmod(dir.c_str(), 0700) != 0) {
    return util::permanent(fmt::format("cannot make {} private: {}", dir, errno_text()));
  }
  return {};
}

// Writes `bytes` to `path` through a temporary file and rename, synced first:
// readers see the whole key or no file, even after a crash.
util::Result<void> write_atomically(const std::string& path, std::string_view bytes) {
  static std::atomic<unsigned> s_counter{0};
  const std::string temp = fmt::format("{}.tmp.{}.{}", path, ::getpid(), s_counter++);
  const int fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) {
    return util::transient(fmt::format("cannot create {}: {}", temp, errno_text()));
  }
  bool ok = ::write(fd, bytes.data(), bytes.size()) == static_cast<ssize_t>(bytes.size());
  ok = ok && ::fsync(fd) == 0;
  const std::string why = errno_text();
  ::close(fd);
  if (!ok || ::rename(temp.c_str(), path.c_str()) != 0) {
    const std::string reason = ok ? errno_text() : why;
    ::unlink(temp.c_str());
    return util::transient(fmt::format("cannot write {}: {}", path, reason));
  }
  return {};
}

class GpgSealer final : public Sealer {
public:
  GpgSealer(std::string home, std::string key_dir, RawContext context)
      : m_home(std::move(home)), m_key_dir(std::move(key_dir)), m_context(std::move(context)) {}

  util::Result<std::string> seal(std::string_view signed_body, const MemberKey& key) override;

private:
  util::Result<std::string> key_file(const MemberKey& key, const std::string& fingerprint);

  struct KnownFile {
    std::uint64_t hash = 0;
    std::string path;
  };

  std::string m_home;
  std::string m_key_dir;
  RawContext m_context;
  // Key files this sealer has seen in place, by fingerprint: after the first
  // copy, sealing for a member touches no directory but gpg's own open.
  std::unordered_map<std::string, KnownFile> m_known;
};

util::Result<std::string> GpgSealer::key_file(const MemberKey& key,
                                              const std::string& fingerprint) {
  const std::uint64_t hash = content_hash(key.key_data);
  auto known = m_known.find(fingerprint);
  if (known != m_known.end() && known->second.hash == hash) {
    return known->second.path;
  }
  const std::string path = fmt::format("{}/{}-{:016x}.pgp", m_key_dir, fingerprint, hash);
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) {
    // gpg --recipient-file takes the first key of a file: make sure it is
    // this member's and no other, or a mix-up would send one member's copy
    // to someone else. Once per key version, never per post.
    auto keys = keys_from_data(m_home, key.key_data);
    if (!keys) {
      return tl::unexpected(keys.error());
    }
    if (keys->size() != 1 || keys->front().primaryFingerprint() == nullptr ||
        uppercase(keys->front().primaryFingerprint()) != fingerprint) {
      return util::permanent(
          fmt::format("the stored key data is not exactly the key {}", fingerprint));
    }
    if (auto written = write_atomically(path, key.key_data); !written) {
      return tl::unexpected(written.error());
    }
  }
  if (known != m_known.end()) {
    // The member's key changed: the old version is no longer needed.
    ::unlink(known->second.path.c_str());
    known->second = KnownFile{hash, path};
  } else {
    m_known.emplace(fingerprint, KnownFile{hash, path});
  }
  return path;
}

util::Result<std::string> GpgSealer::seal(std::string_view signed_body, const MemberKey& key) {
  if (!is_fingerprint(key.fingerprint)) {
    return util::permanent(fmt::format("'{}' is not a key fingerprint (40 hex digits)",
                                       key.fingerprint.substr(0, 64)));
  }
  const std::string fingerprint = uppercase(key.fingerprint);
  auto path = key_file(key, fingerprint);
  if (!path) {
    return tl::unexpected(path.error());
  }
  gpgme_data_t plain_raw = nullptr;
  if (gpgme_error_t err =
          gpgme_data_new_from_mem(&plain_raw, signed_body.data(), signed_body.size(), /*copy=*/0);
      err != 0) {
    return tl::unexpected(to_error(err, "sealing a copy"));
  }
  std::unique_ptr<gpgme_data, void (*)(gpgme_data_t)> plain(plain_raw, gpgme_data_release);
  gpgme_data_t cipher_raw = nullptr;
  if (gpgme_error_t err = gpgme_data_new(&cipher_raw); err != 0) {
    return tl::unexpected(to_error(err, "sealing a copy"));
  }
  std::unique_ptr<gpgme_data, void (*)(gpgme_data_t)> cipher(cipher_raw, gpgme_data_release);

  // "--file": the recipient is the key file itself (gpg -f), looked up in no
  // keyring. No compression: the body is signed text, mostly compressed
  // already where it matters, and compressing each of N copies costs more
  // than it saves. No encrypt-to: this member's key ID alone in the copy.
  const std::string recipients = "--file\n" + *path;
  const auto flags = static_cast<gpgme_encrypt_flags_t>(
      GPGME_ENCRYPT_ALWAYS_TRUST | GPGME_ENCRYPT_NO_COMPRESS | GPGME_ENCRYPT_NO_ENCRYPT_TO);
  const gpgme_error_t err = gpgme_op_encrypt_ext(m_context.get(), nullptr, recipients.c_str(),
                                                 flags, plain.get(), cipher.get());
  if (err != 0) {
    if (gpgme_err_code(err) == GPG_ERR_UNUSABLE_PUBKEY) {
      return util::permanent(fmt::format(
          "key {} cannot be encrypted to (expired, revoked or no encryption subkey)", fingerprint));
    }
    return tl::unexpected(to_error(err, fmt::format("sealing a copy for key {}", fingerprint)));
  }
  size_t size = 0;
  char* bytes = gpgme_data_release_and_get_mem(cipher.release(), &size);
  if (bytes == nullptr) {
    return util::transient("sealing a copy: no memory for the ciphertext");
  }
  std::string armored(bytes, size);
  gpgme_free(bytes);
  return armored;
}

} // namespace

util::Result<std::unique_ptr<Sealer>> make_gpg_sealer(const std::string& work_dir) {
  if (work_dir.empty()) {
    return util::permanent("no sealer work directory given");
  }
  std::error_code ec;
  const fs::path root = fs::absolute(work_dir, ec).lexically_normal();
  const std::string home = (root / "gnupg").string();
  const std::string key_dir = (root / "keys").string();
  for (const std::string& dir : {root.string(), home, key_dir}) {
    if (auto made = make_private_dir(dir); !made) {
      return tl::unexpected(made.error());
    }
  }
  // Rewritten when it differs: the sealer depends on every line of it.
  const std::string conf = home + "/gpg.conf";
  std::ifstream current(conf, std::ios::binary);
  const std::string text((std::istreambuf_iterator<char>(current)),
                         std::istreambuf_iterator<char>());
  if (text != k_sealer_gpg_conf) {
    if (auto written = write_atomically(conf, k_sealer_gpg_conf); !written) {
      return tl::unexpected(written.error());
    }
  }
  auto context = make_raw_context(home);
  if (!context) {
    return tl::unexpected(context.error());
  }
  return std::make_unique<GpgSealer>(home, key_dir, std::move(*context));
}

} // namespace list
