#include "protocol/json.hpp"

#include <set>

#include "base/error.hpp"

namespace recrypt::json {
namespace {

template <class J>
J parse_bounded(std::string_view text, std::size_t max_size, std::string_view what) {
  if (text.size() > max_size)
    fail(Errc::too_large,
         std::string(what) + " is larger than " + std::to_string(max_size) + " bytes");
  using Name = typename J::string_t;
  enum class Problem { none, too_deep, duplicate } problem = Problem::none;
  Name duplicate;
  // The names seen so far in each open object, by nesting depth.
  std::vector<std::set<Name>> names;
  // The callback sees every nesting step and every member name. Refusing deep input keeps
  // hostile documents from costing stack or time anywhere that later walks them; refusing a
  // repeated name keeps two readers from taking different values of one member (the parser
  // alone would keep the last).
  typename J::parser_callback_t check = [&](int depth, typename J::parse_event_t event, J& parsed) {
    if (problem != Problem::none) return false;
    const auto level = static_cast<std::size_t>(depth);
    switch (event) {
      case J::parse_event_t::object_start:
      case J::parse_event_t::array_start:
        // `depth` containers are open around this one.
        if (level >= static_cast<std::size_t>(kMaxDepth)) {
          problem = Problem::too_deep;
          return false;
        }
        if (event == J::parse_event_t::object_start) {
          if (names.size() <= level + 1) names.resize(level + 2);
          names[level + 1].clear();
        }
        return true;
      case J::parse_event_t::key: {
        const Name& name = parsed.template get_ref<const Name&>();
        if (!names.at(level).insert(name).second) {
          problem = Problem::duplicate;
          duplicate = name;
          return false;
        }
        return true;
      }
      default:
        return true;
    }
  };
  J value;
  try {
    value = J::parse(text.begin(), text.end(), check, /*allow_exceptions=*/true,
                     /*ignore_comments=*/false);
  } catch (const typename J::exception&) {
    if (problem == Problem::too_deep)
      fail(Errc::too_large, std::string(what) + " is nested too deeply");
    fail(Errc::malformed, std::string(what) + " is not valid JSON");
  }
  if (problem == Problem::too_deep)
    fail(Errc::too_large, std::string(what) + " is nested too deeply");
  if (problem == Problem::duplicate)
    fail(Errc::malformed, "duplicate member " + quoted({duplicate.data(), duplicate.size()}) +
                              " in " + std::string(what));
  return value;
}

[[noreturn]] void field_error(std::string_view key, std::string_view what,
                              std::string_view expected) {
  fail(Errc::malformed,
       std::string(what) + ": field \"" + std::string(key) + "\" " + std::string(expected));
}

template <class J>
const J& field(const J& obj, std::string_view key, std::string_view what) {
  if (!obj.is_object()) fail(Errc::malformed, std::string(what) + " is not a JSON object");
  auto it = obj.find(key);
  if (it == obj.end()) field_error(key, what, "is missing");
  return *it;
}

// Copies a document between two nlohmann::basic_json types that differ in string type.
template <class To, class From>
To convert(const From& value) {
  switch (value.type()) {
    case nlohmann::json::value_t::object: {
      To out = To::object();
      for (const auto& [key, item] : value.items())
        out[typename To::string_t(key.begin(), key.end())] = convert<To>(item);
      return out;
    }
    case nlohmann::json::value_t::array: {
      To out = To::array();
      for (const auto& item : value) out.push_back(convert<To>(item));
      return out;
    }
    case nlohmann::json::value_t::string: {
      const auto& text = value.template get_ref<const typename From::string_t&>();
      return To(typename To::string_t(text.begin(), text.end()));
    }
    case nlohmann::json::value_t::boolean:
      return To(value.template get<bool>());
    case nlohmann::json::value_t::number_integer:
      return To(value.template get<std::int64_t>());
    case nlohmann::json::value_t::number_unsigned:
      return To(value.template get<std::uint64_t>());
    case nlohmann::json::value_t::number_float:
      return To(value.template get<double>());
    default:
      return To();  // null, and the binary and discarded kinds a parser never makes
  }
}

}  // namespace

std::string quoted(std::string_view name) {
  constexpr std::size_t kShown = 64;
  std::string out = Json(std::string(name.substr(0, kShown)))
                        .dump(-1, ' ', false, Json::error_handler_t::replace);
  if (name.size() > kShown) out.insert(out.size() - 1, "...");
  return out;
}

SecretJson to_secret(const Json& value) { return convert<SecretJson>(value); }
Json to_plain(const SecretJson& value) { return convert<Json>(value); }

void wipe_strings(Json& value) noexcept {
  if (value.is_string()) {
    auto& text = value.get_ref<std::string&>();
    secure_wipe(text.data(), text.size());
  } else if (value.is_structured()) {
    for (auto& item : value) wipe_strings(item);
  }
}

Json parse(std::string_view text, std::size_t max_size, std::string_view what) {
  return parse_bounded<Json>(text, max_size, what);
}

SecretJson parse_secret(std::string_view text, std::size_t max_size, std::string_view what) {
  return parse_bounded<SecretJson>(text, max_size, what);
}

void require_object(const Json& value, std::string_view what) {
  if (!value.is_object()) fail(Errc::malformed, std::string(what) + " is not a JSON object");
}

const Json& object_field(const Json& obj, std::string_view key, std::string_view what) {
  const Json& v = field(obj, key, what);
  if (!v.is_object()) field_error(key, what, "must be an object");
  return v;
}

const std::string& string_field(const Json& obj, std::string_view key, std::string_view what) {
  const Json& v = field(obj, key, what);
  if (!v.is_string()) field_error(key, what, "must be a string");
  return v.get_ref<const std::string&>();
}

const std::string* optional_string(const Json& obj, std::string_view key, std::string_view what) {
  if (!obj.is_object()) fail(Errc::malformed, std::string(what) + " is not a JSON object");
  auto it = obj.find(key);
  if (it == obj.end()) return nullptr;
  if (!it->is_string()) field_error(key, what, "must be a string");
  return &it->get_ref<const std::string&>();
}

std::uint64_t uint_field(const Json& obj, std::string_view key, std::string_view what) {
  const Json& v = field(obj, key, what);
  if (!v.is_number_unsigned()) field_error(key, what, "must be a non-negative integer");
  return v.get<std::uint64_t>();
}

const Json::array_t& array_field(const Json& obj, std::string_view key, std::string_view what) {
  const Json& v = field(obj, key, what);
  if (!v.is_array()) field_error(key, what, "must be an array");
  return v.get_ref<const Json::array_t&>();
}

const SecureString& secret_string_field(const SecretJson& obj, std::string_view key,
                                        std::string_view what) {
  const SecretJson& v = field(obj, key, what);
  if (!v.is_string()) field_error(key, what, "must be a string");
  return v.get_ref<const SecureString&>();
}

}  // namespace recrypt::json
