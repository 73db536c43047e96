#define BOOST_TEST_MODULE smtp_unit_tests
#include <boost/test/unit_test.hpp>
