// Which transactions the client sends again, to another instance, when a request was written
// but no answer came back (the instance crashed, the connection broke, the read timed out).
#pragma once

#include <string_view>

namespace recrypt::service {

enum class Resend {
  once,   // sent once more, freshly signed (a new nonce), to the next target
  never,  // the caller gets OutcomeUnknown: it may have been applied
};

// The one table (resend_policy.cpp). A transaction it does not name is `never`.
Resend resend_policy(std::string_view transaction);

}  // namespace recrypt::service
