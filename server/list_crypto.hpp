// The crypto a worker thread needs per list: a PostCrypto on the list's
// GnuPG home (one GPGME context each, for this thread only) and the list's
// armored public key, made on first use and kept while the list key stays.
// Errors (an unreadable home, a missing key) are util::Results.
#pragma once

#include <list/pipeline.hpp>
#include <map>
#include <memory>
#include <server/config.hpp>
#include <string>
#include <string_view>

namespace server {

/// The GnuPG home of a list under [server] data_dir.
std::string list_gnupg_home(const Config& config, std::string_view address);

class ListCrypto final : public list::ListCryptoSource {
public:
  explicit ListCrypto(const Config& config) : m_config(config) {}

  util::Result<list::PostCrypto*> post_crypto(const list::ListRecord& list) override;
  util::Result<std::string> public_key(const list::ListRecord& list) override;

private:
  struct Entry {
    std::string fingerprint;
    std::unique_ptr<list::PostCrypto> crypto;
    std::string public_key;
  };
  const Config& m_config;
  std::map<list::Id, std::unique_ptr<Entry>> m_crypto;
};

} // namespace server
