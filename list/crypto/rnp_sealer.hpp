// list::Sealer in process on librnp: no gpg process, no file, no keyring on
// disk. Each sealer keeps its own rnp context with a bounded set of member
// keys, each checked once per version of its key data (exactly the member's
// key, no secret, a usable encryption subkey). Errors are
// util::Results (permanent: the key is unusable; transient: out of memory).
#pragma once

#include <cstddef>
#include <list/openpgp.hpp>
#include <memory>
#include <util/result.hpp>

namespace list {

/// Member keys a sealer keeps loaded. rnp holds about 30 KB per key (fixed-size
/// big-number buffers), so 2048 keys are about 60 MB per sealer; copies for
/// members beyond it load their key for that copy alone (about 0.5 ms more).
inline constexpr std::size_t k_rnp_sealer_cached_keys = 2048;

/// A sealer working entirely in memory. One per worker thread: it is not
/// safe to share. `cached_keys` bounds its loaded keys (at least 1). Errors: an
/// rnp context that cannot be created.
util::Result<std::unique_ptr<Sealer>>
make_rnp_sealer(std::size_t cached_keys = k_rnp_sealer_cached_keys);

} // namespace list
