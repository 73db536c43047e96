// list::Sealer on gpg through GPGME: each copy is encrypted to the member's
// key FILE (gpg --recipient-file) from an empty GnuPG home, so no keyring is
// searched or locked and the cost per member does not grow with the list.
// Failures are util::Results (list::to_error); nothing throws.
#pragma once

#include <list/openpgp.hpp>
#include <memory>
#include <string>
#include <util/result.hpp>

namespace list {

/// A sealer working in `work_dir` (created mode 0700 if missing): an empty
/// GnuPG home in work_dir/gnupg that sealing never writes to, and member key files
/// in work_dir/keys, each written once, atomically, after checking that it
/// holds exactly the member's key (public keys only; plaintext never touches
/// the disk). One sealer per worker thread; all sealers may share one
/// work_dir. Errors: a work_dir that cannot be made or used.
util::Result<std::unique_ptr<Sealer>> make_gpg_sealer(const std::string& work_dir);

} // namespace list
