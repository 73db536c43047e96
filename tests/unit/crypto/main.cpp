// The crypto unit test executable: GPGME is initialised once, as main does.
#define BOOST_TEST_MODULE crypto_unit_tests
#include <boost/test/unit_test.hpp>
#include <list/crypto/gpg_context.hpp>

namespace {

struct InitializeCrypto {
  InitializeCrypto() { list::initialize_crypto(); }
};

} // namespace

BOOST_TEST_GLOBAL_FIXTURE(InitializeCrypto);
