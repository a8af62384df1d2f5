#include "protocol/service/rotation_messages.hpp"

#include "base/error.hpp"
#include "protocol/service/membership.hpp"
#include "protocol/service/profile.hpp"
#include "protocol/service/message_fields.hpp"
#include "protocol/service/service_error.hpp"

namespace recrypt::service {
namespace {

using message_fields::checked;
using message_fields::kWhat;
using message_fields::str;

}  // namespace

Json BeginRotationRequest::to_json() const {
  return Json{{"group", group}, {"profile", profile}, {"record", record}};
}
BeginRotationRequest BeginRotationRequest::from_json(const Json& j) {
  return checked([&] {
    return BeginRotationRequest{str(j, "group"), str(j, "profile", kMaxProfileSize),
                                str(j, "record", kMaxRecordSize)};
  });
}
Json BeginRotationResponse::to_json() const { return Json{{"key_id", key_id}, {"staged", staged}}; }
BeginRotationResponse BeginRotationResponse::from_json(const Json& j) {
  return checked([&] {
    return BeginRotationResponse{str(j, "key_id"), json::uint_field(j, "staged", kWhat)};
  });
}

Json AddRotationEntriesRequest::to_json() const {
  Json arr = Json::array();
  for (const MemberEntry& e : entries) arr.push_back(e.to_json());
  Json out{{"group", group}, {"key_id", key_id}, {"entries", std::move(arr)}};
  if (!profiles.empty()) out["profiles"] = profiles;
  return out;
}
AddRotationEntriesRequest AddRotationEntriesRequest::from_json(const Json& j) {
  return checked([&] {
    AddRotationEntriesRequest r{str(j, "group"), str(j, "key_id"), {}};
    const auto& given_entries = json::array_field(j, "entries", kWhat);
    if (given_entries.empty()) fail(Errc::malformed, "\"entries\" holds no member entry");
    if (given_entries.size() > kMaxEntriesPerRequest)
      fail(Errc::too_large, "too many member entries in one request");
    for (const Json& e : given_entries) r.entries.push_back(MemberEntry::from_json(e));
    if (j.contains("profiles")) {
      const auto& given_profiles = json::array_field(j, "profiles", kWhat);
      if (given_profiles.size() > kMaxEntriesPerRequest)
        fail(Errc::too_large, "too many profiles in one request");
      for (const Json& v : given_profiles) {
        if (!v.is_string() || v.get_ref<const std::string&>().size() > kMaxProfileSize)
          fail(Errc::malformed,
               "a profile must be a JWS compact string within the profile size limit");
        r.profiles.push_back(v.get<std::string>());
      }
    }
    return r;
  });
}
Json AddRotationEntriesResponse::to_json() const { return Json{{"staged", staged}}; }
AddRotationEntriesResponse AddRotationEntriesResponse::from_json(const Json& j) {
  return checked([&] { return AddRotationEntriesResponse{json::uint_field(j, "staged", kWhat)}; });
}

Json CommitRotationRequest::to_json() const { return Json{{"group", group}, {"key_id", key_id}}; }
CommitRotationRequest CommitRotationRequest::from_json(const Json& j) {
  return checked([&] { return CommitRotationRequest{str(j, "group"), str(j, "key_id")}; });
}
Json CommitRotationResponse::to_json() const {
  return Json{{"key_id", key_id}, {"entries", entries}};
}
CommitRotationResponse CommitRotationResponse::from_json(const Json& j) {
  return checked([&] {
    return CommitRotationResponse{str(j, "key_id"), json::uint_field(j, "entries", kWhat)};
  });
}

Json AbandonRotationRequest::to_json() const { return Json{{"group", group}}; }
AbandonRotationRequest AbandonRotationRequest::from_json(const Json& j) {
  return checked([&] { return AbandonRotationRequest{str(j, "group")}; });
}
Json AbandonRotationResponse::to_json() const { return Json{{"key_id", key_id}}; }
AbandonRotationResponse AbandonRotationResponse::from_json(const Json& j) {
  return checked([&] {
    const std::string* id = json::optional_string(j, "key_id", kWhat);
    return AbandonRotationResponse{id != nullptr ? *id : std::string()};
  });
}

}  // namespace recrypt::service
