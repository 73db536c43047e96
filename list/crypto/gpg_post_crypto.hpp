// list::PostCrypto over one list's GnuPG home through gpgme++: decrypting and
// verifying posts, signing with the list key, encrypting notices. Failures are
// util::Results (GnuPG's errors mapped by list::to_error); nothing throws.
// One object per worker thread: it keeps one GPGME context for its calls.
#pragma once

#include <list/openpgp.hpp>
#include <memory>
#include <string>

namespace list {

/// PostCrypto on the list home `list_gnupg_home` (the list key's secret and
/// the members' public keys live there). `list_fingerprint` is the list key's
/// primary fingerprint; empty: the one secret key in the home. Cheap: the home
/// is prepared and the context made on the first call, whose error it is.
std::unique_ptr<PostCrypto> open_gpg_post_crypto(const std::string& list_gnupg_home,
                                                 std::string list_fingerprint = {});

} // namespace list
