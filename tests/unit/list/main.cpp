#define BOOST_TEST_MODULE list_unit_tests
#include <boost/test/unit_test.hpp>
