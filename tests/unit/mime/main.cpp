// The mime unit test executable: GMime is initialised once, as main does.
#define BOOST_TEST_MODULE mime_unit_tests
#include <boost/test/unit_test.hpp>
#include <list/mime/init.hpp>

namespace {

struct InitializeMime {
  InitializeMime() { list::initialize_mime(); }
};

} // namespace

BOOST_TEST_GLOBAL_FIXTURE(InitializeMime);
