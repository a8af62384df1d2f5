// The one way the protocol reads JSON from outside: bounded size and depth, and field access
// that names the missing or mistyped field in its error. `SecretJson` keeps its strings in
// wiping memory, for documents that carry key material (JWE metadata, private JWKs).
#pragma once

#include <nlohmann/json.hpp>

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "base/bytes.hpp"

namespace recrypt {

using Json = nlohmann::json;
using SecretJson = nlohmann::basic_json<std::map, std::vector, SecureString, bool, std::int64_t,
                                        std::uint64_t, double, WipingAllocator>;

namespace json {

// The most arrays and objects open at once: `1` has depth 0, `[]` and `{}` depth 1,
// `{"a":[1]}` depth 2 (docs/FORMAT.md, "JSON").
inline constexpr int kMaxDepth = 32;

// Parses `text` as one JSON value. Errc::too_large beyond `max_size` bytes or kMaxDepth
// levels; Errc::malformed otherwise, with `what` naming the document in the message. An
// object with a member name twice, at any depth, is refused ("duplicate member "x" in
// <what>"): RFC 8259 leaves its meaning open, and readers differ in which value they keep.
Json parse(std::string_view text, std::size_t max_size, std::string_view what);
SecretJson parse_secret(std::string_view text, std::size_t max_size, std::string_view what);

// A member name from the input as an error message may show it: JSON-quoted and escaped,
// and cut short when long.
std::string quoted(std::string_view name);

const Json& object_field(const Json& obj, std::string_view key, std::string_view what);
const std::string& string_field(const Json& obj, std::string_view key, std::string_view what);
const std::string* optional_string(const Json& obj, std::string_view key, std::string_view what);
std::uint64_t uint_field(const Json& obj, std::string_view key, std::string_view what);
const Json::array_t& array_field(const Json& obj, std::string_view key, std::string_view what);
void require_object(const Json& value, std::string_view what);

// Copies between plain and secret documents. Answers that carry key material are built as
// Json by the code that computes them and cross to wiping memory before they are serialized
// (the agent), or are parsed straight into it (the CLI) and only their public parts copied out.
SecretJson to_secret(const Json& value);
Json to_plain(const SecretJson& value);
// Overwrites every string value in the document (not the keys) before it is freed.
void wipe_strings(Json& value) noexcept;

// The same accessors for secret documents.
const SecureString& secret_string_field(const SecretJson& obj, std::string_view key,
                                        std::string_view what);

}  // namespace json
}  // namespace recrypt
