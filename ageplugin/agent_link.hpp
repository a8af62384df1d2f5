// The Unwrapper that asks the user's recrypt-agent (at its usual socket, or
// $RECRYPT_AGENT_SOCK), connecting on the first stanza it is given.
#pragma once

#include <memory>

#include "ageplugin/plugin.hpp"

namespace recrypt::age {

std::unique_ptr<Unwrapper> agent_unwrapper();

}  // namespace recrypt::age
