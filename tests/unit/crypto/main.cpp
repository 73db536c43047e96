// The crypto unit test executable: GPGME (and GMime, which reads the post
// fixtures) are initialised once, as main does.
#define BOOST_TEST_MODULE crypto_unit_tests
#include <boost/test/unit_test.hpp>
#include <list/crypto/gpg_context.hpp>
#include <list/mime/init.hpp>

namespace {

struct InitializeCrypto {
  InitializeCrypto() {
    list::initialize_crypto();
    list::initialize_mime();
  }
};

} // namespace

BOOST_TEST_GLOBAL_FIXTURE(InitializeCrypto);
