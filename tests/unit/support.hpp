// Helpers shared by the protocol unit tests.
#pragma once

#include <gtest/gtest.h>

#include <functional>
#include <optional>
#include <ostream>
#include <random>
#include <string>

#include "base/bytes.hpp"
#include "base/error.hpp"

namespace recrypt {
// So that gtest prints an Errc by name.
inline void PrintTo(Errc code, std::ostream* os) { *os << errc_name(code); }
}  // namespace recrypt

namespace recrypt::test {

// The code of the recrypt::Error that `f` throws; nullopt when it returns normally. Any other
// exception escapes and fails the test.
std::optional<Errc> error_of(const std::function<void()>& f);

// The message of the Error `f` throws, or "" when it throws none.
std::string message_of(const std::function<void()>& f);

// A generator seeded from the test's name unless RECRYPT_TEST_SEED is set, printed on failure.
std::mt19937_64& rng();
Bytes random_bytes(std::size_t n);

}  // namespace recrypt::test

#define EXPECT_ERRC(statement, code)                               \
  EXPECT_EQ(::recrypt::test::error_of([&] { (void)(statement); }), \
            std::optional<::recrypt::Errc>(code))
#define EXPECT_SOME_ERROR(statement) \
  EXPECT_NE(::recrypt::test::error_of([&] { (void)(statement); }), std::nullopt)
