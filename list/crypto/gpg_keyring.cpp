#include <algorithm>
#include <cctype>
#include <chrono>
#include <fmt/format.h>
#include <gpgme++/data.h>
#include <gpgme++/importresult.h>
#include <gpgme++/key.h>
#include <gpgme++/keygenerationresult.h>
#include <list/address.hpp>
#include <list/crypto/fingerprint.hpp>
#include <list/crypto/gpg_context.hpp>
#include <list/crypto/gpg_home.hpp>
#include <list/crypto/gpg_keyring.hpp>
#include <list/crypto/key_check.hpp>
#include <map>
#include <memory>
#include <mutex>

namespace list {

namespace {

// Key data larger than this is no single member key (a 16k-bit RSA key with
// many signatures stays far below): refuse it before handing it to gpg.
constexpr size_t k_max_key_data = 1024 * 1024;

struct Algorithms {
  const char* primary;
  const char* encryption;
};

Algorithms algorithms_for(KeyType type) {
  switch (type) {
  case KeyType::rsa4096:
    return {"rsa4096", "rsa4096"};
  case KeyType::ed25519:
    break;
  }
  return {"ed25519", "cv25519"};
}

std::int64_t now_seconds() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// "crew@x" + "-request" -> "crew-request@x".
std::string sub_address(std::string_view address, std::string_view suffix) {
  return fmt::format("{}{}@{}", local_part(address), suffix, domain_part(address));
}

std::string user_id(std::string_view name, std::string_view comment, std::string_view address) {
  std::string out(name);
  if (!comment.empty()) {
    out += out.empty() ? "" : " ";
    out += fmt::format("({})", comment);
  }
  out += out.empty() ? "" : " ";
  out += fmt::format("<{}>", address);
  return out;
}

// A display name goes into a user ID verbatim: keep out what would change the
// user ID's structure or break gpg's line-based protocol.
bool valid_list_name(std::string_view name) {
  return name.size() <= 128 && std::none_of(name.begin(), name.end(), [](unsigned char c) {
           return c < 0x20 || c == 0x7f || c == '<' || c == '>' || c == '(' || c == ')';
         });
}

KeyFacts facts_of(const GpgME::Key& key) {
  KeyFacts facts;
  facts.fingerprint = uppercase(key.primaryFingerprint() ? key.primaryFingerprint() : "");
  facts.revoked = key.isRevoked();
  facts.expired = key.isExpired();
  facts.disabled = key.isDisabled();
  facts.invalid = key.isInvalid();
  facts.has_secret = key.hasSecret();
  for (const GpgME::Subkey& subkey : key.subkeys()) {
    facts.has_secret = facts.has_secret || subkey.isSecret();
    facts.subkeys.push_back(SubkeyFacts{subkey.canEncrypt(), subkey.isRevoked(), subkey.isExpired(),
                                        subkey.isDisabled(), subkey.isInvalid(),
                                        subkey.neverExpires() ? 0 : subkey.expirationTime()});
  }
  for (const GpgME::UserID& uid : key.userIDs()) {
    facts.user_ids.push_back(
        UserIdFacts{uid.id() ? uid.id() : "", uid.isRevoked(), uid.isInvalid()});
  }
  return facts;
}

// A signing primary and an encryption subkey, no passphrase, no expiry: the
// list key must work unattended, and the home directory (mode 0700, owned by
// the service user) is what protects it; a list key that lapses silently
// would cut every member off.
util::Result<std::pair<std::string, GpgME::Key>> generate_key_pair(GpgME::Context& ctx,
                                                                   const std::string& uid,
                                                                   Algorithms algos,
                                                                   std::string_view what) {
  const unsigned int unattended = GPGME_CREATE_NOPASSWD | GPGME_CREATE_NOEXPIRE;
  const GpgME::KeyGenerationResult made =
      ctx.createKeyEx(uid.c_str(), algos.primary, 0, 0, GpgME::Key(),
                      GPGME_CREATE_SIGN | GPGME_CREATE_CERT | unattended);
  if (made.error()) {
    return tl::unexpected(to_error(made.error(), fmt::format("generating {}", what)));
  }
  if (made.fingerprint() == nullptr) {
    return util::transient(fmt::format("generating {}: gpg reported no fingerprint", what));
  }
  std::string fingerprint = uppercase(made.fingerprint());
  GpgME::Error err;
  GpgME::Key key = ctx.key(fingerprint.c_str(), err, true);
  if (err) {
    return tl::unexpected(to_error(err, fmt::format("finding {}", what)));
  }
  if (key.isNull()) {
    return util::transient(fmt::format("generating {}: {} vanished", what, fingerprint));
  }
  if (auto sub = ctx.createSubkey(key, algos.encryption, 0, 0, GPGME_CREATE_ENCR | unattended);
      sub) {
    return tl::unexpected(to_error(sub, "adding the encryption subkey"));
  }
  return std::pair{std::move(fingerprint), std::move(key)};
}

// Writers to one GnuPG home take turns within this process: gpg processes
// racing to create a home's first pubring.kbx can lose an import (seen as
// "End of file" when listing the key just imported). Keyring writes are rare
// (member add, key update), so one lock per home costs nothing.
std::mutex& home_write_lock(const std::string& home) {
  static std::mutex table_mutex;
  static std::map<std::string, std::unique_ptr<std::mutex>> table;
  std::lock_guard lock(table_mutex);
  auto& slot = table[home];
  if (!slot) {
    slot = std::make_unique<std::mutex>();
  }
  return *slot;
}

class GpgKeyring final : public Keyring {
public:
  explicit GpgKeyring(std::string home) : m_home(std::move(home)) {}

  util::Result<std::string> create_list_key(const ListIdentity& identity, KeyType type) override;
  util::Result<std::string> export_public_key(std::string_view fingerprint) override;
  util::Result<KeyInfo> inspect_member_key(std::string_view key_data, std::string_view email,
                                           UidCheck uid_check) override;
  util::Result<KeyInfo> import_member_key(std::string_view key_data, std::string_view email,
                                          UidCheck uid_check) override;

private:
  // A fresh context on the prepared home: one per call, so that calls from
  // different threads never share one.
  util::Result<std::unique_ptr<GpgME::Context>> context();
  util::Result<std::vector<KeyFacts>> list_from_data(std::string_view key_data);

  std::string m_home;
};

util::Result<std::unique_ptr<GpgME::Context>> GpgKeyring::context() {
  auto engine_home = prepare_gnupg_home(m_home);
  if (!engine_home) {
    return tl::unexpected(engine_home.error());
  }
  return make_context(*engine_home);
}

util::Result<std::string> GpgKeyring::create_list_key(const ListIdentity& identity, KeyType type) {
  auto address = normalise_address(identity.address);
  if (!address) {
    return tl::unexpected(address.error());
  }
  if (!valid_list_name(identity.name)) {
    return util::permanent(
        "the list name must not contain <, >, (, ) or control characters (at most 128 bytes)");
  }
  std::lock_guard write_lock(home_write_lock(m_home));
  auto ctx = context();
  if (!ctx) {
    return tl::unexpected(ctx.error());
  }
  const std::string main_uid = user_id(identity.name, "", *address);
  auto made = generate_key_pair(**ctx, main_uid, algorithms_for(type), "the list key");
  if (!made) {
    return tl::unexpected(made.error());
  }
  // Should a later step fail, the half-made key stays in the home: the
  // caller creating a list removes the whole home (server::GnupgHomeGuard),
  // and a retry then starts clean.
  const auto& [fingerprint, key] = *made;
  for (const auto& [comment, suffix] : {
           std::pair{"requests", "-request"},
           std::pair{"owners",   "-owner"  }
  }) {
    const std::string uid = user_id(identity.name, comment, sub_address(*address, suffix));
    if (auto added = (*ctx)->addUid(key, uid.c_str()); added) {
      return tl::unexpected(to_error(added, "adding a user ID to the list key"));
    }
  }
  return fingerprint;
}

util::Result<std::string> GpgKeyring::export_public_key(std::string_view fingerprint) {
  if (!is_fingerprint(fingerprint)) {
    return util::permanent(
        fmt::format("'{}' is not a key fingerprint (40 hex digits)", fingerprint.substr(0, 64)));
  }
  auto ctx = context();
  if (!ctx) {
    return tl::unexpected(ctx.error());
  }
  const std::string pattern(fingerprint);
  GpgME::Data out;
  // Minimal: the latest self-signatures only, what every OpenPGP
  // implementation needs to use the key and nothing it could trip over.
  if (auto err = (*ctx)->exportPublicKeys(pattern.c_str(), out, GpgME::Context::ExportMinimal);
      err) {
    return tl::unexpected(to_error(err, "exporting the list key"));
  }
  std::string armored = out.toString();
  if (armored.empty()) {
    return util::permanent(fmt::format("no key {} in this keyring", pattern));
  }
  return armored;
}

util::Result<std::vector<KeyFacts>> GpgKeyring::list_from_data(std::string_view key_data) {
  auto engine_home = prepare_gnupg_home(m_home);
  if (!engine_home) {
    return tl::unexpected(engine_home.error());
  }
  auto keys = keys_from_data(*engine_home, key_data);
  if (!keys) {
    return tl::unexpected(keys.error());
  }
  std::vector<KeyFacts> facts;
  for (const GpgME::Key& key : *keys) {
    facts.push_back(facts_of(key));
  }
  return facts;
}

util::Result<KeyInfo> GpgKeyring::inspect_member_key(std::string_view key_data,
                                                     std::string_view email, UidCheck uid_check) {
  if (key_data.size() > k_max_key_data) {
    return util::permanent(
        fmt::format("not an OpenPGP public key ({} bytes is too large for one)", key_data.size()));
  }
  // An armored secret key is refused before gpg reads it at all.
  if (key_data.find("-----BEGIN PGP PRIVATE KEY BLOCK-----") != std::string_view::npos) {
    KeyFacts secret;
    secret.has_secret = true;
    return check_member_key({secret}, email, uid_check, now_seconds());
  }
  auto keys = list_from_data(key_data);
  if (!keys) {
    return tl::unexpected(keys.error());
  }
  return check_member_key(*keys, email, uid_check, now_seconds());
}

util::Result<KeyInfo> GpgKeyring::import_member_key(std::string_view key_data,
                                                    std::string_view email, UidCheck uid_check) {
  auto info = inspect_member_key(key_data, email, uid_check);
  if (!info) {
    return info;
  }
  std::lock_guard write_lock(home_write_lock(m_home));
  auto ctx = context();
  if (!ctx) {
    return tl::unexpected(ctx.error());
  }
  const GpgME::Data data(key_data.data(), key_data.size(), false);
  const GpgME::ImportResult result = (*ctx)->importKeys(data);
  if (result.error()) {
    return tl::unexpected(to_error(result.error(), "importing the key"));
  }
  for (const GpgME::Import& import : result.imports()) {
    if (import.error()) {
      return tl::unexpected(to_error(import.error(), "importing the key"));
    }
  }
  // Prove it landed as a key this home can encrypt to.
  GpgME::Error err;
  const GpgME::Key key = (*ctx)->key(info->fingerprint.c_str(), err, false);
  if (err) {
    return tl::unexpected(
        to_error(err, fmt::format("finding key {} after import", info->fingerprint)));
  }
  if (key.isNull()) {
    return util::transient(fmt::format("key {} is missing after import", info->fingerprint));
  }
  if (!key.canEncrypt()) {
    return util::permanent(
        fmt::format("key {} has no usable encryption subkey after import", info->fingerprint));
  }
  return info;
}

} // namespace

std::unique_ptr<Keyring> open_gpg_keyring(const std::string& gnupg_home) {
  return std::make_unique<GpgKeyring>(gnupg_home);
}

util::Result<std::string> create_personal_key(const std::string& gnupg_home, std::string_view name,
                                              std::string_view email) {
  auto address = normalise_address(email);
  if (!address) {
    return tl::unexpected(address.error());
  }
  if (!valid_list_name(name)) {
    return util::permanent("the name must not contain <, >, (, ) or control characters");
  }
  auto engine_home = prepare_gnupg_home(gnupg_home);
  if (!engine_home) {
    return tl::unexpected(engine_home.error());
  }
  auto ctx = make_context(*engine_home);
  if (!ctx) {
    return tl::unexpected(ctx.error());
  }
  auto made = generate_key_pair(**ctx, user_id(name, "", *address),
                                algorithms_for(KeyType::ed25519), "a personal key");
  if (!made) {
    return tl::unexpected(made.error());
  }
  return made->first;
}

} // namespace list
