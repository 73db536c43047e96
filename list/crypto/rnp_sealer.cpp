#include <algorithm>
#include <cctype>
#include <cstdint>
#include <ctime>
#include <fmt/format.h>
#include <list/crypto/fingerprint.hpp>
#include <list/crypto/rnp_ptr.hpp>
#include <list/crypto/rnp_sealer.hpp>
#include <list>
#include <string>
#include <unordered_map>

namespace list {

namespace {

std::uint64_t unix_now() {
  return static_cast<std::uint64_t>(std::time(nullptr));
}

// rnp fails on its own resources only for memory; anything else it reports
// is about the data it was given, which will fail the same way again.
util::Error rnp_error(rnp_result_t code, std::string_view what) {
  const auto severity =
      code == RNP_ERROR_OUT_OF_MEMORY ? util::Severity::transient : util::Severity::permanent;
  return util::Error{severity, fmt::format("{}: {}", what, rnp_result_to_string(code))};
}

util::Result<rnp::Ffi> make_ffi() {
  rnp::Ffi ffi;
  if (rnp_result_t rc = rnp_ffi_create(ffi.out(), "GPG", "GPG"); rc != RNP_SUCCESS) {
    return tl::unexpected(
        util::Error{util::Severity::transient,
                    fmt::format("cannot create an rnp context: {}", rnp_result_to_string(rc))});
  }
  return ffi;
}

bool ask(rnp_result_t (*query)(rnp_key_handle_t, bool*), rnp_key_handle_t key) {
  bool result = false;
  return query(key, &result) == RNP_SUCCESS && result;
}

std::uint64_t valid_till(rnp_key_handle_t key) {
  std::uint64_t till = 0;
  return rnp_key_valid_till64(key, &till) == RNP_SUCCESS ? till : 0;
}

std::string fingerprint_of(rnp_key_handle_t key) {
  rnp::String fpr;
  if (rnp_key_get_fprint(key, fpr.out()) != RNP_SUCCESS) {
    return {};
  }
  return uppercase(fpr.view());
}

// A key rnp may encrypt to now: valid self-signatures and bindings, not
// revoked, not expired, flagged for encryption.
bool can_encrypt_now(rnp_key_handle_t key, std::uint64_t now) {
  bool allowed = false;
  return rnp_key_allows_usage(key, "encrypt", &allowed) == RNP_SUCCESS && allowed &&
         ask(rnp_key_is_valid, key) && !ask(rnp_key_is_revoked, key) &&
         !ask(rnp_key_is_expired, key) && valid_till(key) > now;
}

/// The key a copy is encrypted to: a subkey (or, as gpg does, an
/// encryption-capable primary without one), and until when it may be used.
struct Recipient {
  std::string fingerprint;
  std::uint64_t usable_until = 0;
};

// Chooses the recipient as gpg does: the newest valid encryption subkey, the
// primary only when no subkey qualifies. Refusals name the member's key.
util::Result<Recipient> choose_recipient(rnp_key_handle_t primary, const std::string& fpr,
                                         std::uint64_t now) {
  if (ask(rnp_key_is_revoked, primary)) {
    return util::permanent(fmt::format("key {} is revoked", fpr));
  }
  if (ask(rnp_key_is_expired, primary) || valid_till(primary) <= now) {
    return util::permanent(fmt::format("key {} is expired", fpr));
  }
  if (!ask(rnp_key_is_valid, primary)) {
    return util::permanent(fmt::format("key {} is not valid (no good self-signature)", fpr));
  }
  size_t subkeys = 0;
  if (rnp_result_t rc = rnp_key_get_subkey_count(primary, &subkeys); rc != RNP_SUCCESS) {
    return tl::unexpected(rnp_error(rc, fmt::format("reading the subkeys of key {}", fpr)));
  }
  Recipient best;
  std::uint32_t best_created = 0;
  for (size_t i = 0; i < subkeys; ++i) {
    rnp::Key subkey;
    if (rnp_key_get_subkey_at(primary, i, subkey.out()) != RNP_SUCCESS || !subkey ||
        !can_encrypt_now(subkey.get(), now)) {
      continue;
    }
    std::uint32_t created = 0;
    rnp_key_get_creation(subkey.get(), &created);
    if (best.fingerprint.empty() || created > best_created) {
      best = Recipient{fingerprint_of(subkey.get()), valid_till(subkey.get())};
      best_created = created;
    }
  }
  if (best.fingerprint.empty() && can_encrypt_now(primary, now)) {
    best = Recipient{fpr, valid_till(primary)};
  }
  if (best.fingerprint.empty()) {
    return util::permanent(fmt::format("key {} has no usable encryption subkey", fpr));
  }
  best.usable_until = std::min(best.usable_until, valid_till(primary));
  return best;
}

// Keys idle this long may leave the resident set for a key that is needed.
constexpr std::uint64_t k_idle_seconds = 600;
// Verdicts are small (a fingerprint, a hash, a time); past this many, the
// ones without a resident key are dropped and made again when needed.
constexpr std::size_t k_max_verdicts = 65536;

class RnpSealer final : public Sealer {
public:
  RnpSealer(rnp::Ffi keys, rnp::Ffi scratch, std::size_t capacity)
      : m_keys(std::move(keys)), m_scratch(std::move(scratch)), m_capacity(capacity) {}

  util::Result<std::string> seal(std::string_view signed_body, const MemberKey& key) override;

private:
  // The verdict on one version of a member's key data: the recipient, or why
  // it is refused. `resident`: the key is in m_keys (then `lru` is valid).
  struct Entry {
    std::uint64_t hash = 0;
    Recipient recipient;
    std::string refusal;
    bool resident = false;
    std::uint64_t last_used = 0;
    std::list<std::string>::iterator lru;
  };

  util::Result<Recipient> check(std::string_view key_data, const std::string& fpr);
  util::Result<void> import(rnp_ffi_t ffi, std::string_view key_data);
  bool make_room(std::uint64_t now);
  void evict(const std::string& fpr, Entry& entry);
  util::Result<std::string> encrypt(rnp_ffi_t ffi, std::string_view body,
                                    const Recipient& recipient);

  rnp::Ffi m_keys;    // resident member keys, at most m_capacity of them
  rnp::Ffi m_scratch; // key data being checked, or sealed to without a slot
  std::size_t m_capacity;
  std::size_t m_resident = 0;
  std::unordered_map<std::string, Entry> m_entries; // by primary fingerprint
  std::list<std::string> m_lru;                     // resident, most recently used first
};

// Unloads the scratch context on every way out: it holds one key at a time.
struct ScratchGuard {
  rnp_ffi_t ffi;
  ~ScratchGuard() { rnp_unload_keys(ffi, RNP_KEY_UNLOAD_PUBLIC | RNP_KEY_UNLOAD_SECRET); }
};

// A resident key costs about 30 KB in rnp (fixed-size big-number buffers),
// so only m_capacity keys stay; a list larger than that seals the rest by
// importing each key into the scratch context for the copy (about 0.5 ms
// more). The set is not churned by LRU on every post (a post walks the
// whole list, which LRU turns into a miss for every member): a resident key
// leaves only after k_idle_seconds unused.
util::Result<std::string> RnpSealer::seal(std::string_view signed_body, const MemberKey& key) {
  if (!is_fingerprint(key.fingerprint)) {
    return util::permanent(fmt::format("'{}' is not a key fingerprint (40 hex digits)",
                                       key.fingerprint.substr(0, 64)));
  }
  const std::string fpr = uppercase(key.fingerprint);
  const std::uint64_t hash = content_hash(key.key_data);
  const std::uint64_t now = unix_now();
  ScratchGuard scratch{m_scratch.get()};
  bool in_scratch = false;
  auto found = m_entries.find(fpr);
  if (found != m_entries.end() && found->second.hash != hash) {
    // New data for a known member: drop the old key so that nothing of it
    // (a subkey the new data no longer has) survives a merge.
    evict(fpr, found->second);
    m_entries.erase(found);
    found = m_entries.end();
  }
  if (found == m_entries.end()) {
    if (m_entries.size() >= k_max_verdicts) {
      std::erase_if(m_entries, [](const auto& item) { return !item.second.resident; });
    }
    auto checked = check(key.key_data, fpr);
    if (!checked && checked.error().severity == util::Severity::transient) {
      return tl::unexpected(checked.error());
    }
    Entry entry;
    entry.hash = hash;
    if (checked) {
      entry.recipient = *checked;
      in_scratch = true;
    } else {
      entry.refusal = checked.error().message;
    }
    found = m_entries.emplace(fpr, std::move(entry)).first;
  }
  Entry& entry = found->second;
  entry.last_used = now;
  if (!entry.refusal.empty()) {
    return util::permanent(entry.refusal);
  }
  // Revocation comes only with new key data; expiry comes with the clock.
  if (entry.recipient.usable_until <= now) {
    return util::permanent(fmt::format("key {} is expired", fpr));
  }
  if (entry.resident) {
    m_lru.splice(m_lru.begin(), m_lru, entry.lru);
    return encrypt(m_keys.get(), signed_body, entry.recipient);
  }
  if (make_room(now)) {
    if (auto imported = import(m_keys.get(), key.key_data); !imported) {
      return tl::unexpected(imported.error());
    }
    entry.resident = true;
    m_lru.push_front(fpr);
    entry.lru = m_lru.begin();
    ++m_resident;
    return encrypt(m_keys.get(), signed_body, entry.recipient);
  }
  // The verdict for this exact key data stands: import it for this copy only.
  if (!in_scratch) {
    if (auto imported = import(m_scratch.get(), key.key_data); !imported) {
      return tl::unexpected(imported.error());
    }
  }
  return encrypt(m_scratch.get(), signed_body, entry.recipient);
}

bool RnpSealer::make_room(std::uint64_t now) {
  if (m_resident < m_capacity) {
    return true;
  }
  auto oldest = m_entries.find(m_lru.back());
  if (oldest->second.last_used + k_idle_seconds > now) {
    return false;
  }
  evict(oldest->first, oldest->second);
  return true;
}

// The key data must hold exactly the member's key and no secret: a mix-up
// would send one member's copy to someone else, and the list must never hold
// a member's secret key. Runs once per version of the key data, in the
// scratch context, which keeps the key until the caller's ScratchGuard ends.
util::Result<Recipient> RnpSealer::check(std::string_view key_data, const std::string& fpr) {
  rnp::Input input;
  if (rnp_result_t rc = rnp::input_over(input, key_data); rc != RNP_SUCCESS) {
    return tl::unexpected(rnp_error(rc, "reading key data"));
  }
  if (rnp_result_t rc =
          rnp_import_keys(m_scratch.get(), input.get(),
                          RNP_LOAD_SAVE_PUBLIC_KEYS | RNP_LOAD_SAVE_SECRET_KEYS, nullptr);
      rc != RNP_SUCCESS) {
    if (rc == RNP_ERROR_OUT_OF_MEMORY) {
      return tl::unexpected(rnp_error(rc, "reading key data"));
    }
    return util::permanent(
        fmt::format("the stored key data for {} is not an OpenPGP public key", fpr));
  }
  size_t secret = 0;
  size_t all = 0;
  rnp_get_secret_key_count(m_scratch.get(), &secret);
  rnp_get_public_key_count(m_scratch.get(), &all);
  if (secret != 0) {
    return util::permanent(
        fmt::format("the stored key data for {} holds secret key material", fpr));
  }
  rnp::Key primary;
  bool is_primary = false;
  if (rnp_locate_key(m_scratch.get(), "fingerprint", fpr.c_str(), primary.out()) != RNP_SUCCESS ||
      !primary || rnp_key_is_primary(primary.get(), &is_primary) != RNP_SUCCESS || !is_primary) {
    return util::permanent(fmt::format("the stored key data is not the key {}", fpr));
  }
  // Public key count is the primaries and subkeys alike: exactly one key
  // means the primary and its own subkeys, nothing besides.
  size_t subkeys = 0;
  rnp_key_get_subkey_count(primary.get(), &subkeys);
  if (all != 1 + subkeys) {
    return util::permanent(fmt::format("the stored key data is not exactly the key {}", fpr));
  }
  return choose_recipient(primary.get(), fpr, unix_now());
}

util::Result<void> RnpSealer::import(rnp_ffi_t ffi, std::string_view key_data) {
  rnp::Input input;
  if (rnp_result_t rc = rnp::input_over(input, key_data); rc != RNP_SUCCESS) {
    return tl::unexpected(rnp_error(rc, "reading key data"));
  }
  if (rnp_result_t rc = rnp_import_keys(ffi, input.get(), RNP_LOAD_SAVE_PUBLIC_KEYS, nullptr);
      rc != RNP_SUCCESS) {
    return tl::unexpected(rnp_error(rc, "importing a member key"));
  }
  return {};
}

void RnpSealer::evict(const std::string& fpr, Entry& entry) {
  if (!entry.resident) {
    return;
  }
  m_lru.erase(entry.lru);
  entry.resident = false;
  --m_resident;
  rnp::Key key;
  if (rnp_locate_key(m_keys.get(), "fingerprint", fpr.c_str(), key.out()) == RNP_SUCCESS && key) {
    rnp_key_remove(key.get(), RNP_KEY_REMOVE_PUBLIC | RNP_KEY_REMOVE_SUBKEYS);
  }
}

// RFC 4880 SEIPD (tag 18) with MDC, no AEAD (RFC 9580 v2 packets that older
// clients cannot read), no compression (the body is mostly compressed
// already where it matters, and it leaks length less predictably), one
// recipient: this member's key alone.
util::Result<std::string> RnpSealer::encrypt(rnp_ffi_t ffi, std::string_view body,
                                             const Recipient& recipient) {
  const std::string what = fmt::format("sealing a copy for key {}", recipient.fingerprint);
  rnp::Key key;
  if (rnp_result_t rc =
          rnp_locate_key(ffi, "fingerprint", recipient.fingerprint.c_str(), key.out());
      rc != RNP_SUCCESS || !key) {
    return util::transient(what + ": the key is not loaded");
  }
  rnp::Input input;
  rnp::Output output;
  rnp::EncryptOp op;
  rnp_result_t rc = rnp::input_over(input, body);
  if (rc == RNP_SUCCESS) {
    rc = rnp_output_to_memory(output.out(), 0);
  }
  if (rc == RNP_SUCCESS) {
    rc = rnp_op_encrypt_create(op.out(), ffi, input.get(), output.get());
  }
  if (rc == RNP_SUCCESS) {
    rc = rnp_op_encrypt_add_recipient(op.get(), key.get());
  }
  if (rc == RNP_SUCCESS) {
    rc = rnp_op_encrypt_set_armor(op.get(), true);
  }
  if (rc == RNP_SUCCESS) {
    rc = rnp_op_encrypt_set_cipher(op.get(), "AES256");
  }
  if (rc == RNP_SUCCESS) {
    rc = rnp_op_encrypt_set_aead(op.get(), "None");
  }
  if (rc == RNP_SUCCESS) {
    rc = rnp_op_encrypt_set_compression(op.get(), "Uncompressed", 0);
  }
  if (rc == RNP_SUCCESS) {
    rc = rnp_op_encrypt_execute(op.get());
  }
  if (rc != RNP_SUCCESS) {
    return tl::unexpected(rnp_error(rc, what));
  }
  op.reset(); // finishes the armor
  std::uint8_t* bytes = nullptr;
  size_t size = 0;
  if (rc = rnp_output_memory_get_buf(output.get(), &bytes, &size, /*do_copy=*/false);
      rc != RNP_SUCCESS) {
    return tl::unexpected(rnp_error(rc, what));
  }
  // rnp ends armor lines with CRLF, gpg with LF: the copy goes into MIME as
  // gpg's would, and the codec makes the line ends the wire needs.
  std::string armored;
  armored.reserve(size);
  for (size_t i = 0; i < size; ++i) {
    if (bytes[i] != '\r' || i + 1 == size || bytes[i + 1] != '\n') {
      armored.push_back(static_cast<char>(bytes[i]));
    }
  }
  return armored;
}

} // namespace

util::Result<std::unique_ptr<Sealer>> make_rnp_sealer(std::size_t cached_keys) {
  auto keys = make_ffi();
  if (!keys) {
    return tl::unexpected(keys.error());
  }
  auto scratch = make_ffi();
  if (!scratch) {
    return tl::unexpected(scratch.error());
  }
  return std::make_unique<RnpSealer>(std::move(*keys), std::move(*scratch),
                                     std::max<std::size_t>(cached_keys, 1));
}

} // namespace list
