// list::Keyring over one GnuPG home directory, through gpgme++. Refusals and
// GnuPG failures come back as util::Results (see list/keyring.hpp); nothing
// here throws. Thread-safe: every call makes its own GPGME context, and gpg
// serialises writers to one home with its own lock files.
#pragma once

#include <list/keyring.hpp>
#include <memory>
#include <string>
#include <string_view>
#include <util/result.hpp>

namespace list {

/// The keyring of one list in `gnupg_home`. Cheap: nothing touches the disk
/// until the first call, which creates the home (mode 0700, offline config)
/// if missing; a home that cannot be made is the error of that call.
std::unique_ptr<Keyring> open_gpg_keyring(const std::string& gnupg_home);

/// A personal key pair (ed25519 + cv25519, no passphrase) for NAME <EMAIL> in
/// `gnupg_home`: what a member would make themselves. For the demo, tests and
/// benchmarks; Lifeline never makes keys for real members.
util::Result<std::string> create_personal_key(const std::string& gnupg_home, std::string_view name,
                                              std::string_view email);

} // namespace list
