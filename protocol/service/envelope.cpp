#include "protocol/service/envelope.hpp"

#include "base/error.hpp"
#include "protocol/service/service_error.hpp"

namespace recrypt::service {
namespace {

constexpr std::string_view kRequestSuffix = "Request";
constexpr std::string_view kResponseSuffix = "Response";
constexpr std::size_t kMaxNameSize = 64;

// Takes the body out of `doc` rather than copying the whole tree.
Message unwrap(Json&& doc, std::string_view suffix, int status_on_error) {
  if (!doc.is_object() || doc.size() != 1)
    refuse(status_on_error, "message must be a JSON object with exactly one member");
  auto it = doc.begin();
  const std::string& tag = it.key();
  Json& body = it.value();
  if (tag.size() <= suffix.size() || tag.size() > kMaxNameSize ||
      tag.compare(tag.size() - suffix.size(), suffix.size(), suffix) != 0)
    refuse(status_on_error, "message member must be named <Transaction>" + std::string(suffix));
  if (!body.is_object()) refuse(status_on_error, "message body must be a JSON object");
  return {tag.substr(0, tag.size() - suffix.size()), std::move(body)};
}

}  // namespace

Message parse_request(std::string_view text, std::size_t max_size) {
  Json doc;
  try {
    doc = json::parse(text, max_size, "request");
  } catch (const Error& e) {
    refuse(e.code() == Errc::too_large ? status::kTooLarge : status::kMalformed, e.what());
  }
  return unwrap(std::move(doc), kRequestSuffix, status::kMalformed);
}

Message parse_response(std::string_view text, std::size_t max_size,
                       std::string_view expected_name) {
  Json doc;
  try {
    doc = json::parse(text, max_size, "response");
  } catch (const Error& e) {
    refuse(status::kInternal, std::string("service answered badly: ") + e.what());
  }
  Message message = unwrap(std::move(doc), kResponseSuffix, status::kInternal);
  auto st = message.body.find("Status");
  if (st == message.body.end() || !st->is_number_integer())
    refuse(status::kInternal, "service response has no Status");
  int code = st->get<int>();
  std::string description;
  if (auto d = message.body.find("StatusDescription"); d != message.body.end() && d->is_string())
    description = d->get<std::string>();
  if (code < 200 || code > 299) refuse(code, description.empty() ? "refused" : description);
  if (message.name != expected_name)
    refuse(status::kInternal,
           "service answered " + message.name + " to a " + std::string(expected_name));
  return message;
}

std::string serialize_request(std::string_view name, const Json& body) {
  Json doc = Json::object();
  doc[std::string(name) + std::string(kRequestSuffix)] = body;
  return doc.dump();
}

std::string serialize_response(std::string_view name, int status, std::string_view description,
                               Json body) {
  if (!body.is_object()) body = Json::object();
  body["Status"] = status;
  body["StatusDescription"] = std::string(description);
  Json doc = Json::object();
  doc[std::string(name) + std::string(kResponseSuffix)] = std::move(body);
  // Replace invalid UTF-8 (a name echoed from input) rather than throw.
  return doc.dump(-1, ' ', false, Json::error_handler_t::replace);
}

}  // namespace recrypt::service
