#include "mail/encrypted_message.hpp"

#include <algorithm>

#include "base/error.hpp"
#include "mail/base64.hpp"
#include "mail/content_type.hpp"
#include "mail/multipart.hpp"

namespace recrypt::mail {
namespace {

constexpr std::string_view kPayloadName = "message.jcd";

// The fields encryption moves inside: those that describe the body. MIME-Version goes with
// them, since the outer message's is ours.
bool describes_body(std::string_view name) {
  return iequals(name, "MIME-Version") || istarts_with(name, "Content-");
}

bool names_protocol(std::string_view text) {
  for (std::size_t i = 0; i + kProtocol.size() <= text.size(); ++i)
    if (iequals(text.substr(i, kProtocol.size()), kProtocol)) return true;
  return false;
}

// The header section as far as it can be told without parsing it: up to the first empty line.
std::string_view header_text(std::string_view message) {
  std::size_t end = std::min(message.find("\n\n"), message.find("\n\r\n"));
  return message.substr(0, std::min(end, kMaxMessageSize));
}

bool is_ours(const ContentType& ct) {
  auto protocol = ct.parameter("protocol");
  return ct.type == "multipart" && ct.subtype == "encrypted" && protocol &&
         iequals(*protocol, kProtocol);
}

[[noreturn]] void malformed(const std::string& what) {
  fail(Errc::malformed, "not a valid encrypted message: " + what);
}

ContentType part_type(const Header& part, const char* which) {
  const HeaderField* f = find_field(part, "Content-Type");
  if (f == nullptr) malformed(std::string(which) + " has no Content-Type");
  if (count_fields(part, "Content-Type") > 1)
    malformed(std::string(which) + " has more than one Content-Type");
  return parse_content_type(f->value());
}

// Part 1: the version of this format, as RFC 1847 asks of the control part.
void check_control_part(std::string_view text) {
  Header part = parse_header(text);
  ContentType ct = part_type(part, "the first part");
  if (ct.type + "/" + ct.subtype != kProtocol)
    malformed("the first part is " + ct.type + "/" + ct.subtype + ", not " +
              std::string(kProtocol));
  std::string body(part.body);
  while (!body.empty() && (body.back() == '\n' || body.back() == '\r' || body.back() == ' '))
    body.pop_back();
  if (body != "Version: 1")
    fail(Errc::unsupported, "an encrypted message of a version this program does not read");
}

// Part 2: the .jcd, in base64.
Bytes payload_part(std::string_view text) {
  Header part = parse_header(text);
  ContentType ct = part_type(part, "the second part");
  if (ct.type != "application" || ct.subtype != "octet-stream")
    malformed("the second part is " + ct.type + "/" + ct.subtype +
              ", not application/octet-stream");
  const HeaderField* encoding = find_field(part, "Content-Transfer-Encoding");
  if (encoding == nullptr || !iequals(encoding->value(), "base64"))
    malformed("the second part is not in base64");
  return base64_decode(part.body);
}

}  // namespace

SealPlan seal_plan(std::string_view message, bool protect_subject) {
  if (message.size() > kMaxMessageSize) fail(Errc::too_large, "the message is too large");
  Header header = parse_header(message);
  if (header.fields.empty()) fail(Errc::malformed, "the message has no header fields");
  if (const HeaderField* ct = find_field(header, "Content-Type")) {
    std::optional<ContentType> type;
    try {
      type = parse_content_type(ct->value());
    } catch (const Error&) {
      // An unreadable Content-Type travels inside as it is; it cannot be ours.
    }
    if (type && is_ours(*type)) fail(Errc::malformed, "the message is encrypted already");
  }
  if (protect_subject && count_fields(header, "Subject") > 1)
    fail(Errc::malformed, "the message has more than one Subject");
  SealPlan plan;
  plan.line_end = header.line_end;
  std::optional<std::size_t> mime_at;
  for (const auto& f : header.fields) {
    bool subject = protect_subject && iequals(f.name, "Subject");
    if (!describes_body(f.name) && !subject) {
      plan.outside.push_back(f.raw);
      continue;
    }
    plan.inner += f.raw;
    if (f.raw.empty() || f.raw.back() != '\n') plan.inner += header.line_end;
    if (subject) {
      plan.outside.push_back("Subject: " + std::string(kHiddenSubject) + header.line_end);
    } else if (!mime_at) {
      mime_at = plan.outside.size();
    }
  }
  // The last field may have ended the message, without a line end: outside it needs one.
  for (auto& f : plan.outside)
    if (f.empty() || f.back() != '\n') f += header.line_end;
  plan.mime_at = mime_at.value_or(plan.outside.size());
  plan.inner += header.separator.empty() ? header.line_end : header.separator;
  plan.inner += header.body;
  return plan;
}

std::string sealed_message(const SealPlan& plan, ByteView jcd, std::string_view boundary) {
  if (!valid_boundary(boundary)) fail(Errc::internal, "not a valid multipart boundary");
  const std::string& eol = plan.line_end;
  std::string out;
  for (std::size_t i = 0; i <= plan.outside.size(); ++i) {
    if (i == plan.mime_at) {
      out += "MIME-Version: 1.0" + eol;
      out += "Content-Type: multipart/encrypted;" + eol;
      out += " protocol=\"" + std::string(kProtocol) + "\";" + eol;
      out += " boundary=\"" + std::string(boundary) + "\"" + eol;
    }
    if (i < plan.outside.size()) out += plan.outside[i];
  }
  std::string delimiter = "--" + std::string(boundary);
  out += eol;
  out += "This is an encrypted message (RFC 1847); `recrypt mail decrypt` opens it." + eol;
  out += delimiter + eol;
  out += "Content-Type: " + std::string(kProtocol) + eol;
  out += eol;
  out += "Version: 1" + eol;
  out += delimiter + eol;
  out += "Content-Type: application/octet-stream; name=\"" + std::string(kPayloadName) + "\"" + eol;
  out += "Content-Transfer-Encoding: base64" + eol;
  out += "Content-Disposition: inline; filename=\"" + std::string(kPayloadName) + "\"" + eol;
  out += eol;
  out += base64_encode(jcd, eol);
  out += delimiter + "--" + eol;
  return out;
}

std::optional<Encrypted> open_encrypted(std::string_view message) {
  Header header;
  const HeaderField* ct_field = nullptr;
  std::optional<ContentType> ct;
  try {
    if (message.size() > kMaxMessageSize) fail(Errc::too_large, "the message is too large");
    header = parse_header(message);
    ct_field = find_field(header, "Content-Type");
    if (ct_field != nullptr) ct = parse_content_type(ct_field->value());
  } catch (const Error&) {
    // What this parser cannot read is someone else's message, unless it names our format.
    if (names_protocol(header_text(message))) throw;
    return std::nullopt;
  }
  if (!ct || !is_ours(*ct)) return std::nullopt;
  if (count_fields(header, "Content-Type") > 1) malformed("more than one Content-Type");
  auto boundary = ct->parameter("boundary");
  if (!boundary) malformed("its Content-Type has no boundary");
  std::vector<std::string_view> parts = split_multipart(header.body, *boundary);
  if (parts.size() != 2) malformed("it has " + std::to_string(parts.size()) + " parts, not 2");
  check_control_part(parts[0]);
  Encrypted e;
  e.jcd = payload_part(parts[1]);
  if (e.jcd.empty()) malformed("its .jcd part is empty");
  e.outside = std::move(header.fields);
  return e;
}

std::string restore_message(const Encrypted& encrypted, std::string_view inner) {
  Header entity = parse_header(inner);
  const HeaderField* subject = nullptr;
  std::string body_fields;
  for (const auto& f : entity.fields) {
    if (iequals(f.name, "Subject")) {
      if (subject != nullptr) malformed("the encrypted part has more than one Subject");
      subject = &f;
    } else if (describes_body(f.name)) {
      body_fields += f.raw;
    } else {
      malformed("the encrypted part holds a field encryption never moves: " + f.name);
    }
  }
  std::string out;
  bool placed = false;
  for (const auto& f : encrypted.outside) {
    if (describes_body(f.name)) {
      if (!placed) out += body_fields;
      placed = true;
    } else if (subject != nullptr && iequals(f.name, "Subject")) {
      out += subject->raw;
      subject = nullptr;
    } else {
      out += f.raw;
    }
  }
  if (!placed) out += body_fields;
  if (subject != nullptr) out += subject->raw;
  out += entity.separator;
  out += entity.body;
  return out;
}

}  // namespace recrypt::mail
