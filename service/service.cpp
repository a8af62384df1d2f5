#include "service/service.hpp"

#include <cstdlib>
#include <memory>
#include <optional>
#include <type_traits>

#include "base/error.hpp"
#include "protocol/jwk.hpp"
#include "protocol/udf.hpp"
#include "protocol/service/envelope.hpp"
#include "protocol/service/service_error.hpp"
#include "service/authenticated.hpp"
#include "service/request_log.hpp"
#include "service/transaction_table.hpp"
#include "service/transactions.hpp"

namespace recrypt::service {

namespace {

Reply make_reply(const std::string& type, int status, const std::string& description, Json body) {
  Reply r;
  r.status = status;
  r.type = type;
  r.body = serialize_response(type.empty() ? "Error" : type, status, description, std::move(body));
  return r;
}

AuditRecord audit_record(const std::string& type, const tx::Caller& caller,
                         const tx::AuditNote& note, int status, const std::string& description) {
  return {0,
          unix_now(),
          type,
          note.group,
          caller.signer.profile_id,
          caller.signer.kid,
          note.key_id,
          status,
          description,
          note.document,
          note.agreement};
}

std::string nonce_key(const RequestClaims& claims) { return claims.kid + ":" + claims.nonce; }

// A RecryptData decided on a read that a change committed since may have made wrong (another
// recryptd's revocation, say), and decided again fewer than five times so far. The store's
// generation is one for all groups, so any change anywhere makes a decision in flight stale:
// under a steady stream of changes a decision may need a few tries. After the fifth the
// answer is StaleRead's 503: the store changes faster than it can be read.
constexpr int kMaxRedecisions = 5;
bool stale(const std::exception_ptr& failure, int attempt) {
  if (attempt >= kMaxRedecisions) return false;
  try {
    std::rethrow_exception(failure);
  } catch (const StaleRead&) {
    return true;
  } catch (...) {
    return false;
  }
}

Reply unknown_signer(const std::string& type, const std::string& kid) {
  Reply r = make_reply(type, status::kUnauthorized, "request is signed by an unknown key", {});
  r.kid = kid;
  return r;
}

// The answer to a request whose write the store did not commit. A store that refuses the
// write for a reason of the request's own (a shared store's replay: the nonce was taken by
// another recryptd; a change that lost a race) says so with a ServiceError, answered as
// such; anything else is the service's failure.
Reply store_failure(const std::string& type, const std::exception_ptr& failure) {
  try {
    std::rethrow_exception(failure);
  } catch (const ServiceError& e) {
    return make_reply(type, e.status(), e.what(), {});
  } catch (...) {
    return make_reply(type, status::kInternal, "the service could not store the change", {});
  }
}

}  // namespace

Service::Service(Store& store, KeyVault vault, ServiceConfig config)
    : store_(store), vault_(std::move(vault)), config_(std::move(config)), quotas_(unix_now) {
  // A shared store refuses a replay itself (insert_nonce); the cache starts empty.
  if (store_.shared()) return;
  std::int64_t now = unix_now();
  store_.read([&](StoreReader& r) {
    for (const auto& [nonce, expires] : r.live_nonces(now)) nonces_.claim(nonce, expires, now);
  });
}

Reply Service::error_reply(int status, const std::string& description) {
  return make_reply("", status, description, Json::object());
}

ReadCache::Signer Service::known_signer(const std::string& kid, std::uint64_t& generation) {
  generation = store_.generation();  // before the read: see ReadCache
  if (ReadCache::Signer cached = cache_.signer(kid, generation)) return cached;
  std::optional<SignerRecord> record;
  store_.read([&](StoreReader& r) { record = r.signer(kid); });
  if (!record) refuse(status::kUnauthorized, "request is signed by an unknown key");
  jws::VerifyKey key(jwk::to_public(Json::parse(record->jwk)));
  auto signer =
      std::make_shared<const CachedSigner>(CachedSigner{std::move(*record), std::move(key)});
  cache_.put_signer(kid, signer, generation);
  return signer;
}

Service::Authenticated Service::authenticate(std::string_view body, std::string_view signature,
                                             const Point* self_key) {
  if (signature.empty())
    refuse(status::kUnauthorized, "request is not signed (Recrypt-Signature header missing)");
  Authenticated a;
  SignatureHeader header = parse_signature(signature);
  if (self_key != nullptr) {
    a.caller.signer = {header.kid, header.kid, jwk::from_public(*self_key).dump(), ""};
    a.caller.claims = verify_request(header, body, jws::VerifyKey(*self_key));
  } else {
    ReadCache::Signer signer = known_signer(header.kid, a.read_generation);
    a.caller.claims = verify_request(header, body, signer->key);
    a.caller.signer = signer->record;
  }
  const RequestClaims& c = a.caller.claims;
  if (c.aud != config_.audience)
    refuse(status::kUnauthorized, "request is signed for another audience");
  std::int64_t now = unix_now();
  if (std::llabs(now - c.iat) > config_.skew_seconds)
    refuse(status::kUnauthorized, "request signature is stale (check the clock)");
  if (!nonces_.claim(nonce_key(c), c.iat + config_.skew_seconds + 1, now))
    refuse(status::kUnauthorized, std::string(kReplayDescription));
  return a;
}

bool Service::refresh_signer(Authenticated& a) {
  std::uint64_t generation = store_.generation();
  std::optional<SignerRecord> record;
  store_.read([&](StoreReader& r) { record = r.signer(a.caller.signer.kid); });
  // The request's signature was checked with the key read before: it stands if the key does.
  if (!record || record->jwk != a.caller.signer.jwk ||
      record->profile_id != a.caller.signer.profile_id)
    return false;
  a.caller.signer = std::move(*record);
  a.read_generation = generation;
  return true;
}

bool Service::refreshed(Authenticated& a, std::function<void(Reply)>& done,
                        const std::string& type) {
  try {
    if (refresh_signer(a)) return true;
    done(unknown_signer(type, a.caller.signer.kid));
  } catch (...) {
    Reply r = store_failure(type, std::current_exception());
    r.kid = a.caller.signer.kid;
    done(std::move(r));
  }
  return false;
}

ReadCache::Plan Service::recrypt_plan(Authenticated& a, const RecryptDataRequest& req, bool fresh) {
  // A device asks again and again for the same group and key: its checked plan is kept
  // until the store changes. Refusals are not kept; they are read afresh each time.
  std::string key = a.caller.signer.kid + "|" + req.group + "|" + req.key_id;
  std::uint64_t generation = store_.generation();
  a.read_generation = std::min(a.read_generation, generation);
  ReadCache::Plan plan = fresh ? nullptr : cache_.plan(key, generation);
  if (plan) {
    a.note.group = plan->group_id;
    a.note.key_id = plan->key_id;
    return plan;
  }
  store_.read([&](StoreReader& r) {
    plan = std::make_shared<const tx::RecryptPlan>(tx::plan_recrypt(r, a.caller, req, a.note));
  });
  cache_.put_plan(key, plan, generation);
  // A group without quotas is not counted; a quota set again later starts from the audit.
  if (!plan->counted) quotas_.forget(plan->group_id);
  return plan;
}

std::int64_t Service::charge_quota(const tx::RecryptPlan& plan, std::int64_t& retry_after) {
  // A shared store counts in its own transaction (Bookkeeping::charge): a ledger in this
  // process would not see the other instances' answers.
  if (!plan.counted || store_.shared()) return 0;
  auto history = [&](std::int64_t since) {
    QuotaLedger::Answered times;
    try {
      store_.read([&](StoreReader& r) { times = r.answered_recryptions(plan.group_id, since); });
    } catch (const std::exception& e) {
      log_event("internal error", std::string("reading a group's recryptions: ") + e.what());
      refuse(status::kInternal, "the service could not read the group's recryptions");
    }
    return times;
  };
  QuotaLedger::Admission a =
      quotas_.admit(plan.group_id, plan.member_id, plan.quota, plan.own_quota, history);
  if (!a.admitted) {
    retry_after = a.retry_after;
    refuse(status::kTooManyRequests, a.reason);
  }
  return a.at;
}

// The reads, the point multiplication and the answer's serialization run here, on an I/O
// thread, in parallel; only the nonce and the audit record go to the writer, as rows.
void Service::recrypt_data(std::shared_ptr<const Json> body, Authenticated a,
                           std::function<void(Reply)> done, int attempt) {
  static const std::string type = "RecryptData";
  int status = status::kOk;
  std::string description = "OK";
  Json result = Json::object();
  std::int64_t retry_after = 0;
  // Where the recryption counts against a quota: released again if it is not answered.
  std::shared_ptr<const tx::RecryptPlan> charged;
  std::int64_t charged_at = 0;
  // The plan, for a shared store's count of the quota.
  std::shared_ptr<const tx::RecryptPlan> counted;
  try {
    auto req = RecryptDataRequest::from_json(*body);
    // Which document it was, for the audit: as the client states it, and the key agreement
    // the service itself answers for, which no client can misstate (FORMAT.md §10).
    a.note.document = req.document;
    a.note.agreement = udf::key_fingerprint(req.epk);
    ReadCache::Plan plan = recrypt_plan(a, req, /*fresh=*/attempt > 0);
    counted = plan;
    // The quota first: a member over it is refused before anything else is asked or stored.
    // A recryption not answered after all (held for review, denied) is taken back below.
    charged_at = charge_quota(*plan, retry_after);
    if (charged_at != 0) charged = plan;
    if (!plan->reviewed) {
      result = tx::execute_recrypt(*plan, vault_, req.epk);
    } else if (!answer_reviewed(a, *plan, req.epk, status, description, result)) {
      if (charged) quotas_.release(charged->group_id, charged->member_id, charged_at);
      // No review yet: asking for one is a change, stored durably before the 202.
      return ask_review(std::move(a), std::move(plan), req.epk, std::move(done));
    }
  } catch (const ServiceError& e) {
    status = e.status();
    description = e.what();
  } catch (const Error& e) {
    // As finish_signed answers them. `done` is this function's now: nothing may escape
    // without it being called.
    status = status::kMalformed;
    description = e.what();
  } catch (const std::exception& e) {
    log_event("internal error", type + ": " + e.what());
    status = status::kInternal;
    description = "internal error";
  }
  if (charged && status != status::kOk) {
    quotas_.release(charged->group_id, charged->member_id, charged_at);
    charged.reset();
  }
  const RequestClaims& c = a.caller.claims;
  Bookkeeping entry{nonce_key(c), c.iat + config_.skew_seconds + 1,
                    audit_record(type, a.caller, a.note, status, description)};
  entry.read_generation = a.read_generation;
  if (store_.shared() && status == status::kOk && counted && !counted->quota.unlimited())
    entry.charge =
        QuotaCharge{counted->group_id, counted->member_id, counted->quota, counted->own_quota};
  Reply reply = make_reply(type, status, description, std::move(result));
  reply.kid = a.caller.signer.kid;
  reply.group = a.note.group;
  reply.retry_after = retry_after;
  auto answer = [this, body = std::move(body), a = std::move(a), attempt, reply = std::move(reply),
                 done = std::move(done), charged = std::move(charged),
                 charged_at](std::exception_ptr failure) mutable {
    if (failure) {
      if (charged) quotas_.release(charged->group_id, charged->member_id, charged_at);
      if (stale(failure, attempt)) {
        // Decided again on what the store holds now, here on the store's writer: the reads
        // take connections of their own (a shared store's pool), never the writer's. The
        // nonce stays claimed in this process's cache; the store has not seen it yet.
        if (!refreshed(a, done, type)) return;
        a.note = {};
        a.status = status::kOk;
        return recrypt_data(std::move(body), std::move(a), std::move(done), attempt + 1);
      }
      Reply failed = store_failure(type, failure);
      try {
        std::rethrow_exception(failure);
      } catch (const QuotaRefused& e) {
        failed.retry_after = e.retry_after();
      } catch (...) {
      }
      failed.kid = std::move(reply.kid);
      failed.group = std::move(reply.group);
      return done(std::move(failed));
    }
    done(std::move(reply));
  };
  store_.record(std::move(entry), std::move(answer));
}

bool Service::answer_reviewed(Authenticated& a, const tx::RecryptPlan& plan, const Point& epk,
                              int& status, std::string& description, Json& result) {
  // Read afresh each time, not kept in the plan: a decision must take effect at once.
  bool found = false;
  store_.read([&](StoreReader& r) {
    auto review = r.review(plan.group_id, plan.member_id, a.note.agreement);
    if (!review) return;
    found = true;
    result = tx::answer_under_review(r, *review, plan, vault_, epk, status, description);
  });
  return found;
}

void Service::ask_review(Authenticated a, ReadCache::Plan plan, const Point& epk,
                         std::function<void(Reply)> done) {
  static const std::string type = "RecryptData";
  finish_signed(
      type, std::move(a),
      [this, plan = std::move(plan), epk](StoreWriter& w, Authenticated& s) {
        Review review = tx::ask_review(w, s.caller, *plan, s.note);
        return tx::answer_under_review(w, review, *plan, vault_, epk, s.status, s.note.outcome);
      },
      std::move(done), Durability::full);
}

void Service::finish_signed(const std::string& type, Authenticated auth,
                            std::function<Json(StoreWriter&, Authenticated&)> work,
                            std::function<void(Reply)> done, Durability durability) {
  struct State {
    Authenticated auth;
    Json result = Json::object();
    int status = status::kOk;
    std::string description = "OK";
  };
  // On a shared store a request authenticated by a cached signer has its signer read again in
  // the transaction that runs it (below), changes and reads alike: the store's generation is
  // one for all groups, and a check of it would refuse the request whenever any other change
  // committed meanwhile. Only the signer matters here: `work` reads the rest in that
  // transaction itself.
  bool check_signer = store_.shared() && auth.read_generation != 0;
  auto state = std::make_shared<State>(State{std::move(auth)});
  std::int64_t expires = state->auth.caller.claims.iat + config_.skew_seconds + 1;
  // Changes run in a savepoint of their own so that a refusal undoes them but keeps the nonce
  // and the audit record; reads and recryptions change nothing and skip it.
  store_.write(
      [state, type, work = std::move(work), expires, check_signer,
       isolated = durability == Durability::full](StoreWriter& w) {
        const tx::Caller& c = state->auth.caller;
        if (check_signer) {
          // Read (and on PostgreSQL locked) in the transaction: another recryptd may have
          // removed the key since this one cached it. Refused as authenticate() refuses it.
          std::optional<SignerRecord> now = w.signer(c.signer.kid);
          if (!now || now->jwk != c.signer.jwk || now->profile_id != c.signer.profile_id)
            refuse(status::kUnauthorized, "request is signed by an unknown key");
        }
        w.insert_nonce(nonce_key(c.claims), expires);
        try {
          if (isolated) {
            w.nested([&] { state->result = work(w, state->auth); });
          } else {
            state->result = work(w, state->auth);
          }
          state->status = state->auth.status;
          if (!state->auth.note.outcome.empty()) state->description = state->auth.note.outcome;
        } catch (const ServiceError& e) {
          state->status = e.status();
          state->description = e.what();
        } catch (const Error& e) {
          state->status = status::kMalformed;
          state->description = e.what();
        }
        w.append_audit(audit_record(type, c, state->auth.note, state->status, state->description));
      },
      [state, type, done = std::move(done)](std::exception_ptr failure) mutable {
        Reply reply = failure ? store_failure(type, failure)
                              : make_reply(type, state->status, state->description,
                                           state->status / 100 == 2 ? std::move(state->result)
                                                                    : Json::object());
        reply.kid = state->auth.caller.signer.kid;
        reply.group = state->auth.note.group;
        done(std::move(reply));
      },
      durability);
}

template <class T>
void Service::serve(const Json& request, std::string_view body, std::string_view signature,
                    std::string& kid, std::function<void(Reply)>& done) {
  using Request = typename T::Request;
  static const std::string type(T::name);
  constexpr Durability durability =
      T::effect == Effect::changes ? Durability::full : Durability::process;
  if constexpr (T::signer == Signer::nobody) {
    Request req = Request::from_json(request);
    if constexpr (std::is_same_v<Request, HelloRequest>) {
      done(make_reply(type, status::kOk, "OK",
                      HelloResponse{{std::string(kProtocolVersion)},
                                    {"application/json"},
                                    config_.audience,
                                    unix_now(),
                                    {std::string(RecryptBatchRequest::kName)}}
                          .to_json()));
    } else {
      Json out;
      store_.read([&](StoreReader& r) { out = T::run(r, req); });
      done(make_reply(type, status::kOk, "OK", std::move(out)));
    }
  } else if constexpr (T::signer == Signer::itself) {
    Request req = Request::from_json(request);
    auto profile = std::make_shared<VerifiedProfile>(verify_profile(req.profile));
    const Point& key = profile->type == ProfileType::personal ? profile->personal->signing_key
                                                              : profile->group->signing_key;
    Authenticated a = authenticate(body, signature, &key);
    if (a.caller.claims.kid != profile->id())
      refuse(status::kUnauthorized, "PublishProfile must be signed by the profile's own key");
    finish_signed(
        type, std::move(a),
        [profile](StoreWriter& w, Authenticated&) { return T::run(w, *profile); }, std::move(done),
        durability);
  } else {
    Authenticated a = authenticate(body, signature, nullptr);
    kid = a.caller.signer.kid;
    if constexpr (std::is_same_v<Request, RecryptDataRequest>) {
      recrypt_data(std::make_shared<const Json>(request), std::move(a), std::move(done), 0);
    } else if constexpr (std::is_same_v<Request, RecryptBatchRequest>) {
      Request req = Request::from_json(request);  // refused (400, 413) before `done` moves
      recrypt_batch(req, std::move(a), std::move(done));
    } else {
      // A transaction that seals or opens keys takes the vault as well.
      constexpr bool with_vault =
          std::is_invocable_v<decltype(T::run), StoreWriter&, const KeyVault&, const tx::Caller&,
                              const Request&, tx::AuditNote&>;
      auto work = [req = Request::from_json(request), &vault = vault_](StoreWriter& w,
                                                                       Authenticated& s) {
        if constexpr (with_vault) {
          return T::run(w, vault, s.caller, req, s.note);
        } else {
          (void)vault;  // captured for the transactions that take it
          return T::run(w, s.caller, req, s.note);
        }
      };
      finish_signed(type, std::move(a), std::move(work), std::move(done), durability);
    }
  }
}

void Service::handle(std::string body, std::string signature, std::function<void(Reply)> done) {
  std::string type;
  std::string kid;
  try {
    Message m = parse_request(body, config_.max_body);
    type = m.name;
    bool known =
        with_transaction(type, [&]<class T>(T) { serve<T>(m.body, body, signature, kid, done); });
    if (!known) refuse(status::kMalformed, unknown_transaction_description(type));
  } catch (const ServiceError& e) {
    Reply r = make_reply(type, e.status(), e.what(), {});
    r.kid = kid;
    done(std::move(r));
  } catch (const Error& e) {
    Reply r = make_reply(type, e.code() == Errc::too_large ? status::kTooLarge : status::kMalformed,
                         e.what(), {});
    r.kid = kid;
    done(std::move(r));
  } catch (const std::exception& e) {
    // The detail goes to the operator's log only; exception texts here name no secret.
    log_event("internal error", type + ": " + e.what());
    Reply r = make_reply(type, status::kInternal, "internal error", {});
    r.kid = kid;
    done(std::move(r));
  }
}

}  // namespace recrypt::service
