#include "agent/client_presence.hpp"

#include <poll.h>

namespace recrypt::agent {
namespace {
thread_local int serving_fd = -1;
}  // namespace

ServingClient::ServingClient(int fd) : previous_(serving_fd) { serving_fd = fd; }

ServingClient::~ServingClient() { serving_fd = previous_; }

bool client_gone() {
  if (serving_fd < 0) return false;
  pollfd p{serving_fd, 0, 0};  // POLLHUP and POLLERR are reported whatever is asked for
  if (::poll(&p, 1, 0) != 1) return false;
  return (p.revents & (POLLHUP | POLLERR | POLLNVAL)) != 0;
}

}  // namespace recrypt::agent
