// list::Sealer in process on librnp: no gpg process, no file, no keyring on
// disk. Each sealer keeps its own rnp context with a bounded cache of member
// keys, each imported once per version of its key data after checking that it
// is exactly the member's key and can be encrypted to. Errors are
// util::Results (permanent: the key is unusable; transient: out of memory).
#pragma once

#include <cstddef>
#include <list/openpgp.hpp>
#include <memory>
#include <util/result.hpp>

namespace list {

/// Member keys a sealer holds at most; past it the least recently used goes.
/// About 3 KB of rnp memory each (cv25519), so a pool of sealers stays well
/// under 100 MB even when every sealer sees every member of a large list.
inline constexpr std::size_t k_rnp_sealer_cached_keys = 8192;

/// A sealer working entirely in memory. One per worker thread: it is not
/// safe to share. `cached_keys` bounds its key cache (at least 1). Errors: an
/// rnp context that cannot be created.
util::Result<std::unique_ptr<Sealer>>
make_rnp_sealer(std::size_t cached_keys = k_rnp_sealer_cached_keys);

} // namespace list
