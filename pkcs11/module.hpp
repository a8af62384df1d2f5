// A PKCS#11 module loaded with dlopen and initialised once per process. Several backends in
// one process (the agent may run one per token) share it: PKCS#11 allows one C_Initialize per
// module per process, and C_Finalize ends every session of every user.
#pragma once

#include <p11-kit/pkcs11.h>

#include <atomic>
#include <cstdint>
#include <memory>
#include <shared_mutex>
#include <string>

namespace recrypt::pkcs11 {

class Module {
 public:
  // The module at `path`, shared with other users in this process. BackendError(not_present)
  // when it cannot be loaded; BackendError(device) when it does not initialise.
  static std::shared_ptr<Module> load(const std::string& path);

  const std::string& path() const noexcept { return path_; }
  CK_FUNCTION_LIST* fn() const noexcept { return fn_; }

  // Finalises and initialises the module again, for modules that read their slot list only at
  // C_Initialize (p11-kit-proxy). Every session of every user ends; generation() changes so
  // users drop their cached sessions and handles. Takes the exclusive lock: wait for
  // operations in flight.
  void reinitialize();
  std::uint64_t generation() const noexcept { return generation_.load(); }

  // Operations hold this shared while they use sessions; reinitialize() holds it exclusive.
  std::shared_mutex& use_lock() noexcept { return use_; }

  Module(const Module&) = delete;
  Module& operator=(const Module&) = delete;
  ~Module();

 private:
  Module(std::string path, void* handle, CK_FUNCTION_LIST* fn);
  void initialize();
  std::string path_;
  void* handle_;
  CK_FUNCTION_LIST* fn_;
  bool we_initialized_ = false;
  std::atomic<std::uint64_t> generation_{0};
  std::shared_mutex use_;
};

}  // namespace recrypt::pkcs11
