#include "service/client/client.hpp"

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>

#include <poll.h>

#include <algorithm>
#include <random>
#include <utility>
#include <vector>

#include "protocol/service/envelope.hpp"
#include "protocol/service/request_signature.hpp"
#include "service/client/resend_policy.hpp"
#include "service/client/service_address.hpp"
#include "service/client/srv.hpp"
#include "service/client/target_order.hpp"

namespace recrypt::service {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace ssl = net::ssl;
using tcp = net::ip::tcp;

namespace {

beast::string_view bsv(std::string_view s) { return {s.data(), s.size()}; }

[[noreturn]] void transport_failure(const std::string& what, const beast::error_code& ec) {
  refuse(status::kUnavailable, "recryption service unreachable: " + what + ": " + ec.message());
}

}  // namespace

// One place to connect to: a host and port of one of the service's addresses.
struct Target {
  const ServiceAddress* address;  // its TLS name and scheme
  std::string host;
  std::string port;
  std::string key() const { return host + ":" + port; }
};

struct Client::Impl {
  std::vector<ServiceAddress> addresses;  // the base address's entries, then the alternates
  std::string audience;
  jws::Signer signer;
  std::string kid;
  ClientOptions options;
  TargetOrder order;
  net::io_context ioc;
  std::optional<ssl::context> tls_ctx;
  std::optional<beast::tcp_stream> plain;
  std::optional<beast::ssl_stream<beast::tcp_stream>> secure;
  beast::flat_buffer buffer;
  std::string current;           // the connected target, host:port
  std::size_t target_count = 0;  // distinct targets the last connect() had to choose from
  const ServiceAddress* current_address = nullptr;

  beast::tcp_stream& lowest() { return secure ? beast::get_lowest_layer(*secure) : *plain; }
  bool connected() const { return plain.has_value() || secure.has_value(); }

  void disconnect() {
    beast::error_code ec;
    if (plain) plain->socket().close(ec);
    if (secure) beast::get_lowest_layer(*secure).socket().close(ec);
    plain.reset();
    secure.reset();
    buffer.clear();
  }

  // True when the service closed the kept-alive connection while it was idle (recryptd closes
  // one idle for --read-timeout-ms): nothing is sent on it then. Anything to read before a
  // request was sent (an end of stream, a TLS close_notify) means the same.
  bool closed_by_peer() {
    pollfd p{lowest().socket().native_handle(), POLLIN, 0};
    return ::poll(&p, 1, 0) != 0;
  }

  // Runs the queued operations to completion. Deadlines on the stream and the resolve timer
  // make sure this returns.
  void drive() {
    ioc.restart();
    ioc.run();
  }

  // Where `address` can be reached, in the order to try: the URL's host and port, or for a
  // domain its SRV records in RFC 2782's order, or the domain itself on 443 when it has none.
  std::vector<Target> targets_of(const ServiceAddress& address) {
    if (!address.discover) return {{&address, address.host, address.port}};
    std::string name = std::string(kSrvPrefix) + address.host;
    auto records = lookup_srv(name, {options.timeout, options.nameserver, options.nameserver_port});
    if (!records) return {{&address, address.host, "443"}};
    std::mt19937 rng(std::random_device{}());
    auto draw = [&](std::uint32_t n) {
      return std::uniform_int_distribution<std::uint32_t>(0, n)(rng);
    };
    std::vector<SrvRecord> ordered = order_srv(std::move(*records), draw);
    if (ordered.empty())
      refuse(status::kUnavailable,
             address.host + " says it has no recryption service (" + name + " SRV is \".\")");
    std::vector<Target> out;
    for (const auto& r : ordered) out.push_back({&address, r.target, std::to_string(r.port)});
    return out;
  }

  // Every target of every address, those that failed lately last (TargetOrder). An address
  // that cannot be looked up is skipped while another has targets.
  std::vector<Target> candidates() {
    std::vector<Target> all;
    std::optional<ServiceError> lookup_failure;
    for (const auto& a : addresses) {
      try {
        auto t = targets_of(a);
        all.insert(all.end(), t.begin(), t.end());
      } catch (const ServiceError& e) {
        lookup_failure = e;
      }
    }
    if (all.empty()) throw *lookup_failure;
    std::vector<std::string> keys;
    for (const auto& t : all) keys.push_back(t.key());
    std::vector<Target> out;
    for (auto i : order.order(keys)) out.push_back(all[i]);
    return out;
  }

  tcp::resolver::results_type resolve(const std::string& host, const std::string& port) {
    tcp::resolver resolver(ioc);
    net::steady_timer timer(ioc);
    beast::error_code ec;
    tcp::resolver::results_type endpoints;
    bool resolved = false;
    timer.expires_after(options.timeout);
    timer.async_wait([&](beast::error_code t) {
      if (!t && !resolved) resolver.cancel();
    });
    resolver.async_resolve(host, port, [&](beast::error_code e, tcp::resolver::results_type r) {
      resolved = true;
      ec = e;
      endpoints = std::move(r);
      timer.cancel();
    });
    drive();
    if (ec) transport_failure("resolving " + host, ec);
    return endpoints;
  }

  beast::tcp_stream connect_tcp(const Target& target) {
    auto endpoints = resolve(target.host, target.port);
    beast::error_code ec;
    beast::tcp_stream stream(ioc);
    stream.expires_after(options.timeout);
    stream.async_connect(endpoints, [&](beast::error_code e, const tcp::endpoint&) { ec = e; });
    drive();
    if (ec) transport_failure("connecting to " + target.key(), ec);
    stream.socket().set_option(tcp::no_delay(true), ec);
    return stream;
  }

  void connect_to(const Target& target) {
    beast::tcp_stream stream = connect_tcp(target);
    const ServiceAddress& address = *target.address;
    if (!address.tls) {
      plain.emplace(std::move(stream));
      return;
    }
    if (!tls_ctx) {
      tls_ctx.emplace(ssl::context::tls_client);
      if (options.ca_file.empty())
        tls_ctx->set_default_verify_paths();
      else
        tls_ctx->load_verify_file(options.ca_file);
      tls_ctx->set_verify_mode(ssl::verify_peer);
    }
    secure.emplace(std::move(stream), *tls_ctx);
    secure->set_verify_callback(ssl::host_name_verification(address.host));
    if (!SSL_set_tlsext_host_name(secure->native_handle(), address.host.c_str()))
      refuse(status::kUnavailable, "TLS: cannot set the server name");
    beast::error_code ec;
    beast::get_lowest_layer(*secure).expires_after(options.timeout);
    secure->async_handshake(ssl::stream_base::client, [&](beast::error_code e) { ec = e; });
    drive();
    if (ec) {
      disconnect();
      transport_failure("TLS handshake with " + address.host + " at " + target.key(), ec);
    }
  }

  // Tries each candidate in turn; one that fails goes to the back of the order for a while;
  // the last one's failure is the error.
  void connect() {
    auto targets = candidates();
    std::vector<std::string> keys;
    for (const auto& t : targets) keys.push_back(t.key());
    std::sort(keys.begin(), keys.end());
    target_count = static_cast<std::size_t>(std::unique(keys.begin(), keys.end()) - keys.begin());
    for (std::size_t i = 0;; ++i) {
      try {
        connect_to(targets[i]);
        current = targets[i].key();
        current_address = targets[i].address;
        return;
      } catch (const ServiceError&) {
        order.failed(targets[i].key());
        if (i + 1 == targets.size()) throw;
      }
    }
  }

  struct Attempt {
    // The whole request was handed to the connection: from then on the service may act on it
    // whether or not an answer comes back.
    bool written = false;
    bool timed_out = false;  // no answer within the timeout (rather than a broken connection)
  };

  template <class Stream>
  RawResponse exchange(Stream& stream, const std::string& body, const std::string& signature,
                       Attempt& attempt) {
    http::request<http::string_body> req(http::verb::post, bsv(kPath), 11);
    req.set(http::field::host, current_address->host);
    req.set(http::field::content_type, "application/json");
    req.set(http::field::user_agent, "recrypt-client");
    if (!signature.empty()) req.set(bsv(kSignatureHeader), signature);
    req.keep_alive(true);
    req.body() = body;
    req.prepare_payload();
    beast::error_code ec;
    lowest().expires_after(options.timeout);
    http::async_write(stream, req, [&](beast::error_code e, std::size_t) { ec = e; });
    drive();
    if (ec) transport_failure("sending the request to " + current, ec);
    attempt.written = true;
    http::response_parser<http::string_body> parser;
    parser.body_limit(options.max_response);
    lowest().expires_after(options.timeout);
    http::async_read(stream, buffer, parser, [&](beast::error_code e, std::size_t) { ec = e; });
    drive();
    if (ec) {
      attempt.timed_out = ec == beast::error::timeout;
      transport_failure("reading the response of " + current, ec);
    }
    auto& res = parser.get();
    RawResponse out{static_cast<int>(res.result_int()), std::move(res.body()),
                    std::string(res[http::field::retry_after])};
    if (!res.keep_alive()) disconnect();
    return out;
  }

  // Sends a request and returns the answer, going to the next target as far as that is safe:
  // - nothing sent (no target connects, or a write that failed): the next target, freshly
  //   signed; a kept-alive connection the service closed meanwhile is replaced first;
  // - sent, but no answer: `resend` says (resend_policy.hpp): once more to the next target,
  //   freshly signed (a new nonce: a signed request is not taken twice), or OutcomeUnknown.
  //   A timeout with no other target to go to is not resent: the one instance is slow or
  //   stuck, and a second wait as long would only double the caller's.
  RawResponse post(const std::string& body, const std::function<std::string()>& sign_fn,
                   Resend resend) {
    bool resent = false;
    bool unsent_retry = false;
    for (;;) {
      bool reused = connected();
      if (reused && closed_by_peer()) {
        disconnect();
        reused = false;
      }
      if (!reused) connect();
      Attempt attempt;
      try {
        std::string signature = sign_fn ? sign_fn() : std::string();
        return secure ? exchange(*secure, body, signature, attempt)
                      : exchange(*plain, body, signature, attempt);
      } catch (const ServiceError& e) {
        disconnect();
        // A write on a kept-alive connection can meet the service's close of it; a fresh
        // connection that cannot take a request is an instance in trouble.
        if (!attempt.written && !reused) order.failed(current);
        if (!attempt.written && !unsent_retry) {
          unsent_retry = true;
          continue;
        }
        if (!attempt.written) throw;
        order.failed(current);
        bool elsewhere = target_count > 1 || !attempt.timed_out;
        if (resend == Resend::once && !resent && elsewhere) {
          resent = true;
          continue;
        }
        if (resend == Resend::once) throw;
        throw OutcomeUnknown(std::string(e.what()) +
                             ": the request may have been applied; read it back before "
                             "repeating it");
      }
    }
  }
};

Client::Client(std::string base_url, std::string audience, jws::Signer signer, std::string kid,
               ClientOptions options)
    : impl_(std::make_unique<Impl>()) {
  impl_->addresses = parse_service_addresses(base_url);
  for (const auto& a : options.alternates) {
    auto more = parse_service_addresses(a);
    impl_->addresses.insert(impl_->addresses.end(), more.begin(), more.end());
  }
  impl_->audience = std::move(audience);
  impl_->signer = std::move(signer);
  impl_->kid = std::move(kid);
  impl_->options = options;
}
Client::~Client() = default;
Client::Client(Client&&) noexcept = default;
Client& Client::operator=(Client&&) noexcept = default;

void Client::set_signer(jws::Signer signer, std::string kid) {
  impl_->signer = std::move(signer);
  impl_->kid = std::move(kid);
}

std::string Client::sign(const std::string& body) const {
  if (!impl_->signer) refuse(status::kMalformed, "this client has no signing key");
  return sign_request(body, impl_->signer, impl_->kid, impl_->audience);
}

Client::RawResponse Client::post_raw(const std::string& body, const std::string& signature) {
  return impl_->post(
      body, signature.empty() ? std::function<std::string()>() : [&] { return signature; },
      Resend::never);
}

template <class Response, class Request>
Response Client::call(const Request& req, const jws::Signer* signer, const std::string* kid) {
  std::string body = serialize_request(Request::kName, req.to_json());
  std::function<std::string()> sign_fn;
  if (signer != nullptr)
    sign_fn = [&] { return sign_request(body, *signer, *kid, impl_->audience); };
  RawResponse raw = impl_->post(body, sign_fn, resend_policy(Request::kName));
  Message m = parse_response(raw.body, impl_->options.max_response, Request::kName);
  // 202: no Response yet, the request waits for an administrator's review (RecryptData).
  std::uint64_t review_request = 0;
  try {
    if (auto st = m.body.find("Status"); *st == status::kPending)
      review_request = ReviewPendingResponse::from_json(m.body).review_request;
    else
      return Response::from_json(m.body);
  } catch (const ServiceError& e) {
    refuse(status::kInternal, std::string("service answered badly: ") + e.what());
  }
  auto d = m.body.find("StatusDescription");
  throw ReviewPending(review_request, d != m.body.end() && d->is_string()
                                          ? d->get<std::string>()
                                          : "recryption waits for review");
}

HelloResponse Client::hello() { return call<HelloResponse>(HelloRequest{}, nullptr, nullptr); }
PublishProfileResponse Client::publish_profile(const PublishProfileRequest& req,
                                               const jws::Signer& profile_signer,
                                               const std::string& profile_kid) {
  return call<PublishProfileResponse>(req, &profile_signer, &profile_kid);
}
GetProfileResponse Client::get_profile(const GetProfileRequest& req) {
  return call<GetProfileResponse>(req, nullptr, nullptr);
}
CreateGroupResponse Client::create_group(const CreateGroupRequest& req) {
  return call<CreateGroupResponse>(req, &impl_->signer, &impl_->kid);
}
UpdateGroupResponse Client::update_group(const UpdateGroupRequest& req) {
  return call<UpdateGroupResponse>(req, &impl_->signer, &impl_->kid);
}
GetGroupResponse Client::get_group(const GetGroupRequest& req) {
  GetGroupResponse out = call<GetGroupResponse>(req, &impl_->signer, &impl_->kid);
  if (req.limit != 0) return out;
  // No page size asked for: every page, gathered into one answer. Each page must move the
  // cursor forward past its own members, or a service could keep the client asking forever.
  GetGroupRequest page = req;
  while (!out.next.empty()) {
    if (out.next <= page.after || out.members.empty() || out.next != out.members.back().member)
      throw Error(Errc::malformed, "the service's member list does not move forward");
    page.after = std::move(out.next);
    GetGroupResponse more = call<GetGroupResponse>(page, &impl_->signer, &impl_->kid);
    for (MemberSummary& m : more.members) out.members.push_back(std::move(m));
    out.next = std::move(more.next);
    if (!more.members.empty() && more.members.front().member <= page.after)
      throw Error(Errc::malformed, "the service's member list does not move forward");
  }
  return out;
}
AddMemberResponse Client::add_member(const AddMemberRequest& req) {
  return call<AddMemberResponse>(req, &impl_->signer, &impl_->kid);
}
UpdateMemberResponse Client::update_member(const UpdateMemberRequest& req) {
  return call<UpdateMemberResponse>(req, &impl_->signer, &impl_->kid);
}
RecryptDataResponse Client::recrypt_data(const RecryptDataRequest& req) {
  return call<RecryptDataResponse>(req, &impl_->signer, &impl_->kid);
}
RecryptBatchResponse Client::recrypt_batch(const RecryptBatchRequest& req) {
  RecryptBatchResponse r = call<RecryptBatchResponse>(req, &impl_->signer, &impl_->kid);
  if (r.results.size() != req.agreements.size())
    refuse(status::kInternal,
           "service answered badly: RecryptBatch results do not match the "
           "request's key agreements");
  return r;
}
RotateGroupKeyResponse Client::rotate_group_key(const RotateGroupKeyRequest& req) {
  return call<RotateGroupKeyResponse>(req, &impl_->signer, &impl_->kid);
}
BeginRotationResponse Client::begin_rotation(const BeginRotationRequest& req) {
  return call<BeginRotationResponse>(req, &impl_->signer, &impl_->kid);
}
AddRotationEntriesResponse Client::add_rotation_entries(const AddRotationEntriesRequest& req) {
  return call<AddRotationEntriesResponse>(req, &impl_->signer, &impl_->kid);
}
CommitRotationResponse Client::commit_rotation(const CommitRotationRequest& req) {
  return call<CommitRotationResponse>(req, &impl_->signer, &impl_->kid);
}
AbandonRotationResponse Client::abandon_rotation(const AbandonRotationRequest& req) {
  return call<AbandonRotationResponse>(req, &impl_->signer, &impl_->kid);
}
ReadAuditResponse Client::read_audit(const ReadAuditRequest& req) {
  return call<ReadAuditResponse>(req, &impl_->signer, &impl_->kid);
}
ReadMembershipResponse Client::read_membership(const ReadMembershipRequest& req) {
  return call<ReadMembershipResponse>(req, &impl_->signer, &impl_->kid);
}
GetAdminKeysResponse Client::get_admin_keys(const GetAdminKeysRequest& req) {
  return call<GetAdminKeysResponse>(req, &impl_->signer, &impl_->kid);
}
MigrateMembershipResponse Client::migrate_membership(const MigrateMembershipRequest& req) {
  return call<MigrateMembershipResponse>(req, &impl_->signer, &impl_->kid);
}
SetPolicyResponse Client::set_policy(const SetPolicyRequest& req) {
  return call<SetPolicyResponse>(req, &impl_->signer, &impl_->kid);
}
ListReviewsResponse Client::list_reviews(const ListReviewsRequest& req) {
  return call<ListReviewsResponse>(req, &impl_->signer, &impl_->kid);
}
DecideReviewResponse Client::decide_review(const DecideReviewRequest& req) {
  return call<DecideReviewResponse>(req, &impl_->signer, &impl_->kid);
}

}  // namespace recrypt::service
