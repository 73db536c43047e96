#include <fmt/format.h>
#include <list/crypto/gpg_keyring.hpp>
#include <list/crypto/gpg_post_crypto.hpp>
#include <server/list_crypto.hpp>

namespace server {

std::string list_gnupg_home(const Config& config, std::string_view address) {
  return fmt::format("{}/lists/{}/gnupg", config.text("server", "data_dir"), address);
}

util::Result<list::PostCrypto*> ListCrypto::post_crypto(const list::ListRecord& list) {
  auto& slot = m_crypto[list.id];
  if (!slot || slot->fingerprint != list.fingerprint) {
    slot = std::make_unique<Entry>(
        Entry{list.fingerprint,
              list::open_gpg_post_crypto(list_gnupg_home(m_config, list.address), list.fingerprint),
              {}});
  }
  return slot->crypto.get();
}

util::Result<std::string> ListCrypto::public_key(const list::ListRecord& list) {
  auto& slot = m_crypto[list.id];
  if (!slot || slot->fingerprint != list.fingerprint) {
    (void)post_crypto(list);
  }
  if (slot->public_key.empty()) {
    auto keyring = list::open_gpg_keyring(list_gnupg_home(m_config, list.address));
    auto exported = keyring->export_public_key(list.fingerprint);
    if (!exported) {
      return exported;
    }
    slot->public_key = std::move(*exported);
  }
  return slot->public_key;
}

} // namespace server
